import { pino, type DestinationStream, type Logger } from 'pino';
import { safeError } from './safe-error.js';

export type { Logger };

/**
 * Personal fields, wherever a log line might carry them (a request body, a booking, a patient), up
 * to three levels deep: censored before the line is written. Errors go through safeError, which keeps what failed and
 * where, never the values involved.
 */
const PERSONAL = [
  'patient', 'patientName', 'patientEmail', 'patientPhone', 'reasonForConsultation', 'name', 'email', 'phone', 'notes', 'body',
  'contact', 'profile', 'preferences', 'content', 'text', 'reason', 'emergencyContact', 'emergencyContactName', 'emergencyContactPhone', 'specialAccommodations', 'q',
];
const REDACT = [...PERSONAL, ...PERSONAL.map((field) => `*.${field}`), ...PERSONAL.map((field) => `*.*.${field}`), 'req.headers.authorization', 'headers.authorization'];

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// International numbers (the form contacts are kept in): the country code and last four digits stay.
const PHONE = /\+(\d{2})[\d\s().-]{4,}(\d{4})\b/g;

/** Masks e-mail addresses and phone numbers wherever they got into a line (a message, an error's text). */
export function maskContacts(line: string): string {
  return line.replace(EMAIL, '$1***@$2').replace(PHONE, '+$1******$2');
}

/** Structured JSON logs on stdout (or `destination`); one logger passed down, children per component. */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'psicopay-scheduling', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: safeError, error: safeError },
    hooks: { streamWrite: maskContacts },
  };
  return destination ? pino(options, destination) : pino(options);
}
