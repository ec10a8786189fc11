import { isIP } from 'node:net';
import { isKey, KEY_FORMAT } from '../infra/crypto/master-key.js';
import path from 'node:path';
import { isValidTimeZone } from '../domain/availability/time.js';
import { z } from 'zod';
import { parsePatientTokenKeys } from '../commands/patient-tokens.js';
import { loadIntegrationConfig } from './integration-config.js';

/**
 * Everything the service reads from the environment, validated once at start. Unset external
 * URLs mean "embedded default": embedded PostgreSQL under DATA_DIR, PostgreSQL event store,
 * Agenda on PostgreSQL, in-process cache.
 */
const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/**
 * Express's `trust proxy`: whose X-Forwarded-For to believe for the client's address (what rate
 * limits count by). `true`/`false`, a number of hops, or a comma-separated list of addresses, CIDR
 * ranges and the names loopback, linklocal, uniquelocal.
 */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyEntry = (entry: string) => {
  if (PROXY_NAMES.has(entry) || isIP(entry) !== 0) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  return rest.length === 0 && version !== 0 && bits !== undefined && /^\d+$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
};
const trustProxy = z
  .string()
  .trim()
  .refine(
    (value) => value === 'true' || value === 'false' || /^\d{1,2}$/.test(value) || value.split(',').every((entry) => isProxyEntry(entry.trim())),
    'must be true, false, a number of proxy hops, or a comma-separated list of IP addresses, CIDR ranges, loopback, linklocal or uniquelocal',
  )
  .transform((value): boolean | number | string => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value.split(',').map((e) => e.trim()).join(',')));

const PATIENT_TOKEN_KEY_FORMAT = 'must be keyId:secret[,keyId:secret…] (key ids of letters, digits and dashes; secrets of at least 32 characters, e.g. from: openssl rand -base64 32)';

function isPatientTokenKeyRing(value: string): boolean {
  const keys = parsePatientTokenKeys(value);
  return keys.length > 0 && keys.every((k) => /^[A-Za-z0-9-]{1,32}$/.test(k.id) && k.secret.length >= 32) && new Set(keys.map((k) => k.id)).size === keys.length;
}

function isOrigin(value: string): boolean {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.origin === value;
  } catch {
    return false;
  }
}

const positiveInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const environment = z.object({
  PORT: positiveInt(0, 65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  TRUST_PROXY: trustProxy.default('loopback'),
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  EVENTSTORE_URL: url(['esdb:', 'esdb+discover:', 'kurrentdb:', 'kurrentdb+discover:', 'kurrent:', 'kurrent+discover:']).optional(),
  MONGODB_URL: url(['mongodb:', 'mongodb+srv:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  // 32 bytes, base64: wraps every data key. Unset: a generated one kept in DATA_DIR/secrets.
  DATA_ENCRYPTION_KEY: z.string().trim().refine(isKey, KEY_FORMAT).optional(),
  // Keys patient tokens are signed with: `keyId:secret[,keyId:secret…]`, the first signs (see patient-tokens.ts). Unset: generated in DATA_DIR/secrets.
  PATIENT_TOKEN_SECRET: z.string().trim().refine(isPatientTokenKeyRing, PATIENT_TOKEN_KEY_FORMAT).optional(),
  // A patient's link stops working this long after the session ends.
  PATIENT_TOKEN_HOURS_AFTER_SESSION: positiveInt(1, 24 * 365).default(24),
  // Origins (scheme://host[:port]) whose browsers may call the API: the public portal and the dashboard.
  CORS_ORIGINS: z.string().trim().refine((value) => value.split(',').every((o) => isOrigin(o.trim())), 'must be a comma-separated list of origins such as https://app.psicopay.com.ar').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEFAULT_TIMEZONE: z
    .string()
    .default('America/Argentina/Buenos_Aires')
    .refine((zone) => isValidTimeZone(zone), 'must be an IANA time zone such as America/Argentina/Buenos_Aires'),
  BOOKING_SOFT_LOCK_MINUTES: positiveInt(1, 120).default(10),
  BOOKING_EXPIRATION_MINUTES: positiveInt(5, 24 * 60).default(60),
  // A started payment that never completes frees its slot after this long (and never after the session's notice).
  BOOKING_PAYMENT_TIMEOUT_HOURS: positiveInt(1, 30 * 24).default(48),
  // BR-RS-001: recurring sessions are generated this many days ahead.
  RECURRING_ADVANCE_GENERATION_DAYS: positiveInt(1, 60).default(7),
  REDIS_TTL_AVAILABILITY: positiveInt(1, 86_400).default(900),
  DATABASE_CONNECTION_POOL_MAX: positiveInt(2, 200).default(20),
  SEED_DEMO_THERAPIST: flag.default(true),
  SCHEDULER_ENABLED: flag.default(true),
  PROJECTIONS_ENABLED: flag.default(true),
  BENCH_ENDPOINTS: flag.default(false),
  // Bearer token GET /metrics asks for; unset, /metrics is open like /ready (keep the port off the internet).
  METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters (e.g. from: openssl rand -base64 24)').optional(),
  AVAILABILITY_CACHE_ENABLED: flag.default(true),
  // Spec 8.1; 0 turns a limit off.
  RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR: positiveInt(0, 1_000_000).default(100),
  RATE_LIMIT_PUBLIC_AVAILABILITY_PER_HOUR: positiveInt(0, 1_000_000).default(300),
  RATE_LIMIT_THERAPIST_PER_HOUR: positiveInt(0, 1_000_000).default(1000),
});

export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  // Empty strings in an env file mean "unset", not "invalid".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environment.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const integrations = loadIntegrationConfig(cleaned as Record<string, string>, e.PORT);
  if (!integrations.config) throw new ConfigError(`Invalid configuration: ${integrations.problems.join('; ')}`);
  if (e.BOOKING_SOFT_LOCK_MINUTES > e.BOOKING_EXPIRATION_MINUTES) {
    throw new ConfigError('Invalid configuration: BOOKING_SOFT_LOCK_MINUTES must not exceed BOOKING_EXPIRATION_MINUTES (a hold cannot outlive its request)');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    trustProxy: e.TRUST_PROXY,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    eventStoreUrl: e.EVENTSTORE_URL,
    mongodbUrl: e.MONGODB_URL,
    redisUrl: e.REDIS_URL,
    dataEncryptionKey: e.DATA_ENCRYPTION_KEY,
    patientTokenSecret: e.PATIENT_TOKEN_SECRET,
    corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',').map((o) => o.trim()) : [],
    logLevel: e.LOG_LEVEL,
    defaultTimezone: e.DEFAULT_TIMEZONE,
    booking: { holdMinutes: e.BOOKING_SOFT_LOCK_MINUTES, expirationMinutes: e.BOOKING_EXPIRATION_MINUTES, paymentTimeoutMinutes: e.BOOKING_PAYMENT_TIMEOUT_HOURS * 60, patientLinkHours: e.PATIENT_TOKEN_HOURS_AFTER_SESSION },
    recurring: { advanceDays: e.RECURRING_ADVANCE_GENERATION_DAYS },
    cache: { availabilityTtlSeconds: e.REDIS_TTL_AVAILABILITY, availabilityEnabled: e.AVAILABILITY_CACHE_ENABLED },
    databasePoolMax: e.DATABASE_CONNECTION_POOL_MAX,
    seedDemoTherapist: e.SEED_DEMO_THERAPIST,
    schedulerEnabled: e.SCHEDULER_ENABLED,
    projectionsEnabled: e.PROJECTIONS_ENABLED,
    benchEndpoints: e.BENCH_ENDPOINTS,
    metricsToken: e.METRICS_TOKEN,
    integrations: integrations.config,
    rateLimits: {
      publicBookingsPerHour: e.RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR,
      publicAvailabilityPerHour: e.RATE_LIMIT_PUBLIC_AVAILABILITY_PER_HOUR,
      therapistPerHour: e.RATE_LIMIT_THERAPIST_PER_HOUR,
    },
  } as const;
}
