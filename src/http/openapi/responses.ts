import { z } from 'zod';

/**
 * The answers the document describes. Request schemas are the routes' own; these describe what
 * comes back, for readers of the document only (the routes do not parse their own answers).
 */

const fieldIssue = z.object({ field: z.string(), message: z.string() });

/** RFC 9457 problem details, as infra/http/problem.ts writes them. */
export const problemSchema = z
  .looseObject({
    type: z.string().meta({ example: 'https://psicopay.com/problems/validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable, machine-readable: what a client switches on', example: 'validation_failed' }),
    instance: z.string().meta({ description: 'The path asked for' }),
    requestId: z.string().optional(),
    errors: z.array(fieldIssue).optional().meta({ description: 'Field by field, for 400 and 422' }),
  })
  .meta({ id: 'Problem', description: 'application/problem+json (RFC 9457); a conflict may carry extensions such as `alternatives`' });

const instant = z.iso.datetime().meta({ description: 'UTC, ISO-8601' });
const localDate = z.string().meta({ description: "The therapist's local date, YYYY-MM-DD", example: '2027-03-02' });
const localTime = z.string().meta({ description: "The therapist's local time of day, HH:MM", example: '11:00' });

export const slotSuggestion = z.object({ date: localDate, time: localTime, startsAt: instant }).meta({ id: 'SlotSuggestion' });

export const slotUnavailableProblem = problemSchema
  .extend({ requestedDate: localDate, requestedTime: localTime, alternatives: z.array(slotSuggestion).max(5) })
  .meta({ id: 'SlotUnavailableProblem', description: 'code `slot_unavailable`: the slot was taken; up to five nearest available slots instead' });

export const bookingRequested = z
  .object({
    id: z.uuid(),
    status: z.literal('pending_payment'),
    requestedDate: localDate,
    requestedTime: localTime,
    startsAt: instant,
    endsAt: instant,
    holdExpiresAt: instant.meta({ description: 'Until then the slot is held for this patient' }),
    expiresAt: instant.meta({ description: 'Unpaid by then, the request expires' }),
    priceAtBooking: z.number().meta({ description: 'ARS' }),
    currency: z.literal('ARS'),
    paymentMethod: z.enum(['mercadopago', 'bank_transfer']),
    patientToken: z.string().meta({ description: 'pt_… : shown once; lets the patient read and cancel this booking' }),
    paymentLink: z.url().nullable().meta({ description: 'The Mercado Pago checkout, for paymentMethod mercadopago' }),
  })
  .meta({ id: 'BookingRequested' });

export const publicBookingStatus = z
  .object({
    id: z.uuid(),
    status: z.enum(['pending_payment', 'payment_processing', 'confirmed', 'cancelled', 'expired']),
    therapist: z.object({ id: z.uuid(), name: z.string(), slug: z.string() }),
    requestedDate: localDate,
    requestedTime: localTime,
    startsAt: instant,
    endsAt: instant,
    durationMinutes: z.number().int(),
    priceAtBooking: z.number(),
    currency: z.string(),
    paymentMethod: z.string(),
    holdExpiresAt: instant,
    expiresAt: instant,
    sessionId: z.uuid().nullable(),
    paymentLink: z.url().nullable(),
    meetLink: z.url().nullable(),
  })
  .meta({ id: 'PublicBookingStatus', description: "The patient's own booking, nothing about anyone else" });

export const slotStatus = z.enum(['available', 'booked', 'locked', 'unavailable']);

export const availabilityAnswer = z
  .looseObject({
    days: z.array(z.looseObject({ date: localDate, slots: z.array(z.looseObject({ time: localTime, status: slotStatus })) })),
    freshness: z.looseObject({}).meta({ description: 'Projection position, calendar revision, whether the facts came from the cache' }),
  })
  .meta({ id: 'Availability' });

/** A JSON answer whose shape the summary tells; the routes' own tests pin it. */
export const jsonObject = z.looseObject({});
