import { patientEventCodec, patientStream } from '../domain/patient/patient-events.js';
import { bookingContact, patientProfile, type SealedContact, type Sealed } from '../domain/shared/personal-data.js';
import type { KeyStore } from '../infra/crypto/key-store.js';
import type { EventStore } from '../infra/event-store/event-store.js';

export interface PatientContact {
  readonly name: string;
  readonly email: string | null;
  readonly phone: string;
}

/**
 * The patient's current contact, opened from their own stream at the moment a message or calendar
 * event is made (never copied into the outbox): the latest profile the therapist set, else the
 * contact of the booking that registered or last matched them. Null once they were forgotten.
 * Read from the log, not a read model, so a rebuilding projection never silences a message.
 */
export async function patientContactOf(store: EventStore, keys: KeyStore, patientId: string): Promise<PatientContact | null | undefined> {
  const events = await store.readStream(patientStream(patientId));
  let latest: { kind: 'contact'; value: SealedContact } | { kind: 'profile'; value: Sealed } | undefined;
  let forgotten = false;
  for (const recorded of events) {
    const event = patientEventCodec.decode(recorded);
    if (!event) continue;
    if (event.type === 'PatientRegistered' && !latest) latest = { kind: 'contact', value: event.data.contact };
    else if (event.type === 'BookingLinkedToPatient' && latest?.kind !== 'profile') latest = { kind: 'contact', value: event.data.contact };
    else if (event.type === 'PatientProfileUpdated') latest = { kind: 'profile', value: event.data.profile };
    else if (event.type === 'PatientForgotten') forgotten = true;
  }
  // No stream yet: the confirmation's patient record is written just after the booking's events.
  if (!latest) return undefined;
  if (forgotten) return null;
  if (latest.kind === 'profile') {
    const [profile] = await keys.open([latest.value], patientProfile);
    return profile ? { name: profile.name, email: profile.email, phone: profile.phone } : null;
  }
  const [contact] = await keys.open([latest.value], bookingContact);
  return contact ? { name: contact.name, email: contact.email || null, phone: contact.phone } : null;
}
