/**
 * The task's tables by identity (relation-tracker.ts): the OID behind each selected name, the name
 * its target table has, and the columns the target was last told about, by attnum. The task keeps
 * this as the comment of its own publication (COMMENT ON PUBLICATION; the task owns it), so that
 * after a stop it still knows a table renamed since (its OID) and a column renamed, dropped or
 * retyped since (its attnum). With a publication created by the DBA the task owns nothing it could
 * write this to: it then knows tables by their selected names only (docs/cdc-failure-modes.md).
 */
import type pg from 'pg';
import { quoteIdent, quoteLiteral } from '../../postgres/connection.ts';
import type { CatalogColumns, Name, StoredColumn, TrackedTable } from './relation-tracker.ts';

const DOC_VERSION = 1;

/** The stored tables, or null when there are none (or they are unreadable). */
export async function loadTrackedTables(c: pg.Client, publication: string): Promise<TrackedTable[] | null> {
  const r = (await c.query(`SELECT obj_description(oid, 'pg_publication') AS doc FROM pg_publication WHERE pubname = $1`, [publication])).rows[0];
  if (!r?.doc) return null;
  try {
    const doc = JSON.parse(r.doc);
    return doc?.v === DOC_VERSION && Array.isArray(doc.tables) ? doc.tables as TrackedTable[] : null;
  } catch {
    return null;
  }
}

export async function storeTrackedTables(c: pg.Client, publication: string, tables: TrackedTable[]): Promise<void> {
  const catalog = await catalogColumns(c, tables.map((t) => t.oid));
  const doc = { v: DOC_VERSION, tables: tables.map((t) => ({ ...t, columns: t.columns && withAttnums(t.columns, catalog.get(t.oid)) })) };
  await c.query(`COMMENT ON PUBLICATION ${quoteIdent(publication)} IS ${quoteLiteral(JSON.stringify(doc))}`);
}

/**
 * The selected tables by identity. A selected name the task stored keeps its OID as long as that
 * table exists (whatever it is called now); others are looked up by name. `current`: each found
 * table's name now (for the checks and the publication); `missing`: selected names found nowhere.
 * `seedColumns`: take the columns from the catalog (right when streaming starts now).
 */
export async function resolveTables(c: pg.Client, selected: Name[], stored: TrackedTable[] | null, seedColumns: boolean) {
  const tables: TrackedTable[] = [];
  const current: Name[] = [];
  const missing: Name[] = [];
  for (const sel of selected) {
    const key = `${sel.schema}.${sel.table}`;
    const known = stored?.find((s) => s.selected === key);
    const byOid = known ? await nameOf(c, known.oid) : undefined;
    const oid = byOid ? known!.oid : await oidOf(c, sel);
    if (oid === undefined) { missing.push(sel); continue; }
    if (tables.some((t) => t.oid === oid)) continue;
    if (byOid) { tables.push(known!); current.push(byOid); continue; }
    tables.push({ oid, selected: key, source: sel, target: sel, columns: seedColumns ? await columnsOf(c, oid) : null });
    current.push(sel);
  }
  return { tables, current, missing };
}

export async function catalogColumns(c: pg.Client, oids: number[]): Promise<Map<number, CatalogColumns>> {
  const out = new Map<number, CatalogColumns>();
  if (oids.length === 0) return out;
  const r = await c.query(`SELECT attrelid AS oid, attnum, attname, attisdropped FROM pg_attribute WHERE attrelid = ANY($1::oid[]) AND attnum > 0`, [oids]);
  for (const row of r.rows) {
    let m = out.get(row.oid);
    if (!m) out.set(row.oid, m = new Map());
    m.set(row.attnum, { name: row.attname, dropped: row.attisdropped });
  }
  return out;
}

async function nameOf(c: pg.Client, oid: number): Promise<Name | undefined> {
  const r = (await c.query(
    `SELECT n.nspname, cl.relname FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE cl.oid = $1 AND cl.relkind IN ('r', 'p')`, [oid])).rows[0];
  return r ? { schema: r.nspname, table: r.relname } : undefined;
}

async function oidOf(c: pg.Client, t: Name): Promise<number | undefined> {
  const r = (await c.query(
    `SELECT cl.oid AS oid FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = $1 AND cl.relname = $2`, [t.schema, t.table])).rows[0];
  return r?.oid;
}

/** The columns pgoutput sends (not generated ones), as a Relation message would describe them. */
async function columnsOf(c: pg.Client, oid: number): Promise<StoredColumn[]> {
  const r = await c.query(
    `SELECT a.attnum, a.attname, a.atttypid AS typ, a.atttypmod AS typmod, COALESCE(a.attnum = ANY(i.indkey), false) AS is_key
       FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum`, [oid]);
  return r.rows.map((x) => ({ name: x.attname, isKey: x.is_key, typeOid: x.typ, typmod: x.typmod, attnum: x.attnum }));
}

/**
 * Attnums checked against the catalog before storing: one still alive keeps the column's identity
 * (even if renamed since); one dropped, or unknown, is looked up by the column's name.
 */
function withAttnums(columns: StoredColumn[], catalog: CatalogColumns | undefined): StoredColumn[] {
  if (!catalog) return columns;
  const byName = new Map([...catalog].filter(([, v]) => !v.dropped).map(([attnum, v]) => [v.name, attnum]));
  return columns.map((c) => {
    const alive = c.attnum != null && catalog.get(c.attnum)?.dropped === false;
    return { ...c, attnum: alive ? c.attnum : byName.get(c.name) ?? c.attnum };
  });
}
