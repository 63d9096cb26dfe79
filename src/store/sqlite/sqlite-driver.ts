/**
 * The SQL driver (../sql/sql-driver.ts) over better-sqlite3. Statements run synchronously, so
 * each is atomic; a transaction (BEGIN IMMEDIATE) spans awaits, so statements from outside it
 * wait until it ends instead of joining it on the one shared connection. The gate is per file and
 * process: two connections of one process to one file would otherwise deadlock, one holding the
 * write lock across an await while the other's busy wait blocks the thread.
 */
import type Database from 'better-sqlite3';
import { UniqueViolationError } from '../catalog-store.ts';
import { bindable, type Row, type SqlDialect, type SqlDriver, type SqlExec } from '../sql/sql-driver.ts';

export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  forUpdate: '',
  forKeyShare: '',
  ilike: 'LIKE',
  contains: (expr) => `instr(${expr}, ?) > 0`,
  // Lists travel as one bound JSON array (json_each), never spliced into the SQL text.
  inJsonIntegers: (expr) => `${expr} IN (SELECT value FROM json_each(?))`,
};

/** Orders the transactions of one file within this process. */
interface Gate {
  /** Settles when the transaction queued last has ended. */
  tail: Promise<void>;
  inTransaction: boolean;
}
const GATES = new Map<string, Gate>();

export class SqliteDriver implements SqlDriver {
  readonly dialect = SQLITE_DIALECT;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly gate: Gate;
  private readonly direct: SqlExec = {
    query: async (sql, params) => this.all(sql, params),
    run: async (sql, params) => this.change(sql, params),
  };

  constructor(readonly db: Database.Database) {
    const fresh = (): Gate => ({ tail: Promise.resolve(), inTransaction: false });
    if (db.memory) this.gate = fresh();
    else {
      this.gate = GATES.get(db.name) ?? fresh();
      GATES.set(db.name, this.gate);
    }
  }

  async query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    await this.outsideTransactions();
    return this.all(sql, params);
  }

  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    await this.outsideTransactions();
    return this.change(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T> {
    const gate = this.gate;
    const previous = gate.tail;
    let release!: () => void;
    gate.tail = new Promise((resolve) => { release = resolve; });
    await previous;
    gate.inTransaction = true;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      gate.inTransaction = false;
      release();
    }
  }

  /** Versions are `PRAGMA user_version`; BEGIN IMMEDIATE serializes processes opening the file at once. */
  async migrate(migrations: readonly string[]): Promise<number> {
    const found = this.db.pragma('user_version', { simple: true }) as number;
    for (;;) {
      const done = await this.transaction(async () => {
        const v = this.db.pragma('user_version', { simple: true }) as number;
        if (v >= migrations.length) return true;
        this.db.exec(migrations[v]);
        this.db.pragma(`user_version = ${v + 1}`);
        return false;
      });
      if (done) return found;
    }
  }

  async close(): Promise<void> {
    await this.outsideTransactions();
    this.db.close();
  }

  private async outsideTransactions(): Promise<void> {
    while (this.gate.inTransaction) await this.gate.tail;
  }

  private all(sql: string, params: readonly unknown[] = []): Row[] {
    return mapErrors(() => {
      const stmt = this.prepare(sql);
      const args = params.map(bindable);
      return stmt.reader ? stmt.all(...args) as Row[] : (stmt.run(...args), []);
    });
  }

  private change(sql: string, params: readonly unknown[] = []): number {
    return mapErrors(() => {
      const stmt = this.prepare(sql);
      const args = params.map(bindable);
      return stmt.reader ? stmt.all(...args).length : stmt.run(...args).changes;
    });
  }

  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

/** A unique-constraint failure becomes UniqueViolationError naming the columns ("t.a, t.b"). */
function mapErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      throw new UniqueViolationError(/failed: (.*)$/.exec(e.message ?? '')?.[1] ?? 'unknown');
    }
    throw err;
  }
}
