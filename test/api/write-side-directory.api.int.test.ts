import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { enterBooking } from '../../commands/booking-directory.js';
import { sweepBookingDeadlines } from '../../commands/booking-expiry.js';
import { writeSideDirectories } from '../../infra/postgres/migrations/0013-write-side-directories.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService, type TestService } from '../support/service.js';
import { newestCommittedPosition } from '../support/log-position.js';

/*
 * Issue 15: commands and deadlines never depend on a read model. The sweep finds due bookings in
 * app.booking_directory (kept by the commands, written before a request's append) and decides from
 * the therapist stream; a patient's booking is found through the same directory. And what the
 * bookings read model drops, it drops on an event, so a rebuild gives the very same rows.
 */

const MINUTE = 60_000;

const newEvents = async (service: TestService, therapistId: string, bookingId: string, after: number) =>
  (await service.services.store.readStream(`therapist-${therapistId}`))
    .filter((e) => e.streamRevision > after && (e.data as { bookingId?: string }).bookingId === bookingId)
    .map((e) => ({ type: e.type, data: e.data }));

const revisionOf = async (service: TestService, therapistId: string) => (await service.services.store.readStream(`therapist-${therapistId}`)).length - 1;

describe('With the bookings projection failed', () => {
  const given = useTestService({ now: MONDAY_8AM });
  const clock = given.clock;

  /** A therapist whose booking requests the read model refuses (as a bad migration might): the projection stops as failed. */
  async function withFailedBookingsModel() {
    const therapist = await openTherapist(given.service);
    await given.service.services.db.raw('ALTER TABLE read.booking_requests DROP CONSTRAINT IF EXISTS refuse_every_request');
    await given.service.services.db.raw('ALTER TABLE read.booking_requests ADD CONSTRAINT refuse_every_request CHECK (false) NOT VALID');
    return therapist;
  }
  const bookingsStatus = async () => (await given.service.services.projections.status()).find((p) => p.name === 'bookings')?.status;

  it('a held request still releases its hold and expires on time, through the minute sweep', async () => {
    const therapist = await withFailedBookingsModel();
    const requested = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') });
    expect(requested.status).toBe(201);
    const id = String(requested.json.id);
    const before = await revisionOf(given.service, therapist.id);
    await expect.poll(bookingsStatus, { timeout: 20_000 }).toBe('failed');

    clock.advance(10 * MINUTE);
    await sweepBookingDeadlines(given.service.services);
    const holdEnd = clock.now().toISOString();
    expect(await newEvents(given.service, therapist.id, id, before)).toEqual([{ type: 'BookingHoldExpired', data: { bookingId: id, expiredAt: holdEnd } }]);

    clock.advance(50 * MINUTE);
    await sweepBookingDeadlines(given.service.services);
    expect(await newEvents(given.service, therapist.id, id, before)).toEqual([
      { type: 'BookingHoldExpired', data: { bookingId: id, expiredAt: holdEnd } },
      { type: 'BookingExpired', data: { bookingId: id, expiredAt: clock.now().toISOString(), reason: 'unpaid' } },
    ]);
    // Nothing of it reached the read model: the sweep never needed it.
    expect(await given.service.services.db('read.booking_requests').where({ id }).first()).toBeUndefined();
  });

  it('the patient still sees their booking and cancels it (200, BookingCancelled recorded)', async () => {
    const therapist = await withFailedBookingsModel();
    const requested = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '11:00') });
    const id = String(requested.json.id);
    const token = String(requested.json.patientToken);
    const before = await revisionOf(given.service, therapist.id);
    await expect.poll(bookingsStatus, { timeout: 20_000 }).toBe('failed');

    const status = await given.service.request('GET', `/api/public/bookings/${id}?token=${token}`);
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ id, status: 'pending_payment', therapist: { id: therapist.id }, requestedDate: '2027-03-02', requestedTime: '11:00', paymentMethod: 'bank_transfer' });

    const cancelled = await given.service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ id, status: 'cancelled' });
    expect(await newEvents(given.service, therapist.id, id, before)).toEqual([
      { type: 'BookingCancelled', data: { bookingId: id, cancelledBy: 'patient', reason: null, cancelledAt: clock.now().toISOString() } },
    ]);
    expect((await given.service.request('GET', `/api/public/bookings/${id}?token=${token}`)).json).toMatchObject({ status: 'cancelled' });
  });

  it('a directory row whose request never reached the stream (a crash before the append) is looked at once and dropped', async () => {
    const therapist = await openTherapist(given.service);
    const ghost = randomUUID();
    const before = await revisionOf(given.service, therapist.id);
    await enterBooking(given.service.services.db, therapist.id, ghost, clock.now());

    const swept = await sweepBookingDeadlines(given.service.services);
    expect(swept.failed).toBe(0);
    expect(await given.service.services.db('app.booking_directory').where({ booking_id: ghost }).first()).toBeUndefined();
    expect(await revisionOf(given.service, therapist.id)).toBe(before);
  });
});

describe('A booking request in the directory', () => {
  const given = useTestService({ now: MONDAY_8AM });

  it('is entered once, before its append, due at its hold expiry: the stream gives that same deadline, so nothing is written again', async () => {
    const therapist = await openTherapist(given.service);
    const writes: string[] = [];
    const listen = (query: { sql: string }) => {
      if (/^\s*(insert|update|delete)\b[^;]*app\.?"?\.?"?booking_directory/i.test(query.sql.replace(/"/g, ''))) writes.push(query.sql);
    };
    given.service.services.db.on('query', listen);
    let booked;
    try {
      booked = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') });
    } finally {
      given.service.services.db.off('query', listen);
    }
    expect(booked.status).toBe(201);
    expect(writes).toHaveLength(1);
    const row = await given.service.services.db('app.booking_directory').where({ booking_id: String(booked.json.id) }).first<{ next_deadline_at: Date }>();
    expect(row?.next_deadline_at.toISOString()).toBe(booked.json.holdExpiresAt);
  });
});

describe('The bookings read model comes out the same from a rebuild, cleanup included', () => {
  const given = useTestService({ now: MONDAY_8AM });
  const clock = given.clock;

  const rowsOf = async (therapistId: string) => ({
    requests: await given.service.services.db('read.booking_requests').where({ therapist_id: therapistId }).orderBy('id'),
    sessions: await given.service.services.db('read.sessions').where({ therapist_id: therapistId }).orderBy('id'),
  });
  const atHead = async () => given.service.services.projections.waitFor(await newestCommittedPosition(given.service.services.db), { names: ['bookings'], timeoutMs: 20_000 });

  it('given a confirmed, an archived and an expired request, when the projection is rebuilt, then its rows equal the incremental ones', async () => {
    const therapist = await openTherapist(given.service);
    const book = async (time: string) => given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, time) });
    const confirmed = await book('09:00');
    await given.service.request('POST', `/api/bookings/${String(confirmed.json.id)}/payment-received`, { token: therapist.token });
    expect((await given.service.request('POST', `/api/bookings/${String(confirmed.json.id)}/confirm`, { token: therapist.token })).status).toBe(200);
    const cancelled = await book('10:00');
    await given.service.request('POST', `/api/public/bookings/${String(cancelled.json.id)}/cancel`, { body: { token: String(cancelled.json.patientToken) } });
    const expired = await book('11:00');
    clock.advance(61 * MINUTE);
    await sweepBookingDeadlines(given.service.services);
    // 24 h after the cancellation, but not yet after the expiry: one archived, one kept.
    clock.advance(23 * 60 * MINUTE + 30 * MINUTE);
    expect(await sweepBookingDeadlines(given.service.services)).toMatchObject({ archived: 1, failed: 0 });
    // The calendar integration records the session's Meet link after the fact: the model is complete once it is there.
    await expect.poll(async () => (await given.service.services.db('read.sessions').where({ booking_id: String(confirmed.json.id) }).first<{ meet_link: string | null }>())?.meet_link, { timeout: 20_000 }).toBeTruthy();
    await atHead();

    const incremental = await rowsOf(therapist.id);
    expect(incremental.requests.map((r: { id: string; status: string }) => [r.id, r.status]).sort()).toEqual(
      [[String(confirmed.json.id), 'confirmed'], [String(expired.json.id), 'expired']].sort(),
    );
    expect(incremental.sessions).toHaveLength(1);

    // The live rows are spoiled first, so equal rows afterwards can only come from the replay.
    await given.service.services.db('read.booking_requests').where({ therapist_id: therapist.id }).delete();
    await given.service.services.projections.rebuild('bookings');
    await atHead();
    await expect.poll(async () => rowsOf(therapist.id), { timeout: 20_000 }).toEqual(incremental);
  });
});

describe('Migration 0013 on a database that had bookings before the directory', () => {
  const given = useTestService({ now: MONDAY_8AM });

  it('enters every booking of the log, due at once; the sweep then archives what the old sweep had deleted with no event', async () => {
    const { services } = given.service;
    const therapist = await openTherapist(given.service);
    const requested = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') });
    const id = String(requested.json.id);
    await given.service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token: String(requested.json.patientToken) } });
    // As it was before: no directory, and the old sweep's purge a day later had deleted the row, with no event.
    await writeSideDirectories.down(services.db);
    given.clock.advance(25 * 60 * MINUTE);
    await services.db('read.booking_requests').where({ id }).delete();

    await writeSideDirectories.up(services.db);
    expect(await services.db('app.booking_directory').where({ booking_id: id }).first()).toMatchObject({ therapist_id: therapist.id });
    const before = await revisionOf(given.service, therapist.id);
    expect(await sweepBookingDeadlines(services)).toMatchObject({ archived: 1, failed: 0 });
    expect(await newEvents(given.service, therapist.id, id, before)).toEqual([{ type: 'BookingRequestArchived', data: { bookingId: id, archivedAt: given.clock.now().toISOString() } }]);
    expect(await services.db('app.booking_directory').where({ booking_id: id }).first()).toMatchObject({ next_deadline_at: null });
  });
});
