import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { patientStream } from '../domain/patient/patient-events.js';
import { metadataOf, type Caller } from './caller.js';
import type { CommandContext } from './command-context.js';

export interface PatientContact {
  readonly name: string;
  /** Normalised: lower-case e-mail, E.164 phone. */
  readonly email: string;
  readonly phone: string;
}

/**
 * The therapist's patient with this phone, else this e-mail (BR-BK-005, BR-PP-003), else a new
 * patient record on `patient-{id}`. The identity rows are a reservation, like slugs: two
 * confirmations for one new patient racing each other end with one patient, not two.
 */
export async function findOrRegisterPatient(
  ctx: CommandContext,
  therapistId: string,
  contact: PatientContact,
  bookingId: string | null,
  caller: Caller,
): Promise<{ patientId: string; created: boolean }> {
  let patientId = await findPatient(ctx.db, therapistId, contact);
  const created = patientId === undefined;
  if (patientId === undefined) {
    const candidate = randomUUID();
    const reserved = await ctx.db('app.patient_identities')
      .insert({ therapist_id: therapistId, kind: 'phone', value: contact.phone, patient_id: candidate })
      .onConflict(['therapist_id', 'kind', 'value'])
      .ignore()
      .returning('patient_id');
    patientId = reserved.length > 0 ? candidate : ((await findPatient(ctx.db, therapistId, contact)) ?? candidate);
    await ctx.db('app.patient_identities')
      .insert({ therapist_id: therapistId, kind: 'email', value: contact.email, patient_id: patientId })
      .onConflict(['therapist_id', 'kind', 'value'])
      .ignore();
  }
  // Sent for a found patient too (a no-op once registered): a reservation whose registration was cut
  // short by a crash gets its patient stream on the next confirmation instead of pointing at nothing.
  await ctx.patients.handle(
    patientStream(patientId),
    { type: 'RegisterPatient', patientId, therapistId, ...contact, bookingId, now: ctx.clock.now() },
    metadataOf(caller),
  );
  return { patientId, created };
}

async function findPatient(db: Knex, therapistId: string, contact: PatientContact): Promise<string | undefined> {
  const rows = await db<{ kind: string; patient_id: string }>('app.patient_identities')
    .select('kind', 'patient_id')
    .where('therapist_id', therapistId)
    .whereRaw('(kind, value) IN ((?, ?), (?, ?))', ['phone', contact.phone, 'email', contact.email]);
  return (rows.find((r) => r.kind === 'phone') ?? rows.find((r) => r.kind === 'email'))?.patient_id;
}
