/**
 * Orchestration overhead, p50/p95 over N jobs submitted one every `--every` seconds (more than the
 * 5.2 s create spacing, so no job waits behind another's create): (1) from the submit (the job
 * record's createdAt) to the first create_order the simulator received after it; (2) from the
 * command's exit (the command prints `date +%s%3N` as its very last act) to the cancel reaching the
 * simulator (the order's endedAt), and from the exit the worker recorded (`command_exited` event)
 * to the same cancel. Production defaults, real limits. Writes "Orchestration overhead".
 *
 *   pnpm --filter @clore-batch/bench exec tsx overhead.ts [--jobs 20] [--every 6] [--no-write]
 */
import { parseArgs } from 'node:util';
import { machineLine, publishSection } from './lib/doc';
import { simCalls, simOrders } from './lib/sim-log';
import { BENCH_KEY, startStack } from './lib/stack';
import { ascending, fixed, percentile, sleep } from './lib/stats';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20' },
    every: { type: 'string', default: '6' },
    'no-write': { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const EVERY_MS = Number(values.every) * 1000;
const log = (text: string) => process.stderr.write(`[overhead] ${text}\n`);

const stack = await startStack({
  sim: { seed: 5, servers: 60, limits: { generalMs: 1000, createMs: 5000 }, provisioningMs: [1000, 3000] },
});
let text = '';
try {
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i += 1) {
    const next = Date.now() + EVERY_MS;
    ids.push((await stack.submit(`echo job ${i + 1}; sleep 1; date +%s%3N`)).id);
    if (i < JOBS - 1) {
      await sleep(next - Date.now());
    }
  }
  const jobs = await stack.waitAll(ids, 10 * 60_000);
  const creates = (await simCalls(stack.sim.url, BENCH_KEY)).filter((c) => c.endpoint === 'create_order');
  const orders = new Map((await simOrders(stack.sim.url)).map((o) => [o.id, o]));
  const toCreate: number[] = [];
  const exitToCancel: number[] = [];
  const recordedToCancel: number[] = [];
  const exitToRecorded: number[] = [];
  let failed = 0;
  for (const job of jobs) {
    if (job.state !== 'succeeded') {
      failed += 1;
      log(`job ${job.id} ${job.state}: ${job.message ?? ''}`);
      continue;
    }
    const submitted = Date.parse(job.createdAt);
    const firstCreate = creates.find((c) => c.at >= submitted);
    if (firstCreate !== undefined) {
      toCreate.push(firstCreate.at - submitted);
    }
    const text = (await stack.store.readLog(job.id)).toString().trim().split('\n');
    const exitAt = Number(text.at(-1));
    const recorded = job.events.find((e) => e.event === 'command_exited');
    const last = job.attempts.at(-1);
    const order = last?.orderId === undefined ? undefined : orders.get(last.orderId);
    if (order?.endedAt !== undefined && Number.isFinite(exitAt)) {
      exitToCancel.push(order.endedAt - exitAt);
      if (recorded !== undefined) {
        recordedToCancel.push(order.endedAt - Date.parse(recorded.at));
        exitToRecorded.push(Date.parse(recorded.at) - exitAt);
      }
    }
  }
  const row = (name: string, values: number[]) => {
    const s = ascending(values);
    return `| ${name} | ${s.length} | ${fixed(percentile(s, 50) / 1000, 2)} s | ${fixed(percentile(s, 95) / 1000, 2)} s | ${fixed((s.at(-1) ?? 0) / 1000, 2)} s |`;
  };
  text = [
    '## Orchestration overhead',
    '',
    'What clore-batch adds around a job: from the submit to the first create_order, and from the',
    "command's exit to the cancel reaching the provider.",
    '',
    `- Machine: ${machineLine()}.`,
    `- Run: \`pnpm --filter @clore-batch/bench exec tsx overhead.ts --jobs ${JOBS} --every ${EVERY_MS / 1000}\` (bench/overhead.ts).`,
    `- ${JOBS} jobs (\`echo job N; sleep 1; date +%s%3N\`), one submitted every ${EVERY_MS / 1000} s (more than the 5.2 s create`,
    "  spacing, so none waits behind another job's create); one worker built by `startWorker` with production",
    '  defaults (order poll 3 s, marketplace refresh 15 s, limiter 1.1 s / 5.2 s); simulator at the real limits,',
    "  provisioning 1–3 s. Submit = the job record's `createdAt` (what `POST /v1/jobs` writes); first",
    "  create_order = the first such call in the simulator's call log after it; exit = the ms timestamp the",
    "  command prints as its last act (same machine clock); cancel = the order's `endedAt` in the simulator;",
    '  "exit recorded" = the job\'s `command_exited` event.',
    '',
    '| interval | jobs | p50 | p95 | max |',
    '| --- | --- | --- | --- | --- |',
    row('submit → first create_order', toCreate),
    row("command's exit → cancel received", exitToCancel),
    row("command's exit → exit recorded by the worker", exitToRecorded),
    row('exit recorded → cancel received', recordedToCancel),
    '',
    `- Jobs not succeeded: ${failed}.`,
    '- Submit → create includes the marketplace view (refreshed every 15 s by the fleet leader, read from',
    "  Redis), the server claim and intent, and the limiter's create slot (at most 5.2 s after the previous create).",
    '- Exit → cancel includes noticing the exit (the log follower polls the remote status), reading the',
    "  status, the batched release (50 ms window) and the cancel's limiter slot (cancel lane first).",
    '',
  ].join('\n');
} finally {
  await stack.close();
}
await publishSection('## Orchestration overhead', text, !values['no-write']);
