import { z } from 'zod';
import type { EventOf } from '../../shared/event-of.js';
import { defineEvent } from '../../shared/event-codec.js';
import { currency, id, instant, money } from './event-fields.js';

export const therapistRegistered = defineEvent(
  'TherapistRegistered',
  z.object({
    therapistId: id,
    name: z.string(),
    slug: z.string(),
    email: z.string(),
    timezone: z.string(),
    sessionPrice: money,
    currency,
    registeredAt: instant,
  }),
);
export type TherapistRegistered = EventOf<typeof therapistRegistered>;
