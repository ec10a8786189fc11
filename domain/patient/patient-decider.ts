import type { Decider } from '../shared/decider.js';
import type { PatientEvent } from './patient-events.js';

export type PatientCommand = {
  readonly type: 'RegisterPatient';
  readonly patientId: string;
  readonly therapistId: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly bookingId: string | null;
  readonly now: Date;
};

export type PatientState = { readonly status: 'unregistered' } | { readonly status: 'registered'; readonly therapistId: string };

/** The patient's administrative record. Registering twice is a no-op: a retried confirmation must not fail. */
export const patientDecider: Decider<PatientCommand, PatientState, PatientEvent> = {
  initialState: () => ({ status: 'unregistered' }),
  evolve: (_state, event) => ({ status: 'registered', therapistId: event.data.therapistId }),
  decide: (command, state) => {
    if (state.status === 'registered') return [];
    const { patientId, therapistId, name, email, phone, bookingId, now } = command;
    return [{ type: 'PatientRegistered', data: { patientId, therapistId, name, email, phone, bookingId, registeredAt: now.toISOString() } }];
  },
};
