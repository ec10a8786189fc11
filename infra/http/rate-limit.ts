import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import { sendProblem } from './problem.js';

export interface RateLimitRule {
  /** Names the counter, e.g. `public-bookings`. */
  readonly name: string;
  /** Hits allowed per window; 0 turns the rule off. */
  readonly limit: number;
  readonly windowMs: number;
  /** Whom the limit is per: the client IP, or the authenticated therapist. */
  readonly subject: (req: Request, res: Response) => string;
}

/**
 * Answers 429 problem+json with Retry-After once `limit` hits happened in the window (spec 8.1), and
 * tells every client where it stands (RateLimit-Limit / -Remaining / -Reset). A limiter that fails
 * lets the request through: losing the count is better than refusing patients.
 */
export function rateLimit(limiter: RateLimiter, rule: RateLimitRule, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    if (rule.limit <= 0) {
      next();
      return;
    }
    let result: { count: number; resetAtMs: number };
    try {
      result = await limiter.hit(`${rule.name}:${rule.subject(req, res)}`, rule.windowMs);
    } catch (error) {
      logger.warn({ err: error, rule: rule.name }, 'rate limiter unavailable; letting the request through');
      next();
      return;
    }
    const resetSeconds = Math.max(1, Math.ceil((result.resetAtMs - Date.now()) / 1000));
    res.setHeader('RateLimit-Limit', String(rule.limit));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, rule.limit - result.count)));
    res.setHeader('RateLimit-Reset', String(resetSeconds));
    if (result.count <= rule.limit) {
      next();
      return;
    }
    res.setHeader('Retry-After', String(resetSeconds));
    sendProblem(req, res, {
      type: 'https://psicopay.com/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: `At most ${rule.limit} requests per ${Math.round(rule.windowMs / 60_000)} minutes here; try again in ${resetSeconds} s`,
      code: 'rate_limited',
    });
  };
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
