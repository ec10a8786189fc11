import type { Knex } from 'knex';
import { isolateReadModels } from '../read-model-isolation.js';
import { rolesOf } from '../database-roles.js';
import type { Migration } from './index.js';

/**
 * Roles (issue 11, spec 3.3 decision 4), named after the database (see database-roles.ts): the API
 * reads read models as `{db}_api`, subject to row-level security by tenant; the public answers as
 * `{db}_public`, which sees only the columns public answers need; analysts as `{db}_analyst`, every
 * read model and nothing else. None of them can read the event log, the key store, credentials or
 * idempotency keys, and none is a member of the owner or the owner of them. Creating a role tolerates
 * a concurrent creation (role names are cluster-wide).
 *
 * Credentials gain an id (to list, revoke and rotate them without their hash), an expiry and a name;
 * auditors get credentials of their own. The patient-token secret leaves the database: it now comes
 * from PATIENT_TOKEN_SECRET or the data folder (tokens handed out before stay valid through the hash
 * their booking event keeps).
 */
export const rolesAndIsolation: Migration = {
  name: '0010-roles-and-isolation',
  async up(db: Knex) {
    const roles = await rolesOf(db);
    for (const role of Object.values(roles)) {
      await db.raw(`DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
          BEGIN CREATE ROLE ${role} NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
        END IF;
      END $$`);
      // Read-only sessions whatever a statement asks for; logins are given at start (see ensureLogin).
      await db.raw(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
      await db.raw(`DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${role}', current_database()); END $$`);
    }
    await db.raw(`CREATE FUNCTION read.current_tenant() RETURNS uuid LANGUAGE sql STABLE
      AS $$ SELECT nullif(current_setting('psicopay.tenant', true), '')::uuid $$`);
    // A patient's booking status, found by its id alone (the id is the capability): one row, public columns.
    await db.raw(`CREATE FUNCTION read.public_booking(p_id uuid)
      RETURNS TABLE (id uuid, status text, therapist_id uuid, therapist_name text, therapist_slug text, requested_date date, requested_time text,
                     starts_at timestamptz, ends_at timestamptz, duration_minutes integer, price_at_booking numeric, currency text,
                     payment_method text, hold_expires_at timestamptz, expires_at timestamptz, session_id uuid)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        SELECT b.id, b.status, b.therapist_id, t.name, t.slug, b.requested_date, b.requested_time, b.starts_at, b.ends_at, b.duration_minutes,
               b.price_at_booking, b.currency, b.payment_method, b.hold_expires_at, b.expires_at, b.session_id
        FROM read.booking_requests b JOIN read.therapists t ON t.id = b.therapist_id WHERE b.id = p_id
      $$`);
    await db.raw('REVOKE ALL ON FUNCTION read.public_booking(uuid) FROM PUBLIC');
    await db.raw(`GRANT EXECUTE ON FUNCTION read.public_booking(uuid) TO ${roles.public}, ${roles.api}`);
    // The view computed the statistics with its owner's rights, past row-level security.
    await db.raw('ALTER VIEW read.patient_statistics SET (security_invoker = true)');
    await isolateReadModels(db);

    await db.raw('ALTER TABLE app.therapist_credentials ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE');
    await db.schema.withSchema('app').alterTable('therapist_credentials', (t) => {
      t.timestamp('expires_at', { useTz: true });
      // The credential this one replaced (rotation), kept for the audit trail.
      t.uuid('rotated_from');
    });
    await db.schema.withSchema('app').createTable('auditor_credentials', (t) => {
      t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
      t.text('token_hash').notNullable().unique();
      t.text('name').notNullable();
      // NULL: every stream; otherwise the one therapist whose history this auditor may read.
      t.uuid('therapist_id');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.timestamp('expires_at', { useTz: true });
      t.timestamp('revoked_at', { useTz: true });
    });
    await db('app.secrets').where({ name: 'patient-tokens' }).delete();
  },
  async down(db: Knex) {
    await db.schema.withSchema('app').dropTableIfExists('auditor_credentials');
    await db.schema.withSchema('app').alterTable('therapist_credentials', (t) => t.dropColumns('id', 'expires_at', 'rotated_from'));
    await db.raw('DROP FUNCTION IF EXISTS read.public_booking(uuid)');
    const tables = await db.raw<{ rows: { name: string }[] }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'read'");
    for (const { name } of tables.rows) {
      for (const policy of ['tenant_rows', 'analyst_rows', 'public_rows']) await db.raw(`DROP POLICY IF EXISTS ${policy} ON read.${name}`);
      await db.raw(`ALTER TABLE read.${name} DISABLE ROW LEVEL SECURITY`);
    }
    await db.raw('DROP FUNCTION IF EXISTS read.current_tenant()');
    // The roles stay: their grants in this database go with the objects; other databases name their own.
  },
};
