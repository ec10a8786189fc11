import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * Personal data sealed under per-subject keys. `keys.data_keys` is the key store: outside the event
 * log, each data key wrapped with the master key (DATA_ENCRYPTION_KEY), destroyed when its patient is
 * forgotten. Read models keep contact fields nullable: a forgotten person's are null.
 */
export const personalData: Migration = {
  name: '0006-personal-data',
  async up(db: Knex) {
    await db.raw('CREATE SCHEMA IF NOT EXISTS keys');
    await db.schema.withSchema('keys').createTable('data_keys', (t) => {
      t.uuid('key_id').primary();
      // Whose data it seals: `booking:{id}` (a request's contact) or `patient:{id}` (a profile).
      t.text('subject').notNullable().unique();
      t.uuid('therapist_id').notNullable();
      // Set once the booking is confirmed: forgetting this patient destroys the key.
      t.uuid('patient_id');
      // The data key, AES-256-GCM-wrapped with the master key; NULL once destroyed.
      t.text('wrapped');
      // Keyed HMACs of the normalised phone and e-mail, for de-duplication (BR-PP-004); destroyed with the key.
      t.text('blind_phone');
      t.text('blind_email');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.timestamp('destroyed_at', { useTz: true });
      // The patient whose forgetting destroyed it (also a request of theirs never confirmed, found by phone or e-mail).
      t.uuid('destroyed_for');
    });
    // Partial: a booking request's key is inserted with neither set, so its insert maintains only the
    // primary key and the subject (the booking path's cost).
    await db.raw('CREATE INDEX data_keys_patient_id_index ON keys.data_keys (patient_id) WHERE patient_id IS NOT NULL');
    await db.raw('CREATE INDEX data_keys_destroyed_for_index ON keys.data_keys (destroyed_for) WHERE destroyed_for IS NOT NULL');
    await db.schema.withSchema('read').alterTable('booking_requests', (t) => {
      t.text('patient_name').nullable().alter();
      t.text('patient_email').nullable().alter();
      t.text('patient_phone').nullable().alter();
      // True once the person was forgotten (BR-PP-005): their contact fields are NULL.
      t.boolean('patient_forgotten').notNullable().defaultTo(false);
    });
    await db.schema.withSchema('read').alterTable('patients', (t) => {
      t.text('name').nullable().alter();
      t.text('email').nullable().alter();
      t.text('phone').nullable().alter();
      // When the patient was forgotten; their contact fields are NULL from then on.
      t.timestamp('forgotten_at', { useTz: true });
    });
    // De-duplication keys are blind indexes from now on; plaintext ones cannot be converted in SQL
    // (the index key is not in the database), so they go: a patient registered before this is not
    // found by phone or e-mail any more, and their next confirmed booking registers a new record.
    await db('app.patient_identities').delete();
    // Snapshots of earlier state versions held contacts in plaintext; they are a cache, folded anew.
    await db('app.stream_snapshots').delete();
  },
  async down(db: Knex) {
    await db.schema.withSchema('keys').dropTableIfExists('data_keys');
    await db.schema.withSchema('read').alterTable('booking_requests', (t) => t.dropColumn('patient_forgotten'));
    await db.schema.withSchema('read').alterTable('patients', (t) => t.dropColumn('forgotten_at'));
  },
};
