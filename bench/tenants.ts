/**
 * Fair share between tenants (docs/decisions/0131): tenant `big` queues a backlog of N jobs at once,
 * then tenants `small-1` and `small-2` each submit one job every `--every` seconds for `--for`
 * seconds. Reports the small tenants' queue wait (submit → a worker takes the job: `startedAt`)
 * p50/p95/max against one job's run time (`startedAt` → `finishedAt`), and the backlog's. The submits
 * keep the issue's pace (10 s); the provider's clocks are scaled down by `--scale` (simulator
 * 1 s / 5 s limits ÷ scale, the limiter's spacing likewise with production's 10 % margin, order poll
 * and marketplace refresh ÷ scale), so that one create per 5 s does not decide the result by itself
 * and the backlog need not drain for an hour. Writes "Fair share between tenants".
 *
 *   pnpm --filter @clore-batch/bench exec tsx tenants.ts [--backlog 200] [--every 10] [--for 150]
 *     [--scale 10] [--concurrency 8] [--command 'sleep 3'] [--no-write]
 */
import { parseArgs } from 'node:util';
import {
  addRun,
  createFairQueue,
  isTerminal,
  type JobRecord,
  parseJobSpec,
  toStoredSpec,
} from '@clore-batch/shared';
import { machineLine, publishSection } from './lib/doc';
import { BENCH_CURRENCY, benchSpec, type Stack, scaledStackOptions, startStack } from './lib/stack';
import { ascending, fixed, percentile, sleep } from './lib/stats';

const { values } = parseArgs({
  options: {
    backlog: { type: 'string', default: '200' },
    every: { type: 'string', default: '10' },
    for: { type: 'string', default: '150' },
    scale: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    command: { type: 'string', default: 'sleep 3' },
    'no-write': { type: 'boolean', default: false },
  },
});
const BACKLOG = Number(values.backlog);
const SCALE = Number(values.scale);
const EVERY_MS = Number(values.every) * 1000;
const FOR_MS = Number(values.for) * 1000;
const CONCURRENCY = Number(values.concurrency);
const COMMAND = values.command;
const log = (text: string) => process.stderr.write(`[tenants] ${text}\n`);
const scaled = (ms: number) => String(Math.round(ms / SCALE));

const stack = await startStack(scaledStackOptions(SCALE, CONCURRENCY));

/** What `POST /v1/jobs` writes for `owner` after its checks (apps/api enqueueRun). */
async function submitAs(s: Stack, owner: string, command: string): Promise<JobRecord> {
  const parsed = parseJobSpec(benchSpec(command), { currency: BENCH_CURRENCY });
  const { job } = await s.store.create({ spec: toStoredSpec(parsed), owner });
  await addRun(s.queue, job.id);
  await createFairQueue(s.redis, s.env.REDIS_PREFIX as string).enter(job);
  return job;
}

const wait = (job: JobRecord) => Date.parse(job.startedAt ?? '') - Date.parse(job.createdAt);
const runTime = (job: JobRecord) => Date.parse(job.finishedAt ?? '') - Date.parse(job.startedAt ?? '');
const secs = (ms: number) => `${fixed(ms / 1000, 2)} s`;
function row(name: string, jobs: readonly JobRecord[], of: (job: JobRecord) => number): string {
  const s = ascending(jobs.map(of));
  return `| ${name} | ${s.length} | ${secs(percentile(s, 50))} | ${secs(percentile(s, 95))} | ${secs(s.at(-1) ?? 0)} |`;
}

let text = '';
try {
  const began = Date.now();
  const backlog: JobRecord[] = [];
  for (let i = 0; i < BACKLOG; i += 1) {
    backlog.push(await submitAs(stack, 'big', `${COMMAND}; echo big ${i + 1}`));
  }
  log(`${BACKLOG} jobs of big queued in ${Date.now() - began} ms`);
  const small: JobRecord[] = [];
  const until = Date.now() + FOR_MS;
  for (let n = 1; Date.now() < until; n += 1) {
    const next = Date.now() + EVERY_MS;
    small.push(
      ...(await Promise.all(
        ['small-1', 'small-2'].map((t) => submitAs(stack, t, `${COMMAND}; echo ${t} ${n}`)),
      )),
    );
    await sleep(next - Date.now());
  }
  log(`${small.length} jobs of the small tenants submitted; waiting for them`);
  const smallDone = await stack.waitAll(
    small.map((j) => j.id),
    10 * 60_000,
  );
  const atSmallEnd = await Promise.all(backlog.map((j) => stack.store.get(j.id)));
  const backlogStarted = atSmallEnd.filter((j) => j.startedAt !== undefined);
  const backlogDone = atSmallEnd.filter((j) => isTerminal(j.state));
  const elapsed = Date.now() - began;
  // The rest of the backlog is not needed: cancel it (queued jobs at once), then let running ones end.
  await Promise.all(backlog.map((j) => stack.store.requestCancel(j.id).catch(() => undefined)));
  await stack.waitAll(
    backlog.map((j) => j.id),
    5 * 60_000,
  );
  const succeeded = smallDone.filter((j) => j.state === 'succeeded');
  const allRun = [...succeeded, ...backlogDone.filter((j) => j.state === 'succeeded')];
  const medianRun = percentile(ascending(allRun.map(runTime)), 50);
  const smallP95 = percentile(ascending(succeeded.map(wait)), 95);
  text = [
    '## Fair share between tenants',
    '',
    "One tenant's backlog must not hold back the others (issue 15): a free worker slot goes to the tenant",
    'with the fewest running jobs (docs/decisions/0131).',
    '',
    `- Machine: ${machineLine()}.`,
    `- Run: \`pnpm --filter @clore-batch/bench exec tsx tenants.ts --backlog ${BACKLOG} --every ${values.every} --for ${values.for} --scale ${SCALE} --concurrency ${CONCURRENCY} --command '${COMMAND}'\` (bench/tenants.ts).`,
    `- Tenant \`big\` queues ${BACKLOG} jobs at once; then \`small-1\` and \`small-2\` each submit one job every`,
    `  ${values.every} s for ${values.for} s (the issue's pace). **The provider's clocks are scaled down ${SCALE}×**: simulator limits`,
    `  ${1000 / SCALE} / ${5000 / SCALE} ms (real: 1 s / 5 s), limiter spacing ${scaled(1100)} / ${scaled(5200)} ms, order poll ${scaled(3000)} ms, marketplace refresh`,
    `  ${scaled(15_000)} ms, provisioning ${1000 / SCALE}–${3000 / SCALE} ms. One worker process (\`startWorker\`), WORKER_CONCURRENCY ${CONCURRENCY}; every job runs`,
    `  \`${COMMAND}\` on its own rented server. Queue wait = submit (\`createdAt\`) → a worker takes it (\`startedAt\`,`,
    '  the `dispatch` event); run time = `startedAt` → `finishedAt` (provisioning, SSH, the command, collect).',
    '',
    '| jobs | count | p50 | p95 | max |',
    '| --- | --- | --- | --- | --- |',
    row('small tenants: queue wait', succeeded, wait),
    row('one job: run time (all jobs that ran)', allRun, runTime),
    row('big: queue wait (jobs it started meanwhile)', backlogStarted, wait),
    '',
    `- **The small tenants' queue-wait p95 is ${secs(smallP95)}, ${fixed((100 * smallP95) / Math.max(1, medianRun), 0)} % of one job's median run time (${secs(medianRun)}).**`,
    `  Small jobs not succeeded: ${smallDone.length - succeeded.length} of ${smallDone.length}.`,
    `- Meanwhile \`big\` started ${backlogStarted.length} of its ${BACKLOG} jobs (${backlogDone.length} ended) in ${fixed(elapsed / 1000, 0)} s; the rest were cancelled`,
    '  once the small tenants were done. In arrival order (BullMQ alone, before decision 0131), a job',
    `  submitted after the backlog would have waited for about ${BACKLOG} × run time / ${CONCURRENCY} slots ≈ ${secs((BACKLOG * medianRun) / CONCURRENCY)} (an estimate, not measured).`,
    '- Not measured here: at the real limits, one create_order per 5.2 s for the whole deployment is the',
    "  bottleneck. Fair share decides who gets a worker slot; the limiter's create lane after it is first",
    "  come, first served, so a small tenant's job then waits in `provisioning` behind the creates of the",
    '  jobs that took a slot before it (at most WORKER_CONCURRENCY × workers − 1 of them).',
    '',
  ].join('\n');
} finally {
  await stack.close();
}
await publishSection('## Fair share between tenants', text, !values['no-write']);
