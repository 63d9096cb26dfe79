/**
 * What a task reads and writes, from its stored TaskContent (GetDISyncTask `Code`; docs/design.md
 * section 2: steps with a reader and a writer, the reader's tables in `connection[].table` or
 * `selectedTables`). Anything unexpected reads as unknown rather than failing the page.
 */
export interface TaskDefinition { source: string; sourceType: string; target: string; targetType: string; tables: string[]; initialLoad: boolean | null }

export function parseTaskDefinition(code: string | undefined): TaskDefinition | undefined {
  if (!code) return undefined;
  try {
    const doc = JSON.parse(code);
    const steps: any[] = Array.isArray(doc.steps) ? doc.steps : [];
    const reader = steps.find((s) => s.category === 'reader') ?? {};
    const writer = steps.find((s) => s.category === 'writer') ?? {};
    const conn = (reader.parameter?.connection ?? [])[0] ?? {};
    const tables: string[] = Array.isArray(conn.table) ? conn.table.map(String) : [];
    for (const db of conn.selectedTables ?? []) {
      for (const schema of db.schema ?? []) {
        for (const t of schema.tableInfos ?? []) tables.push([db.dbName, schema.schemaName, t.table].filter(Boolean).join('.'));
      }
    }
    const setting = doc.setting ?? {};
    return {
      source: String(conn.datasource ?? '?'), sourceType: String(reader.stepType ?? ''),
      target: String(writer.parameter?.datasource ?? '?'), targetType: String(writer.stepType ?? ''),
      tables, initialLoad: typeof setting.initialLoad === 'boolean' ? setting.initialLoad : null,
    };
  } catch {
    return undefined;
  }
}
