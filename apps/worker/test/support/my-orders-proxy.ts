import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test support (not a test): an HTTP proxy on loopback between the worker and the simulator that
 * can make the next `my_orders` answers come back empty (`{"code":0,"orders":[]}`), as a provider
 * answering short would. Everything else passes through unchanged. `target` is set once the
 * simulator listens.
 */
export interface MyOrdersProxy {
  url: string;
  target: string | undefined;
  /** The next `n` my_orders answers are empty. */
  emptyNext(n: number): void;
  /** my_orders answers emptied so far. */
  emptied(): number;
  close(): Promise<void>;
}

export async function startMyOrdersProxy(): Promise<MyOrdersProxy> {
  let empty = 0;
  let emptied = 0;
  const proxy: { target: string | undefined } = { target: undefined };
  const server: Server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) {
        chunks.push(chunk as Buffer);
      }
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
          headers.set(name, value);
        }
      }
      const upstream = await fetch(`${proxy.target}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      let text = await upstream.text();
      if (req.url?.startsWith('/v1/my_orders') && upstream.status === 200 && empty > 0) {
        const parsed = JSON.parse(text) as { code?: number };
        if (parsed.code === 0) {
          empty -= 1;
          emptied += 1;
          text = JSON.stringify({ code: 0, orders: [] });
        }
      }
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(text);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get target() {
      return proxy.target;
    },
    set target(value) {
      proxy.target = value;
    },
    emptyNext(n) {
      empty = n;
    },
    emptied: () => emptied,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
