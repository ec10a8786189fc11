import type { Knex } from 'knex';
import type { Migration } from './index.js';

/** The patient's administrative profile (spec 5.2): personal columns, NULL once the patient is forgotten. */
export const patientProfiles: Migration = {
  name: '0007-patient-profiles',
  async up(db: Knex) {
    await db.schema.withSchema('read').alterTable('patients', (t) => {
      t.date('date_of_birth');
      t.text('gender');
      t.text('emergency_contact_name');
      // E.164.
      t.text('emergency_contact_phone');
      // whatsapp | email | phone | sms.
      t.text('preferred_contact_method').notNullable().defaultTo('whatsapp');
      // A language tag, e.g. es, en, pt-BR.
      t.text('preferred_language').notNullable().defaultTo('es');
      t.text('occupation');
      t.text('city');
      t.text('referral_source');
      // When the therapist last set the profile (PatientProfileUpdated).
      t.timestamp('profile_updated_at', { useTz: true });
      t.index(['therapist_id', 'name', 'id']);
    });
  },
  async down(db: Knex) {
    await db.schema.withSchema('read').alterTable('patients', (t) => {
      t.dropColumns('date_of_birth', 'gender', 'emergency_contact_name', 'emergency_contact_phone', 'preferred_contact_method', 'preferred_language', 'occupation', 'city', 'referral_source', 'profile_updated_at');
    });
  },
};
