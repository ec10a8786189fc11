import { Conflict } from '../shared/domain-error.js';
import type { TherapistEvent } from './therapist-events.js';
import type { RegisterTherapist } from './therapist-commands.js';
import type { TherapistState } from './therapist-state.js';

export function decideRegisterTherapist(command: RegisterTherapist, state: TherapistState): TherapistEvent[] {
  if (state.status === 'registered') throw new Conflict('therapist_already_registered', 'This therapist is already registered');
  const { therapistId, name, slug, email, timezone, sessionPrice, now } = command;
  return [
    {
      type: 'TherapistRegistered',
      data: { therapistId, name, slug, email, timezone, sessionPrice, currency: 'ARS', registeredAt: now.toISOString() },
    },
  ];
}
