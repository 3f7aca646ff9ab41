import { JOB_STATES } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { invalidSpecs } from './invalid-specs';
import { apiTest } from './support/api-fixture';
import { auth, validSpec } from './support/api-kit';

const test = apiTest({ API_RATE_LIMIT_PER_MINUTE: '100000' });

const SEED = 20261124;

/** True when an issue names `path` itself, or a parent or child of it (a replaced parent is blamed). */
const related = (issuePath: string, path: string) =>
  issuePath === path || path.startsWith(`${issuePath}.`) || issuePath.startsWith(`${path}.`);

describe('POST /v1/jobs with 500 generated invalid bodies', () => {
  test('answers every one with a 400 naming a field path, never a 5xx, and enqueues nothing', async ({
    api,
  }) => {
    const statuses = new Map<number, number>();
    let checked = 0;
    for (const { body, paths } of invalidSpecs(SEED, 500, validSpec)) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: auth('alice'),
        payload: body,
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const label = `${JSON.stringify(body)} → ${res.body}`;
      expect(res.statusCode, label).toBe(400);
      const answer = res.json() as { code: string; details: { issues: { path: string; message: string }[] } };
      expect(answer.code, label).toBe('VALIDATION_FAILED');
      expect(answer.details.issues.length, label).toBeGreaterThan(0);
      for (const issue of answer.details.issues) {
        expect(issue.path, label).not.toBe('');
        expect(issue.message.length, label).toBeGreaterThan(3);
      }
      const named = answer.details.issues.some((issue) => paths.some((path) => related(issue.path, path)));
      expect(named, label).toBe(true);
      checked += 1;
    }
    expect(checked).toBe(500);
    expect([...statuses.keys()]).toEqual([400]);
    const counts = await api.queue.getJobCounts();
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    expect((await api.store.list({ limit: 10 })).jobs).toEqual([]);
    const byState = await api.store.countByState();
    expect(JOB_STATES.every((state) => byState[state] === 0)).toBe(true);
  });
});
