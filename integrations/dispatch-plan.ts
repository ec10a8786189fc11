import type { TherapistEvent } from '../domain/therapist/therapist-events.js';

/**
 * What an event on a therapist stream asks of the outside world, as changes to the outbox
 * (app.integration_dispatches). Pure: the reactor applies these in the transaction that moves its
 * checkpoint, so a crash either did both or neither, and a replay changes nothing (keys are unique).
 *
 * Keys are the idempotency keys of the calls: one preference per booking, one calendar event per
 * session, one message per (session or booking, purpose, channel).
 */
export type DispatchKind = 'mp.preference' | 'mp.payment' | 'google.create' | 'google.patch' | 'google.delete' | 'message';

export const INTEGRATIONS = ['email', 'google', 'mercadopago', 'whatsapp'] as const;
export type Integration = (typeof INTEGRATIONS)[number];

export type MessagePurpose = 'booking_confirmed' | 'payment_reminder' | 'meet_link';

export interface Dispatch {
  readonly key: string;
  readonly integration: Integration;
  readonly kind: DispatchKind;
  readonly therapistId: string | null;
  readonly payload: DispatchPayload;
  readonly dueAt: Date;
}

export type DispatchPayload =
  | { readonly kind: 'mp.preference'; readonly reference: { readonly kind: 'booking' | 'session'; readonly id: string } }
  | { readonly kind: 'mp.payment'; readonly paymentId: string }
  | { readonly kind: 'google.create' | 'google.patch' | 'google.delete'; readonly sessionId: string }
  | { readonly kind: 'message'; readonly purpose: MessagePurpose; readonly channel: 'whatsapp' | 'email'; readonly sessionId: string | null; readonly bookingId: string | null };

export type OutboxChange =
  | { readonly op: 'insert'; readonly dispatch: Dispatch }
  /** Pending calls about a session move with it (reminders keep their distance to the start). */
  | { readonly op: 'reschedule'; readonly key: string; readonly dueAt: Date }
  /** Pending calls that no longer make sense (the session was cancelled, the request expired): never made. */
  | { readonly op: 'cancel'; readonly keys: readonly string[]; readonly reason: string };

const MINUTE = 60_000;
/**
 * Due at once, whatever the dispatcher's clock says: reminders are due at instants of the calendar's
 * own time (the injected clock), while "as soon as possible" must not depend on when the log recorded it.
 */
export const IMMEDIATELY = new Date(0);
/** Spec 4.4: the Meet link goes out this long before the session. */
export const MEET_LINK_LEAD_MS = 15 * MINUTE;
/** A single unpaid session is reminded this long before it starts. */
export const SINGLE_REMINDER_LEAD_MS = 24 * 60 * MINUTE;

export const keys = {
  bookingPreference: (bookingId: string) => `mercadopago:preference:booking:${bookingId}`,
  sessionPreference: (sessionId: string) => `mercadopago:preference:session:${sessionId}`,
  /** One per notification (Mercado Pago's x-request-id): a replayed one is the same row, a new one fetches again. */
  payment: (paymentId: string, requestId: string) => `mercadopago:payment:${paymentId}:${requestId}`,
  calendarCreate: (sessionId: string) => `google:create:${sessionId}`,
  /** One per move (its decision time): moving back to an earlier time is a new call, never a stale row. */
  calendarPatch: (sessionId: string, movedAt: string) => `google:patch:${sessionId}:${movedAt}`,
  calendarDelete: (sessionId: string) => `google:delete:${sessionId}`,
  message: (channel: 'whatsapp' | 'email', purpose: MessagePurpose, subjectId: string) => `${channel}:${purpose}:${subjectId}`,
} as const;

function message(therapistId: string, channel: 'whatsapp' | 'email', purpose: MessagePurpose, ids: { sessionId: string | null; bookingId: string | null }, dueAt: Date): OutboxChange {
  const subject = ids.bookingId ?? ids.sessionId ?? '';
  return {
    op: 'insert',
    dispatch: { key: keys.message(channel, purpose, subject), integration: channel, kind: 'message', therapistId, payload: { kind: 'message', purpose, channel, ...ids }, dueAt },
  };
}

function insert(therapistId: string, integration: Integration, key: string, payload: DispatchPayload, dueAt: Date): OutboxChange {
  return { op: 'insert', dispatch: { key, integration, kind: payload.kind, therapistId, payload, dueAt } };
}

/** Every pending call about a session, by key (what a cancellation or a move touches). */
function sessionKeys(sessionId: string): { meetLink: string; reminder: string; preference: string; create: string } {
  return {
    meetLink: keys.message('whatsapp', 'meet_link', sessionId),
    reminder: keys.message('whatsapp', 'payment_reminder', sessionId),
    preference: keys.sessionPreference(sessionId),
    create: keys.calendarCreate(sessionId),
  };
}

export function planFor(therapistId: string, event: PlannedEvent): OutboxChange[] {
  const now = IMMEDIATELY;
  switch (event.type) {
    case 'BookingRequested':
      return event.data.paymentMethod === 'mercadopago'
        ? [insert(therapistId, 'mercadopago', keys.bookingPreference(event.data.bookingId), { kind: 'mp.preference', reference: { kind: 'booking', id: event.data.bookingId } }, now)]
        : [];
    case 'BookingCancelled':
    case 'BookingExpired':
      return [{ op: 'cancel', keys: [keys.bookingPreference(event.data.bookingId)], reason: event.type === 'BookingCancelled' ? 'booking cancelled' : 'booking expired' }];
    case 'BookingConfirmed': {
      const ids = { sessionId: event.data.sessionId, bookingId: event.data.bookingId };
      return [message(therapistId, 'whatsapp', 'booking_confirmed', ids, now), message(therapistId, 'email', 'booking_confirmed', ids, now)];
    }
    case 'SessionScheduled': {
      const { sessionId, startsAt } = event.data;
      const start = Date.parse(startsAt);
      const changes: OutboxChange[] = [
        insert(therapistId, 'google', keys.calendarCreate(sessionId), { kind: 'google.create', sessionId }, now),
        message(therapistId, 'whatsapp', 'meet_link', { sessionId, bookingId: null }, new Date(start - MEET_LINK_LEAD_MS)),
      ];
      if (event.data.paymentStatus === 'pending' && event.data.price > 0) {
        // Spec 6.3 h: a recurring session gets its own payment link; a single unpaid one a reminder the day before.
        if (event.data.source === 'recurrence') changes.push(insert(therapistId, 'mercadopago', keys.sessionPreference(sessionId), { kind: 'mp.preference', reference: { kind: 'session', id: sessionId } }, now));
        else changes.push(message(therapistId, 'whatsapp', 'payment_reminder', { sessionId, bookingId: null }, new Date(start - SINGLE_REMINDER_LEAD_MS)));
      }
      return changes;
    }
    case 'PaymentReminderDue':
      return [message(therapistId, 'whatsapp', 'payment_reminder', { sessionId: event.data.sessionId, bookingId: null }, new Date(event.data.dueAt))];
    case 'SessionRescheduled': {
      const { sessionId, startsAt, rescheduledAt } = event.data;
      const start = Date.parse(startsAt);
      const own = sessionKeys(sessionId);
      return [
        insert(therapistId, 'google', keys.calendarPatch(sessionId, rescheduledAt), { kind: 'google.patch', sessionId }, now),
        { op: 'reschedule', key: own.meetLink, dueAt: new Date(start - MEET_LINK_LEAD_MS) },
        { op: 'reschedule', key: own.reminder, dueAt: new Date(start - SINGLE_REMINDER_LEAD_MS) },
      ];
    }
    case 'SessionPaymentReceived': {
      const own = sessionKeys(event.data.sessionId);
      return [{ op: 'cancel', keys: [own.reminder, own.preference], reason: 'session paid' }];
    }
    case 'SessionCancelled': {
      const own = sessionKeys(event.data.sessionId);
      return [
        { op: 'cancel', keys: [own.meetLink, own.reminder, own.preference, own.create], reason: 'session cancelled' },
        insert(therapistId, 'google', keys.calendarDelete(event.data.sessionId), { kind: 'google.delete', sessionId: event.data.sessionId }, now),
      ];
    }
  }
}

export const PLANNED_EVENT_TYPES = [
  'BookingRequested',
  'BookingCancelled',
  'BookingExpired',
  'BookingConfirmed',
  'SessionScheduled',
  'PaymentReminderDue',
  'SessionRescheduled',
  'SessionPaymentReceived',
  'SessionCancelled',
] as const satisfies readonly TherapistEvent['type'][];

/** The therapist events that ask something of the outside world. */
export type PlannedEvent = Extract<TherapistEvent, { type: (typeof PLANNED_EVENT_TYPES)[number] }>;
