import type { Knex } from 'knex';
import type { Migration } from './index.js';

/** Administrative notes and preferences of a patient (BR-PP-001): their text opened from the sealed events. */
export const patientNotes: Migration = {
  name: '0009-patient-notes',
  async up(db: Knex) {
    await db.schema.withSchema('read').createTable('patient_notes', (t) => {
      t.uuid('id').primary();
      t.uuid('patient_id').notNullable();
      t.uuid('therapist_id').notNullable();
      // general | preferences | administrative (never clinical content).
      t.text('note_type').notNullable();
      // NULL only while a rebuild meets a note of a patient forgotten later (the forgetting removes the row).
      t.text('content');
      t.boolean('pinned').notNullable();
      // The therapist who wrote it, and who last changed it.
      t.uuid('author_id').notNullable();
      t.uuid('editor_id');
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
      t.index(['patient_id', 'pinned', 'created_at']);
    });
    await db.schema.withSchema('read').createTable('patient_preferences', (t) => {
      t.uuid('patient_id').primary();
      t.uuid('therapist_id').notNullable();
      // 0 = Sunday … 6 = Saturday.
      t.specificType('preferred_days', 'smallint[]');
      t.text('preferred_time_from');
      t.text('preferred_time_to');
      t.integer('preferred_session_minutes');
      // weekly | biweekly | monthly.
      t.text('preferred_frequency');
      t.text('contact_preferences');
      t.text('special_accommodations');
      // ARS per session for this patient: later recurrences use it (not personal data; kept when forgotten).
      t.decimal('custom_price', 12, 2);
      t.timestamp('set_at', { useTz: true }).notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.withSchema('read').dropTableIfExists('patient_notes');
    await db.schema.withSchema('read').dropTableIfExists('patient_preferences');
  },
};
