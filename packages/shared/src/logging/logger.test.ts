import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, forComponent, forJob } from './logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

describe('logger', () => {
  it('redacts secrets at any of the first levels by default', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        apiKey: 'K-123',
        headers: { authorization: 'Bearer tok-1', auth: 'K-123' },
        job: { secretEnv: { HF_TOKEN: 'hf_abc' }, spec: { privateKey: 'PRIV' } },
        token: 'tok-2',
      },
      'hello',
    );
    const text = lines.join('');
    for (const secret of ['K-123', 'tok-1', 'hf_abc', 'PRIV', 'tok-2']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });

  it('scopes child loggers by component and job', () => {
    const { lines, logger } = capture();
    forJob(forComponent(logger, 'worker'), 'job-1', 2).info('started');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({ component: 'worker', jobId: 'job-1', attempt: 2, msg: 'started' });
  });
});
