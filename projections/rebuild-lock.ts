import type { Knex } from 'knex';

/** Another process (or another call in this one) is rebuilding the projection now. */
export class RebuildBusy extends Error {
  override readonly name = 'RebuildBusy';
  constructor(readonly projection: string) {
    super(`${projection} is being rebuilt by another process; see projections status`);
  }
}

interface LockConnection {
  query(sql: string, values: readonly unknown[]): Promise<{ rows: { locked?: boolean }[] }>;
}

/** What of knex's client this uses: its pool, one connection taken out and given back. */
interface ConnectionPool {
  acquireConnection(): Promise<LockConnection>;
  releaseConnection(connection: LockConnection): Promise<void>;
}

/**
 * One rebuild per projection across every process on the database: a session advisory lock on a
 * connection of its own, held for the whole rebuild and gone with the session if the process dies
 * (a killed rebuild never blocks the next one). Refused at once, never waited for.
 */
export async function acquireRebuildLock(db: Knex, projection: string): Promise<{ release(): Promise<void> }> {
  // knex's own pool: the lock must stay on one session, which a query through knex does not promise.
  const pool = db.client as unknown as ConnectionPool;
  const connection = await pool.acquireConnection();
  const key = `psicopay rebuild ${projection}`;
  let locked = false;
  try {
    const result = await connection.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [key]);
    locked = result.rows[0]?.locked === true;
  } catch (error) {
    await pool.releaseConnection(connection);
    throw error;
  }
  if (!locked) {
    await pool.releaseConnection(connection);
    throw new RebuildBusy(projection);
  }
  return {
    release: async () => {
      try {
        await connection.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      } finally {
        await pool.releaseConnection(connection);
      }
    },
  };
}

/** Whether some session holds the projection's rebuild lock now (a rebuild is running, not just interrupted). */
export async function rebuildUnderWay(db: Knex, projection: string): Promise<boolean> {
  // A bigint advisory key shows in pg_locks as its high (classid) and low (objid) halves, objsubid 1.
  const result = await db.raw<{ rows: { held: boolean }[] }>(
    `SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(?, 0)) AS held`,
    [`psicopay rebuild ${projection}`],
  );
  return result.rows[0]?.held === true;
}
