import type { OfferGroup, Offers } from '../api/api-market';
import { EXIT } from '../cli/exit-codes';
import { formatTable } from '../format/table';
import { formatUsd } from '../format/units';
import { type CommandContext, type OutputFlags, printJson, say } from './context';

export interface OffersFlags extends OutputFlags {
  gpu?: string;
  maxPrice?: number;
  currency?: string;
  spot?: boolean;
}

const usdOrDash = (usd: number | undefined) => (usd === undefined ? '-' : formatUsd(usd));

function row(group: OfferGroup): string[] {
  const cheapest = (group.cheapest ?? []).map((s) => `${s.serverId} (${formatUsd(s.usdPerHour)})`).join(', ');
  return [
    group.gpu,
    String(group.gpuCount),
    `${group.free}/${group.servers}`,
    usdOrDash(group.cheapestUsdPerHour),
    usdOrDash(group.medianUsdPerHour),
    (group.vramGb ?? []).join('/'),
    cheapest,
  ];
}

/** The table `offers` prints (stdout), one row per GPU model and count. */
export function offersTable(offers: Offers): string {
  const header = [
    'GPU',
    'COUNT',
    'FREE/LISTED',
    'FROM $/H',
    'MEDIAN $/H',
    'VRAM GB',
    'CHEAPEST FREE SERVERS',
  ];
  return formatTable(header, offers.offers.map(row));
}

/**
 * `offers [--gpu M] [--max-price X] [--currency C] [--spot]`: what the marketplace offers, from the
 * API's copy of the fleet's listing (GET /v1/offers): per GPU model and count, free and listed
 * servers, the cheapest and median USD per hour of the free ones, VRAM, the cheapest servers.
 */
export async function offersCommand(ctx: CommandContext, flags: OffersFlags): Promise<number> {
  const offers = await ctx.client().offers({
    gpu: flags.gpu,
    maxPricePerHourUsd: flags.maxPrice,
    currency: flags.currency,
    ...(flags.spot ? { orderType: 'spot' as const } : {}),
  });
  if (flags.json) {
    printJson(ctx.io, offers);
    return EXIT.ok;
  }
  ctx.io.stdout.write(offersTable(offers));
  const stale = offers.stale
    ? '; STALE: older than MARKETPLACE_MAX_AGE_SECONDS, nothing is rented on it'
    : '';
  say(
    ctx.io,
    flags,
    `${offers.offers.length === 0 ? 'no offer matches; ' : ''}marketplace listed ${offers.ageSeconds} s ago (${offers.currency}, ${offers.orderType}; $/h in USD)${stale}`,
  );
  return EXIT.ok;
}
