import { randomUUID } from 'node:crypto';
import { bookingCycle, exception, newTherapist, openCalendar, patientRegistered, therapistStreamOf, type CycleOutcome, type TherapistSeed } from './events.js';
import type { StreamWrite } from './seed.js';
import type { EventToAppend } from '../../infra/event-store/event-store.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PATIENTS_PER_THERAPIST = 20;

/** 70% completed, 5% no-show, 15% expired unpaid, 10% cancelled: a plausible mix of booking lives. */
const OUTCOMES: readonly CycleOutcome[] = [
  ...Array<CycleOutcome>(14).fill('completed'),
  'no_show',
  'expired',
  'expired',
  'expired',
  'cancelled',
  'cancelled',
];

/** A local date `days` after now, as YYYY-MM-DD (UTC-3 is close enough for exception dates). */
export function dateFromNow(nowMs: number, days: number): string {
  return new Date(nowMs - 3 * HOUR_MS + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The events of one therapist's practice: calendar set up long ago, a few upcoming exceptions, and a
 * past of booking lives (about 4.4 events each) reaching up to yesterday, `target` events in all.
 */
export function practiceEvents(t: TherapistSeed, target: number, nowMs: number): EventToAppend[] {
  const cycles = Math.max(0, Math.round((target - 8) / 4.4));
  const firstMs = nowMs - (cycles + 2) * 8 * HOUR_MS;
  const events = openCalendar(t, firstMs);
  for (let day = 0; day < 5; day++) events.push(exception(dateFromNow(nowMs, 10 + day * 3)));
  const patients = Array.from({ length: PATIENTS_PER_THERAPIST }, () => randomUUID());
  for (let i = 0; i < cycles && events.length < target; i++) {
    const startsAt = firstMs + (i + 1) * 8 * HOUR_MS;
    events.push(...bookingCycle(startsAt, OUTCOMES[i % OUTCOMES.length] ?? 'completed', patients[i % patients.length] ?? randomUUID()));
  }
  return events;
}

/**
 * A busy store of about `total` events: `therapists` practices, each with its patients' streams.
 * Generated lazily, stream by stream, so a million events never sit in memory at once.
 */
export function* busyStore(total: number, therapists: number, nowMs: number): Generator<StreamWrite> {
  const perTherapist = Math.max(10, Math.floor(total / therapists) - PATIENTS_PER_THERAPIST);
  for (let i = 0; i < therapists; i++) {
    const t = newTherapist(`busy${i}`);
    yield { stream: therapistStreamOf(t), events: practiceEvents(t, perTherapist, nowMs) };
    for (let p = 0; p < PATIENTS_PER_THERAPIST; p++) {
      const patientId = randomUUID();
      yield { stream: `patient-${patientId}`, events: [patientRegistered(patientId, t.id, nowMs - 400 * DAY_MS)] };
    }
  }
}
