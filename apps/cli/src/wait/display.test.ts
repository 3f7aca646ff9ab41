import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createDisplay } from './display';

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
