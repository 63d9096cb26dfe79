/** PostgreSQL log sequence numbers: "X/Y" (two hex halves) <-> bigint. */
import { UnrecoverableError } from '../../errors.ts';

/** A malformed position (e.g. a chosen start position) cannot get better by retrying. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new UnrecoverableError(`${JSON.stringify(text)} is not a PostgreSQL source position (an LSN like 0/16B3748)`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Microseconds since 2000-01-01 (PostgreSQL's epoch) to a Date. */
const PG_EPOCH_MS = 946_684_800_000;
export function pgTimestampToDate(micros: bigint): Date {
  return new Date(PG_EPOCH_MS + Number(micros / 1000n));
}
export function nowAsPgTimestamp(): bigint {
  return BigInt(Date.now() - PG_EPOCH_MS) * 1000n;
}
