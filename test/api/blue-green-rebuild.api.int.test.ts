import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../projections/checkpoint-store.js';
import type { Projection, TableTarget } from '../../projections/projection.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { createProjections, decodeEvent } from '../../projections/registry.js';
import { rebuildUnderWay } from '../../projections/rebuild-lock.js';
import { MONDAY_8AM } from '../support/calendar-fixtures.js';
import { newestCommittedPosition } from '../support/log-position.js';
import { useTestService, type TestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

/** The week the queries look at, and the weekdays the commands book into (Monday 2027-03-01 is "now"). */
const WEEK = { start: '2027-03-08', end: '2027-03-12' };
const TIMES = ['09:00', '10:00', '11:00', '12:00', '14:00', '15:00', '16:00', '17:00'];
const bookingDates = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2027, 2, 15 + i))).filter((d) => d.getUTCDay() >= 1 && d.getUTCDay() <= 5).map((d) => d.toISOString().slice(0, 10));

/**
 * Rebuilds are blue/green (issue 15): the log is replayed into fresh tables while the API answers
 * from the current ones, then they are switched in at once. Every specification here compares the
 * read models with a reference built incrementally from the same log, by a runner of its own that
 * follows the service from the first event into the `reference` schema.
 */
describe('Blue/green rebuilds', () => {
  const running = useTestService({ now: MONDAY_8AM });
  let reference: ProjectionRunner;
  let liveTables: readonly string[];
  let service: TestService;

  beforeAll(async () => {
    service = running.service;
    const { db, keys } = service.services;
    const projections = createProjections({ open: (trx, values, schema) => keys.open(values, schema, trx) });
    liveTables = projections.flatMap((p) => p.tables);
    await db.raw('CREATE SCHEMA reference');
    for (const table of liveTables) await db.raw(`CREATE TABLE ${referenceOf(table)} (LIKE ${table} INCLUDING ALL)`);
    const toReference: TableTarget = referenceOf;
    const copies = projections.map((p): Projection => ({ ...p, name: `reference-${p.name}`, tables: p.tables.map(referenceOf), apply: (trx, events) => p.apply(trx, events, toReference) }));
    reference = new ProjectionRunner({ store: service.services.store, db, projections: copies, decode: decodeEvent, logger: pino({ level: 'silent' }) });
    await reference.start();
  });
  afterAll(async () => {
    await reference.stop();
  });

  /** Both the service's projections and the reference have reached the newest event; then their tables. */
  async function expectTablesEqualTheReference() {
    const head = await newestCommittedPosition(service.services.db);
    await service.services.projections.waitFor(head, { timeoutMs: 30_000 });
    await reference.waitFor(head, { timeoutMs: 30_000 });
    for (const table of liveTables) {
      const [live, built] = await Promise.all([rowsOf(service, table), rowsOf(service, referenceOf(table))]);
      expect({ table, rows: live }).toEqual({ table, rows: built });
    }
    const leftovers = await service.services.db.raw<{ rows: { name: string }[] }>("SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%' OR nspname LIKE 'retired\\_%'");
    expect({ leftovers: leftovers.rows, rebuilds: await service.services.db('projections.rebuilds').select('name') }).toEqual({ leftovers: [], rebuilds: [] });
  }

  it('rebuilds every projection while queries and commands run: no query fails or sees a partial model, and the tables equal the incremental ones', async () => {
    const calendar = await aBusyCalendar(service);
    const traffic = trafficAgainst(service, calendar);

    // The fresh tables are bulk-loaded: no keyed insert (an insert-or-ignore statement through knex) reaches them.
    const keyedIntoFresh: string[] = [];
    const listen = (query: { sql: string }) => {
      if (/^INSERT INTO rebuild_/.test(query.sql)) keyedIntoFresh.push(query.sql);
    };
    service.services.db.on('query', listen);
    const outcomes = [];
    try {
      for (const name of service.services.projections.names()) outcomes.push(await service.services.projections.rebuild(name, { batchSize: 7 }));
    } finally {
      service.services.db.off('query', listen);
    }
    const seen = await traffic.stop();
    expect(keyedIntoFresh).toEqual([]);

    expect(outcomes.map((o) => ({ name: o.name, version: o.version, resumed: o.resumedFrom }))).toEqual(service.services.projections.names().map((name) => ({ name, version: 1, resumed: null })));
    expect(seen.failures).toEqual([]);
    expect(seen.queries).toBeGreaterThan(20);
    expect(seen.bookings).toBeGreaterThan(0);
    await expectTablesEqualTheReference();
  });

  it('resumes a rebuild killed halfway: the same final tables, and the API served throughout', async () => {
    const calendar = await aBusyCalendar(service);
    const traffic = trafficAgainst(service, calendar);
    const { db } = service.services;
    // A rebuild replays the events of its projection's types, and counts those.
    const types = service.services.projections.definition('bookings')?.handles ?? [];
    const events = Number((await db.raw<{ rows: { n: string }[] }>('SELECT count(*) AS n FROM event_store.events WHERE event_type = ANY (?)', [[...types]])).rows[0]?.n);

    // Given a rebuild of the bookings in another process, killed once it has replayed half the log
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/rebuild-child.ts', service.services.databaseUrl, 'bookings', String(Math.floor(events / 2))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const said = await firstLine(child.stdout);
    expect(said).toMatch(/^halfway \d+$/);
    child.kill('SIGKILL');
    await exited;
    const interrupted = await db('projections.rebuilds').where({ name: 'bookings' }).first() as { events_handled: string; position_prepare: string } | undefined;
    expect(Number(interrupted?.events_handled)).toBeGreaterThanOrEqual(Math.floor(events / 2));
    await expect.poll(() => rebuildUnderWay(db, 'bookings'), { timeout: 10_000 }).toBe(false);

    // When it is run again, from the command line
    const cli = await runCli(service, ['projections', 'rebuild', 'bookings', '--batch-size', '5']);
    const seen = await traffic.stop();

    // Then it took up where it stopped, switched in the same tables a whole replay gives, and no query failed
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ rebuilt: [{ name: 'bookings', version: 1, resumed: true }] });
    expect(cli.stderr).toMatch(/rebuild bookings: replaying \d+% \(\d+ events, \d+ ev\/s.*, resumed\)/);
    expect(cli.stderr).toMatch(/rebuild bookings: switched 100%/);
    expect(seen.failures).toEqual([]);
    expect(seen.queries).toBeGreaterThan(5);
    await expectTablesEqualTheReference();
  });

  it('rebuilds a projection at start when its code version went up, while the previous tables keep serving', async () => {
    const calendar = await aBusyCalendar(service);
    const traffic = trafficAgainst(service, calendar);
    const { db, store, keys } = service.services;
    expect((await readCheckpoint(db, 'bookings')).version).toBe(1);

    // Given a process starting with bookings at version 2 (the others unchanged)
    const next = createProjections({ open: (trx, values, schema) => keys.open(values, schema, trx) }).map((p) => (p.name === 'bookings' ? { ...p, version: 2 } : p));
    const upgraded = new ProjectionRunner({ store, db, projections: next, decode: decodeEvent, logger: pino({ level: 'silent' }) });
    await upgraded.start();
    try {
      // Then it rebuilds bookings alone, and the checkpoint tells the new version
      await expect.poll(async () => (await readCheckpoint(db, 'bookings')).version, { timeout: 60_000 }).toBe(2);
      expect((await readCheckpoint(db, 'availability')).version).toBe(1);
      const seen = await traffic.stop();
      expect(seen.failures).toEqual([]);
      await expectTablesEqualTheReference();
    } finally {
      await upgraded.stop();
    }
  });
});

function referenceOf(table: string): string {
  return `reference.${table.split('.')[1] ?? table}`;
}

async function rowsOf(service: TestService, table: string): Promise<unknown[]> {
  const result = await service.services.db.raw<{ rows: { row: unknown }[] }>(`SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY to_jsonb(t)::text`);
  return result.rows.map((r) => r.row);
}

interface Calendar {
  readonly therapist: { id: string; token: string };
  /** Slots per day of WEEK, and how many are not available: what a whole model answers. */
  readonly slotsPerDay: readonly number[];
  readonly takenInWeek: number;
  readonly bookings: number;
  readonly patients: number;
}

/** A therapist open Monday to Friday, with bookings in WEEK, some confirmed (patients), a note and preferences. */
async function aBusyCalendar(service: TestService): Promise<Calendar> {
  const therapist = await aTherapist(service.services);
  const rules = [1, 2, 3, 4, 5].map((dayOfWeek) => ({ dayOfWeek, startTime: '09:00', endTime: '18:00' }));
  expect((await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules } })).status).toBe(200);
  let patients = 0;
  for (const [i, time] of TIMES.slice(0, 6).entries()) {
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingOf(therapist.id, `2027-03-${String(8 + (i % 5)).padStart(2, '0')}`, time, i) });
    expect({ status: booked.status, body: booked.body }).toMatchObject({ status: 201 });
    if (i % 2 === 0) {
      expect((await service.request('POST', `/api/bookings/${String(booked.json.id)}/confirm`, { token: therapist.token })).status).toBe(200);
      patients += 1;
    }
  }
  await expect.poll(async () => ((await service.request('GET', '/api/patients', { token: therapist.token })).json.patients as unknown[]).length, { timeout: 20_000 }).toBe(patients);
  const patientId = String(((await service.request('GET', '/api/patients', { token: therapist.token })).json.patients as { id: string }[])[0]?.id);
  expect((await service.request('POST', `/api/patients/${patientId}/notes`, { token: therapist.token, body: { content: 'Prefiere la tarde', pinned: true } })).status).toBe(201);
  expect((await service.request('PUT', `/api/patients/${patientId}/preferences`, { token: therapist.token, body: { customPrice: 12000 } })).status).toBe(200);
  const week = await availability(service, therapist.id);
  expect(week.status).toBe(200);
  return { therapist, ...weekFigures(week.json), bookings: 6, patients };
}

function bookingOf(therapistId: string, date: string, time: string, n: number) {
  return { therapistId, patientName: `Paciente ${n}`, patientEmail: `p${n}-${therapistId.slice(0, 8)}@example.com`, patientPhone: `+549110${String(n).padStart(7, '0')}`, requestedDate: date, requestedTime: time, paymentMethod: 'bank_transfer' };
}

const availability = (service: TestService, therapistId: string) => service.request('GET', `/api/public/availability?therapistId=${therapistId}&start=${WEEK.start}&end=${WEEK.end}`);

function weekFigures(json: Record<string, unknown>): { slotsPerDay: number[]; takenInWeek: number } {
  const days = json.days as { slots: { status: string }[] }[];
  return { slotsPerDay: days.map((d) => d.slots.length), takenInWeek: days.flatMap((d) => d.slots).filter((s) => s.status !== 'available').length };
}

/**
 * Queries (public availability, the therapist's bookings, patient search) and booking commands in a
 * loop until stopped; every answer that is not whole is a failure: a 4xx/5xx where a 200 was due, a
 * day with fewer slots, fewer taken slots, bookings or patients than the calendar had to begin with.
 */
function trafficAgainst(service: TestService, calendar: Calendar) {
  const failures: string[] = [];
  let [queries, bookings, running] = [0, 0, true];
  const { therapist } = calendar;
  const queryLoop = (async () => {
    while (running) {
      const week = await availability(service, therapist.id);
      if (week.status !== 200) failures.push(`availability ${week.status}`);
      else {
        const figures = weekFigures(week.json);
        if (JSON.stringify(figures.slotsPerDay) !== JSON.stringify(calendar.slotsPerDay)) failures.push(`slots per day ${JSON.stringify(figures.slotsPerDay)}`);
        if (figures.takenInWeek < calendar.takenInWeek) failures.push(`taken slots ${figures.takenInWeek}`);
      }
      const list = await service.request('GET', '/api/bookings?pageSize=1', { token: therapist.token });
      if (list.status !== 200 || Number(list.json.total) < calendar.bookings) failures.push(`bookings ${list.status} ${String(list.json.total)}`);
      const found = await service.request('GET', '/api/patients', { token: therapist.token });
      if (found.status !== 200 || (found.json.patients as unknown[]).length < calendar.patients) failures.push(`patients ${found.status}`);
      queries += 3;
    }
  })();
  const commandLoop = (async () => {
    for (let n = 100; running; n++) {
      const date = bookingDates[n % bookingDates.length] ?? WEEK.start;
      const booked = await service.request('POST', '/api/public/bookings', { body: bookingOf(therapist.id, date, TIMES[n % TIMES.length] ?? '09:00', n) });
      if (booked.status === 201) bookings += 1;
      else if (booked.status !== 409) failures.push(`booking ${booked.status}`);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await Promise.all([queryLoop, commandLoop]);
      return { failures, queries, bookings };
    },
  };
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input: stream });
  for await (const line of lines) return line;
  return '';
}

/** The real command line (`npm run cli -- …`) against the service's database. */
async function runCli(service: TestService, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: service.services.databaseUrl, LOG_LEVEL: 'warn' },
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}
