import { isValidTimeZone } from '../domain/availability/time.js';
import { z } from 'zod';

/** A therapist's public slug: lower-case letters, digits and inner dashes, at most 64 characters. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** What registering a therapist takes, from the CLI (and later an admin API). */
export const therapistInput = (defaultTimezone: string) =>
  z.object({
    name: z.string().trim().min(2, 'must have at least 2 characters').max(200),
    slug: z.string().trim().regex(SLUG_PATTERN, 'must be lower-case letters, digits and dashes (e.g. dra-maria)'),
    email: z.string().trim().toLowerCase().email('must be a valid e-mail address'),
    timezone: z.string().default(defaultTimezone).refine((zone) => isValidTimeZone(zone), 'must be an IANA time zone such as America/Argentina/Buenos_Aires'),
    sessionPrice: z.coerce.number().positive('must be a positive amount in ARS').max(10_000_000).default(15000),
  });
