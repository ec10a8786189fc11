import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommandHandler } from '../../commands/command-handler.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec } from '../../domain/therapist/therapist-events.js';
import { bookingBody, MONDAY_8AM } from '../support/calendar-fixtures.js';
import { startTestService, useTestService, type TestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus' text exposition format, sample lines only. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
      return { name: match[1] ?? '', labels, value: Number(match[3]) };
    });
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

const TUESDAY_HOURS = Array.from({ length: 12 }, (_, i) => `${String(8 + i).padStart(2, '0')}:00`);
const WEEK = '/api/public/availability?start=2027-03-02&end=2027-03-08';
const metadata = { correlationId: 'another-process', causationId: null, actor: { kind: 'system', job: 'test' } } as const;

describe('GET /metrics: what ops scrape while the service works', () => {
  const running = useTestService({ now: MONDAY_8AM, env: { SCHEDULER_ENABLED: 'true' } });
  const scrape = async (service: TestService = running.service) => {
    const res = await fetch(`${service.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(await res.text());
  };

  it('shows, scraped during a burst of queries and bookings, latency by route pattern, commands by outcome, projection lag, cache hits and integration calls', async () => {
    const { service } = running;
    const therapist = await aTherapist(service.services);
    const rules = [2, 3].map((dayOfWeek) => ({ dayOfWeek, startTime: '08:00', endTime: '20:00' }));
    expect((await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules } })).status).toBe(200);
    const week = `${WEEK}&therapistId=${therapist.id}`;
    // The first query computes the answer, the next one is served from the cache.
    expect((await service.request('GET', week)).json.freshness).toMatchObject({ cached: false });
    expect((await service.request('GET', week)).json.freshness).toMatchObject({ cached: true });

    // When: 40 patients look at the week while 12 book different Tuesday slots, and ops scrape meanwhile.
    const [queries, bookings, scrapes] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, () => service.request('GET', week))),
      Promise.all(TUESDAY_HOURS.map((time, i) => service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, time, { patientPhone: `+54911000000${String(i).padStart(2, '0')}` }) }))),
      Promise.all(Array.from({ length: 3 }, () => scrape())),
    ]);
    expect(queries.map((r) => r.status)).toEqual(queries.map(() => 200));
    expect(bookings.map((r) => r.status)).toEqual(bookings.map(() => 201));
    expect(scrapes.every((samples) => samples.length > 0)).toBe(true);
    // A slot already taken, a Mercado Pago booking (its checkout link is an integration call), a path nobody serves.
    expect((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '08:00') })).json).toMatchObject({ code: 'slot_unavailable' });
    expect((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '09:00', { requestedDate: '2027-03-03', paymentMethod: 'mercadopago' }) })).status).toBe(201);
    expect((await service.request('GET', '/api/nothing-here')).status).toBe(404);

    // Then: the histograms are by route pattern, never by URL (no therapist id in any label).
    const samples = await scrape();
    const latency = (route: string, method: string, statusClass: string) =>
      total(samples, 'psicopay_http_request_duration_seconds_count', { route, method, status_class: statusClass });
    expect(latency('/api/public/availability', 'GET', '2xx')).toBeGreaterThanOrEqual(42);
    expect(latency('/api/public/bookings', 'POST', '2xx')).toBe(13);
    expect(latency('/api/public/bookings', 'POST', '4xx')).toBe(1);
    expect(latency('unmatched', 'GET', '4xx')).toBe(1);
    expect(total(samples, 'psicopay_http_request_duration_seconds_bucket', { route: '/api/public/availability', le: '+Inf' })).toBeGreaterThanOrEqual(42);
    expect(samples.filter((s) => Object.values(s.labels).some((v) => v.includes(therapist.id)))).toEqual([]);

    // Commands by outcome: accepted, and refused with the domain's code.
    const commands = (labels: Record<string, string>) => total(samples, 'psicopay_commands_total', { aggregate: 'therapist', ...labels });
    expect(commands({ command: 'RequestBooking', outcome: 'accepted' })).toBe(13);
    expect(commands({ command: 'RequestBooking', outcome: 'rejected', reason: 'slot_unavailable' })).toBe(1);
    expect(commands({ command: 'DefineAvailability', outcome: 'accepted' })).toBe(1);

    // Cache: the two lookups layers, and the share of queries that never reached the read models.
    expect(total(samples, 'psicopay_availability_cache_lookups_total', { layer: 'answers', outcome: 'hit' })).toBeGreaterThanOrEqual(1);
    expect(total(samples, 'psicopay_availability_cache_lookups_total', { layer: 'facts', outcome: 'miss' })).toBeGreaterThanOrEqual(1);
    const ratio = total(samples, 'psicopay_availability_cache_hit_ratio');
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);

    // Lag of every projection this process runs, and of the integrations' reactor, collected at scrape time.
    const projections = await service.services.projections.status();
    for (const p of projections) {
      expect(samples.some((s) => s.name === 'psicopay_projection_lag' && s.labels.projection === p.name && s.labels.kind === 'projection'), p.name).toBe(true);
      expect(total(samples, 'psicopay_projection_state', { projection: p.name, state: 'running' }), p.name).toBe(1);
    }
    expect(samples.some((s) => s.name === 'psicopay_projection_lag' && s.labels.kind === 'reactor')).toBe(true);

    // The checkout link was a call to Mercado Pago (its local driver); the scheduler's heartbeat a job run.
    await expect.poll(async () => total(await scrape(), 'psicopay_integration_calls_total', { integration: 'mercadopago', kind: 'mp.preference', outcome: 'done' }), { timeout: 15_000 }).toBe(1);
    await expect.poll(async () => total(await scrape(), 'psicopay_job_duration_seconds_count', { job: 'heartbeat' }), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(total(await scrape(), 'psicopay_job_runs_total', { job: 'heartbeat', outcome: 'succeeded' })).toBeGreaterThanOrEqual(1);
  });

  it('counts a command that lost a race to another process as a conflict retry, and answers it all the same', async () => {
    const { service } = running;
    const therapist = await aTherapist(service.services);
    const rules = [{ dayOfWeek: 2, startTime: '08:00', endTime: '20:00' }];
    expect((await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules } })).status).toBe(200);
    const retries = async () => total(await scrape(), 'psicopay_command_conflict_retries_total', { aggregate: 'therapist', command: 'RequestBooking' });
    const before = await retries();

    // Given: another process changed the calendar (it opened an hour more) behind the state this one holds in memory.
    const otherProcess = new CommandHandler(service.services.store, therapistDecider, therapistEventCodec);
    await otherProcess.handle(`therapist-${therapist.id}`, { type: 'DefineAvailability', rules: [{ ruleId: randomUUID(), dayOfWeek: 2, startTime: '08:00', endTime: '21:00' }] }, metadata);

    // When: a patient books through this process.
    expect((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') })).status).toBe(201);
    expect(await retries()).toBe(before + 1);
  });

  it('asks for the bearer token when METRICS_TOKEN is set, and answers problem+json without it', async () => {
    const guarded = await startTestService({ env: { METRICS_TOKEN: 'metrics-token-for-the-specification' } });
    try {
      const refused = await guarded.request('GET', '/metrics');
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(refused.json).toMatchObject({ code: 'unauthorized' });
      expect((await guarded.request('GET', '/metrics', { token: 'a-wrong-token-of-some-length' })).status).toBe(401);
      const allowed = await guarded.request('GET', '/metrics', { token: 'metrics-token-for-the-specification' });
      expect(allowed.status).toBe(200);
      expect(String(allowed.body)).toContain('# TYPE psicopay_http_request_duration_seconds histogram');
    } finally {
      await guarded.close();
    }
  });
});
