import { parseArgs } from 'node:util';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { issueAuditorCredential, issueTherapistCredential, revokeAuditorCredential, revokeTherapistCredential, rotateTherapistCredential } from '../commands/credentials.js';
import type { Caller } from '../commands/caller.js';
import { listAuditorTokens } from '../infra/auth/auditor-credentials.js';
import { listTherapistTokens } from '../infra/auth/credentials.js';
import { ensureLogin, urlAs } from '../infra/postgres/database-roles.js';
import { runRecurringGeneration } from '../commands/recurring-generation.js';
import type { Services } from './services.js';

/** A command-line mistake: the message names what to give instead. */
export class CliInputError extends Error {}

const uuid = z.uuid();

/** The operator at the terminal: the actor of what the CLI changes. */
const operator = (): Caller => ({ actor: { kind: 'operator', name: process.env.USER ?? 'cli' }, correlationId: randomUUID(), causationId: null });
const instant = z.iso.datetime({ offset: true });

/** `therapist token create|list|revoke|rotate` */
export async function therapistTokenCommand(services: Services, action: string | undefined, args: readonly string[]) {
  const { values, positionals } = parseArgs({ args: [...args], options: { therapist: { type: 'string' }, label: { type: 'string' }, expires: { type: 'string' } }, allowPositionals: true, strict: true });
  const expiresAt = values.expires === undefined ? undefined : new Date(checked(instant, values.expires, '--expires must be an ISO-8601 instant, e.g. 2027-06-30T00:00:00Z'));
  const now = services.clock.now();
  if (expiresAt && expiresAt <= now) throw new CliInputError('--expires must be in the future');
  if (action === 'create' || action === 'list') {
    const therapistId = await therapistNamed(services, values.therapist);
    if (action === 'list') return { tokens: await listTherapistTokens(services.db, therapistId) };
    return issueTherapistCredential(services, therapistId, { label: values.label ?? 'cli', expiresAt: expiresAt ?? null }, operator());
  }
  const id = checked(uuid, positionals[0], 'Give the token id (from `therapist token list`)');
  if (action === 'revoke') return revokeTherapistCredential(services, null, id, now, operator());
  // Without --expires the new token keeps the old one's expiry.
  if (action === 'rotate') return rotateTherapistCredential(services, null, id, now, expiresAt === undefined ? {} : { expiresAt }, operator());
  return undefined;
}

/** `auditor token create --name … [--therapist id] [--expires iso]|list|revoke <id>` */
export async function auditorTokenCommand(services: Services, action: string | undefined, args: readonly string[]) {
  const { values, positionals } = parseArgs({ args: [...args], options: { name: { type: 'string' }, therapist: { type: 'string' }, expires: { type: 'string' } }, allowPositionals: true, strict: true });
  if (action === 'list') return { tokens: await listAuditorTokens(services.db) };
  if (action === 'revoke') return revokeAuditorCredential(services, checked(uuid, positionals[0], 'Give the auditor token id (from `auditor token list`)'), services.clock.now(), operator());
  if (action !== 'create') return undefined;
  const name = values.name?.trim();
  if (!name) throw new CliInputError('--name is required: who the auditor is');
  const therapistId = values.therapist === undefined ? null : await therapistNamed(services, values.therapist);
  const expiresAt = values.expires === undefined ? null : new Date(checked(instant, values.expires, '--expires must be an ISO-8601 instant'));
  return issueAuditorCredential(services, { name, therapistId, expiresAt }, operator());
}

/**
 * `analyst url`: lets this database's analysts' role log in (read-only sessions; its password from
 * ANALYST_DATABASE_PASSWORD, or derived from the master key, so every run prints the same) and
 * prints its connection string.
 */
export async function analystUrl(services: Services): Promise<{ url: string; role: string }> {
  const configured = process.env.ANALYST_DATABASE_PASSWORD;
  if (configured !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(configured)) throw new CliInputError('ANALYST_DATABASE_PASSWORD must be 16 to 128 letters, digits, _ or -');
  const role = services.reads.roles.analyst;
  const password = configured ?? services.keys.derivedSecret(`database role ${role}`);
  await ensureLogin(services.db, services.databaseUrl, role, password);
  return { url: urlAs(services.databaseUrl, role, password), role };
}

/**
 * `recurring generate [--date YYYY-MM-DD]`: the daily generation by hand (spec 9.4's ops backup) for a
 * day whose run failed or never came: today or one of the days before. The run is always as of now,
 * since generation goes on from where each recurrence stands, it makes up a missed day's work; a
 * later day is refused (its run would skip real future sessions as late and move the calendar's clock).
 */
export async function generateByHand(services: Services, args: readonly string[]) {
  const { values } = parseArgs({ args: [...args], options: { date: { type: 'string' } }, strict: true });
  const now = services.clock.now();
  if (values.date !== undefined) {
    const day = checked(z.iso.date(), values.date, '--date must be a date YYYY-MM-DD');
    // The latest "today" of any zone is UTC+14.
    const latestToday = new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
    if (day > latestToday) throw new CliInputError('--date must be today or earlier: a later day is generated when it comes');
  }
  return { ...(await runRecurringGeneration(services, { trigger: values.date === undefined ? 'cli' : `cli:${values.date}` })), forDate: values.date ?? null };
}

async function therapistNamed(services: Services, idOrSlug: string | undefined): Promise<string> {
  if (!idOrSlug) throw new CliInputError('--therapist is required: the therapist id or slug');
  const row = (await services.db('app.therapist_slugs').select('therapist_id').where(uuid.safeParse(idOrSlug).success ? { therapist_id: idOrSlug.toLowerCase() } : { slug: idOrSlug }).first()) as { therapist_id: string } | undefined;
  if (!row) throw new CliInputError(`No therapist ${idOrSlug}`);
  return row.therapist_id;
}

function checked<T>(schema: z.ZodType<T>, value: unknown, message: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliInputError(message);
  return parsed.data;
}
