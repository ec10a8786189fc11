import type { PatientEvent } from '../domain/patient/patient-events.js';
import { assertNever } from '../domain/shared/decider.js';
import type { SealedContact } from '../domain/shared/personal-data.js';
import type { ContactOpener } from './contact-opener.js';
import { handledEvents, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = ['PatientRegistered', 'BookingLinkedToPatient', 'PatientForgotten'] as const satisfies readonly PatientEvent['type'][];

/**
 * read.patients: who the therapist's patients are (the profile work extends this table). Contacts
 * are opened from their sealed form as they are projected; a forgotten patient keeps only dates.
 */
export function patientsProjection(open: ContactOpener, shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'patients',
    handles: HANDLES,
    tables: ['read.patients'],
    async apply(trx, events) {
      const patients = new TableBuffer(trx, 'read.patients', ['id'], shapes);
      const handled = handledEvents<PatientEvent, (typeof HANDLES)[number]>(events, HANDLES).map((e) => e.event);
      const sealed: SealedContact[] = handled.flatMap((e) => (e.type === 'PatientForgotten' ? [] : [e.data.contact]));
      const contacts = sealed.length === 0 ? [] : await open(trx, sealed);
      // Run in order after the inserts: a link fills in what the record lacks, forgetting clears it.
      const afterwards: (() => Promise<unknown>)[] = [];
      let next = 0;
      for (const event of handled) {
        switch (event.type) {
          case 'PatientRegistered': {
            const d = event.data;
            const contact = contacts[next++] ?? null;
            patients.insert({ id: d.patientId, therapist_id: d.therapistId, name: contact?.name ?? null, email: contact?.email ?? null, phone: contact?.phone ?? null, first_booking_id: d.bookingId, registered_at: d.registeredAt, forgotten_at: null });
            break;
          }
          case 'BookingLinkedToPatient': {
            const contact = contacts[next++] ?? null;
            if (contact) {
              afterwards.push(() =>
                trx.raw('UPDATE read.patients SET name = COALESCE(name, ?), email = COALESCE(email, ?), phone = COALESCE(phone, ?) WHERE id = ? AND forgotten_at IS NULL', [contact.name, contact.email, contact.phone, event.data.patientId]),
              );
            }
            break;
          }
          case 'PatientForgotten':
            afterwards.push(() => trx('read.patients').where({ id: event.data.patientId }).update({ name: null, email: null, phone: null, forgotten_at: event.data.forgottenAt }));
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
