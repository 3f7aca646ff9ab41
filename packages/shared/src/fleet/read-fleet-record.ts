import { AppError } from '../errors/app-error';
import {
  formatIssues,
  humanErrorMap,
  toValidationIssues,
  type ValidationIssue,
} from '../spec/validation-issues';
import { FLEET_RECORDS, type FleetRecord, type FleetRecordName } from './fleet-records';

function malformed(name: FleetRecordName, issues: ValidationIssue[], cause?: unknown): AppError {
  return new AppError('FLEET_RECORD_MALFORMED', `unreadable fleet record ${name}: ${formatIssues(issues)}`, {
    details: { record: name, issues },
    ...(cause === undefined ? {} : { cause }),
  });
}

function check<N extends FleetRecordName>(name: N, value: unknown): FleetRecord<N> {
  const result = FLEET_RECORDS[name].safeParse(value, { error: humanErrorMap });
  if (!result.success) {
    throw malformed(name, toValidationIssues(result.error.issues));
  }
  return result.data as FleetRecord<N>;
}

/**
 * The one reader of a stored fleet record: JSON parsed and checked against its schema, or
 * `AppError('FLEET_RECORD_MALFORMED')` (details: the record name and the bad fields; never the
 * value). A caller on a money path lets it throw: an unreadable snapshot is never "no orders".
 */
export function parseFleetRecord<N extends FleetRecordName>(name: N, raw: string): FleetRecord<N> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw malformed(name, [{ path: '', message: 'is not JSON' }], error);
  }
  return check(name, value);
}

/** A record read with GET: `undefined` only when the key is absent (null); malformed still throws. */
export function readFleetRecord<N extends FleetRecordName>(
  name: N,
  raw: string | null,
): FleetRecord<N> | undefined {
  return raw === null ? undefined : parseFleetRecord(name, raw);
}

/**
 * The records of a fleet hash (HGETALL), by field. A malformed entry is not returned but named in
 * `malformed`, for the caller to log and to treat as its rule says (each hash's writer rewrites or
 * drops one; see the callers).
 */
export function parseFleetHash<N extends FleetRecordName>(
  name: N,
  hash: Record<string, string>,
): { records: Map<string, FleetRecord<N>>; malformed: string[] } {
  const records = new Map<string, FleetRecord<N>>();
  const bad: string[] = [];
  for (const [field, raw] of Object.entries(hash)) {
    try {
      records.set(field, parseFleetRecord(name, raw));
    } catch {
      bad.push(field);
    }
  }
  return { records, malformed: bad };
}

/** The JSON to store for a record: checked first, so what is written can always be read back. */
export function fleetRecordJson<N extends FleetRecordName>(name: N, value: FleetRecord<N>): string {
  return JSON.stringify(check(name, value));
}
