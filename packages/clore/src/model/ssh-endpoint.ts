import type { SshEndpoint } from '@clore-batch/shared';
import type { RawOrder } from '../schema/orders';

/** Where to reach an order's SSH (`SshEndpointSchema` in @clore-batch/shared). */
export type { SshEndpoint };

const SSH_STRING = /^\s*ssh\s+(?:(\S+)@)?(\S+?)(?:\s+-p\s*(\d+))?\s*$/;

/** "ssh root@node123.clore.ai -p 40022" (the seeds' `connection.ssh`). */
function fromSshString(text: string): SshEndpoint | undefined {
  const match = SSH_STRING.exec(text);
  if (match === null || match[2] === undefined) {
    return undefined;
  }
  return { user: match[1] ?? 'root', host: match[2], port: match[3] === undefined ? 22 : Number(match[3]) };
}

/** The public port mapped to container port 22: `["22:1277"]`, or a dict `{"22/tcp": 1277}`. */
function sshPublicPort(tcpPorts: RawOrder['tcp_ports']): number | undefined {
  if (tcpPorts === undefined) {
    return undefined;
  }
  if (Array.isArray(tcpPorts)) {
    for (const entry of tcpPorts) {
      const [inner, outer] = entry.split(':');
      if (inner?.trim() === '22' && outer !== undefined && /^\d+$/.test(outer.trim())) {
        return Number(outer.trim());
      }
    }
    return undefined;
  }
  for (const [inner, outer] of Object.entries(tcpPorts)) {
    if (inner.split('/')[0] === '22' && /^\d+$/.test(String(outer).trim())) {
      return Number(outer);
    }
  }
  return undefined;
}

/** Part A §8: host `pub_cluster[0]` + the public side of `22:x`, or the seeds' ssh string. */
export function sshEndpointOf(raw: RawOrder): SshEndpoint | undefined {
  const cluster = raw.pub_cluster;
  const host = Array.isArray(cluster) ? cluster[0] : cluster;
  const port = sshPublicPort(raw.tcp_ports);
  if (host !== undefined && host !== '' && port !== undefined) {
    return { host, port, user: 'root' };
  }
  const text = raw.connection?.ssh;
  return text === undefined ? undefined : fromSshString(text);
}
