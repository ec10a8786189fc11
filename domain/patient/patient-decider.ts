import { assertNever, type Decider } from '../shared/decider.js';
import { decideNote } from './decide-notes.js';
import type { PatientCommand } from './patient-commands.js';
import type { PatientEvent } from './patient-events.js';
import { evolvePatient, livePatient, ownPatient, type PatientState } from './patient-state.js';

export type * from './patient-commands.js';
export type { PatientState } from './patient-state.js';

function decide(command: PatientCommand, state: PatientState): PatientEvent[] {
  switch (command.type) {
    case 'RegisterPatient': {
      // Registering twice is a no-op: a retried confirmation must not fail.
      if (state.status === 'registered') return [];
      const { patientId, therapistId, contact, bookingId, profile, now } = command;
      const registered: PatientEvent = { type: 'PatientRegistered', data: { patientId, therapistId, contact, bookingId, registeredAt: now.toISOString() } };
      return profile ? [registered, { type: 'PatientProfileUpdated', data: { patientId, profile, updatedAt: now.toISOString() } }] : [registered];
    }
    case 'UpdatePatientProfile': {
      livePatient(state, command);
      return [{ type: 'PatientProfileUpdated', data: { patientId: command.patientId, profile: command.profile, updatedAt: command.now.toISOString() } }];
    }
    case 'LinkBookingToPatient': {
      const patient = ownPatient(state, command);
      if (patient.bookingIds.includes(command.bookingId) || patient.forgotten) return [];
      const { patientId, bookingId, matchedBy, contact, now } = command;
      return [{ type: 'BookingLinkedToPatient', data: { patientId, bookingId, matchedBy, contact, linkedAt: now.toISOString() } }];
    }
    case 'ForgetPatient': {
      const patient = ownPatient(state, command);
      if (patient.forgotten) return [];
      return [{ type: 'PatientForgotten', data: { patientId: command.patientId, therapistId: patient.therapistId, bookingIds: [...command.bookingIds], forgottenAt: command.now.toISOString() } }];
    }
    case 'AddPatientNote':
    case 'EditPatientNote':
    case 'PinPatientNote':
    case 'DeletePatientNote':
    case 'SetPatientPreferences':
      return decideNote(command, state);
    default:
      return assertNever(command);
  }
}


/** The patient's administrative record: one stream per patient. */
export const patientDecider: Decider<PatientCommand, PatientState, PatientEvent> = {
  initialState: () => ({ status: 'unregistered' }),
  evolve: evolvePatient,
  decide,
};
