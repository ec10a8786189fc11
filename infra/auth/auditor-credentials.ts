import type { Knex } from 'knex';
import { NotFound } from '../../domain/shared/domain-error.js';
import { hashToken, newToken, TOKEN_PREFIX } from './credentials.js';

/** An auditor reads the event history, of every stream or of one therapist's; nothing else. */
export interface Auditor {
  readonly id: string;
  readonly name: string;
  /** null: every stream. */
  readonly therapistId: string | null;
}

interface AuditorRow {
  id: string;
  name: string;
  therapist_id: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const AUDITOR_CREDENTIALS = 'app.auditor_credentials';
const COLUMNS = ['id', 'name', 'therapist_id', 'created_at', 'expires_at', 'revoked_at'] as const;

export async function issueAuditorToken(db: Knex, options: { name: string; therapistId: string | null; expiresAt: Date | null }) {
  const token = newToken(TOKEN_PREFIX.auditor);
  const [row] = await db(AUDITOR_CREDENTIALS)
    .insert({ token_hash: hashToken(token), name: options.name, therapist_id: options.therapistId, expires_at: options.expiresAt })
    .returning<AuditorRow[]>(COLUMNS);
  if (!row) throw new Error('The credential was not stored');
  return { ...viewOf(row), token };
}

export async function auditorOfToken(db: Knex, token: string, now: Date): Promise<Auditor | undefined> {
  const row = (await db(AUDITOR_CREDENTIALS)
    .select('id', 'name', 'therapist_id')
    .where('token_hash', hashToken(token))
    .whereNull('revoked_at')
    .where((q) => void q.whereNull('expires_at').orWhere('expires_at', '>', now))
    .first()) as Pick<AuditorRow, 'id' | 'name' | 'therapist_id'> | undefined;
  return row ? { id: row.id, name: row.name, therapistId: row.therapist_id } : undefined;
}

export async function listAuditorTokens(db: Knex) {
  return ((await db(AUDITOR_CREDENTIALS).select(COLUMNS).orderBy([{ column: 'created_at' }, { column: 'id' }])) as AuditorRow[]).map(viewOf);
}

export async function revokeAuditorToken(db: Knex, id: string, now: Date) {
  const [row] = await db(AUDITOR_CREDENTIALS)
    .where({ id }).update({ revoked_at: db.raw('coalesce(revoked_at, ?)', [now]) })
    .returning<AuditorRow[]>(COLUMNS);
  if (!row) throw new NotFound('auditor token', id);
  return viewOf(row);
}

function viewOf(row: AuditorRow) {
  return {
    id: row.id,
    name: row.name,
    therapistId: row.therapist_id,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
