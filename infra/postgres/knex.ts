import knex, { type Knex } from 'knex';
import pg from 'pg';
import { migrations } from './migrations/index.js';

export type { Knex };

// A DATE column is a local calendar date (`YYYY-MM-DD`): pg's default turns it into a JS Date at
// the server process's local midnight, which shifts the day in any zone west of UTC.
const DATE_OID = 1082;
pg.types.setTypeParser(DATE_OID, (value: string) => value);

export interface KnexOptions {
  readonly applicationName?: string;
}

export function createKnex(url: string, poolMax = 20, options: KnexOptions = {}): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: url, application_name: options.applicationName ?? 'psicopay' },
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    // knex writes a failed query's bindings (names, phones, reasons) into the error message by default.
    compileSqlOnError: false,
    // Analysts read these tables; bigint columns come back as strings unless parsed by the caller.
  });
}

/**
 * Read-model schema is managed by knex migrations, listed in code (not discovered on disk) so the
 * same list runs under tsx, vitest and a bundled build. knex's own lock table serialises two
 * processes starting at once.
 */
export async function migrateToLatest(db: Knex): Promise<void> {
  await db.migrate.latest({
    migrationSource: {
      getMigrations: () => Promise.resolve(migrations.map((m) => m.name)),
      getMigrationName: (name: string) => name,
      getMigration: (name: string) => {
        const found = migrations.find((m) => m.name === name);
        if (!found) throw new Error(`Unknown migration ${name}`);
        return Promise.resolve(found);
      },
    },
  });
}
