import { requireRegistered } from './registered.js';
import { findBooking } from './booking-guards.js';
import type { ReissuePatientToken, RevokePatientToken } from './therapist-commands.js';
import type { TherapistEvent } from './therapist-events.js';
import type { TherapistState } from './therapist-state.js';

/** Revoking twice changes nothing: the link is void already. */
export function decideRevokePatientToken(command: RevokePatientToken, state: TherapistState): TherapistEvent[] {
  const booking = findBooking(requireRegistered(state), command.bookingId);
  if (booking.patientTokenHash === null) return [];
  return [{ type: 'PatientTokenRevoked', data: { bookingId: booking.bookingId, revokedAt: command.now.toISOString() } }];
}

export function decideReissuePatientToken(command: ReissuePatientToken, state: TherapistState): TherapistEvent[] {
  const booking = findBooking(requireRegistered(state), command.bookingId);
  return [{ type: 'PatientTokenReissued', data: { bookingId: booking.bookingId, patientTokenHash: command.patientTokenHash, reissuedAt: command.now.toISOString() } }];
}
