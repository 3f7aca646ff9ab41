import { waitFor } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  browserTestsEnabled,
  launchChromium,
  type Stack,
  SUBMIT_TOKEN,
  startStack,
} from './dashboard/browser-kit';
import { connectSse } from './sse-client';

/**
 * End to end (docs/decisions/0130): the API with its dashboard, a worker, the simulator with a real
 * sshd per order, LOG_MAX_BYTES 64 KiB. Every reader of the log — GET /logs, the SSE stream followed
 * live, the dashboard's log API and its page in Chromium — gets the secret values as `***` (also
 * one printed in two parts with a pause between), and a 1 MiB log as its head, the marker and its
 * tail, the same bytes for all of them.
 */
const MAX = 64 * 1024;
const SECRETS = { TOKEN: 'abcd', API_KEY: 'sk-live-4f9c2e7d1b' };
const MARKER = /\n\[clore-batch: (\d+) bytes of output dropped here \(LOG_MAX_BYTES\)\]\n/;

let stack: Stack;
let cookie: string;
const jobs: { secret?: string; capped?: string } = {};

beforeAll(async () => {
  stack = await startStack({ LOG_MAX_BYTES: String(MAX) });
  await stack.startWorker();
  const login = await fetch(`${stack.api.url}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    redirect: 'manual',
  });
  cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
  expect(cookie).toMatch(/^cb_admin=/);
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

interface Followed {
  text: string;
  events: Array<{ id: string; offset: number; text: string }>;
}

/** The job's log as the SSE stream delivers it, from the start (or `lastEventId`) to `end`. */
async function followed(id: string, lastEventId?: string): Promise<Followed> {
  const stream = await connectSse(
    `${stack.api.url}/v1/jobs/${id}/logs?follow=1${lastEventId === undefined ? '' : `&lastEventId=${lastEventId}`}`,
    { authorization: `Bearer ${SUBMIT_TOKEN}` },
  );
  const events: Followed['events'] = [];
  for await (const event of stream.events) {
    if (event.event === 'log') {
      const data = JSON.parse(event.data) as { offset: number; text: string };
      events.push({ id: event.id ?? '', ...data });
    }
    if (event.event === 'end') {
      expect(JSON.parse(event.data)).toMatchObject({ id, state: 'succeeded' });
      break;
    }
  }
  stream.close();
  return { text: events.map((e) => e.text).join(''), events };
}

async function plainLog(id: string): Promise<{ text: string; size: number }> {
  const response = await fetch(`${stack.api.url}/v1/jobs/${id}/logs`, {
    headers: { authorization: `Bearer ${SUBMIT_TOKEN}` },
  });
  expect(response.status).toBe(200);
  return { text: await response.text(), size: Number(response.headers.get('x-log-size')) };
}

/** The log as the dashboard's page reads it (its API), from offset 0 to the end. */
async function dashboardLog(id: string): Promise<string> {
  const parts: Buffer[] = [];
  for (let offset = 0; ; ) {
    const response = await fetch(`${stack.api.url}/admin/api/jobs/${id}/log?offset=${offset}`, {
      headers: { cookie },
    });
    const chunk = (await response.json()) as { offset: number; size: number; data: string };
    const bytes = Buffer.from(chunk.data, 'base64');
    parts.push(bytes);
    offset = chunk.offset + bytes.length;
    if (bytes.length === 0 || offset >= chunk.size) {
      return Buffer.concat(parts).toString();
    }
  }
}

describe('the log readers', () => {
  it('secret values, whole and split across reads, are *** for every reader', async () => {
    const id = await stack.submit({
      command: [
        'echo "token=$TOKEN"',
        "printf 'split ab'; sleep 0.3; printf 'cd done\\n'",
        "printf 'key=sk-live-4f9'; sleep 0.3; printf 'c2e7d1b end\\n'",
      ].join('; '),
      secretEnv: SECRETS,
    });
    jobs.secret = id;
    const expected = 'token=***\nsplit *** done\nkey=*** end\n';
    const sse = await followed(id);
    expect(sse.text).toBe(expected);
    expect((await plainLog(id)).text).toBe(expected);
    expect(await dashboardLog(id)).toBe(expected);
    const record = await (
      await fetch(`${stack.api.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${SUBMIT_TOKEN}` } })
    ).text();
    for (const secret of Object.values(SECRETS)) {
      expect(record).not.toContain(secret);
    }
  }, 90_000);

  it('a 1 MiB log under a 64 KiB cap: head, marker and tail, the same for every reader; the numbers add up', async () => {
    const id = await stack.submit({ command: "seq -f '%07g' 1 131072" });
    jobs.capped = id;
    const full = Array.from({ length: 131072 }, (_, i) => `${String(i + 1).padStart(7, '0')}\n`).join('');
    const sse = await followed(id);
    const plain = await plainLog(id);
    expect(plain.size).toBe(full.length);
    const match = MARKER.exec(plain.text);
    expect(match).not.toBeNull();
    const head = plain.text.slice(0, match?.index);
    const tail = plain.text.slice((match?.index ?? 0) + (match?.[0].length ?? 0));
    expect(head).toBe(full.slice(0, MAX / 2));
    expect(full.endsWith(tail)).toBe(true);
    expect(head.length + Number(match?.[1]) + tail.length).toBe(plain.size);
    // A follower that kept up saw more than what is kept; one that reads now gets exactly it.
    expect(await dashboardLog(id)).toBe(plain.text);
    const again = await followed(id);
    expect(again.text).toBe(plain.text);
    for (let i = 1; i < again.events.length; i += 1) {
      const [previous, next] = [again.events[i - 1], again.events[i]] as [
        Followed['events'][0],
        Followed['events'][0],
      ];
      expect(next.offset).toBeGreaterThan(previous.offset);
    }
    // Resuming after the marker's event (Last-Event-ID) gives exactly what came after it.
    const at = again.events.findIndex((e) => MARKER.test(e.text));
    expect(at).toBeGreaterThan(0);
    const resumed = await followed(id, again.events[at]?.id);
    expect(resumed.text).toBe(
      again.events
        .slice(at + 1)
        .map((e) => e.text)
        .join(''),
    );
    expect(sse.text.startsWith(head)).toBe(true);
    expect(sse.text.endsWith(tail)).toBe(true);
  }, 90_000);
});

describe.skipIf(!browserTestsEnabled())('the dashboard log view in Chromium', () => {
  it('shows *** for the secrets and the marker of the capped log', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${stack.api.url}/admin`);
      await page.fill('#token', ADMIN_TOKEN);
      await Promise.all([page.waitForURL(`${stack.api.url}/admin`), page.click('button[type=submit]')]);
      for (const [id, shown] of [
        [jobs.secret, 'split *** done'],
        [jobs.capped, 'bytes of output dropped here (LOG_MAX_BYTES)'],
      ] as const) {
        expect(id).toBeDefined();
        await page.goto(`${stack.api.url}/admin#job/${id}`);
        await waitFor(async () => (await page.locator('#log').textContent())?.includes(shown), {
          timeoutMs: 15_000,
          message: `the log view of ${id} to show "${shown}"`,
        });
        const text = (await page.locator('#log').textContent()) ?? '';
        for (const secret of Object.values(SECRETS)) {
          expect(text).not.toContain(secret);
        }
      }
    } finally {
      await browser.close();
    }
  }, 60_000);
});
