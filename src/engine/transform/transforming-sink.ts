/**
 * The transformation stage of a 2024 DI job, as a decorator of the sink port (change-sink.ts):
 * every relation is prepared at the target under its job's name and shape, every row change is
 * mapped (table-transform.ts) before the real sink sees it, schema changes are renamed onto the
 * target tables. The pipeline and the sinks stay as they are for 2020 tasks; a job's pipeline
 * talks to this stage instead of the sink (src/engine/pipeline.ts, `PipelineSpec.transform`).
 *
 * The real sink is built with no target schema of its own: this stage names every table fully.
 * HandleDml applies to the stream only; full-load rows (`loading()`) pass the row filter alone.
 */
import type { ChangeSink, Claim, DirtyRecord, DirtyRecordsKept, TargetDdl } from '../change-sink.ts';
import type { RelationInfo, RowChange, SchemaChange } from '../change-event.ts';
import type { TableSchema } from '../table-schema.ts';
import { UnrecoverableError } from '../errors.ts';
import { compileTableTransform, type TableTransform, type TransformContext } from './table-transform.ts';
import type { TableRules } from './table-rules.ts';
import { targetNameOf, type TableName } from './target-naming.ts';

export interface TransformPlan extends TransformContext {
  /** The rules of the table (the first TableMappings element that selects it). */
  rulesFor(source: TableName): TableRules;
  /**
   * Checks that need the databases, before a table's first use: the source sends whole old rows
   * when `needsFullOldImage` says why it must; the target schema exists or may be created.
   */
  checkTable?(t: { source: TableName; target: TableName; needsFullOldImage: string | null }): Promise<void>;
  /** Per-table structure outcome, for the job's run details. */
  onPrepared?(source: TableName, error: string | null): void;
}

export class TransformingSink implements ChangeSink {
  private readonly transforms = new WeakMap<RelationInfo, TableTransform>();
  private readonly checked = new Set<string>();

  constructor(private readonly inner: ChangeSink, private readonly plan: TransformPlan, private readonly loading: () => boolean) {}

  get transactionalDdl(): boolean { return this.inner.transactionalDdl; }
  get lanesControl(): ChangeSink['lanesControl'] { return this.inner.lanesControl; }

  claim(fence: number): Promise<Claim> { return this.inner.claim(fence); }

  async prepareTable(relation: RelationInfo, describe: () => Promise<TableSchema>): Promise<TargetDdl | null> {
    if (this.transforms.has(relation)) return null;
    const source = { schema: relation.schema, table: relation.table };
    try {
      const schema = await describe();
      const t = compileTableTransform(relation, schema, this.plan.rulesFor(source), this.plan);
      const key = `${source.schema}.${source.table}`;
      if (!this.checked.has(key)) {
        await this.plan.checkTable?.({ source, target: t.target, needsFullOldImage: t.needsFullOldImage });
        this.checked.add(key);
      }
      const created = await this.inner.prepareTable(t.relation, async () => t.describe(schema));
      this.transforms.set(relation, t);
      this.plan.onPrepared?.(source, null);
      return created;
    } catch (err) {
      this.plan.onPrepared?.(source, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  apply(changes: RowChange[]): Promise<DirtyRecord[]> {
    const loading = this.loading();
    const out: RowChange[] = [];
    for (const ch of changes) {
      const t = this.transformOf(ch.relation);
      if (loading && ch.op === 'insert') {
        const values = t.loadRow(ch.values);
        if (values) out.push({ op: 'insert', relation: t.relation, values });
        continue;
      }
      const mapped = t.change(ch);
      if (mapped) out.push(mapped);
    }
    return this.inner.apply(out);
  }

  async applySchemaChange(change: SchemaChange, describe: () => Promise<TableSchema>): Promise<TargetDdl> {
    const source = { schema: change.schema, table: change.table };
    const rules = this.plan.rulesFor(source);
    const target = targetNameOf(source, rules, this.plan.naming);
    const newTable = change.newTable ? targetNameOf(change.newTable, this.plan.rulesFor(change.newTable), this.plan.naming) : undefined;
    const shaped = async () => {
      const schema = await describe();
      const named = change.newTable ?? source;
      const relation: RelationInfo = { id: 0, ...named, columns: schema.columns.map((c) => ({ name: c.name, isKey: c.isKey })) };
      return compileTableTransform(relation, schema, this.plan.rulesFor(named), this.plan).describe(schema);
    };
    return this.inner.applySchemaChange({ ...change, ...target, newTable }, shaped);
  }

  truncate(relations: RelationInfo[]): Promise<string[]> {
    return this.inner.truncate(relations.map((r) => this.transformOf(r).relation));
  }

  commit(position: string, settled?: Promise<unknown>): Promise<void> { return this.inner.commit(position, settled); }
  rollback(): Promise<void> { return this.inner.rollback(); }
  dirtyRecords(): DirtyRecordsKept { return this.inner.dirtyRecords(); }
  discardCheckpoint(tombstone?: number): Promise<void> { return this.inner.discardCheckpoint(tombstone); }
  close(): Promise<void> { return this.inner.close(); }
  destroy(): Promise<void> { return this.inner.destroy(); }

  private transformOf(relation: RelationInfo): TableTransform {
    const t = this.transforms.get(relation);
    if (!t) throw new UnrecoverableError(`table ${relation.schema}.${relation.table} reached the transformation stage before it was prepared`);
    return t;
  }
}
