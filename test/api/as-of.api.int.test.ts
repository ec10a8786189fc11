import { describe, expect, it } from 'vitest';
import { issueAuditorToken } from '../../infra/auth/auditor-credentials.js';
import { useTestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

const ZONE = 'America/Argentina/Buenos_Aires';

interface Slot {
  time: string;
  status: string;
}
interface Day {
  date: string;
  slots: Slot[];
}
/** What the API answered right after one step, and the instant the log had reached then. */
interface Seen {
  step: string;
  at: Date;
  availability: { timezone: string; start: string; end: string; days: Day[] };
  statuses: Record<string, string>;
}

/**
 * Issue 15, as-of replay: "was this slot free when the patient booked?". `asOf` is an instant of the
 * log's clock (`recordedAt`, the store's): the calendar folds the events recorded by then and computes
 * the public availability with that instant as "now". So the service's clock is kept on the real time
 * here (the store's clock cannot be moved), and each step's answers are read with the service's clock
 * set to the instant the log had reached: the as-of view at that instant must be exactly what the API
 * answered then.
 */
describe('Audit: the calendar as of an instant', () => {
  const test = useTestService();

  it('book, cancel, book again: at each instant the as-of view is what the API answered then', async () => {
    const { service, clock } = test;
    const live = () => clock.set(new Date());
    live();
    const therapist = await aTherapist(service.services, { timezone: ZONE });
    const auditor = (await issueAuditorToken(service.services.db, { name: 'Peritaje', therapistId: null, expiresAt: null })).token;
    const day = new Date(Date.now() + 3 * 86_400_000).toLocaleDateString('en-CA', { timeZone: ZONE });
    const stream = `therapist-${therapist.id}`;
    const lastRecorded = async () => (await service.services.store.readStream(stream)).at(-1)?.recordedAt ?? new Date(0);
    const tokens: Record<string, string> = {};

    /** Reads the public calendar and each booking's status at the instant the log has reached, once the read models show `slotStatus`. */
    async function seen(step: string, slotStatus: string): Promise<Seen> {
      const at = await lastRecorded();
      clock.set(at);
      let availability: Seen['availability'] | undefined;
      await expect.poll(async () => {
        const answer = await service.request('GET', `/api/public/availability?therapistId=${therapist.id}`);
        availability = answer.json as unknown as Seen['availability'];
        return availability.days?.find((d) => d.date === day)?.slots.find((s) => s.time === '10:00')?.status;
      }, { timeout: 20_000 }).toBe(slotStatus);
      const statuses: Record<string, string> = {};
      for (const [id, token] of Object.entries(tokens)) statuses[id] = String((await service.request('GET', `/api/public/bookings/${id}?token=${token}`)).json.status);
      live();
      return { step, at, availability: pick(availability), statuses };
    }
    const book = async (who: string) => {
      const booked = await service.request('POST', '/api/public/bookings', {
        body: { therapistId: therapist.id, patientName: who, patientEmail: `${who.toLowerCase()}@example.com`, patientPhone: `+54911${String(who.length).padStart(8, '4')}`, requestedDate: day, requestedTime: '10:00', paymentMethod: 'bank_transfer' },
      });
      expect(booked.status).toBe(201);
      tokens[String(booked.json.id)] = String(booked.json.patientToken);
      return String(booked.json.id);
    };

    // Given a therapist open every day 09:00–12:00
    const rules = [0, 1, 2, 3, 4, 5, 6].map((dayOfWeek) => ({ dayOfWeek, startTime: '09:00', endTime: '12:00' }));
    expect((await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules } })).status).toBe(200);
    const steps: Seen[] = [await seen('open', 'available')];
    // when a patient books 10:00, cancels it, and another patient books it again
    const first = await book('Primera');
    steps.push(await seen('booked', 'locked'));
    expect((await service.request('POST', `/api/public/bookings/${first}/cancel`, { body: { token: tokens[first] } })).status).toBe(200);
    steps.push(await seen('cancelled', 'available'));
    const second = await book('Segunda');
    steps.push(await seen('booked again', 'locked'));

    // then the calendar as of each of those instants is what the API answered then
    const asOf = async (at: Date) => service.request('GET', `/api/audit/therapists/${therapist.id}/calendar?asOf=${at.toISOString()}`, { token: auditor });
    for (const step of steps) {
      const view = await asOf(step.at);
      expect(view.status, step.step).toBe(200);
      expect(pick(view.json.availability as Seen['availability']), step.step).toEqual(step.availability);
      const bookings = view.json.bookings as { bookingId: string; status: string }[];
      expect(Object.fromEntries(bookings.map((b) => [b.bookingId, b.status])), step.step).toEqual(step.statuses);
    }
    expect(steps.map((s) => s.statuses)).toEqual([{}, { [first]: 'pending_payment' }, { [first]: 'cancelled' }, { [first]: 'cancelled', [second]: 'pending_payment' }]);
    const holds = await Promise.all(steps.map(async (s) => ((await asOf(s.at)).json.holds as { bookingId: string }[]).map((h) => h.bookingId)));
    expect(holds).toEqual([[], [first], [], [second]]);

    // The dispute: the instant before the second request was recorded, the slot was free.
    const requested = (await service.services.store.readStream(stream)).filter((e) => e.type === 'BookingRequested').map((e) => e.recordedAt);
    const justBefore = await asOf(new Date((requested[1]?.getTime() ?? 0) - 1));
    expect(slotAt(justBefore.json.availability as Seen['availability'], day, '10:00')).toBe('available');
    // No personal data in the answer: ids, times, statuses and amounts.
    for (const value of ['Primera', 'Segunda', 'primera@example.com']) expect(JSON.stringify(justBefore.body)).not.toContain(value);
    // Before the therapist was registered there was no calendar at all.
    const registered = (await service.services.store.readStream(stream, { maxCount: 1 }))[0]?.recordedAt.getTime() ?? 0;
    expect((await asOf(new Date(registered - 1))).json).toMatchObject({ status: 404, code: 'therapist_not_found' });
  });

  it('answers a missing or malformed instant, or a range the public calendar would refuse, with 400 field by field', async () => {
    const { service } = test;
    const therapist = await aTherapist(service.services);
    const auditor = (await issueAuditorToken(service.services.db, { name: 'Peritaje', therapistId: null, expiresAt: null })).token;
    const cases: [string, string][] = [['', 'asOf'], ['asOf=ayer', 'asOf'], ['asOf=2027-03-01T11:00:00Z&start=2027-03-01', 'end'], ['asOf=2027-03-01T11:00:00Z&start=2027-03-01&end=2027-06-01', 'end'], ['asOf=2027-03-01T11:00:00Z&start=2027-02-30&end=2027-03-01', 'start']];
    for (const [query, field] of cases) {
      const refused = await service.request('GET', `/api/audit/therapists/${therapist.id}/calendar?${query}`, { token: auditor });
      expect(refused.status, query).toBe(400);
      expect((refused.json.errors as { field: string }[]).map((e) => e.field), query).toContain(field);
    }
  });

});

function pick(answer: Seen['availability'] | undefined): Seen['availability'] {
  if (!answer) throw new Error('no availability answer');
  return { timezone: answer.timezone, start: answer.start, end: answer.end, days: answer.days };
}

function slotAt(answer: Seen['availability'], date: string, time: string): string | undefined {
  return answer.days.find((d) => d.date === date)?.slots.find((s) => s.time === time)?.status;
}
