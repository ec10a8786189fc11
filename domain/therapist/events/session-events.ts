import { z } from 'zod';
import type { EventOf } from '../../shared/event-of.js';
import { defineEvent } from '../../shared/event-codec.js';
import { sealedText } from '../../shared/personal-data.js';
import { legacyReason } from './booking-events.js';
import { cancelledBy, id, instant, localDate, minutes, money } from './event-fields.js';

export const sessionScheduled = defineEvent(
  'SessionScheduled',
  z.object({
    sessionId: id,
    patientId: id,
    bookingId: id.nullable(),
    recurrenceId: id.nullable(),
    startsAt: instant,
    endsAt: instant,
    durationMinutes: minutes,
    price: money,
    paymentStatus: z.enum(['paid', 'pending']),
    source: z.enum(['booking', 'recurrence', 'manual']),
    /** The recurrence's local date this session is the occurrence of (v2; null for other sources). */
    occurrenceDate: localDate.nullable(),
  }),
  { version: 2, upcasters: { 1: (data) => ({ ...(data as object), occurrenceDate: null }) } },
);
export type SessionScheduled = EventOf<typeof sessionScheduled>;

export const sessionCompleted = defineEvent('SessionCompleted', z.object({ sessionId: id, at: instant }));
export type SessionCompleted = EventOf<typeof sessionCompleted>;

export const sessionMarkedNoShow = defineEvent('SessionMarkedNoShow', z.object({ sessionId: id, at: instant }));
export type SessionMarkedNoShow = EventOf<typeof sessionMarkedNoShow>;

export const sessionCancelled = defineEvent(
  'SessionCancelled',
  z.object({ sessionId: id, cancelledBy, reason: sealedText.nullable(), cancelledAt: instant }),
  { version: 2, upcasters: { 1: legacyReason } },
);
export type SessionCancelled = EventOf<typeof sessionCancelled>;
