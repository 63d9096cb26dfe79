/**
 * The order of a source's own positions, for tasks that apply in lanes (sinks/lane-positions.ts):
 * PostgreSQL LSNs numerically; MySQL/MariaDB positions by binlog file and offset (the part that
 * orders them, sources/mysql/position.ts).
 */
import type { StreamOrder } from './sinks/lane-positions.ts';
import { parseLsn } from './sources/postgres/lsn.ts';
import { comparePositions, parsePosition } from './sources/mysql/position.ts';

export function sourcePositionOrder(kind: 'postgresql' | 'mysql'): StreamOrder {
  if (kind === 'postgresql') {
    return (a, b) => {
      const x = parseLsn(a), y = parseLsn(b);
      return x < y ? -1 : x > y ? 1 : 0;
    };
  }
  return (a, b) => comparePositions(parsePosition(a), parsePosition(b));
}
