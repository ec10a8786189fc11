import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExpectedRevision } from '../../infra/event-store/event-store.js';
import { MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

const LEGACY = { name: 'Lucía Antigua', email: 'lucia.antigua@example.com', phone: '+5491144445555' };

/**
 * A booking request written before contacts were sealed (BookingRequested v1, plaintext) and
 * confirmed after: the log keeps that old event as it is, but nothing written from then on carries
 * the plaintext, and forgetting clears every read model.
 */
describe('A booking request recorded with a plaintext contact (schema v1)', () => {
  const given = useTestService({ now: MONDAY_8AM });

  it('is confirmed into a patient whose events are sealed, and is forgotten from the read models', async () => {
    const { service } = given;
    const therapist = await openTherapist(service);
    const stream = `therapist-${therapist.id}`;
    const bookingId = randomUUID();
    const revision = (await service.services.store.readStream(stream)).length - 1;
    await service.services.store.append(stream, [{
      eventId: randomUUID(),
      type: 'BookingRequested',
      schemaVersion: 1,
      data: {
        bookingId, patient: LEGACY, isNewPatient: true, reasonForConsultation: 'Un motivo de antes', paymentMethod: 'bank_transfer',
        requestedDate: '2027-03-02', requestedTime: '10:00', startsAt: '2027-03-02T13:00:00.000Z', endsAt: '2027-03-02T13:50:00.000Z',
        durationMinutes: 50, priceAtBooking: 15000, currency: 'ARS', holdExpiresAt: '2027-03-01T11:10:00.000Z', expiresAt: '2027-03-01T12:00:00.000Z',
        patientTokenHash: 'legacy', requestedAt: MONDAY_8AM,
      },
      metadata: { correlationId: 'legacy', causationId: null, actor: { kind: 'system', job: 'test' } },
    }], ExpectedRevision.exact(revision));
    const row = () => service.services.db('read.booking_requests').where({ id: bookingId }).first<{ patient_name: string | null; patient_id: string | null } | undefined>();
    await expect.poll(row, { timeout: 20_000 }).toMatchObject({ patient_name: LEGACY.name });

    expect((await service.request('POST', `/api/bookings/${bookingId}/confirm`, { token: therapist.token })).status).toBe(200);
    await expect.poll(async () => (await row())?.patient_id, { timeout: 20_000 }).toBeTruthy();
    const patientId = String((await row())?.patient_id);
    const patientEvents = await service.services.store.readStream(`patient-${patientId}`);
    expect(patientEvents.map((e) => e.type)).toEqual(['PatientRegistered']);
    expect(JSON.stringify(patientEvents[0]?.data)).not.toMatch(/Lucía|lucia\.antigua|5491144445555/);
    expect(patientEvents[0]?.data).toMatchObject({ contact: { keyId: expect.any(String) as unknown, ciphertext: expect.any(String) as unknown } });
    await expect.poll(async () => (await service.request('GET', `/api/patients/${patientId}`, { token: therapist.token })).json, { timeout: 20_000 }).toMatchObject({ name: LEGACY.name });

    expect((await service.request('POST', `/api/patients/${patientId}/forget`, { token: therapist.token })).json).toMatchObject({ forgotten: true, name: null });
    await expect.poll(row, { timeout: 20_000 }).toMatchObject({ patient_name: null });
  });
});
