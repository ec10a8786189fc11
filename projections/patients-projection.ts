import type { PatientEvent } from '../domain/patient/patient-events.js';
import { assertNever } from '../domain/shared/decider.js';
import { bookingContact, patientProfile, type PatientProfile, type Sealed, type SealedContact } from '../domain/shared/personal-data.js';
import type { PersonalDataOpener } from './personal-data-opener.js';
import { handledEvents, LIVE_TABLES, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = ['PatientRegistered', 'BookingLinkedToPatient', 'PatientProfileUpdated', 'PatientForgotten'] as const satisfies readonly PatientEvent['type'][];
type Handled = (typeof HANDLES)[number];

/** Every personal column of read.patients: what forgetting clears. */
const PERSONAL = ['name', 'email', 'phone', 'date_of_birth', 'gender', 'emergency_contact_name', 'emergency_contact_phone', 'occupation', 'city', 'referral_source'] as const;

function profileColumns(p: PatientProfile) {
  return {
    name: p.name,
    email: p.email,
    phone: p.phone,
    date_of_birth: p.dateOfBirth,
    gender: p.gender,
    emergency_contact_name: p.emergencyContactName,
    emergency_contact_phone: p.emergencyContactPhone,
    preferred_contact_method: p.preferredContactMethod,
    preferred_language: p.preferredLanguage,
    occupation: p.occupation,
    city: p.city,
    referral_source: p.referralSource,
  };
}

/**
 * read.patients: the therapist's patients and their profiles. Personal data is opened from its
 * sealed form as it is projected; a forgotten patient keeps only dates and preferences of no one.
 */
export function patientsProjection(open: PersonalDataOpener, shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'patients',
    handles: HANDLES,
    tables: ['read.patients'],
    async apply(trx, events, target = LIVE_TABLES) {
      const patients = new TableBuffer(trx, target, 'read.patients', ['id'], shapes);
      const handled = handledEvents<PatientEvent, Handled>(events, HANDLES).map((e) => e.event);
      const sealedContacts: SealedContact[] = handled.flatMap((e) => (e.type === 'PatientRegistered' || e.type === 'BookingLinkedToPatient' ? [e.data.contact] : []));
      const sealedProfiles: Sealed[] = handled.flatMap((e) => (e.type === 'PatientProfileUpdated' ? [e.data.profile] : []));
      const contacts = sealedContacts.length === 0 ? [] : await open.open(trx, sealedContacts, bookingContact);
      const profiles = sealedProfiles.length === 0 ? [] : await open.open(trx, sealedProfiles, patientProfile);
      // Run in order after the inserts: a link fills in what the record lacks, a profile replaces it, forgetting clears it.
      const afterwards: (() => Promise<unknown>)[] = [];
      let nextContact = 0;
      let nextProfile = 0;
      for (const event of handled) {
        switch (event.type) {
          case 'PatientRegistered': {
            const d = event.data;
            const contact = contacts[nextContact++] ?? null;
            patients.insert({ id: d.patientId, therapist_id: d.therapistId, name: contact?.name ?? null, email: contact?.email || null, phone: contact?.phone || null, first_booking_id: d.bookingId, registered_at: d.registeredAt, forgotten_at: null });
            break;
          }
          case 'BookingLinkedToPatient': {
            const contact = contacts[nextContact++] ?? null;
            if (contact) {
              afterwards.push(() =>
                trx.raw(`UPDATE ${target('read.patients')} SET name = COALESCE(name, ?), email = COALESCE(email, ?), phone = COALESCE(phone, ?) WHERE id = ? AND forgotten_at IS NULL`, [contact.name, contact.email, contact.phone, event.data.patientId]),
              );
            }
            break;
          }
          case 'PatientProfileUpdated': {
            const profile = profiles[nextProfile++] ?? null;
            // A profile that no longer opens (a rebuild after forgetting) still dates the change, like a live run.
            const columns = profile ? profileColumns(profile) : {};
            afterwards.push(() => trx(target('read.patients')).where({ id: event.data.patientId }).whereNull('forgotten_at').update({ ...columns, profile_updated_at: event.data.updatedAt }));
            break;
          }
          case 'PatientForgotten':
            // Preferences of no one go back to their defaults, as a rebuild (which opens no profile) leaves them.
            afterwards.push(() =>
              trx(target('read.patients')).where({ id: event.data.patientId }).update({ ...Object.fromEntries(PERSONAL.map((c) => [c, null])), preferred_contact_method: 'whatsapp', preferred_language: 'es', forgotten_at: event.data.forgottenAt }),
            );
            break;
          default:
            assertNever(event);
        }
      }
      await patients.flush();
      for (const statement of afterwards) await statement();
    },
  };
}
