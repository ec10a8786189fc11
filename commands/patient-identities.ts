import type { Knex } from 'knex';
import type { BlindIndexes } from '../infra/crypto/key-store.js';

/**
 * `app.patient_identities`: which of a therapist's patients a phone or an e-mail belongs to, by blind
 * index (BR-PP-004). One row shape and one look-up for the bookings that resolve a patient and the
 * therapist who registers one.
 */
export function identityRows(therapistId: string, patientId: string, indexes: BlindIndexes, withEmail = true) {
  const rows = [{ therapist_id: therapistId, kind: 'phone', value: indexes.phone, patient_id: patientId }];
  if (withEmail) rows.push({ therapist_id: therapistId, kind: 'email', value: indexes.email, patient_id: patientId });
  return rows;
}

/** The patient with this phone, else this e-mail (BR-BK-005: phone first); `except` one of them. */
export async function findByIdentity(
  db: Knex,
  therapistId: string,
  indexes: BlindIndexes,
  options: { withEmail?: boolean; except?: string } = {},
): Promise<{ patientId: string; kind: 'phone' | 'email' } | undefined> {
  const query = db('app.patient_identities').select('kind', 'patient_id').where('therapist_id', therapistId);
  if (options.except) void query.whereNot({ patient_id: options.except });
  void query.where((q) => {
    void q.where({ kind: 'phone', value: indexes.phone });
    if (options.withEmail ?? true) void q.orWhere({ kind: 'email', value: indexes.email });
  });
  const rows = (await query) as { kind: 'phone' | 'email'; patient_id: string }[];
  const row = rows.find((r) => r.kind === 'phone') ?? rows.find((r) => r.kind === 'email');
  return row ? { patientId: row.patient_id, kind: row.kind } : undefined;
}
