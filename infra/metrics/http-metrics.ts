import type { RequestHandler } from 'express';
import type { Metrics } from './metrics.js';

/**
 * Times every request to its end. The route label is the pattern express matched
 * (`/api/bookings/:id/confirm`), never the URL itself: ids in paths would make a series per booking.
 * A request no route took (an unknown path, or one refused by a router-wide guard before its route)
 * is `unmatched`; one whose client went away before the answer was sent is `aborted`.
 */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const matched: unknown = req.route;
      const path = typeof matched === 'object' && matched !== null && 'path' in matched && typeof matched.path === 'string' ? matched.path : undefined;
      const statusClass = res.writableFinished ? `${Math.floor(res.statusCode / 100)}xx` : 'aborted';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ route: path === undefined ? 'unmatched' : `${req.baseUrl}${path}`, method: req.method, status_class: statusClass }, seconds);
    });
    next();
  };
}
