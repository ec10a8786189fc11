import type { RequestBooking } from '../../domain/therapist/therapist-commands.js';

/** The contact as the domain sees it: sealed by the caller, opaque here. */
export const SEALED_CONTACT = { keyId: '00000000-0000-4000-8000-00000000c0de', ciphertext: 'c2VhbGVk' } as const;

/** A RequestBooking for Tuesday 2027-03-02 at `time` (a 10-minute hold, an hour to pay), decided at `now`. */
export function aBookingRequest(bookingId: string, time: string, now: Date): RequestBooking {
  return {
    type: 'RequestBooking',
    bookingId,
    contact: SEALED_CONTACT,
    isNewPatient: true,
    paymentMethod: 'bank_transfer',
    requestedDate: '2027-03-02',
    requestedTime: time,
    holdMinutes: 10,
    expirationMinutes: 60,
    patientTokenHash: 'h',
    calendarBusy: [],
    now,
  };
}
