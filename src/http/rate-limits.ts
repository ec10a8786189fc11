import type { RequestHandler } from 'express';
import { auditorOf, therapistIdOf } from '../../infra/http/auth.js';
import { clientIp, rateLimit } from '../../infra/http/rate-limit.js';
import type { Services } from '../services.js';

const HOUR_MS = 3_600_000;

/** The spec's limits (8.1): per client IP on the public endpoints, per therapist on the dashboard API. */
export function rateLimits(services: Services): { publicBookings: RequestHandler; publicAvailability: RequestHandler; therapist: RequestHandler; auditor: RequestHandler } {
  const limits = services.config.rateLimits;
  const logger = services.logger;
  return {
    publicBookings: rateLimit(services.rateLimiter, { name: 'public-bookings', limit: limits.publicBookingsPerHour, windowMs: HOUR_MS, subject: clientIp }, logger),
    publicAvailability: rateLimit(services.rateLimiter, { name: 'public-availability', limit: limits.publicAvailabilityPerHour, windowMs: HOUR_MS, subject: clientIp }, logger),
    therapist: rateLimit(services.rateLimiter, { name: 'therapist', limit: limits.therapistPerHour, windowMs: HOUR_MS, subject: (_req, res) => therapistIdOf(res) }, logger),
    // Auditors page through the whole log: the dashboard's budget, per auditor.
    auditor: rateLimit(services.rateLimiter, { name: 'auditor', limit: limits.therapistPerHour, windowMs: HOUR_MS, subject: (_req, res) => auditorOf(res).id }, logger),
  };
}
