import type { Sandbox } from './start-sandbox';

/** The first command to paste: an RTX 3090 (the simulator's most common GPU) for at most $3/h. */
export const FIRST_SUBMIT =
  `pnpm exec clore-batch submit --gpu "RTX 3090" --image ubuntu:22.04 --max-price 3 --budget 1 --wait -- ` +
  `'echo hello from $(hostname); sleep 2; echo done'`;

/** What the sandbox prints once everything is up: where it is, the token, and what to paste. */
export function banner(sandbox: Sandbox, realClore: boolean): string {
  const lines = [
    '',
    realClore
      ? 'clore-batch sandbox is up, using the REAL Clore API (real rentals, real money)'
      : 'clore-batch sandbox is up (a simulated Clore marketplace: nothing is rented, no money is spent)',
    '',
    `  API        ${sandbox.url}   (OpenAPI: ${sandbox.url}/docs, dashboard: ${sandbox.url}/admin)`,
    `  token      ${sandbox.token}   (admin role; this sandbox only)`,
    `  redis      ${sandbox.redis.url}   (${sandbox.redis.via === 'spawned' ? 'started by the sandbox' : `REDIS_URL, keys under ${sandbox.redis.prefix}:`})`,
    ...(sandbox.simUrl ? [`  simulator  ${sandbox.simUrl}   (orders: ${sandbox.simUrl}/_sim/orders)`] : []),
    ...(sandbox.simUrl ? [`             ${rentedServersLine(sandbox.simIsolation)}`] : []),
    `  app logs   ${sandbox.logFiles.api}`,
    `             ${sandbox.logFiles.worker}`,
    '',
    'In another terminal, from this directory:',
    '',
    `  export CLORE_BATCH_URL=${sandbox.url} CLORE_BATCH_TOKEN=${sandbox.token}`,
    `  ${FIRST_SUBMIT}`,
    '',
    'Ctrl-C here stops everything the sandbox started.',
    '',
  ];
  return lines.join('\n');
}

/** Says plainly where a job's commands run in the sandbox: on this machine, not on a rented server. */
export function rentedServersLine(isolation: Sandbox['simIsolation']): string {
  return isolation === 'namespace'
    ? 'the commands of "rented servers" run on THIS machine as root, each order in its own mount namespace (own /root and /tmp)'
    : 'the commands of "rented servers" run on THIS machine as root, sharing its files (only HOME differs per order)';
}

/** The warning printed before anything starts when CLORE_API_KEY is set. */
export function realMoneyWarning(apiUrl: string): string {
  const bar = '!'.repeat(78);
  return [
    bar,
    '!! CLORE_API_KEY is set: this sandbox uses the REAL Clore API, not the simulator.',
    `!! API: ${apiUrl}`,
    '!! Every job you submit RENTS A REAL SERVER AND SPENDS REAL MONEY from that account.',
    '!! Unset CLORE_API_KEY for the free simulated marketplace.',
    bar,
  ].join('\n');
}
