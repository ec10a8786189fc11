import { z } from 'zod';

/**
 * Free text from the public: trimmed, tags stripped (it is shown in dashboards and messages), control
 * characters dropped, bounded. Empty means absent.
 */
// Tabs and newlines stay; other C0 controls and DEL go.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function cleanText(max: number) {
  return z
    .string()
    .transform((value) => value.replace(/<[^>]*>/g, '').replace(CONTROL_CHARACTERS, '').trim())
    .pipe(z.string().max(max, `Must be at most ${max} characters`))
    .transform((value) => (value === '' ? null : value));
}

/** A calendar date this product can mean: 2000 to 2100 (beyond, instants stop fitting ISO years). */
export const localDateParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Must be a date YYYY-MM-DD')
  .refine((value) => value >= '2000-01-01' && value <= '2100-12-31', 'Must be a date between 2000-01-01 and 2100-12-31');

/** A UUID in the lower case stream names and read models use, whatever case it arrives in. */
export const uuidParam = (message: string) => z.uuid(message).transform((value) => value.toLowerCase());
export const idParam = z.string().trim().min(1).max(100);
