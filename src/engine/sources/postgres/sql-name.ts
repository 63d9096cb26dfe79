/** An identifier as a person would type it in SQL advice: bare when that means the same, else double-quoted. */
export function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function sqlTableName(t: { schema: string; table: string }): string {
  return `${sqlName(t.schema)}.${sqlName(t.table)}`;
}
