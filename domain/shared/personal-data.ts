import { z } from 'zod';

/**
 * Personal data as events carry it: sealed (AES-256-GCM) under a per-subject data key kept in the
 * key store, outside the log. `keyId` names that key; destroying it (forgetting the patient) leaves
 * the ciphertext unreadable for good, while the rest of the event (dates, amounts) still replays.
 */
export const sealed = z.object({ keyId: z.uuid(), ciphertext: z.string().min(1) });
export type Sealed = z.infer<typeof sealed>;

/** What a booking request says about the person asking: sealed as one value. */
export const bookingContact = z.object({
  name: z.string(),
  /** Normalised: lower-case. */
  email: z.string(),
  /** Normalised: E.164. */
  phone: z.string(),
  reasonForConsultation: z.string().nullable(),
});
export type BookingContact = z.infer<typeof bookingContact>;

/**
 * A contact recorded before personal data was sealed (BookingRequested v1): still plaintext in the
 * log, which cannot be rewritten, so forgetting cannot reach it there (see the README).
 */
export const legacyContact = z.object({ legacy: bookingContact });

export const sealedContact = z.union([sealed, legacyContact]);
export type SealedContact = z.infer<typeof sealedContact>;

/** A patient's administrative profile (spec 5.2), sealed as one value under the patient's own key. */
export const patientProfile = z.object({
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string(),
  dateOfBirth: z.iso.date().nullable(),
  gender: z.string().nullable(),
  emergencyContactName: z.string().nullable(),
  emergencyContactPhone: z.string().nullable(),
  preferredContactMethod: z.enum(['whatsapp', 'email', 'phone', 'sms']),
  preferredLanguage: z.string(),
  occupation: z.string().nullable(),
  city: z.string().nullable(),
  referralSource: z.string().nullable(),
});
export type PatientProfile = z.infer<typeof patientProfile>;

/** A note's text, sealed. */
export const noteContent = z.object({ text: z.string() });

/** What the patient prefers (Appendix D "Patient Management", preferences), sealed as one value. */
export const patientPreferences = z.object({
  /** 0 = Sunday … 6 = Saturday. */
  preferredDays: z.array(z.number().int().min(0).max(6)),
  preferredTimeFrom: z.string().nullable(),
  preferredTimeTo: z.string().nullable(),
  preferredSessionMinutes: z.number().int().nullable(),
  preferredFrequency: z.enum(['weekly', 'biweekly', 'monthly']).nullable(),
  contactPreferences: z.string().nullable(),
  specialAccommodations: z.string().nullable(),
});
export type PatientPreferences = z.infer<typeof patientPreferences>;

/** Free text someone typed that may say anything about the patient (a cancellation's reason): sealed. */
export const textContent = z.object({ text: z.string() });
export const sealedText = z.union([sealed, z.object({ legacy: textContent })]);
export type SealedText = z.infer<typeof sealedText>;
