import type { TestService } from './service.js';
import { aTherapist } from './therapists.js';

/** Monday 2027-03-01 08:00 in Buenos Aires (UTC−3): "now" for the booking specifications. */
export const MONDAY_8AM = '2027-03-01T11:00:00.000Z';

/** A therapist open Tuesday 2027-03-02, 09:00–12:00 (slots 09:00, 10:00, 11:00 with the default policy). */
export async function openTherapist(service: TestService, options: { sessionPrice?: number } = {}) {
  const therapist = await aTherapist(service.services, options);
  await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] } });
  return therapist;
}

/** A valid public booking request for Tuesday 2027-03-02 at `time`, with overrides. */
export function bookingBody(therapistId: string, time = '10:00', extra: Record<string, unknown> = {}) {
  return {
    therapistId,
    patientName: 'Juan Pérez',
    patientEmail: 'juan@example.com',
    patientPhone: '+5491112345678',
    requestedDate: '2027-03-02',
    requestedTime: time,
    paymentMethod: 'bank_transfer',
    ...extra,
  };
}
