import { randomBytes } from 'node:crypto';

/**
 * Job ids: `job_` + 26 Crockford base32 characters (ULID layout: 48-bit millisecond time, then 80
 * random bits). They sort by creation time as strings, which the store's listings rely on. Ids made
 * in the same millisecond by one process increase monotonically (the random part is incremented).
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_MAX = (1n << 80n) - 1n;
export const JOB_ID_PATTERN = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;
/** Sweep ids: `swp_` + the same 26 characters (docs/decisions/0136). */
export const SWEEP_ID_PATTERN = /^swp_[0-9A-HJKMNP-TV-Z]{26}$/;

let lastTime = -1;
let lastRandom = 0n;

function encode(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i += 1) {
    out = ALPHABET[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
}

export function newJobId(nowMs: number = Date.now()): string {
  return `job_${newIdBody(nowMs)}`;
}

export function newSweepId(nowMs: number = Date.now()): string {
  return `swp_${newIdBody(nowMs)}`;
}

function newIdBody(nowMs: number): string {
  let time = Math.floor(nowMs);
  let random: bigint;
  if (time <= lastTime && lastRandom < RANDOM_MAX) {
    time = lastTime;
    random = lastRandom + 1n;
  } else {
    random = BigInt(`0x${randomBytes(10).toString('hex')}`);
  }
  lastTime = time;
  lastRandom = random;
  return `${encode(BigInt(time), 10)}${encode(random, 16)}`;
}

export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && JOB_ID_PATTERN.test(value);
}

export function isSweepId(value: unknown): value is string {
  return typeof value === 'string' && SWEEP_ID_PATTERN.test(value);
}
