import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isJobId, newJobId } from './job-id';
import { JobRecordSchema, PublicJobSchema } from './job-record';

describe('job record schemas', () => {
  it('convert to JSON Schema for OpenAPI responses', () => {
    const schema = z.toJSONSchema(PublicJobSchema, { io: 'output' }) as {
      properties: Record<string, { items?: { properties?: Record<string, unknown> } }>;
    };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['id', 'state', 'events', 'spec']));
    expect(Object.keys(schema.properties.attempts?.items?.properties ?? {})).not.toContain('host');
    expect(() => z.toJSONSchema(JobRecordSchema, { io: 'output' })).not.toThrow();
  });
});

describe('job ids', () => {
  it('sort by creation time, also within one millisecond', () => {
    const ids = [newJobId(1_000), newJobId(1_000), newJobId(1_000), newJobId(2_000), newJobId(999_999_999)];
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every(isJobId)).toBe(true);
    expect(isJobId('job_../../etc')).toBe(false);
  });
});
