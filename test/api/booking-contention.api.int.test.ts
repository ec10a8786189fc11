import { describe, expect, it } from 'vitest';
import { MONDAY_8AM } from '../support/calendar-fixtures.js';
import { useTestService, type TestResponse } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

const NOW = MONDAY_8AM;

interface Slot {
  time: string;
  status: string;
}

describe('Booking under contention (real PostgreSQL, real HTTP)', () => {
  const given = useTestService({ now: NOW });

  const post = (body: unknown): Promise<TestResponse> => given.service.request('POST', '/api/public/bookings', { body });

  it('gives one slot to exactly one of 200 simultaneous requests; the rest get 409, none a 5xx', async () => {
    const therapist = await aTherapist(given.service.services);
    await given.service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] } });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post({ therapistId: therapist.id, patientName: `Paciente ${i}`, patientEmail: `p${i}@example.com`, patientPhone: `+54911${String(i).padStart(8, '0')}`, requestedDate: '2027-03-02', requestedTime: '10:00', paymentMethod: 'bank_transfer' }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    const events = await given.service.services.store.readStream(`therapist-${therapist.id}`);
    expect(events.filter((e) => e.type === 'BookingRequested')).toHaveLength(1);
  });

  it('books 200 different slots of one therapist at once: contention on the stream is absorbed, all 201', async () => {
    const therapist = await aTherapist(given.service.services);
    await given.service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [0, 1, 2, 3, 4, 5, 6].map((d) => ({ dayOfWeek: d, startTime: '08:00', endTime: '20:00' })) } });
    const slots: { date: string; time: string }[] = [];
    const calendar = await given.service.request('GET', `/api/public/availability?therapistId=${therapist.id}&start=2027-03-02&end=2027-03-25`);
    for (const day of calendar.json.days as { date: string; slots: Slot[] }[]) {
      for (const slot of day.slots) if (slot.status === 'available' && slots.length < 200) slots.push({ date: day.date, time: slot.time });
    }
    expect(slots).toHaveLength(200);
    const answers = await Promise.all(
      slots.map((slot, i) =>
        post({ therapistId: therapist.id, patientName: `Paciente ${i}`, patientEmail: `q${i}@example.com`, patientPhone: `+54922${String(i).padStart(8, '0')}`, requestedDate: slot.date, requestedTime: slot.time, paymentMethod: 'mercadopago' }),
      ),
    );
    expect(answers.map((a) => a.status).filter((s) => s !== 201)).toEqual([]);
  });
});
