import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../infra/postgres/embedded-postgres.js';

/** The benchmark's own embedded PostgreSQL cluster in a temporary folder, one database per data set. */
export interface BenchCluster {
  readonly dir: string;
  readonly adminUrl: string;
  /** The server's version string, e.g. "18.0". */
  readonly version: string;
  createDatabase(name: string): Promise<string>;
  /** The postmaster's pid, whose children are the backends: for CPU accounting. */
  postmasterPid(): number;
  stop(): Promise<void>;
}

export async function startCluster(): Promise<BenchCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psicopay-bench-'));
  // Readable by others: as root, embedded-postgres runs the server as another user, which must reach the folder
  // (and then the cluster stays here instead of going to /var/lib, so removing `dir` removes everything).
  chmodSync(dir, 0o755);
  let embedded: EmbeddedDatabase | undefined;
  try {
    embedded = await startEmbeddedPostgres(dir, 'postgres');
    const adminUrl = embedded.url;
    const version = await query1(adminUrl, 'SHOW server_version');
    const server = embedded;
    return {
      dir,
      adminUrl,
      version,
      createDatabase: async (name) => {
        await query1(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await query1(adminUrl, `CREATE DATABASE "${name}"`);
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        return url.toString();
      },
      postmasterPid: () => {
        try {
          return Number(readFileSync(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
        } catch {
          return 0;
        }
      },
      stop: async () => {
        await server.stop().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs one statement on a short-lived connection; returns the first column of the first row as text. */
export async function query1(url: string, sql: string, values: unknown[] = []): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<Record<string, unknown>>(sql, values);
    const first = result.rows[0];
    return first ? String(Object.values(first)[0]) : '';
  } finally {
    await client.end();
  }
}
