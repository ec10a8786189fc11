import { randomUUID } from 'node:crypto';
import { patientStream } from '../domain/patient/patient-events.js';
import { Conflict } from '../domain/shared/domain-error.js';
import type { PatientProfile } from '../domain/shared/personal-data.js';
import type { BlindIndexes } from '../infra/crypto/key-store.js';
import { metadataOf, type Caller } from './caller.js';
import type { CommandContext } from './command-context.js';
import { findByIdentity, identityRows } from './patient-identities.js';
import { livePatientStream } from './patient-notes.js';

/**
 * The therapist registers a patient directly (a long-standing one, say, who will get recurring
 * sessions). Their phone and e-mail are reserved first (BR-PP-004: one record per person per
 * therapist): a person already registered is a 409 naming that record.
 */
export async function registerPatient(ctx: CommandContext, therapistId: string, profile: PatientProfile, caller: Caller) {
  const patientId = randomUUID();
  const indexes = ctx.keys.blindIndexes(therapistId, { phone: profile.phone, email: profile.email ?? '' });
  await reserve(ctx, therapistId, patientId, indexes, profile.email !== null);
  try {
    const contact = await ctx.keys.sealPatientContact(therapistId, patientId, { name: profile.name, email: profile.email ?? '', phone: profile.phone, reasonForConsultation: null });
    const sealedProfile = await ctx.keys.sealPatientProfile(therapistId, patientId, profile);
    const result = await ctx.patients.handle(
      patientStream(patientId),
      { type: 'RegisterPatient', patientId, therapistId, contact, bookingId: null, profile: sealedProfile, now: ctx.clock.now() },
      metadataOf(caller),
    );
    return { patientId, position: result.position };
  } catch (error) {
    await ctx.db('app.patient_identities').where({ therapist_id: therapistId, patient_id: patientId }).delete();
    throw error;
  }
}

/** Replaces the patient's profile (PUT); a phone or e-mail that is another patient's is a 409. */
export async function updatePatientProfile(ctx: CommandContext, therapistId: string, patientId: string, profile: PatientProfile, caller: Caller) {
  // Before anything is sealed: another therapist's patient is not found, a forgotten one takes nothing.
  const stream = await livePatientStream(ctx, therapistId, patientId);
  const indexes = ctx.keys.blindIndexes(therapistId, { phone: profile.phone, email: profile.email ?? '' });
  const taken = await otherPatientWith(ctx, therapistId, patientId, indexes, profile.email !== null);
  if (taken) throw new Conflict('patient_already_registered', `Another of your patients has this ${taken.kind}`, { field: taken.kind, patientId: taken.patientId });
  const sealedProfile = await ctx.keys.sealPatientProfile(therapistId, patientId, profile);
  const result = await ctx.patients.handle(stream, { type: 'UpdatePatientProfile', patientId, therapistId, profile: sealedProfile, now: ctx.clock.now() }, metadataOf(caller));
  await ctx.db.transaction(async (trx) => {
    await trx('app.patient_identities').where({ therapist_id: therapistId, patient_id: patientId }).delete();
    await trx('app.patient_identities').insert(identityRows(therapistId, patientId, indexes, profile.email !== null)).onConflict(['therapist_id', 'kind', 'value']).ignore();
  });
  return { patientId, position: result.position };
}

async function reserve(ctx: CommandContext, therapistId: string, patientId: string, indexes: BlindIndexes, withEmail: boolean): Promise<void> {
  const taken = await otherPatientWith(ctx, therapistId, patientId, indexes, withEmail);
  if (taken) throw new Conflict('patient_already_registered', `One of your patients already has this ${taken.kind}`, { field: taken.kind, patientId: taken.patientId });
  const rows = identityRows(therapistId, patientId, indexes, withEmail);
  const inserted = await ctx.db('app.patient_identities').insert(rows).onConflict(['therapist_id', 'kind', 'value']).ignore().returning('kind');
  if (inserted.length < rows.length) {
    // Someone registered the same person at this very moment: theirs stands.
    await ctx.db('app.patient_identities').where({ therapist_id: therapistId, patient_id: patientId }).delete();
    const winner = await otherPatientWith(ctx, therapistId, patientId, indexes, withEmail);
    throw new Conflict('patient_already_registered', 'This patient was registered at the same moment', { field: winner?.kind ?? 'phone', patientId: winner?.patientId ?? null });
  }
}

/** One of the therapist's other patients with this phone (first) or e-mail: the field it holds, and whose. */
async function otherPatientWith(ctx: CommandContext, therapistId: string, patientId: string, indexes: BlindIndexes, withEmail: boolean) {
  return findByIdentity(ctx.db, therapistId, indexes, { withEmail, except: patientId });
}
