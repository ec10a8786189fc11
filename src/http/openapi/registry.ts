import type { z } from 'zod';
import type { ZodObjectInput } from 'zod-openapi';

/**
 * Who may call a documented route, as the security schemes of the document name it: the three
 * bearer roles by their token prefixes, and the providers' signed callbacks. `patient-body`: the
 * patient token travels as a field of the body (the cancellation), so the body schema documents it.
 * `metrics`: open, or a bearer METRICS_TOKEN when the operator set one.
 */
export type Access = 'public' | 'patient' | 'patient-body' | 'therapist' | 'auditor' | 'ops' | 'metrics' | 'mercadopago' | 'twilio' | 'google';

export type Method = 'get' | 'post' | 'put' | 'delete';

export type Tag =
  | 'public'
  | 'patient'
  | 'availability'
  | 'bookings'
  | 'sessions'
  | 'patients'
  | 'recurring'
  | 'notifications'
  | 'tokens'
  | 'integrations'
  | 'webhooks'
  | 'audit'
  | 'operations'
  | 'documentation';

/** Problems a route answers besides those its inputs and access imply. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 410 | 422 | 429 | 502 | 503;

export interface Answer {
  readonly status: 200 | 201 | 204 | 302 | 303;
  readonly description: string;
  /** Defaults to application/json when a schema is given. */
  readonly media?: string;
  readonly schema?: z.ZodType;
}

/**
 * One route of the API as the document shows it. The schemas are the very ones the route parses
 * its request with, so the document cannot drift from what the route accepts.
 */
export interface DocumentedRoute {
  readonly method: Method;
  /** The path as express declares it (`/api/bookings/:id`). */
  readonly path: string;
  readonly tag: Tag;
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  /** Behind a per-client or per-caller rate limit (429 with Retry-After). */
  readonly limited?: boolean;
  readonly params?: ZodObjectInput;
  readonly query?: ZodObjectInput;
  readonly headers?: ZodObjectInput;
  readonly body?: z.ZodType;
  readonly bodyMedia?: 'application/json' | 'application/x-www-form-urlencoded';
  readonly ok: Answer;
  readonly problems?: readonly ProblemStatus[];
  /** The 409's own problem, when it carries more than the common fields (alternatives). */
  readonly conflict?: z.ZodType;
}

/** `/api/bookings/:id` → `/api/bookings/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** `/api/bookings/{id}` → `/api/bookings/:id`. */
export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

type Details = Omit<DocumentedRoute, 'method' | 'path' | 'tag' | 'summary' | 'access' | 'limited' | 'ok'> & { readonly ok?: Answer };

/** A route of the therapist's dashboard API: a tk_ bearer token, limited per therapist. */
export function therapistRoute(method: Method, path: string, tag: Tag, summary: string, details: Details = {}): DocumentedRoute {
  return { method, path, tag, summary, access: 'therapist', limited: true, ok: { status: 200, description: 'Done' }, ...details };
}
