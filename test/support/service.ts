import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ManualClock, type Clock } from '../../infra/clock.js';
import type { Logger } from '../../infra/logging/logger.js';
import { loadConfig } from '../../src/config.js';
import { createHttpApp } from '../../src/http/app.js';
import { createServices, type Services } from '../../src/services.js';
import { createTestDatabase } from './database.js';

export interface TestService {
  readonly services: Services;
  readonly baseUrl: string;
  /** JSON request helper: returns status, headers and parsed body. */
  request(method: string, path: string, options?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  /** The body as a loosely typed record, for assertions. */
  readonly json: Record<string, unknown>;
  /** The request's method and path (query included), as sent. */
  readonly url: string;
}

/** The real service (real PostgreSQL, real HTTP on a loopback port) over a fresh database. */
export async function startTestService(options: { clock?: Clock; env?: Record<string, string>; databaseUrl?: string; logger?: Logger } = {}): Promise<TestService> {
  const database = options.databaseUrl ? undefined : await createTestDatabase('api');
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl ?? database?.url ?? '',
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_ENCRYPTION_KEY: process.env.DATA_ENCRYPTION_KEY ?? '',
    PATIENT_TOKEN_SECRET: process.env.PATIENT_TOKEN_SECRET ?? '',
    SCHEDULER_ENABLED: 'false',
    SEED_DEMO_THERAPIST: 'false',
    // Specifications send hundreds of requests from one address; the limits have their own.
    RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR: '0',
    RATE_LIMIT_PUBLIC_AVAILABILITY_PER_HOUR: '0',
    RATE_LIMIT_THERAPIST_PER_HOUR: '0',
    ...options.env,
  });
  const services = await createServices(config, { ...(options.clock ? { clock: options.clock } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  const server: Server = await new Promise((resolve) => {
    const s = createHttpApp(services).listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    services,
    baseUrl,
    request: (method, path, opts = {}) => request(baseUrl, method, path, opts),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await services.close();
      await database?.drop();
    },
  };
}

export async function request(baseUrl: string, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  const json = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return { status: response.status, headers: response.headers, body, json, url: `${method} ${path}` };
}

/**
 * The real service for the specifications of one file (or describe): started before them, closed
 * after, with a manual clock set back to `now` before each test, so no test depends on where
 * another left the clock. Read `service` inside tests and hooks.
 */
export function useTestService(options: { now?: string; env?: Record<string, string>; logger?: Logger } = {}): { readonly service: TestService; readonly clock: ManualClock } {
  const now = options.now ?? new Date().toISOString();
  const clock = new ManualClock(now);
  let running: TestService | undefined;
  beforeAll(async () => {
    running = await startTestService({ clock, ...(options.env ? { env: options.env } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  });
  afterAll(async () => {
    await running?.close();
  });
  beforeEach(() => clock.set(now));
  return {
    clock,
    get service() {
      if (!running) throw new Error('useTestService: read the service inside a test or hook');
      return running;
    },
  };
}
