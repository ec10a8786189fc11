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

/** Structured JSON logs on stdout (or `destination`); one logger passed down, children per component. */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'psicopay-scheduling', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: safeError, error: safeError },
  };
  return destination ? pino(options, destination) : pino(options);
}
