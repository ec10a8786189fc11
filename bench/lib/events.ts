import { createHash, randomUUID } from 'node:crypto';
import type { BookingPolicies } from '../../domain/availability/availability-types.js';
import { patientEventCodec, type PatientEvent } from '../../domain/patient/patient-events.js';
import { therapistEventCodec, type TherapistEvent } from '../../domain/therapist/therapist-events.js';
import type { EventMetadata, EventToAppend } from '../../infra/event-store/event-store.js';

/**
 * Events exactly as the service writes them (the domain's own types, at their current schema versions), so that the
 * service and the projections read the seeded history back through their zod schemas unchanged.
 */
const metadata: EventMetadata = { correlationId: randomUUID(), causationId: null, actor: { kind: 'system', job: 'bench' } };

/** Stamped by the stream's own codec, so each event carries its current schema version. */
export function envelope(event: TherapistEvent | PatientEvent): EventToAppend {
  const encoded = patientEventCodec.knows(event.type) ? patientEventCodec.encode(event as PatientEvent) : therapistEventCodec.encode(event as TherapistEvent);
  return { eventId: randomUUID(), ...encoded, metadata };
}

export const TIMEZONE = 'America/Argentina/Buenos_Aires';
const MINUTE_MS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** 50-minute sessions, 10 minutes before and 10 after: a 70-minute slot grid. */
export const BENCH_POLICIES: BookingPolicies = {
  sessionDurationMinutes: 50,
  bufferBeforeMinutes: 10,
  bufferAfterMinutes: 10,
  minAdvanceBookingHours: 2,
  maxAdvanceBookingDays: 60,
  timezone: TIMEZONE,
  slotStepMinutes: null,
};

export interface TherapistSeed {
  readonly id: string;
  readonly slug: string;
}

export function newTherapist(label: string): TherapistSeed {
  const id = randomUUID();
  return { id, slug: `${label}-${id.slice(0, 8)}` };
}

export function therapistStreamOf(therapist: TherapistSeed | string): string {
  return `therapist-${typeof therapist === 'string' ? therapist : therapist.id}`;
}

/** Registration, two blocks every day (09:00–13:00, 14:00–20:00) and the bench policies. */
export function openCalendar(t: TherapistSeed, registeredAtMs: number): EventToAppend[] {
  const rules = [0, 1, 2, 3, 4, 5, 6].flatMap((dayOfWeek) => [
    { ruleId: randomUUID(), dayOfWeek, startTime: '09:00', endTime: '13:00' },
    { ruleId: randomUUID(), dayOfWeek, startTime: '14:00', endTime: '20:00' },
  ]);
  return [
    envelope({
      type: 'TherapistRegistered',
      data: { therapistId: t.id, name: `Lic. ${t.slug}`, slug: t.slug, email: `${t.slug}@bench.example`, timezone: TIMEZONE, sessionPrice: 15000, currency: 'ARS', registeredAt: iso(registeredAtMs) },
    }),
    envelope({ type: 'WeeklyScheduleDefined', data: { rules } }),
    envelope({ type: 'BookingPoliciesChanged', data: BENCH_POLICIES }),
  ];
}

/** A blocking exception: all day, or a range of the day. */
export function exception(date: string, range?: { start: string; end: string }, isAvailable = false): EventToAppend {
  return envelope({
    type: 'AvailabilityExceptionAdded',
    data: {
      exceptionId: randomUUID(),
      date,
      allDay: !range,
      startTime: range?.start ?? null,
      endTime: range?.end ?? null,
      isAvailable,
      reason: isAvailable ? 'extra hours' : 'congress',
    },
  });
}

/** A session put straight on the calendar (no booking), optionally already completed. */
export function session(startsAtMs: number, options: { completed?: boolean; patientId?: string } = {}): EventToAppend[] {
  const sessionId = randomUUID();
  const events = [
    envelope({
      type: 'SessionScheduled',
      data: {
        sessionId,
        patientId: options.patientId ?? randomUUID(),
        bookingId: null,
        recurrenceId: null,
        startsAt: iso(startsAtMs),
        endsAt: iso(startsAtMs + 50 * MINUTE_MS),
        durationMinutes: 50,
        price: 15000,
        paymentStatus: 'paid',
        source: 'manual',
        occurrenceDate: null,
      },
    }),
  ];
  if (options.completed) events.push(envelope({ type: 'SessionCompleted', data: { sessionId, at: iso(startsAtMs + 50 * MINUTE_MS) } }));
  return events;
}

export type CycleOutcome = 'completed' | 'no_show' | 'expired' | 'cancelled';

/** A booking's whole life on the therapist stream, as the service would have written it. */
export function bookingCycle(startsAtMs: number, outcome: CycleOutcome, patientId: string): EventToAppend[] {
  const bookingId = randomUUID();
  const requestedAt = startsAtMs - 3 * 24 * 60 * MINUTE_MS;
  const date = iso(startsAtMs - 3 * 60 * MINUTE_MS).slice(0, 10);
  const requested = envelope({
    type: 'BookingRequested',
    data: {
      bookingId,
      contact: { legacy: { name: 'Paciente Bench', email: `${patientId.slice(0, 8)}@patients.example`, phone: '+5491112345678', reasonForConsultation: null } },
      isNewPatient: false,
      paymentMethod: 'bank_transfer',
      requestedDate: date,
      requestedTime: '10:00',
      startsAt: iso(startsAtMs),
      endsAt: iso(startsAtMs + 50 * MINUTE_MS),
      durationMinutes: 50,
      priceAtBooking: 15000,
      currency: 'ARS',
      holdExpiresAt: iso(requestedAt + 10 * MINUTE_MS),
      expiresAt: iso(requestedAt + 60 * MINUTE_MS),
      patientTokenHash: createHash('sha256').update(bookingId).digest('hex'),
      requestedAt: iso(requestedAt),
    },
  });
  if (outcome === 'expired') {
    return [
      requested,
      envelope({ type: 'BookingHoldExpired', data: { bookingId, expiredAt: iso(requestedAt + 10 * MINUTE_MS) } }),
      envelope({ type: 'BookingExpired', data: { bookingId, expiredAt: iso(requestedAt + 60 * MINUTE_MS), reason: 'unpaid' } }),
    ];
  }
  if (outcome === 'cancelled') {
    return [requested, envelope({ type: 'BookingCancelled', data: { bookingId, cancelledBy: 'patient', reason: null, cancelledAt: iso(requestedAt + 5 * MINUTE_MS) } })];
  }
  const sessionId = randomUUID();
  const paidAt = requestedAt + 5 * MINUTE_MS;
  const ended = iso(startsAtMs + 50 * MINUTE_MS);
  return [
    requested,
    envelope({ type: 'PaymentStarted', data: { bookingId, method: 'bank_transfer', reference: null, startedAt: iso(paidAt), paymentExpiresAt: iso(paidAt + 48 * 60 * MINUTE_MS) } }),
    envelope({ type: 'BookingConfirmed', data: { bookingId, sessionId, patientId, confirmedAt: iso(paidAt + MINUTE_MS) } }),
    envelope({
      type: 'SessionScheduled',
      data: { sessionId, patientId, bookingId, recurrenceId: null, startsAt: iso(startsAtMs), endsAt: ended, durationMinutes: 50, price: 15000, paymentStatus: 'paid', source: 'booking', occurrenceDate: null },
    }),
    outcome === 'completed' ? envelope({ type: 'SessionCompleted', data: { sessionId, at: ended } }) : envelope({ type: 'SessionMarkedNoShow', data: { sessionId, at: ended } }),
  ];
}

export function patientRegistered(patientId: string, therapistId: string, atMs: number): EventToAppend {
  return envelope({
    type: 'PatientRegistered',
    data: { patientId, therapistId, contact: { legacy: { name: 'Paciente Bench', email: `${patientId.slice(0, 8)}@patients.example`, phone: '+5491112345678', reasonForConsultation: null } }, bookingId: null, registeredAt: iso(atMs) },
  });
}

/** A BookingRequested for a future slot: the event a booking request appends, for raw-append baselines. */
export function bookingRequestedAt(startsAtMs: number, nowMs: number): EventToAppend {
  const bookingId = randomUUID();
  return envelope({
    type: 'BookingRequested',
    data: {
      bookingId,
      contact: { legacy: { name: 'Paciente Bench', email: 'bench@patients.example', phone: '+5491112345678', reasonForConsultation: null } },
      isNewPatient: true,
      paymentMethod: 'bank_transfer',
      requestedDate: iso(startsAtMs - 3 * 60 * MINUTE_MS).slice(0, 10),
      requestedTime: '10:00',
      startsAt: iso(startsAtMs),
      endsAt: iso(startsAtMs + 50 * MINUTE_MS),
      durationMinutes: 50,
      priceAtBooking: 15000,
      currency: 'ARS',
      holdExpiresAt: iso(nowMs + 10 * MINUTE_MS),
      expiresAt: iso(nowMs + 60 * MINUTE_MS),
      patientTokenHash: createHash('sha256').update(bookingId).digest('hex'),
      requestedAt: iso(nowMs),
    },
  });
}
