import { z } from 'zod';

/** Field schemas shared by the therapist stream's events: one definition of each JSON shape. */
export const instant = z.iso.datetime();
export const localDate = z.iso.date();
export const localTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
/** An interval's end may be midnight of the next day, written `24:00`. */
export const localEndTime = z.string().regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, 'HH:MM or 24:00');
export const id = z.string().min(1);
export const currency = z.literal('ARS');
export const paymentMethod = z.enum(['mercadopago', 'bank_transfer']);
export const cancelledBy = z.enum(['patient', 'therapist']);
export const money = z.number().nonnegative();
export const minutes = z.number().int().nonnegative();
