import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { NotFound, ValidationFailed } from '../../domain/shared/domain-error.js';

/**
 * Bearer credentials of therapists and auditors, outside the event log (a token is not a domain
 * fact, and its hash must be revocable at once). Only a token's sha256 is stored: 256 random bits
 * cannot be guessed, so a fast hash is enough. Each check reads the table, so a revocation or an
 * expiry holds in every process from the next request on.
 */
export const TOKEN_PREFIX = { therapist: 'tk', auditor: 'au' } as const;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export interface CredentialView {
  readonly id: string;
  readonly label: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly rotatedFrom: string | null;
}

export interface IssuedCredential extends CredentialView {
  /** Shown once: only its hash is kept. */
  readonly token: string;
}

interface TherapistCredentialRow {
  id: string;
  therapist_id: string;
  label: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  rotated_from: string | null;
}

const THERAPIST_CREDENTIALS = 'app.therapist_credentials';
const VIEW_COLUMNS = ['id', 'therapist_id', 'label', 'created_at', 'expires_at', 'revoked_at', 'rotated_from'] as const;

export async function issueTherapistToken(
  db: Knex,
  therapistId: string,
  options: { label?: string; expiresAt?: Date | null; rotatedFrom?: string | null } = {},
): Promise<IssuedCredential> {
  const token = newToken(TOKEN_PREFIX.therapist);
  const [row] = await db(THERAPIST_CREDENTIALS)
    .insert({ token_hash: hashToken(token), therapist_id: therapistId, label: options.label ?? 'default', expires_at: options.expiresAt ?? null, rotated_from: options.rotatedFrom ?? null })
    .returning<TherapistCredentialRow[]>(VIEW_COLUMNS);
  if (!row) throw new Error('The credential was not stored');
  return { ...viewOf(row), token };
}

/** The therapist a live token belongs to, and the credential's id; undefined when unknown, revoked or expired. */
export async function therapistOfToken(db: Knex, token: string, now: Date): Promise<{ therapistId: string; credentialId: string; expiresAt: Date | null } | undefined> {
  const row = (await db(THERAPIST_CREDENTIALS)
    .select('therapist_id', 'id', 'expires_at')
    .where('token_hash', hashToken(token))
    .whereNull('revoked_at')
    .where((q) => void q.whereNull('expires_at').orWhere('expires_at', '>', now))
    .first()) as { therapist_id: string; id: string; expires_at: Date | null } | undefined;
  return row ? { therapistId: row.therapist_id, credentialId: row.id, expiresAt: row.expires_at } : undefined;
}

export async function listTherapistTokens(db: Knex, therapistId: string): Promise<CredentialView[]> {
  const rows = (await db(THERAPIST_CREDENTIALS).select(VIEW_COLUMNS).where('therapist_id', therapistId).orderBy([{ column: 'created_at' }, { column: 'id' }])) as TherapistCredentialRow[];
  return rows.map(viewOf);
}

/** Revokes one of the therapist's tokens (404 for anyone else's); revoking twice keeps the first instant. */
export async function revokeTherapistToken(db: Knex, therapistId: string | null, credentialId: string, now: Date): Promise<CredentialView> {
  const row = await ownCredential(db, therapistId, credentialId);
  if (row.revoked_at) return viewOf(row);
  const [revoked] = await db(THERAPIST_CREDENTIALS)
    .where({ id: credentialId }).update({ revoked_at: now })
    .returning<TherapistCredentialRow[]>(VIEW_COLUMNS);
  return viewOf(revoked ?? row);
}

/**
 * A new token in place of an old one: same label, the expiry asked for (by default the old one's),
 * the old one revoked in the same transaction, so there is never a moment with both or neither.
 * `notAfter` bounds the new expiry: a token may not outlive the one that asks for it.
 */
export async function rotateTherapistToken(
  db: Knex,
  therapistId: string | null,
  credentialId: string,
  now: Date,
  options: { expiresAt?: Date | null; notAfter?: Date | null } = {},
): Promise<IssuedCredential> {
  return db.transaction(async (trx) => {
    const row = await ownCredential(trx, therapistId, credentialId, true);
    if (row.revoked_at) throw new NotFound('token', credentialId);
    const expiresAt = boundedExpiry(options.expiresAt === undefined ? row.expires_at : options.expiresAt, options.notAfter ?? null);
    await trx(THERAPIST_CREDENTIALS).where({ id: credentialId }).update({ revoked_at: now });
    return issueTherapistToken(trx, row.therapist_id, { label: row.label, expiresAt, rotatedFrom: credentialId });
  });
}

/**
 * The expiry of a token made by a token that itself expires: never later than it, so a stolen
 * short-lived token cannot mint a lasting one. Asking for later is refused, not silently shortened.
 */
export function boundedExpiry(asked: Date | null, notAfter: Date | null): Date | null {
  if (!notAfter) return asked;
  if (asked === null) return notAfter;
  if (asked > notAfter) throw new ValidationFailed([{ field: 'expiresAt', message: `Must not be later than the expiry of the token making the request (${notAfter.toISOString()})` }]);
  return asked;
}

async function ownCredential(db: Knex, therapistId: string | null, credentialId: string, lock = false): Promise<TherapistCredentialRow> {
  const query = db(THERAPIST_CREDENTIALS).select(VIEW_COLUMNS).where({ id: credentialId });
  if (therapistId) void query.where({ therapist_id: therapistId });
  if (lock) void query.forUpdate();
  const row = (await query.first()) as TherapistCredentialRow | undefined;
  if (!row) throw new NotFound('token', credentialId);
  return row;
}

function viewOf(row: TherapistCredentialRow): CredentialView {
  return {
    id: row.id,
    label: row.label,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    rotatedFrom: row.rotated_from,
  };
}
