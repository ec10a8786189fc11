import { describe, expect, it } from 'vitest';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

/**
 * Confirming writes the booking's confirmation, then the patient's record: a crash in between leaves
 * a confirmed booking whose patient has no record. The therapist's retry (answered 409, the booking
 * is confirmed already) completes it.
 */
describe('A confirmation cut short before the patient was recorded', () => {
  const given = useTestService({ now: MONDAY_8AM });

  it('is completed by the retried confirmation', async () => {
    const { service } = given;
    const therapist = await openTherapist(service);
    const id = String((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id) })).json.id);
    expect((await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token })).status).toBe(200);
    const row = await service.services.db('read.booking_requests').where({ id }).first<{ patient_id: string }>();
    const stream = `patient-${row.patient_id}`;
    // As if the process had died right after the booking was confirmed: no patient stream.
    await service.services.db.raw('DELETE FROM event_store.events WHERE stream_id = ?', [stream]);
    await service.services.db.raw('DELETE FROM event_store.streams WHERE stream_id = ?', [stream]);
    expect(await service.services.store.readStream(stream)).toEqual([]);

    const retried = await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token });
    expect(retried.status).toBe(409);
    expect(retried.json).toMatchObject({ code: 'booking_already_confirmed' });
    expect((await service.services.store.readStream(stream)).map((e) => e.type)).toEqual(['PatientRegistered']);
  });
});
