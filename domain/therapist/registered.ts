import { NotFound } from '../shared/domain-error.js';
import type { RegisteredTherapist, TherapistState } from './therapist-state.js';

/** Every command but registration needs a registered therapist. */
export function requireRegistered(state: TherapistState): RegisteredTherapist {
  if (state.status !== 'registered') throw new NotFound('therapist', '', 'No therapist is registered with this id');
  return state;
}
