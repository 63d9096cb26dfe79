/**
 * PostgreSQL column types <-> engine-neutral logical types (docs/type-mapping.md).
 * `pgLogicalType` reads format_type() output; `pgColumnTypeFor` picks the PostgreSQL column type
 * for a column of another dialect when a missing target table is created.
 */
import type { LogicalType, SourceColumn } from '../table-schema.ts';

const SIMPLE: Record<string, LogicalType> = {
  boolean: { kind: 'boolean' },
  smallint: { kind: 'integer', bytes: 2, unsigned: false },
  integer: { kind: 'integer', bytes: 4, unsigned: false },
  bigint: { kind: 'integer', bytes: 8, unsigned: false },
  real: { kind: 'float', bytes: 4 },
  'double precision': { kind: 'float', bytes: 8 },
  text: { kind: 'text', length: null, fixed: false },
  bytea: { kind: 'binary', length: null, fixed: false },
  date: { kind: 'date' },
  json: { kind: 'json' },
  jsonb: { kind: 'json' },
  uuid: { kind: 'uuid' },
};

export function pgLogicalType(formatType: string): LogicalType {
  const t = formatType.trim();
  if (SIMPLE[t]) return SIMPLE[t];
  let m: RegExpExecArray | null;
  if ((m = /^numeric(?:\((\d+)(?:,(\d+))?\))?$/.exec(t))) return { kind: 'decimal', precision: m[1] ? Number(m[1]) : null, scale: m[1] ? Number(m[2] ?? 0) : null };
  if ((m = /^character varying(?:\((\d+)\))?$/.exec(t))) return { kind: 'text', length: m[1] ? Number(m[1]) : null, fixed: false };
  if ((m = /^character(?:\((\d+)\))?$/.exec(t))) return { kind: 'text', length: Number(m[1] ?? 1), fixed: true };
  if ((m = /^time(?:\((\d)\))? without time zone$/.exec(t))) return { kind: 'time', fsp: Number(m[1] ?? 6) };
  if ((m = /^timestamp(?:\((\d)\))? without time zone$/.exec(t))) return { kind: 'timestamp', fsp: Number(m[1] ?? 6) };
  if ((m = /^timestamp(?:\((\d)\))? with time zone$/.exec(t))) return { kind: 'timestamptz', fsp: Number(m[1] ?? 6) };
  if ((m = /^bit(?:\((\d+)\))?$/.exec(t))) return { kind: 'bit', length: Number(m[1] ?? 1) };
  return { kind: 'other' };
}

/** The PostgreSQL type for a column coming from another dialect. */
export function pgColumnTypeFor(col: SourceColumn): string {
  const l = col.logical;
  switch (l.kind) {
    case 'boolean': return 'boolean';
    case 'integer':
      // Unsigned MySQL ranges need the next wider signed type; BIGINT UNSIGNED needs numeric(20).
      if (l.bytes <= 1) return 'smallint';
      if (l.bytes === 2) return l.unsigned ? 'integer' : 'smallint';
      if (l.bytes === 3) return 'integer';
      if (l.bytes === 4) return l.unsigned ? 'bigint' : 'integer';
      return l.unsigned ? 'numeric(20,0)' : 'bigint';
    case 'decimal': return l.precision === null ? 'numeric' : `numeric(${l.precision},${l.scale ?? 0})`;
    case 'float': return l.bytes === 4 ? 'real' : 'double precision';
    case 'text':
      if (l.length === null) return 'text';
      return l.fixed ? `character(${l.length})` : `character varying(${l.length})`;
    case 'binary': return 'bytea';
    case 'date': return 'date';
    case 'time': return `time(${l.fsp}) without time zone`;
    case 'timestamp': return `timestamp(${l.fsp}) without time zone`;
    case 'timestamptz': return `timestamp(${l.fsp}) with time zone`;
    // json, not jsonb: json keeps the text exactly as the source wrote it.
    case 'json': return 'json';
    case 'uuid': return 'uuid';
    case 'bit': return `bit(${l.length})`;
    case 'year': return 'smallint';
    case 'enum': case 'set': case 'other': return 'text';
  }
}
