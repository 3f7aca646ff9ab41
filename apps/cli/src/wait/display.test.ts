import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../api/api-client';
import type { ApiJob } from '../api/api-job';
import { createDisplay } from './display';
import { describeStateEvent, rentedLine } from './status-text';
import { RentalLines } from './wait-for-job';

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

describe('TTY display', () => {
  it('redraws the status line around log output and never draws over a partial line', () => {
    const out = sink();
    const err = sink();
    const display = createDisplay({
      jobId: 'job_X',
      logOut: out.stream,
      stderr: err.stream,
      tty: true,
      logOnTerminal: true,
      quiet: false,
      now: () => 0,
    });
    display.job({
      id: 'job_X',
      state: 'running',
      costUsd: 0.5,
      createdAt: new Date(0).toISOString(),
      attempts: [{ serverId: 7, gpu: 'RTX 3090', pricePerHourUsd: 0.25 }],
    });
    expect(err.text()).toContain('running · 0s · server 7 RTX 3090 · $0.25/h · spent $0.5 · job_X');
    const before = err.text().length;
    display.log(Buffer.from('partial'));
    expect(err.text().slice(before)).toBe('\r\x1b[2K'); // erased, not redrawn: the line is unfinished
    display.log(Buffer.from(' line\n'));
    expect(err.text().slice(before)).toMatch(/running · 0s/);
    display.pause();
    display.log(Buffer.from('held\n'));
    expect(out.text()).toBe('partial line\n');
    display.resume();
    expect(out.text()).toBe('partial line\nheld\n');
    display.close();
  });
});

describe('plain display', () => {
  it('writes log bytes untouched and state changes as timestamped lines', () => {
    const out = sink();
    const err = sink();
    const display = createDisplay({
      jobId: 'job_X',
      logOut: out.stream,
      stderr: err.stream,
      tty: false,
      logOnTerminal: false,
      quiet: false,
      now: () => Date.UTC(2026, 0, 1, 12, 0, 5),
    });
    display.log(Buffer.from('a\r\nb'));
    display.state('running', 'running: started');
    expect(out.text()).toBe('a\r\nb');
    expect(err.text()).toBe('clore-batch: [12:00:05] running: started\n');
    display.close();
  });
});

describe('plain display of replayed events', () => {
  it('stamps each event with its own time, not the time it is printed; now only without one', () => {
    const err = sink();
    const display = createDisplay({
      jobId: 'job_X',
      logOut: sink().stream,
      stderr: err.stream,
      tty: false,
      logOnTerminal: false,
      quiet: false,
      now: () => Date.UTC(2026, 0, 2, 23, 59, 59),
    });
    const old = describeStateEvent({
      index: 3,
      at: '2026-01-01T09:08:07.123Z',
      type: 'state',
      to: 'running',
      message: 'the server is up',
    });
    expect(old).toEqual({
      state: 'running',
      text: 'running: the server is up',
      at: '2026-01-01T09:08:07.123Z',
    });
    display.state(old.state, old.text, old.at);
    display.line('an info', '2026-01-01T09:08:09Z');
    display.line('connection lost');
    display.line('garbled time', 'yesterday');
    expect(err.text()).toBe(
      [
        'clore-batch: [09:08:07] running: the server is up',
        'clore-batch: [09:08:09] an info',
        'clore-batch: [23:59:59] connection lost',
        'clore-batch: [23:59:59] garbled time',
        '',
      ].join('\n'),
    );
  });
});

describe('rental lines', () => {
  it('rentedLine names the server, GPU (with count) and hourly price', () => {
    expect(rentedLine({ n: 1, serverId: 42, gpu: 'RTX 3090', pricePerHourUsd: 0.31 })).toBe(
      'rented server 42 (RTX 3090) at $0.31/h',
    );
    expect(rentedLine({ n: 3, serverId: 1992, gpu: 'NVIDIA GeForce RTX 3090', pricePerHourUsd: 0.15 })).toBe(
      'rented server 1992 (RTX 3090) at $0.15/h',
    );
    expect(rentedLine({ n: 2, serverId: 7, gpu: 'RTX 4090', gpuCount: 2, pricePerHourUsd: 1.5 })).toBe(
      'rented server 7 (2x RTX 4090) at $1.50/h',
    );
  });

  it('announces each attempt with an order once, on state events and while provisioning, at its start time', async () => {
    const attempts: NonNullable<ApiJob['attempts']> = [];
    const client = {
      getJob: async () => ({ id: 'job_X', state: 'provisioning', attempts: structuredClone(attempts) }),
    } as unknown as ApiClient;
    const lines: [string, string | undefined][] = [];
    const display = { line: (text: string, at?: string) => lines.push([text, at]) };
    const rentals = new RentalLines(client, 'job_X', display as never, 5);
    try {
      await rentals.onState('provisioning');
      expect(lines).toEqual([]);
      // Attempt 1 looks for a server (no order yet), then rents one: the poll finds it.
      attempts.push({
        n: 1,
        serverId: 42,
        gpu: 'RTX 3090',
        pricePerHourUsd: 0.31,
        startedAt: '2026-01-01T10:00:00Z',
      });
      attempts[0] = { ...attempts[0], orderId: 900 };
      await vi.waitFor(() => expect(lines).toHaveLength(1), { timeout: 5_000 });
      expect(lines[0]).toEqual(['rented server 42 (RTX 3090) at $0.31/h', '2026-01-01T10:00:00Z']);
      await rentals.onState('running');
      // A retry rents another server; the state event names it before its own line.
      attempts.push({
        n: 2,
        serverId: 8,
        gpu: 'RTX 4090',
        pricePerHourUsd: 0.5,
        orderId: 901,
        startedAt: '2026-01-01T10:05:00Z',
      });
      await rentals.onState('provisioning');
      await rentals.onState('running');
      expect(lines).toEqual([
        ['rented server 42 (RTX 3090) at $0.31/h', '2026-01-01T10:00:00Z'],
        ['rented server 8 (RTX 4090) at $0.5/h', '2026-01-01T10:05:00Z'],
      ]);
    } finally {
      rentals.stop();
    }
  });
});
