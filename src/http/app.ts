import compression from 'compression';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { notFoundRoute, problemMiddleware } from '../../infra/http/problem.js';
import { requestContext } from '../../infra/http/request-context.js';
import { httpMetrics } from '../../infra/metrics/http-metrics.js';
import { metricsRoutes } from './metrics-routes.js';
import type { Services } from '../services.js';
import { apiDocsRoutes } from './api-docs-routes.js';
import { availabilityRoutes } from './availability-routes.js';
import { benchRoutes } from './bench-routes.js';
import { operationsRoutes } from './operations-routes.js';
import { patientRoutes } from './patient-routes.js';
import { publicAvailabilityRoutes } from './public-availability-routes.js';
import { publicBookingRoutes } from './public-booking-routes.js';
import { therapistBookingRoutes } from './therapist-booking-routes.js';
import { auditRoutes } from './audit-routes.js';
import { tokenRoutes } from './token-routes.js';
import { recurringRoutes } from './recurring-routes.js';
import { publicTherapistRoutes } from './public-therapist-routes.js';
import { webhookRoutes } from './webhook-routes.js';
import { integrationRoutes } from './integration-routes.js';
import { devCheckoutRoutes } from './dev-checkout-routes.js';
import { devGoogleRoutes } from './dev-google-routes.js';
import { LocalPaymentGateway } from '../../infra/integrations/local/local-payments.js';

export const COMPRESSION_THRESHOLD_BYTES = 1024;

/** The HTTP face of the service: one express app, every error through problem+json. */
export function createHttpApp(services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer, TRUST_PROXY names it: otherwise every client would share one rate-limit bucket.
  app.set('trust proxy', services.config.trustProxy);
  app.use(requestContext(services.logger));
  app.use(httpMetrics(services.metrics));
  // Spec 8.2: gzip where the client accepts it; below ~1 kB (an MTU) the header and CPU cost more than they save.
  app.use(compression({ threshold: COMPRESSION_THRESHOLD_BYTES }));
  // An API of JSON only: no page of ours is ever framed, sniffed or allowed to load anything.
  app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
  // Browsers of the public portal and the dashboard (CORS_ORIGINS) may call it; any other origin's may not.
  app.use(
    cors({
      origin: services.config.corsOrigins.length > 0 ? [...services.config.corsOrigins] : false,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id', 'Accept'],
      exposedHeaders: ['Location', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id', 'Idempotent-Replayed'],
      maxAge: 600,
    }),
  );
  // Strict: a body must be a JSON object or array; 100 kB is ten times the largest command.
  app.use(express.json({ limit: '100kb', strict: true }));
  app.use(operationsRoutes(services));
  app.use(apiDocsRoutes());
  app.use(metricsRoutes(services));
  app.use(publicTherapistRoutes(services));
  app.use(publicAvailabilityRoutes(services));
  app.use(availabilityRoutes(services));
  app.use(publicBookingRoutes(services));
  app.use(therapistBookingRoutes(services));
  app.use(patientRoutes(services));
  app.use(recurringRoutes(services));
  app.use(tokenRoutes(services));
  app.use(auditRoutes(services));
  app.use(webhookRoutes(services));
  app.use(integrationRoutes(services));
  const { payments, calendar } = services.integrations.gateways;
  // The local drivers' stand-ins for Mercado Pago's checkout and Google's consent page.
  if (payments instanceof LocalPaymentGateway) {
    app.use(
      devCheckoutRoutes({
        payments,
        // This very server, on the address the request reached: the local driver notifies the service that made the link.
        webhookUrl: (req) => `http://${req.socket.localFamily === 'IPv6' ? `[${req.socket.localAddress ?? '::1'}]` : (req.socket.localAddress ?? '127.0.0.1')}:${req.socket.localPort ?? services.config.port}/api/webhooks/mercadopago`,
        webhookSecret: services.integrations.mercadoPagoWebhookSecret,
        clock: services.clock,
      }),
    );
  }
  if (calendar.driver === 'local') app.use(devGoogleRoutes());
  if (services.config.benchEndpoints) app.use(benchRoutes());
  app.use(notFoundRoute);
  app.use(problemMiddleware(services.logger));
  return app;
}
