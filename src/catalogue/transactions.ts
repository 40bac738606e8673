import type { DatabaseSync } from "node:sqlite";
import type pg from "pg";

/** Runs `work` in one PostgreSQL transaction on a pooled connection: committed whole, or rolled back. */
export async function inPostgresTransaction(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await work(client);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Runs `work` in one SQLite write transaction. `BEGIN IMMEDIATE` takes the write lock at once, so two
 * connections to one file never both read and then fail to write.
 */
export function inSqliteTransaction(db: DatabaseSync, work: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    work();
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
