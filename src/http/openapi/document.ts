import { createRequire } from 'node:module';
import { z } from 'zod';
import { createDocument, type ZodOpenApiObject, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { openApiPath, type Access, type DocumentedRoute, type ProblemStatus } from './registry.js';
import { problemSchema } from './responses.js';
import { ACCESS_ROUTES } from './routes-access.js';
import { CALENDAR_ROUTES } from './routes-calendar.js';
import { PATIENT_ROUTES } from './routes-patients.js';
import { PUBLIC_ROUTES } from './routes-public.js';

/** Every route of the API, each with the schemas its handler parses. */
export const DOCUMENTED_ROUTES: readonly DocumentedRoute[] = [...PUBLIC_ROUTES, ...CALENDAR_ROUTES, ...PATIENT_ROUTES, ...ACCESS_ROUTES];

/** Routes the router answers that are not the API: the local drivers' stand-in pages, the benchmark's fixture. */
export const NOT_THE_API: readonly RegExp[] = [/^\/dev\//, /^\/__bench\//];

const SECURITY: Record<Access, Record<string, string[]>[]> = {
  public: [],
  ops: [],
  // An empty requirement first: without METRICS_TOKEN the scrape is open.
  metrics: [{}, { metricsToken: [] }],
  'patient-body': [],
  patient: [{ patientToken: [] }, { patientTokenQuery: [] }],
  therapist: [{ therapistToken: [] }],
  auditor: [{ auditorToken: [] }],
  mercadopago: [{ mercadoPagoSignature: [] }],
  twilio: [{ twilioSignature: [] }],
  google: [{ googleState: [] }],
};

const SECURITY_SCHEMES: NonNullable<ZodOpenApiObject['components']>['securitySchemes'] = {
  therapistToken: { type: 'http', scheme: 'bearer', bearerFormat: 'tk_…', description: "A therapist's API token (`npm run cli -- therapist create`, `POST /api/tokens`); only their own resources" },
  auditorToken: { type: 'http', scheme: 'bearer', bearerFormat: 'au_…', description: "An auditor's token (`npm run cli -- auditor token create`): the event history, read-only" },
  patientToken: { type: 'http', scheme: 'bearer', bearerFormat: 'pt_…', description: 'The patient token handed out with a booking; that booking only' },
  patientTokenQuery: { type: 'apiKey', in: 'query', name: 'token', description: 'The same patient token, as in the links sent to the patient' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when the operator set one' },
  mercadoPagoSignature: { type: 'apiKey', in: 'header', name: 'x-signature', description: "Mercado Pago's HMAC of the notification (with `x-request-id`), verified before anything else" },
  twilioSignature: { type: 'apiKey', in: 'header', name: 'X-Twilio-Signature', description: "Twilio's HMAC of the URL and the form parameters" },
  googleState: { type: 'apiKey', in: 'query', name: 'state', description: 'The OAuth state this service signed when the therapist asked to connect' },
};

const PROBLEM_TEXT: Record<ProblemStatus | 500, string> = {
  400: 'Malformed path, query or header, field by field',
  401: 'No valid credential',
  403: "A credential of another role, or for someone else's resource",
  404: "Not found (also for another therapist's resource)",
  409: 'Conflict: the state does not allow it (`code` says why)',
  410: 'Gone',
  422: 'The body breaks the field rules, field by field',
  429: 'Rate limited: retry after `Retry-After` seconds',
  500: 'Something went wrong on our side; no internals, the request id names it in our logs',
  502: 'A provider did not answer as it should',
  503: 'Not ready',
};

const rateLimitHeaders = z.object({
  'retry-after': z.string().meta({ description: 'Seconds until the window reopens' }),
  'ratelimit-limit': z.string(),
  'ratelimit-remaining': z.string(),
  'ratelimit-reset': z.string(),
});

/** The problems a route can answer: what its inputs and access imply, plus its own. */
function problemsOf(route: DocumentedRoute): ProblemStatus[] {
  const implied = new Set<ProblemStatus>(route.problems ?? []);
  if (route.params || route.query || route.headers) implied.add(400);
  // A body that cannot be read is a 400; one that breaks the field rules a 422.
  if (route.body) implied.add(400);
  if (route.body && route.bodyMedia === undefined) implied.add(422);
  if (SECURITY[route.access].length > 0) implied.add(401);
  if (route.access === 'therapist' || route.access === 'auditor' || route.access.startsWith('patient')) implied.add(403);
  if (route.limited) implied.add(429);
  return [...implied].sort((a, b) => a - b);
}

function responsesOf(route: DocumentedRoute): ZodOpenApiResponsesObject {
  const { ok } = route;
  const responses: ZodOpenApiResponsesObject = {
    [String(ok.status)]: {
      description: ok.description,
      ...(ok.schema || ok.media ? { content: { [ok.media ?? 'application/json']: ok.schema ? { schema: ok.schema } : {} } } : {}),
    },
  };
  for (const status of [...problemsOf(route), 500 as const]) {
    const schema = status === 409 && route.conflict ? z.union([route.conflict, problemSchema]) : problemSchema;
    responses[String(status) as `${4 | 5}${string}`] = {
      description: PROBLEM_TEXT[status],
      content: { 'application/problem+json': { schema } },
      ...(status === 429 ? { headers: rateLimitHeaders } : {}),
    };
  }
  return responses;
}

function operationOf(route: DocumentedRoute): ZodOpenApiOperationObject {
  const requestParams = {
    ...(route.params ? { path: route.params } : {}),
    ...(route.query ? { query: route.query } : {}),
    ...(route.headers ? { header: route.headers } : {}),
  };
  return {
    operationId: `${route.method}${openApiPath(route.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, next: string | undefined) => (next ?? '').toUpperCase())}`,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: SECURITY[route.access],
    ...(Object.keys(requestParams).length > 0 ? { requestParams } : {}),
    ...(route.body ? { requestBody: { required: true, content: { [route.bodyMedia ?? 'application/json']: { schema: route.body } } } } : {}),
    responses: responsesOf(route),
  };
}

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** The OpenAPI 3.1 document of the API, generated from the routes' own zod schemas. */
export function openApiDocument(routes: readonly DocumentedRoute[] = DOCUMENTED_ROUTES): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operationOf(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'PsicoPay scheduling API',
      version,
      description:
        'Therapists publish their availability, patients book and pay, sessions recur. JSON is camelCase; instants are UTC ISO-8601; dates and times of day are the therapist\'s local `YYYY-MM-DD` / `HH:MM`. Errors are `application/problem+json`.',
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    security: [],
    components: { securitySchemes: SECURITY_SCHEMES },
    paths,
  });
}
