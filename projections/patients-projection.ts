import type { PatientEvent } from '../domain/patient/patient-events.js';
import { handledEvents, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = ['PatientRegistered'] as const satisfies readonly PatientEvent['type'][];

/** read.patients: who the therapist's patients are (the profile work extends this table). */
export function patientsProjection(shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'patients',
    handles: HANDLES,
    tables: ['read.patients'],
    async apply(trx, events) {
      const patients = new TableBuffer(trx, 'read.patients', ['id'], shapes);
      for (const { event } of handledEvents<PatientEvent, (typeof HANDLES)[number]>(events, HANDLES)) {
        const d = event.data;
        patients.insert({ id: d.patientId, therapist_id: d.therapistId, name: d.name, email: d.email, phone: d.phone, first_booking_id: d.bookingId, registered_at: d.registeredAt });
      }
      await patients.flush();
    },
  };
}
