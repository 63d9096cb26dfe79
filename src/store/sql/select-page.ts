/**
 * One page of a listing and the number of all its rows (the List* operations' TotalCount), from
 * the same `FROM ... WHERE ...` and arguments, so the count and the page can never disagree.
 */
import type { Row, SqlExec } from './sql-driver.ts';

export async function selectPage(
  db: SqlExec, columns: string, from: string, orderBy: string, args: readonly unknown[], offset: number, limit: number,
): Promise<{ total: number; rows: Row[] }> {
  const total = (await db.query(`SELECT COUNT(*) AS n ${from}`, args))[0].n as number;
  const rows = await db.query(`SELECT ${columns} ${from} ORDER BY ${orderBy} LIMIT ? OFFSET ?`, [...args, limit, offset]);
  return { total, rows };
}
