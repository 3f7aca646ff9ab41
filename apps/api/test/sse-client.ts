import { type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseConnection {
  res: IncomingMessage;
  /** Events as they are parsed; ends when the server closes the stream. */
  events: AsyncGenerator<SseEvent, void, undefined>;
  close(): void;
}

/** A minimal EventSource for tests: GET `url`, parse `id:`/`event:`/`data:` lines into events. */
export function connectSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      async function* parse(): AsyncGenerator<SseEvent, void, undefined> {
        let buffer = '';
        let current: { id?: string; event?: string; data: string[] } = { data: [] };
        for await (const chunk of res) {
          buffer += chunk as string;
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (line === '') {
              if (current.event !== undefined || current.data.length > 0) {
                yield {
                  ...(current.id === undefined ? {} : { id: current.id }),
                  event: current.event ?? 'message',
                  data: current.data.join('\n'),
                };
              }
              current = { data: [] };
            } else if (!line.startsWith(':')) {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') {
                current.id = value;
              } else if (field === 'event') {
                current.event = value;
              } else if (field === 'data') {
                current.data.push(value);
              }
            }
            newline = buffer.indexOf('\n');
          }
        }
      }
      resolve({ res, events: parse(), close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}
