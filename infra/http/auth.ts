import { createHash, randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { Unauthorized } from '../../domain/shared/domain-error.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 256 random bits, URL-safe: unguessable, so storing a plain sha256 of it is enough. */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export async function issueTherapistToken(db: Knex, therapistId: string, label = 'default'): Promise<string> {
  const token = newToken('tk');
  await db('app.therapist_credentials').insert({ token_hash: hashToken(token), therapist_id: therapistId, label });
  return token;
}

/** Authenticates `Authorization: Bearer <token>` as a therapist; sets res.locals.therapistId. */
export function requireTherapist(db: Knex): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new Unauthorized('A therapist bearer token is required');
    const row = await db<{ therapist_id: string; token_hash: string; revoked_at: Date | null }>('app.therapist_credentials')
      .select('therapist_id')
      .where('token_hash', hashToken(match[1]))
      .whereNull('revoked_at')
      .first();
    if (!row) throw new Unauthorized('The bearer token is not valid');
    res.locals.therapistId = row.therapist_id;
    next();
  };
}

export function therapistIdOf(res: Response): string {
  const id: unknown = res.locals.therapistId;
  if (typeof id !== 'string') throw new Unauthorized('A therapist bearer token is required');
  return id;
}
