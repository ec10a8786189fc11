import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { analystUrl } from '../../src/cli-access.js';
import { MONDAY_8AM } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';
import { aTenant, type Tenant } from '../support/tenant-world.js';

/** Tables no role but the owner may read: the log, the keys, credentials, secrets, idempotency and checkpoints' errors. */
const PRIVATE_TABLES = ['event_store.events', 'event_store.streams', 'keys.data_keys', 'app.therapist_credentials', 'app.auditor_credentials', 'app.secrets', 'app.idempotency_keys', 'app.patient_identities', 'app.stream_snapshots', 'app.therapist_slugs', 'app.recurring_therapists', 'app.recurring_generation_runs', 'app.booking_directory', 'app.integration_dispatches', 'app.local_messages'];

/**
 * Isolation in the database itself (issue 11): SQL run as the API's role sees one tenant's rows even
 * with no WHERE at all; the public role sees public columns only; the analysts' role sees every read
 * model and nothing else.
 */
describe('Row-level security: direct SQL as each role', () => {
  const running = useTestService({ now: MONDAY_8AM });
  let a: Tenant;
  let b: Tenant;
  let tables: { name: string; tenantColumn: string }[];
  beforeAll(async () => {
    a = await aTenant(running.service, 'A');
    b = await aTenant(running.service, 'B');
    const found = await running.service.services.db.raw<{ rows: { name: string }[] }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'read' ORDER BY 1");
    tables = found.rows.map(({ name }) => ({ name, tenantColumn: name === 'therapists' ? 'id' : 'therapist_id' }));
  });

  async function as<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }
  const denied = (client: pg.Client, sql: string) => client.query(sql).then(() => 'read', (error: { code?: string }) => error.code);

  it('puts every read model under row-level security, with a policy for each role', async () => {
    const rows = await running.service.services.db.raw<{ rows: { name: string; rls: boolean; policies: string[] }[] }>(`
      SELECT c.relname AS name, c.relrowsecurity AS rls, array(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid ORDER BY 1) AS policies
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'read' AND c.relkind = 'r' ORDER BY 1`);
    expect(rows.rows.length).toBeGreaterThan(5);
    for (const table of rows.rows) {
      expect(table, `read.${table.name}`).toMatchObject({ rls: true, policies: expect.arrayContaining(['analyst_rows', 'tenant_rows']) as unknown });
    }
  });

  it("as the API's role, a query without WHERE sees the tenant's rows only, and nothing without a tenant", async () => {
    const { reads, databaseUrl } = running.service.services;
    await as(reads.connectionUrl('api'), async (client) => {
      expect((await client.query<{ current_user: string }>('SELECT current_user')).rows[0]?.current_user).toBe(reads.roles.api);
      // Logged in as the role itself, a member of no other: no way out to the owner's rights.
      expect(await denied(client, `SET ROLE "${new URL(databaseUrl).username}"`)).toBe('42501');
      for (const { name } of tables) {
        expect((await client.query(`SELECT * FROM read.${name}`)).rowCount, `read.${name} without a tenant`).toBe(0);
      }
      await client.query('BEGIN');
      await client.query("SELECT set_config('psicopay.tenant', $1, true)", [a.therapistId]);
      for (const { name, tenantColumn } of tables) {
        const owners = (await client.query<{ owner: string }>(`SELECT DISTINCT ${tenantColumn}::text AS owner FROM read.${name}`)).rows.map((r) => r.owner);
        expect(owners.filter((owner) => owner !== a.therapistId), `read.${name}`).toEqual([]);
      }
      // Every read model that holds A's rows shows them: the filter is the tenant, not everything.
      expect((await client.query('SELECT * FROM read.booking_requests')).rowCount).toBeGreaterThan(0);
      expect((await client.query('SELECT * FROM read.patients')).rows.map((r: { id: string }) => r.id)).toEqual([a.patientId]);
      expect((await client.query('SELECT * FROM read.patient_statistics')).rows.map((r: { therapist_id: string }) => r.therapist_id)).toEqual([a.therapistId]);
      expect(JSON.stringify((await client.query('SELECT * FROM read.patient_notes')).rows)).not.toContain('Nota privada de B');
      await client.query('COMMIT');
      // SET LOCAL ends with its transaction: the next one sees nothing again.
      expect((await client.query('SELECT * FROM read.sessions')).rowCount).toBe(0);
      for (const table of PRIVATE_TABLES) expect(await denied(client, `SELECT 1 FROM ${table} LIMIT 1`), table).toBe('42501');
      // Read-only sessions (25006) and no write grant (42501), whichever PostgreSQL checks first.
      expect(await denied(client, 'INSERT INTO read.therapists (id) VALUES (gen_random_uuid())')).toMatch(/^(42501|25006)$/);
      await client.query('BEGIN READ WRITE');
      expect(await denied(client, 'INSERT INTO read.therapists (id) VALUES (gen_random_uuid())')).toBe('42501');
      await client.query('ROLLBACK');
    });
  });

  it("as the public's role, only the calendar's public columns, and a booking's status by its id alone", async () => {
    await as(running.service.services.reads.connectionUrl('public'), async (client) => {
      expect((await client.query('SELECT id, name, slug FROM read.therapists')).rowCount).toBeGreaterThanOrEqual(2);
      expect(await denied(client, 'SELECT email FROM read.therapists')).toBe('42501');
      expect(await denied(client, 'SELECT reason FROM read.availability_exceptions')).toBe('42501');
      for (const table of ['booking_requests', 'sessions', 'patients', 'patient_notes', 'patient_preferences']) expect(await denied(client, `SELECT 1 FROM read.${table}`), table).toBe('42501');
      for (const table of PRIVATE_TABLES) expect(await denied(client, `SELECT 1 FROM ${table} LIMIT 1`), table).toBe('42501');
      const status = await client.query('SELECT * FROM read.public_booking($1)', [b.bookingId]);
      expect(status.rows).toHaveLength(1);
      expect(Object.keys(status.rows[0] as object)).not.toContain('patient_name');
    });
  });

  it("as the analysts' role, logging in with the printed connection string: every read model of every therapist, read-only, and nothing else", async () => {
    const { url, role } = await analystUrl(running.service.services);
    expect(role).toBe(running.service.services.reads.roles.analyst);
    await as(url, async (client) => {
      expect((await client.query<{ current_user: string }>('SELECT current_user')).rows[0]?.current_user).toBe(role);
      const therapists = (await client.query<{ therapist_id: string }>('SELECT DISTINCT therapist_id::text FROM read.booking_requests')).rows.map((r) => r.therapist_id);
      expect(therapists).toEqual(expect.arrayContaining([a.therapistId, b.therapistId]));
      for (const { name } of tables) expect(await denied(client, `SELECT 1 FROM read.${name} LIMIT 1`), `read.${name}`).toBe('read');
      expect((await client.query('SELECT * FROM read.patient_statistics_at(now())')).rowCount).toBeGreaterThanOrEqual(2);
      for (const table of [...PRIVATE_TABLES, 'projections.checkpoints']) expect(await denied(client, `SELECT 1 FROM ${table} LIMIT 1`), table).toBe('42501');
      expect(await denied(client, 'CREATE TABLE read.mine (x int)')).toMatch(/^(42501|25006)$/);
    });
  });
});
