import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { bookingRequestBody } from '../../src/http/booking-input.js';
import { createHttpApp } from '../../src/http/app.js';
import { DOCUMENTED_ROUTES, NOT_THE_API, openApiDocument } from '../../src/http/openapi/document.js';
import { expressPath } from '../../src/http/openapi/registry.js';
import { configureBody } from '../../src/http/recurring-input.js';
import { routesOf } from '../support/route-catalogue.js';
import { useTestService } from '../support/service.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  readonly summary?: string;
  readonly tags?: readonly string[];
  readonly security?: readonly unknown[];
  readonly parameters?: readonly { readonly in: string; readonly name: string }[];
  readonly requestBody?: unknown;
  readonly responses?: Record<string, { readonly content?: Record<string, unknown> }>;
}
type Paths = Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;

// OpenAPI path templates may not differ by parameter name alone, so routes are compared by shape.
const shape = (method: string, path: string) => `${method.toUpperCase()} ${expressPath(path).replace(/:[A-Za-z_][A-Za-z0-9_]*/g, ':param')}`;
const operations = (paths: Paths) => Object.entries(paths).flatMap(([path, item]) => METHODS.flatMap((method) => (item[method] ? [{ path, method, operation: item[method] }] : [])));

/**
 * The API documentation (issue 15): one OpenAPI 3.1 document generated from the zod schemas the
 * routes validate with, served by the service, covering every route the router answers.
 */
describe('API documentation: /api/openapi.json and /api/docs', () => {
  const running = useTestService();

  it('documents every route the router answers, and no route it does not', () => {
    const routed = routesOf(createHttpApp(running.service.services))
      .filter((r) => !NOT_THE_API.some((pattern) => pattern.test(r.path)))
      .map((r) => shape(r.method, r.path));
    const documented = operations(openApiDocument().paths as Paths).map((o) => shape(o.method, o.path));
    expect(routed.filter((r) => !documented.includes(r)), 'routes without an entry in src/http/openapi/').toEqual([]);
    expect(documented.filter((d) => !routed.includes(d)), 'documented routes the router does not answer').toEqual([]);
    expect(new Set(documented).size, 'one entry per route').toBe(documented.length);
  });

  it('serves a valid OpenAPI 3.1 document, the one generated from the routes', async () => {
    const served = await running.service.request('GET', '/api/openapi.json');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(served.json).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const validator = new Validator();
    const verdict = await validator.validate(served.json);
    expect(verdict.errors, 'OpenAPI 3.1 schema violations').toBeUndefined();
    expect(verdict.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes each operation: summary, tag, security, every path parameter, a problem+json for failures', () => {
    const missing = operations(openApiDocument().paths as Paths).flatMap(({ path, method, operation }) => {
      const where = `${method.toUpperCase()} ${path}`;
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const failures = Object.entries(operation.responses ?? {}).filter(([status]) => status.startsWith('4') || status.startsWith('5'));
      return [
        ...(operation.summary ? [] : [`${where}: no summary`]),
        ...(operation.tags?.length ? [] : [`${where}: no tag`]),
        ...(operation.security ? [] : [`${where}: no security requirement`]),
        ...templated.filter((name) => !declared.includes(name ?? '')).map((name) => `${where}: path parameter ${name} without a schema`),
        ...failures.filter(([, r]) => !r.content?.['application/problem+json']).map(([status]) => `${where}: ${status} is not problem+json`),
        ...(failures.length ? [] : [`${where}: no failure documented`]),
      ];
    });
    expect(missing).toEqual([]);
  });

  it('takes the request schemas from the routes themselves, so the document cannot drift from what they accept', () => {
    const find = (method: string, path: string) => DOCUMENTED_ROUTES.find((r) => r.method === method && r.path === path);
    expect(find('post', '/api/public/bookings')?.body).toBe(bookingRequestBody);
    expect(find('post', '/api/recurring')?.body).toBe(configureBody);
    const booking = (openApiDocument().paths as Paths)['/api/public/bookings']?.post;
    expect(booking?.security).toEqual([]);
    expect(booking?.parameters).toEqual([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]);
    expect(booking?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { additionalProperties: false, required: expect.arrayContaining(['therapistId', 'patientName', 'requestedDate', 'paymentMethod']) as unknown } } },
    });
    expect(Object.keys(booking?.responses ?? {})).toEqual(expect.arrayContaining(['201', '409', '422', '429']));
  });

  it('names the credential each route takes: tk_ therapists, au_ auditors, pt_ patients, signed providers', () => {
    const paths = openApiDocument().paths as Paths;
    expect(paths['/api/bookings']?.get?.security).toEqual([{ therapistToken: [] }]);
    expect(paths['/api/audit/events']?.get?.security).toEqual([{ auditorToken: [] }]);
    expect(paths['/api/public/bookings/{id}']?.get?.security).toEqual([{ patientToken: [] }, { patientTokenQuery: [] }]);
    expect(paths['/api/webhooks/mercadopago']?.post?.security).toEqual([{ mercadoPagoSignature: [] }]);
    expect(paths['/api/public/availability']?.get?.security).toEqual([]);
  });

  it('serves the interactive reference from this service: its own scripts and styles only, under a CSP of its own', async () => {
    const page = await running.service.request('GET', '/api/docs', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(String(page.body)).not.toMatch(/https?:\/\//);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    for (const [asset, type] of [['swagger-ui-bundle.js', /javascript/], ['swagger-ui.css', /text\/css/], ['docs.js', /javascript/]] as const) {
      const served = await running.service.request('GET', `/api/docs/${asset}`);
      expect(served.status, asset).toBe(200);
      expect(served.headers.get('content-type'), asset).toMatch(type);
    }
    // The rest of the API keeps its CSP: nothing may load.
    expect((await running.service.request('GET', '/health')).headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers a file the reference does not have with 400 problem+json, never a file from elsewhere', async () => {
    for (const asset of ['index.html', '..%2Fpackage.json', 'swagger-ui-bundle.js.map', '%2e%2e%2f%2e%2e%2fpackage.json']) {
      const answer = await running.service.request('GET', `/api/docs/${asset}`);
      expect(answer.status, asset).toBe(400);
      expect(answer.headers.get('content-type'), asset).toMatch(/application\/problem\+json/);
      expect(answer.json.errors, asset).toEqual([expect.objectContaining({ field: 'asset' })]);
    }
  });
});
