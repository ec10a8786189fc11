import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { patientStream } from '../domain/patient/patient-events.js';
import { Conflict } from '../domain/shared/domain-error.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { BookingInState } from '../domain/therapist/therapist-state.js';
import type { BlindIndexes } from '../infra/crypto/key-store.js';
import type { LogPosition } from '../infra/event-store/event-store.js';
import { metadataOf, type Caller } from './caller.js';
import type { CommandContext } from './command-context.js';
import { findByIdentity, identityRows } from './patient-identities.js';

/** Who a booking being confirmed belongs to: an existing patient (and how they were recognised), or a new one. */
export interface PatientResolution {
  readonly patientId: string;
  readonly matchedBy: 'phone' | 'email' | null;
  /** The booking's blind indexes (none for a repair): a matched patient is found by them from then on (BR-PP-003). */
  readonly indexes?: BlindIndexes;
  /** This resolution reserved the identity rows of a new patient: release them if the confirmation is refused. */
  readonly reserved: boolean;
}

/**
 * Finds the therapist's patient with the booking's phone, else its e-mail (BR-BK-005, BR-PP-003),
 * by blind index (a keyed HMAC; the key store keeps the booking's), or reserves those indexes for a
 * new patient, like slugs: two confirmations racing for one new patient end with one patient.
 */
export async function resolvePatient(ctx: CommandContext, therapistId: string, booking: BookingInState): Promise<PatientResolution> {
  const indexes = 'legacy' in booking.contact ? ctx.keys.blindIndexes(therapistId, booking.contact.legacy) : await ctx.keys.blindIndexesOf(booking.contact.keyId);
  // The booking's key was destroyed: its person asked to be forgotten, and no record is made of them.
  if (!indexes) throw new Conflict('booking_contact_forgotten', 'The person who made this request was forgotten: it cannot be confirmed', { bookingId: booking.bookingId });
  const found = await findPatient(ctx.db, therapistId, indexes);
  if (found) return { ...found, indexes, reserved: false };
  const candidate = randomUUID();
  const [phoneRow, emailRow] = identityRows(therapistId, candidate, indexes);
  const reserved = await ctx.db('app.patient_identities').insert(phoneRow).onConflict(['therapist_id', 'kind', 'value']).ignore().returning('patient_id');
  if (reserved.length === 0) {
    const winner = await findPatient(ctx.db, therapistId, indexes);
    if (winner) return { ...winner, indexes, reserved: false };
  }
  await ctx.db('app.patient_identities').insert(emailRow).onConflict(['therapist_id', 'kind', 'value']).ignore();
  return { patientId: candidate, matchedBy: null, indexes, reserved: true };
}

/** A refused confirmation leaves no patient behind: its new patient's reservation goes. */
export async function releaseReservation(ctx: CommandContext, therapistId: string, resolution: PatientResolution): Promise<void> {
  if (!resolution.reserved) return;
  await ctx.db('app.patient_identities').where({ therapist_id: therapistId, patient_id: resolution.patientId }).delete();
}

/**
 * Records on the patient's stream what the confirmation decided: a new patient registered from the
 * booking's sealed contact, or the booking linked to the patient it matched (with why). The
 * booking's data key is linked to the patient, so forgetting them destroys it too.
 */
export async function recordPatientOfBooking(ctx: CommandContext, therapistId: string, booking: BookingInState, resolution: PatientResolution, caller: Caller): Promise<LogPosition | undefined> {
  const stream = patientStream(resolution.patientId);
  const now = ctx.clock.now();
  // A request recorded before sealing existed (v1) has its contact in plaintext: it is sealed now,
  // under the request's own key, so no new event ever carries plaintext.
  const contact = 'legacy' in booking.contact ? await ctx.keys.sealBookingContact(therapistId, booking.bookingId, booking.contact.legacy) : booking.contact;
  await ctx.keys.linkToPatient(contact.keyId, resolution.patientId);
  // Sent for a matched patient too (a no-op once registered): a reservation whose registration was
  // cut short by a crash gets its patient stream now instead of pointing at nothing.
  const registered = await ctx.patients.handle(stream, { type: 'RegisterPatient', patientId: resolution.patientId, therapistId, contact, bookingId: booking.bookingId, profile: null, now }, metadataOf(caller));
  if (resolution.matchedBy === null) return registered.position;
  const linked = await ctx.patients.handle(
    stream,
    { type: 'LinkBookingToPatient', patientId: resolution.patientId, therapistId, bookingId: booking.bookingId, matchedBy: resolution.matchedBy, contact, now },
    metadataOf(caller),
  );
  if (resolution.indexes) {
    // A new phone or e-mail the booking brought finds this patient too from now on (BR-PP-003).
    await ctx.db('app.patient_identities').insert(identityRows(therapistId, resolution.patientId, resolution.indexes)).onConflict(['therapist_id', 'kind', 'value']).ignore();
  }
  return linked.position ?? registered.position;
}

/**
 * BR-PP-005: destroys every data key linked to the patient and their blind indexes, then records
 * that they were forgotten. Keys first: a crash in between leaves the data unreadable already, and a
 * retry (which finds the same destroyed keys) records the event. Another therapist's patient is not found.
 */
export async function forgetPatient(ctx: CommandContext, therapistId: string, patientId: string, caller: Caller) {
  const stream = patientStream(patientId);
  const { state } = await ctx.patients.load(stream);
  if (state.status !== 'registered' || state.therapistId !== therapistId) {
    // The decider says so in its own words (NotFound), before anything is destroyed.
    return ctx.patients.handle(stream, { type: 'ForgetPatient', patientId, therapistId, bookingIds: [], now: ctx.clock.now() }, metadataOf(caller));
  }
  const bookingIds = await ctx.keys.destroyForPatient(therapistId, patientId);
  await ctx.db('app.patient_identities').where({ therapist_id: therapistId, patient_id: patientId }).delete();
  const result = await ctx.patients.handle(stream, { type: 'ForgetPatient', patientId, therapistId, bookingIds, now: ctx.clock.now() }, metadataOf(caller));
  // Once more after the event: a note or profile sealed meanwhile (its key made after the first
  // destruction, its event before ours) goes too; anything later is refused by the decider.
  await ctx.keys.destroyForPatient(therapistId, patientId);
  // No new session for someone forgotten: their recurrences stop (the sessions already there stay).
  const calendar = therapistStream(therapistId);
  const live = Object.values(requireRegistered((await ctx.therapists.load(calendar)).state).recurrences).filter((r) => r.patientId === patientId && (r.status === 'active' || r.status === 'paused'));
  let position = result.position;
  for (const r of live) position = (await ctx.therapists.handle(calendar, { type: 'StopRecurrence', recurrenceId: r.recurrenceId, now: ctx.clock.now() }, metadataOf(caller))).position ?? position;
  return { ...result, position };
}

async function findPatient(db: Knex, therapistId: string, indexes: BlindIndexes): Promise<{ patientId: string; matchedBy: 'phone' | 'email' } | undefined> {
  const found = await findByIdentity(db, therapistId, indexes);
  return found ? { patientId: found.patientId, matchedBy: found.kind } : undefined;
}
