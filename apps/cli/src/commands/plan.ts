import type { JobPlan } from '../api/api-market';
import { formatTable } from '../format/table';
import { formatDuration, formatUsd } from '../format/units';

const fee = (usd: number, known: boolean) => `${formatUsd(usd)}${known ? '' : ' (est.)'}`;

/** A dry run's plan as text: the servers it would try first, the estimate, the notes. */
export function describePlan(plan: JobPlan): string {
  const market = plan.marketplace.known
    ? `marketplace listed ${plan.marketplace.ageSeconds ?? '?'} s ago`
    : 'the marketplace is not known yet';
  const lines = [`plan only: nothing was submitted, stored or rented (${market})\n`];
  if (plan.servers.length > 0) {
    lines.push('servers it would try first:\n');
    const rows = plan.servers.map((s) => [
      String(s.serverId),
      `${s.gpuCount}x ${s.gpu}`,
      formatUsd(s.usdPerHour),
      fee(s.creationFeeUsd, s.creationFeeKnown),
      s.reliability === undefined ? '' : String(s.reliability),
      s.country ?? '',
    ]);
    lines.push(formatTable(['SERVER', 'GPU', '$/H', 'CREATION FEE', 'RELIABILITY', 'COUNTRY'], rows));
  }
  const e = plan.estimate;
  if (e !== undefined) {
    const where = e.free ? `server ${e.serverId}` : `server ${e.serverId} (rented now: the job would wait)`;
    const cover = e.budgetCovers
      ? `budget ${formatUsd(e.budgetUsd)} covers it`
      : `budget ${formatUsd(e.budgetUsd)} does NOT cover it (it lasts about ${formatDuration((e.budgetLastsSeconds ?? 0) * 1000)})`;
    lines.push(
      `estimate for timeoutSeconds ${e.runSeconds} s on ${where}: ${formatUsd(e.runUsd)} at ${formatUsd(e.usdPerHour)}/h + creation fee ${fee(e.creationFeeUsd, e.creationFeeKnown)} = ${formatUsd(e.totalUsd)}; ${cover}\n`,
    );
  }
  if (plan.provisionTimeoutSeconds !== undefined) {
    lines.push(`it would look for a server for up to ${plan.provisionTimeoutSeconds} s per attempt\n`);
  }
  for (const note of plan.notes) {
    lines.push(`note: ${note}\n`);
  }
  return lines.join('');
}
