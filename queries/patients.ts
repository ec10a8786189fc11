import type { Knex } from 'knex';
import { NotFound } from '../domain/shared/domain-error.js';

interface PatientRow {
  id: string;
  therapist_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  first_booking_id: string | null;
  registered_at: Date;
  forgotten_at: Date | null;
}

/** One of the therapist's patients; another therapist's is not found (never a 403 that confirms it exists). */
export async function patientProfile(db: Knex, therapistId: string, patientId: string) {
  const row = (await db('read.patients').where({ id: patientId, therapist_id: therapistId }).first()) as PatientRow | undefined;
  if (!row) throw new NotFound('patient', patientId);
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    firstBookingId: row.first_booking_id,
    registeredAt: row.registered_at.toISOString(),
    // BR-PP-005: the record stays (dates, counts, amounts), the person is gone.
    forgotten: row.forgotten_at !== null,
    forgottenAt: row.forgotten_at?.toISOString() ?? null,
  };
}
