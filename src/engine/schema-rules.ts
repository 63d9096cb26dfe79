/**
 * StartParam.ddlMarkMap applied to the schema changes a pipeline meets (docs/design.md section 2):
 * DDL events from the source, truncations, and source columns a target table lacks (an ADDCOLUMN,
 * possibly made while the task was stopped). NORMAL applies the change to the target, IGNORE
 * skips it, WARNING skips it and records an alert, CRITICAL fails the task. A skipped ADDCOLUMN
 * leaves the column out of the target: its values are projected away from the changes.
 *
 * Every schema change met is reported as an EngineEvent `ddl` (engine-event.ts) with the mark and
 * the target statements applied; what the target could not reproduce exactly (a default evaluated
 * at the source, a generated column) raises an alert and a `warning` event: never a silent
 * divergence.
 */
import type { Logger } from '../logger.ts';
import type { ChangeSink, TargetDdl } from './change-sink.ts';
import type { ChangeSource } from './change-source.ts';
import type { ColumnValue, RelationInfo, RowChange, SchemaChange } from './change-event.ts';
import type { DdlType } from './ddl-types.ts';
import type { EngineEvent } from './engine-event.ts';
import { MissingTargetColumnsError, UnrecoverableError } from './errors.ts';

export type DdlMark = 'NORMAL' | 'IGNORE' | 'WARNING' | 'CRITICAL';

export interface Alert { at: string; type: DdlType; table: string; message: string }

/** Columns the target keeps out: `keep` indexes the relation's columns that go to the target. */
export interface Projection { relation: RelationInfo; keep: number[] }

/** A schema change as met: its type, source table, the source's SQL (null: none given) and a description. */
interface Met { type: DdlType; table: string; sourceSql: string | null; what: string }

export class SchemaRules {
  /** Prepared relations; the value is the projection to apply, or null. */
  private readonly prepared = new WeakMap<RelationInfo, Projection | null>();

  constructor(
    private readonly marks: Record<DdlType, DdlMark>, private readonly source: ChangeSource, private readonly sink: ChangeSink,
    private readonly logger: Logger, private readonly onAlert: (alert: Alert) => void,
    private readonly onEvent: (event: EngineEvent) => void = () => undefined,
  ) {}

  /**
   * Prepares the target table of a relation the first time it is seen; returns the projection
   * its changes need, or null. A target lacking source columns is an ADDCOLUMN: NORMAL adds them
   * (after `commitCompleted`, where the target's DDL would commit the open transaction).
   */
  async prepare(relation: RelationInfo, commitCompleted?: () => Promise<void>): Promise<Projection | null> {
    const known = this.prepared.get(relation);
    if (known !== undefined) return known;
    return this.prepareNew(relation, commitCompleted);
  }

  /** The projection of a relation already prepared (undefined: not yet); synchronous for the per-row path. */
  preparedProjection(relation: RelationInfo): Projection | null | undefined {
    return this.prepared.get(relation);
  }

  private async prepareNew(relation: RelationInfo, commitCompleted?: () => Promise<void>): Promise<Projection | null> {
    const describe = () => this.source.describeTable(relation);
    const label = `${relation.schema}.${relation.table}`;
    try {
      await this.prepareTable(relation, label, describe);
      this.prepared.set(relation, null);
      return null;
    } catch (err) {
      if (!(err instanceof MissingTargetColumnsError)) throw err;
      const met: Met = { type: 'ADDCOLUMN', table: label, sourceSql: null, what: `columns ${err.columns.join(', ')} exist at the source but not in the target` };
      const mark = await this.handle(met, async () => {
        if (!this.sink.transactionalDdl) await commitCompleted?.();
        const applied: TargetDdl = { statements: [], warnings: [], tables: [] };
        for (const column of err.columns) {
          const one = await this.sink.applySchemaChange({ type: 'ADDCOLUMN', schema: relation.schema, table: relation.table, column }, describe);
          applied.statements.push(...one.statements);
          applied.warnings.push(...one.warnings);
          applied.tables = one.tables;
        }
        return applied;
      });
      if (mark === 'NORMAL') {
        await this.prepareTable(relation, label, describe);
        this.prepared.set(relation, null);
        return null;
      }
      const keep = relation.columns.flatMap((col, i) => (err.columns.includes(col.name) ? [] : [i]));
      const projection: Projection = { relation: { ...relation, columns: keep.map((i) => relation.columns[i]) }, keep };
      await this.prepareTable(projection.relation, label, describe);
      this.prepared.set(relation, projection);
      return projection;
    }
  }

  /** Prepares the target table; a table the sink had to create is reported like a CREATETABLE. */
  private async prepareTable(relation: RelationInfo, label: string, describe: () => ReturnType<ChangeSource['describeTable']>): Promise<void> {
    const created = await this.sink.prepareTable(relation, describe);
    if (!created) return;
    this.report({ type: 'CREATETABLE', table: label, sourceSql: null, what: 'the target table did not exist; created from the source table' }, 'NORMAL', created);
  }

  /** A DDL event from the source, handled by its mark. */
  async apply(change: SchemaChange): Promise<void> {
    const name = change.type === 'RENAMETABLE' && change.newTable ? change.newTable : change;
    await this.handle(
      { type: change.type, table: `${change.schema}.${change.table}`, sourceSql: change.sql ?? null, what: change.sql ?? describeChange(change) },
      () => this.sink.applySchemaChange(change, () => this.source.describeTable({ id: 0, schema: name.schema, table: name.table, columns: [] })));
  }

  /** A TRUNCATE from the source; `prepare` makes sure the target tables are known first. */
  async truncate(relations: RelationInfo[], commitCompleted: () => Promise<void>): Promise<boolean> {
    const tables = relations.map((r) => `${r.schema}.${r.table}`).join(', ');
    const mark = await this.handle({ type: 'TRUNCATETABLE', table: tables, sourceSql: null, what: 'TRUNCATE' }, async () => {
      for (const r of relations) await this.prepare(r, commitCompleted);
      return { statements: await this.sink.truncate(relations), warnings: [], tables: [] };
    });
    return mark === 'NORMAL';
  }

  /** The mark of a DDL type; WARNING records an alert, CRITICAL fails the task. No event: see `handle`. */
  async mark(type: DdlType, table: string, what: string): Promise<DdlMark> {
    const mark = this.marks[type];
    if (mark === 'CRITICAL') {
      throw new UnrecoverableError(`${type} on ${table} is marked CRITICAL in StartParam.ddlMarkMap, so the task stopped: ${what}`);
    }
    if (mark === 'WARNING') {
      this.logger.warn('schema change skipped with an alert', { type, table });
      this.onAlert({ at: new Date().toISOString(), type, table, message: `${type} on ${table} skipped (ddlMarkMap WARNING): ${what}` });
    }
    return mark;
  }

  /** Marks a schema change, applies it when NORMAL, and reports it (CRITICAL: reported, then the task fails). */
  private async handle(met: Met, applyChange: () => Promise<TargetDdl>): Promise<DdlMark> {
    let mark: DdlMark;
    try {
      mark = await this.mark(met.type, met.table, met.what);
    } catch (err) {
      this.report(met, 'CRITICAL', null);
      throw err;
    }
    this.report(met, mark, mark === 'NORMAL' ? await applyChange() : null);
    return mark;
  }

  private report(met: Met, action: DdlMark, applied: TargetDdl | null): void {
    const warnings = applied?.warnings ?? [];
    this.onEvent({
      type: 'ddl', ddlType: met.type, sourceTable: met.table, targetTable: applied?.tables[0] ?? null, sourceSql: met.sourceSql,
      action, targetSql: applied?.statements ?? [], detail: warnings.length > 0 ? warnings.join(' ') : met.sourceSql === null ? met.what : null,
    });
    for (const detail of warnings) {
      this.onAlert({ at: new Date().toISOString(), type: met.type, table: met.table, message: `${met.type} on ${met.table} not reproduced exactly: ${detail}` });
      this.onEvent({ type: 'warning', code: 'DDL_NOT_REPRODUCED', detail, table: met.table });
    }
  }
}

export function project(ch: RowChange, p: Projection): RowChange {
  const pick = (values: ColumnValue[]) => p.keep.map((i) => values[i]);
  if (ch.op === 'delete') return { op: 'delete', relation: p.relation, oldKey: pick(ch.oldKey) };
  if (ch.op === 'insert') return { op: 'insert', relation: p.relation, values: pick(ch.values) };
  return { op: 'update', relation: p.relation, values: pick(ch.values), oldKey: ch.oldKey && pick(ch.oldKey) };
}

function describeChange(c: SchemaChange): string {
  if (c.type === 'RENAMETABLE') return `rename to ${c.newTable?.schema}.${c.newTable?.table}`;
  if (c.type === 'RENAMECOLUMN') return `column ${c.column} renamed to ${c.newColumn}`;
  return c.column ? `column ${c.column}` : c.type.toLowerCase();
}
