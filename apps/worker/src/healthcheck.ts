/**
 * The container health check of a worker (docker-compose.yml: `node dist/healthcheck.js`): healthy
 * while a process in this container holds an established TCP connection to REDIS_URL's port, which
 * the worker keeps open as long as it can take, run and resume jobs. Reads /proc/net/tcp{,6} (Linux)
 * and touches nothing: no Redis command, no config validation, no port of its own.
 */
import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';

function redisPort(url: string | undefined): number {
  const port = new URL(url ?? 'redis://127.0.0.1:6379').port;
  return port === '' ? 6379 : Number(port);
}

/** Remote ports of the established connections in one /proc/net/tcp table. */
function establishedRemotePorts(table: string): number[] {
  const ports: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [, , remote, state] = line.trim().split(/\s+/);
    if (state === ESTABLISHED && remote) {
      ports.push(Number.parseInt(remote.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

function readTable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const port = redisPort(process.env.REDIS_URL);
const connected = ['/proc/net/tcp', '/proc/net/tcp6']
  .flatMap((path) => establishedRemotePorts(readTable(path)))
  .includes(port);
process.stdout.write(connected ? `healthy: connected to Redis (port ${port})\n` : '');
if (!connected) {
  process.stderr.write(`unhealthy: no connection to Redis (port ${port})\n`);
  process.exitCode = 1;
}
