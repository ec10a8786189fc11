import { describe, expect, it } from 'vitest';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

/**
 * An Idempotency-Key makes a patient's retry safe, and nothing more: the booking's id is random,
 * stored with the key's claim, so the same key used by another client, for another therapist or a
 * day later, creates its own booking and can never reach someone else's.
 */
describe('Idempotency keys on public bookings', () => {
  const given = useTestService({ now: MONDAY_8AM });

  const book = (body: unknown, key: string) => given.service.request('POST', '/api/public/bookings', { body, headers: { 'Idempotency-Key': key } });
  const row = (id: unknown) => given.service.services.db('read.booking_requests').where({ id: String(id) }).first<{ therapist_id: string; patient_name: string } | undefined>();
  const eventuallyRow = async (id: unknown) => {
    await expect.poll(() => row(id), { timeout: 20_000 }).toBeTruthy();
    return row(id);
  };
  const ana = { patientName: 'Ana Gómez', patientEmail: 'ana@example.org', patientPhone: '+5491100000002' };

  it('gives two therapists\' patients using the same key two bookings, with their own ids and tokens', async () => {
    const [first, second] = [await openTherapist(given.service), await openTherapist(given.service)];
    const a = await book(bookingBody(first.id), 'same-key-everywhere');
    const b = await book(bookingBody(second.id, '10:00', ana), 'same-key-everywhere');
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.json.id).not.toBe(a.json.id);
    expect(b.json.patientToken).not.toBe(a.json.patientToken);
    expect(await eventuallyRow(a.json.id)).toMatchObject({ therapist_id: first.id, patient_name: 'Juan Pérez' });
    expect(await eventuallyRow(b.json.id)).toMatchObject({ therapist_id: second.id, patient_name: 'Ana Gómez' });
  });

  it('makes a new booking, with a new id, for a key used again after it was forgotten (24 hours)', async () => {
    const therapist = await openTherapist(given.service);
    const key = `reused-${therapist.id}`;
    const first = await book(bookingBody(therapist.id, '09:00'), key);
    await given.service.services.db('app.idempotency_keys').where({ key }).update({ created_at: given.service.services.db.raw("now() - interval '25 hours'") });
    const later = await book(bookingBody(therapist.id, '11:00', ana), key);
    expect([first.status, later.status]).toEqual([201, 201]);
    expect(later.json.id).not.toBe(first.json.id);
    expect(later.json.patientToken).not.toBe(first.json.patientToken);
    expect(await eventuallyRow(first.json.id)).toMatchObject({ patient_name: 'Juan Pérez' });
    expect(await eventuallyRow(later.json.id)).toMatchObject({ patient_name: 'Ana Gómez' });
    const requested = (await given.service.services.store.readStream(`therapist-${therapist.id}`)).filter((e) => e.type === 'BookingRequested');
    expect(requested.map((e) => (e.data as { bookingId: string }).bookingId)).toEqual([first.json.id, later.json.id]);
  });

  it('answers a retry while the first request still runs with 409, and lets it take over once the claim lapses', async () => {
    const therapist = await openTherapist(given.service);
    const key = `running-${therapist.id}`;
    const first = await book(bookingBody(therapist.id), key);
    const keys = given.service.services.db('app.idempotency_keys').where({ key });
    // As while the first request is still deciding: claimed, unanswered.
    await keys.clone().update({ status: null, response: null, claimed_until: given.service.services.db.raw("now() + interval '30 seconds'") });
    const during = await book(bookingBody(therapist.id), key);
    expect(during.status).toBe(409);
    expect(during.json).toMatchObject({ code: 'idempotency_key_in_progress' });
    // As when that request failed (a 5xx) or its process died: the claim is released, its booking id kept.
    await keys.clone().update({ claimed_until: given.service.services.db.fn.now() });
    const retry = await book(bookingBody(therapist.id), key);
    expect(retry.status).toBe(201);
    expect(retry.json).toMatchObject({ id: first.json.id, patientToken: first.json.patientToken });
  });

  it('still refuses the same key with another body for the same therapist (422)', async () => {
    const therapist = await openTherapist(given.service);
    const key = `other-body-${therapist.id}`;
    expect((await book(bookingBody(therapist.id, '09:00'), key)).status).toBe(201);
    const other = await book(bookingBody(therapist.id, '11:00'), key);
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
  });
});
