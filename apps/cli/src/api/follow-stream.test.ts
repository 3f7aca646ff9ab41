import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@clore-batch/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client';
import { type FollowItem, followStream } from './follow-stream';

/**
 * The stream client against a small SSE server over real sockets: it drops the connection in the
 * middle, and the client must resume with Last-Event-ID, with no gap and no repeat.
 */
const log = (offset: number, text: string) => JSON.stringify({ offset, text });
const EVENTS = [
  { id: '6.0', event: 'log', data: log(0, 'hello\n') },
  { id: '6.1', event: 'state', data: JSON.stringify({ to: 'running', message: 'started' }) },
  { id: '12.1', event: 'log', data: log(6, 'world\r\n') },
  { id: '19.1', event: 'log', data: log(13, 'ünïcode\n') },
  { id: '19.2', event: 'state', data: JSON.stringify({ to: 'succeeded' }) },
  { id: '19.2', event: 'end', data: JSON.stringify({ state: 'succeeded' }) },
];

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function send(res: ServerResponse, event: (typeof EVENTS)[number]): void {
  const lines = event.data
    .split('\n')
    .map((line) => `data: ${line}\n`)
    .join('');
  res.write(`id: ${event.id}\nevent: ${event.event}\n${lines}\n`);
}

describe('followStream', () => {
  it('resumes after a dropped connection with Last-Event-ID: no gap, no repeat', async () => {
    const seen: Array<string | undefined> = [];
    const url = await serve((req, res) => {
      const last = req.headers['last-event-id'] as string | undefined;
      seen.push(last);
      expect(req.headers.authorization).toBe('Bearer tok-123');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const start = last === undefined ? 0 : EVENTS.findIndex((e) => e.id === last) + 1;
      if (seen.length === 1) {
        // first connection: two events, half of a third, then the socket dies
        send(res, EVENTS[0]!);
        send(res, EVENTS[1]!);
        res.write('id: 12.1\nevent: log\ndata: {"offset":6,"text":"wor');
        setTimeout(() => res.destroy(), 20);
        return;
      }
      for (const event of EVENTS.slice(start)) {
        send(res, event);
      }
      res.end();
    });
    const client = new ApiClient({ baseUrl: url, token: 'tok-123' });
    const items: FollowItem[] = [];
    for await (const item of followStream(client, 'job_1')) {
      items.push(item);
    }
    expect(seen).toEqual([undefined, '6.1']);
    const text = Buffer.concat(items.flatMap((item) => (item.kind === 'log' ? [item.data] : []))).toString(
      'utf8',
    );
    expect(text).toBe('hello\nworld\r\nünïcode\n');
    expect(items.map((item) => item.kind)).toEqual(['log', 'state', 'log', 'log', 'state', 'end']);
  });

  it('stops with the API error on a 404 and with exit 100 when the API never comes back', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'JOB_NOT_FOUND', message: 'no job job_1' }));
    });
    const client = new ApiClient({ baseUrl: url, token: undefined });
    await expect(followStream(client, 'job_1').next()).rejects.toMatchObject({ exitCode: 102 });

    const gone = new ApiClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, token: undefined });
    await expect(followStream(gone, 'job_1', { giveUpMs: 300 }).next()).rejects.toMatchObject({
      exitCode: 100,
    });
  });
});
