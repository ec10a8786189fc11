import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MONDAY_8AM } from '../support/calendar-fixtures.js';
import { ROUTES, type Access, type RouteEntry } from '../support/route-catalogue.js';
import { useTestService, type TestResponse } from '../support/service.js';
import { aTenant, type Tenant } from '../support/tenant-world.js';
import { newestCommittedPosition } from '../support/log-position.js';

/**
 * Every command endpoint, fed what it must refuse: broken JSON, a field of the wrong type or an
 * impossible value, a field it does not take, an id that is no id. The answer is always a 4xx
 * problem+json naming what was wrong, and the event log (and the token table, which commands
 * outside the log write) stays exactly as it was. Hostile text that may legitimately be accepted
 * (HTML is stripped, SQL is just text) is tried separately, where only "never a 5xx" is promised.
 *
 * fast-check prints the seed, path and shrunk counterexample of a failure: replay it with
 * COMMAND_FUZZ_SEED=<seed> COMMAND_FUZZ_PATH=<path> and `-t '<the failing test's name>'`;
 * COMMAND_FUZZ_RUNS searches longer.
 */

const RUNS = Number(process.env.COMMAND_FUZZ_RUNS ?? 20);
const REPLAY = {
  ...(process.env.COMMAND_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.COMMAND_FUZZ_SEED) }),
  ...(process.env.COMMAND_FUZZ_PATH === undefined ? {} : { path: process.env.COMMAND_FUZZ_PATH }),
};
const FUZZED: ReadonlySet<Access> = new Set(['therapist', 'public', 'patient']);
const COMMANDS = ROUTES.filter((r) => r.method !== 'GET' && FUZZED.has(r.access));
const WITH_BODY = COMMANDS.filter((r) => r.body !== undefined);
const WITH_IDS = COMMANDS.filter((r) => r.path.includes('/:'));
const nameOf = (route: RouteEntry) => `${route.method} ${route.path}`;
const cases = (routes: readonly RouteEntry[]) => routes.map((r) => [nameOf(r), r] as const);

/** express.json's limit (app.ts). */
const BODY_LIMIT_BYTES = 100 * 1024;

type Path = readonly (string | number)[];
type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';

const kindOf = (value: unknown): Kind => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const kind = typeof value;
  if (kind === 'string' || kind === 'number' || kind === 'boolean') return kind;
  return 'object';
};

/** Every field of a body, nested ones and array elements included (`rules`, `rules.0`, `rules.0.startTime`). */
function fieldsOf(value: unknown, prefix: Path = []): Path[] {
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v: unknown, i) => [i, v])
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : [];
  return children.flatMap(([key, child]) => [[...prefix, key], ...fieldsOf(child, [...prefix, key])]);
}

function valueAt(body: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], body);
}

function withValueAt(body: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1] ?? ''] = value;
  return copy;
}

const dotted = (path: Path) => path.join('.');
/** `rules.0.startTime` → `rules.*.startTime`: what the tables of impossible values are keyed by. */
const pattern = (path: Path) => path.map((key) => (typeof key === 'number' ? '*' : key)).join('.');

// Values of each JSON kind; a field is given one of a kind other than its own. null is not among
// them: several fields take null for "none", so null is tried where acceptance is allowed.
const OF_KIND: Record<Exclude<Kind, 'null'>, fc.Arbitrary<unknown>> = {
  string: fc.string({ maxLength: 12 }),
  number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
  boolean: fc.boolean(),
  array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  object: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
};
const ofAnotherKind = (kind: Kind) => fc.oneof(...Object.entries(OF_KIND).filter(([k]) => k !== kind).map(([, arbitrary]) => arbitrary));
// Longer than any text field may be (5000 at most), shorter than the body limit.
const OVERLONG = 'a'.repeat(50_000);
// Over the 100 kB body limit on its own: refused with 413 before any handler reads it.
const OVERSIZED = 'x'.repeat(200_000);

const INVALID_DATES = fc.constantFrom('2027-02-30', '2027-13-01', '2027-00-10', '2027-02-29', '2027-04-31', '2027-3-9', '09/03/2027', '2027-03-09T10:00', '');
const INVALID_TIMES = fc.constantFrom('25:00', '9:5', '09:60', '24:01', '9:00', '0900', '09:00:00', '-1:00', '', 'noon');
const INVALID_ZONES = fc.constantFrom('Mars/Olympus', 'America/Atlantis', 'GMT+25', 'Europe/', '../../etc/passwd', 'America/Argentina/Buenos_Aires ', '');
const INVALID_EMAILS = fc.constantFrom('ana.example.com', 'ana@', '@example.com', 'ana gómez@example.com', '');
const INVALID_PHONES = fc.constantFrom('12345', '5491155550000', '+0541155550000', '+54 9 11 abc', '');
// Text that is empty once tags and blanks are stripped, where text is required.
const BLANK_TEXT = fc.constantFrom('', '   ', '<b></b>', '<p> </p>');
const INVALID_INSTANTS = fc.constantFrom('2020-01-01T00:00:00Z', 'tomorrow', '2027-13-01T00:00:00Z', '2027-03-02');

/** Values that are the right JSON type but impossible for the field, by field (pattern of its path). */
const IMPOSSIBLE: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  therapistId: fc.constantFrom('not-a-uuid', '1', "1' OR '1'='1", '00000000-0000-0000-0000-00000000000g'),
  requestedDate: INVALID_DATES,
  date: INVALID_DATES,
  requestedTime: INVALID_TIMES,
  'rules.*.startTime': INVALID_TIMES,
  'rules.*.endTime': INVALID_TIMES,
  'rules.*.dayOfWeek': fc.constantFrom(7, -1, 2.5, 1e9),
  'preferredDays.*': fc.constantFrom(7, -1, 2.5),
  patientEmail: INVALID_EMAILS,
  email: INVALID_EMAILS,
  patientPhone: INVALID_PHONES,
  phone: INVALID_PHONES,
  patientName: fc.oneof(BLANK_TEXT, fc.constant('A')),
  name: fc.oneof(BLANK_TEXT, fc.constant('<i>A</i>')),
  content: BLANK_TEXT,
  label: BLANK_TEXT,
  paymentMethod: fc.constantFrom('cash', 'BANK_TRANSFER', ''),
  type: fc.constantFrom('clinical', 'General', ''),
  token: fc.constantFrom('', 't'.repeat(201)),
  customPrice: fc.constantFrom(-1, 10_000_001),
  bufferAfterMinutes: fc.constantFrom(-1, 121, 2.5),
};

/** Fields the catalogue's valid body leaves out, with impossible values, by route. */
const IMPOSSIBLE_EXTRA: Readonly<Record<string, Readonly<Record<string, fc.Arbitrary<unknown>>>>> = {
  'PUT /api/availability/settings': { timezone: INVALID_ZONES, sessionDurationMinutes: fc.constantFrom(29, 31, 125, 60.5), slotStepMinutes: fc.constantFrom(0, 3, 245) },
  'POST /api/public/bookings': { isNewPatient: fc.constantFrom('yes', 1, 'true') },
  'POST /api/availability/exceptions': { allDay: fc.constantFrom('no', 0), isAvailable: fc.constantFrom('yes', 1) },
  'PUT /api/patients/:id': { dateOfBirth: fc.constantFrom('2027-02-30', '1899-12-31', '2030-01-01'), preferredLanguage: fc.constantFrom('spanish', 'ES_ar', '') },
  'POST /api/tokens': { expiresAt: INVALID_INSTANTS },
  'POST /api/tokens/:id/rotate': { expiresAt: INVALID_INSTANTS },
};

/** Names every plain object answers to, own property or not. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'hasOwnProperty'];

/** A field no body takes: prefixed so it never collides with one, or named after Object.prototype's own. */
const UNKNOWN_FIELD = fc.oneof(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/).map((name) => `x_${name}`), fc.constantFrom(...PROTOTYPE_NAMES, 'toString', 'valueOf'));

interface Refused extends fc.WithToStringMethod {
  /** The JSON text sent. */
  readonly text: string;
  /** The field the problem must name. */
  readonly field: string;
}

// A counterexample of 100 kB is reported by its start and length.
const refusedText = (text: string, field: string): Refused => ({
  text,
  field,
  [fc.toStringMethod]: () => `${field}: ${text.length > 400 ? `${text.slice(0, 400)}… (${text.length} characters)` : text}`,
});
const refused = (body: Record<string, unknown>, field: string): Refused => refusedText(JSON.stringify(body), field);

/** `depth` arrays or objects inside one another: JSON.parse reads 50 000 levels; a recursive walk does not. */
function nestedJson(depth: number, open: '[' | '{"a":'): string {
  return open === '[' ? '['.repeat(depth) + ']'.repeat(depth) : open.repeat(depth) + '1' + '}'.repeat(depth);
}
const NESTED = '@@nested@@';

/** A route's valid body, broken in exactly one place. */
function refusedBodies(route: RouteEntry, valid: Record<string, unknown>): fc.Arbitrary<Refused> {
  const fields = fieldsOf(valid);
  const wrongType = fields.map((path) => ofAnotherKind(kindOf(valueAt(valid, path))).map((value) => refused(withValueAt(valid, path, value), dotted(path))));
  const impossible = fields.flatMap((path) => {
    const values = IMPOSSIBLE[pattern(path)];
    return values ? [values.map((value) => refused(withValueAt(valid, path, value), dotted(path)))] : [];
  });
  const overlong = fields.filter((path) => kindOf(valueAt(valid, path)) === 'string').map((path) => fc.constant(refused(withValueAt(valid, path, OVERLONG), dotted(path))));
  const nested = fields.map((path) =>
    fc
      .tuple(fc.integer({ min: 1_000, max: 16_000 }), fc.constantFrom('[' as const, '{"a":' as const))
      .map(([depth, open]) => refusedText(JSON.stringify(withValueAt(valid, path, NESTED)).replace(JSON.stringify(NESTED), nestedJson(depth, open)), dotted(path))),
  );
  const extra = Object.entries(IMPOSSIBLE_EXTRA[nameOf(route)] ?? {}).map(([field, values]) => values.map((value) => refused({ ...valid, [field]: value }, field)));
  // A computed key is an own property even when it is `__proto__`, so it reaches the JSON text.
  const unknown = fc.tuple(UNKNOWN_FIELD, fc.jsonValue({ maxDepth: 1 })).map(([field, value]) => refused({ ...valid, [field]: value }, field));
  const oversized = fc.constant(refused({ ...valid, padding: OVERSIZED }, '(body)'));
  return fc.oneof(...wrongType, ...impossible, ...overlong, ...nested, ...extra, unknown, oversized);
}

/** What express.json refuses: not a JSON object or array (strict), once a byte-order mark is dropped. */
function notAJsonObject(text: string): boolean {
  if (text.length === 0) return false; // an empty body is read as {}
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return typeof value !== 'object' || value === null;
  } catch {
    return true;
  }
}

/** Text sent as application/json that is not a JSON object: mostly the route's own valid body, broken. */
function malformedJson(valid: string): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
      fc.constant(valid.replace(/}$/, ',}')),
      fc.tuple(fc.nat({ max: valid.length }), fc.constantFrom(...'{}[],:"\\')).map(([at, c]) => valid.slice(0, at) + c + valid.slice(at)),
      fc.constantFrom('{"a":}', '{"a"}', "{'a':1}", '{a:1}', '{"a":1 "b":2}', '[1,]', '{"a":NaN}', '{"a":undefined}', '{"a":1}}', '{"a":01}', '{"a":"\u0001"}', '/* c */{}', '{}//', '{"a":1,,"b":2}', '"{}"', 'null', 'true', '42', '["a"', '{"a":"b}'),
      fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }),
    )
    .filter(notAJsonObject);
}

/** A path segment that is no id of anything: not a UUID, unreadable, or not a segment at all. */
const NOT_AN_ID = fc.oneof(
  fc.constantFrom('not-a-uuid', '0', '-1', "1'%20OR%20'1'='1", 'null', '%00', '%20', '.', '..', '%2e%2e', '{id}', '00000000-0000-0000-0000-00000000000x', 'a'.repeat(300), '%E0%A4%A', '%ZZ'),
  fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).map(encodeURIComponent),
);

/** The route's url with the id in segment `index` (one of its `:params`) replaced by `id`. */
function withIdAt(route: RouteEntry, tenant: Tenant, index: number, id: string): string {
  const [path = '', query] = route.url(tenant).split('?');
  const segments = path.split('/');
  segments[index] = id;
  return segments.join('/') + (query === undefined ? '' : `?${query}`);
}
const idSegments = (route: RouteEntry) => route.path.split('/').flatMap((segment, i) => (segment.startsWith(':') ? [i] : []));

// Text a free-text field may accept (tags stripped, SQL just text): tried only for "never a 5xx".
const HOSTILE_TEXT = fc.constantFrom(
  "'; DROP TABLE read.patients; --",
  "1' OR '1'='1",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg/onload=alert(1)>',
  '${7*7}{{7*7}}',
  '../../etc/passwd',
  '\u0000',
  '\u202Egnp.exe',
  '🙂'.repeat(40),
);
const ANYTHING = fc.oneof({ arbitrary: HOSTILE_TEXT, weight: 3 }, fc.constant(null), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 30, unit: 'binary' }));

function issuesOf(response: TestResponse): { field: string; message: string }[] {
  const errors: unknown = response.json.errors;
  if (!Array.isArray(errors)) return [];
  return (errors as unknown[]).flatMap((e) => (typeof e === 'object' && e !== null && 'field' in e && 'message' in e && typeof e.field === 'string' && typeof e.message === 'string' ? [{ field: e.field, message: e.message }] : []));
}

function expectProblem(response: TestResponse, statuses: readonly number[]): void {
  expect(statuses, `${response.url} answered ${response.status}: ${JSON.stringify(response.body)?.slice(0, 500)}`).toContain(response.status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.json).toMatchObject({ status: response.status, type: expect.stringMatching(/^https:\/\/psicopay\.com\/problems\//) as unknown });
}

/** The problem names `field` (or a field inside it: `rules.0` for a broken `rules.0.startTime`). */
function expectNamed(response: TestResponse, field: string): void {
  const named = issuesOf(response).map((issue) => issue.field);
  expect(named.some((f) => f === field || f.startsWith(`${field}.`)), `${response.url} named ${JSON.stringify(named)}, not ${field}`).toBe(true);
}

describe('Command fuzzing: malformed input to every command endpoint is refused and writes nothing', () => {
  // The integrations' outcomes of the set-up's bookings would land in the log while a property runs:
  // "nothing is written" is about the command, so no reactor runs beside it.
  const running = useTestService({ now: MONDAY_8AM, env: { INTEGRATIONS_ENABLED: 'false' } });
  let a: Tenant;
  let b: Tenant;
  beforeAll(async () => {
    a = await aTenant(running.service, 'A');
    b = await aTenant(running.service, 'B');
  });

  const send = (route: RouteEntry, tenant: Tenant, url: string, body?: string | Record<string, unknown>): Promise<TestResponse> =>
    running.service.request(route.method, url, { ...(route.access === 'therapist' ? { token: tenant.token } : {}), ...(body !== undefined ? { body } : {}) });

  // Tokens live outside the event log; their table is part of what a refused command must not touch.
  const written = async () => {
    const { db } = running.service.services;
    const credentials: unknown = await db('app.therapist_credentials').select('id', 'revoked_at', 'expires_at').orderBy('id');
    return { head: await newestCommittedPosition(db), credentials };
  };
  /** Sends the request and checks that nothing was written, whatever the answer. */
  const refusedWithoutWriting = async (request: () => Promise<TestResponse>): Promise<TestResponse> => {
    const before = await written();
    const response = await request();
    expect(await written(), `${response.url} (${response.status}) changed the event log or the tokens`).toEqual(before);
    return response;
  };

  // it.each over an empty list would pass silently, so the selections are checked themselves.
  it('has command endpoints to fuzz: with bodies, and with ids in their paths', () => {
    expect(COMMANDS.map(nameOf)).toEqual(expect.arrayContaining(['POST /api/public/bookings', 'POST /api/public/bookings/:id/cancel', 'POST /api/bookings/:id/confirm', 'DELETE /api/tokens/:id']));
    expect(WITH_BODY.length).toBeGreaterThan(0);
    expect(WITH_IDS.length).toBeGreaterThan(0);
  });

  it.each(cases(COMMANDS))('%s: a body that is not a JSON object is a 400 naming (body), and nothing is written', async (_name, route) => {
    const valid = JSON.stringify(route.body?.(a) ?? {});
    await fc.assert(
      fc.asyncProperty(malformedJson(valid), async (text) => {
        const response = await refusedWithoutWriting(() => send(route, a, route.url(a), text));
        expectProblem(response, [400]);
        expect(response.json.code).toBe('bad_request');
        expectNamed(response, '(body)');
      }),
      { numRuns: RUNS, ...REPLAY },
    );
  });

  it.each(cases(WITH_BODY))('%s: a wrong type (thousands of levels deep too), an impossible value or an unknown field is a 422 naming it (413 over 100 kB), and nothing is written', async (_name, route) => {
    const valid = route.body?.(a) ?? {};
    await fc.assert(
      fc.asyncProperty(refusedBodies(route, valid), async ({ text, field }) => {
        const response = await refusedWithoutWriting(() => send(route, a, route.url(a), text));
        if (Buffer.byteLength(text) > BODY_LIMIT_BYTES) {
          expectProblem(response, [413]);
          return;
        }
        expectProblem(response, [422]);
        expectNamed(response, field);
      }),
      { numRuns: RUNS, ...REPLAY },
    );
  });

  it.each(cases(WITH_IDS))('%s: an id that is no id is a 4xx problem, and nothing is written', async (_name, route) => {
    const body = route.body?.(a);
    const segments = idSegments(route);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...segments), NOT_AN_ID, async (index, id) => {
        const response = await refusedWithoutWriting(() => send(route, a, withIdAt(route, a, index, id), body));
        // 422 only when dot segments fold the path onto another route (PUT …/notes/.. is PUT /api/patients/:id).
        expectProblem(response, [400, 404, 422]);
      }),
      // Always tried: a lookup by id in a plain object finds these on Object.prototype
      // (DELETE /api/availability/exceptions/__proto__ once appended a removal of nothing).
      { numRuns: RUNS, ...REPLAY, examples: segments.flatMap((index) => PROTOTYPE_NAMES.map((name): [number, string] => [index, name])) },
    );
  });

  it.each(cases(COMMANDS))('%s: hostile text, null or any JSON in any field is never a 5xx; what is accepted comes back without tags', async (_name, route) => {
    // Another tenant: these may legitimately be accepted, and change what they touch.
    const valid = route.body?.(b);
    const fields = fieldsOf(valid ?? {});
    // Mostly one field of a valid body; for routes that take none, any JSON object (which they ignore).
    const bodies: fc.Arbitrary<unknown> =
      valid && fields.length > 0
        ? fc.oneof({ arbitrary: fc.tuple(fc.constantFrom(...fields), ANYTHING).map(([path, value]) => withValueAt(valid, path, value)), weight: 4 }, ANYTHING)
        : fc.oneof({ arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), ANYTHING, { maxKeys: 3 }), weight: 4 }, ANYTHING);
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const response = await send(route, b, route.url(b), JSON.stringify(body));
        expect(response.status, `${response.url} answered ${response.status}: ${JSON.stringify(response.body)?.slice(0, 500)}`).toBeLessThan(500);
        if (response.status >= 400) expectProblem(response, [response.status]);
        else expect(JSON.stringify(response.body ?? '')).not.toMatch(/<script|<img|<svg/i);
      }),
      { numRuns: Math.ceil(RUNS * 0.75), ...REPLAY },
    );
  });
});
