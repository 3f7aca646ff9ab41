import { EnvNameSchema, JobSpecSchema } from '@clore-batch/shared';
import { z } from 'zod';

/** The env variable each job of a sweep gets: its 0-based point (docs/decisions/0136). */
export const SWEEP_INDEX_ENV = 'CLORE_BATCH_INDEX';

/** POST /v1/sweeps: a job spec and exactly one of `count` and `matrix`. */
export const SweepBodySchema = z
  .strictObject({
    spec: JobSpecSchema,
    count: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
    matrix: z
      .record(
        EnvNameSchema.refine((name) => name !== SWEEP_INDEX_ENV, `${SWEEP_INDEX_ENV} is set by the sweep`),
        z.array(z.string()).min(1, 'must list at least one value'),
      )
      .refine((matrix) => Object.keys(matrix).length > 0, 'must name at least one variable')
      .optional()
      .describe('env variable → its values; the sweep has one job per combination (the cartesian product)'),
    name: z.string().min(1).max(200).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.count === undefined) === (body.matrix === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'give exactly one of count and matrix' });
    }
    for (const name of Object.keys(body.matrix ?? {})) {
      if (Object.hasOwn(body.spec.secretEnv ?? {}, name)) {
        ctx.addIssue({ code: 'custom', path: ['matrix', name], message: 'is also set in spec.secretEnv' });
      }
    }
  })
  .meta({ id: 'SweepRequest' });
export type SweepBody = z.infer<typeof SweepBodySchema>;

/** How many jobs the body makes, without expanding it. */
export function sweepSize(body: Pick<SweepBody, 'count' | 'matrix'>): number {
  if (body.matrix === undefined) {
    return body.count ?? 0;
  }
  return Object.values(body.matrix).reduce((product, values) => product * values.length, 1);
}

/**
 * The env each point adds to the spec's, in index order: `CLORE_BATCH_INDEX` and, for a matrix, one
 * value of each variable (the last variable varies fastest). Call it only after `sweepSize` was
 * checked against the cap.
 */
export function sweepPoints(body: Pick<SweepBody, 'count' | 'matrix'>): Record<string, string>[] {
  let points: Record<string, string>[] = [{}];
  if (body.matrix === undefined) {
    points = Array.from({ length: body.count ?? 0 }, () => ({}));
  } else {
    for (const [name, values] of Object.entries(body.matrix)) {
      points = points.flatMap((point) => values.map((value) => ({ ...point, [name]: value })));
    }
  }
  return points.map((point, index) => ({ ...point, [SWEEP_INDEX_ENV]: String(index) }));
}
