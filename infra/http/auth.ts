import type { RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { Forbidden, Unauthorized } from '../../domain/shared/domain-error.js';
import { auditorOfToken, type Auditor } from '../auth/auditor-credentials.js';
import { therapistOfToken, TOKEN_PREFIX } from '../auth/credentials.js';
import type { Clock } from '../clock.js';

function bearerOf(header: string | undefined, who: string): string {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) throw new Unauthorized(`A${who === 'auditor' ? 'n' : ''} ${who} bearer token is required`);
  return match[1];
}

/** Refuses at once a live token of the other role: the answer says which token this route wants. */
function refuseOtherRole(token: string, wanted: keyof typeof TOKEN_PREFIX): void {
  for (const [role, prefix] of Object.entries(TOKEN_PREFIX)) {
    if (role !== wanted && token.startsWith(`${prefix}_`)) throw new Forbidden(`This route takes a${wanted === 'auditor' ? 'n' : ''} ${wanted} token, not a${role === 'auditor' ? 'n' : ''} ${role}'s`);
  }
}

/** Authenticates `Authorization: Bearer <token>` as a therapist; sets res.locals.therapistId and credentialId. */
export function requireTherapist(db: Knex, clock: Clock): RequestHandler {
  return async (req, res, next) => {
    const token = bearerOf(req.get('authorization'), 'therapist');
    refuseOtherRole(token, 'therapist');
    const found = await therapistOfToken(db, token, clock.now());
    if (!found) throw new Unauthorized('The bearer token is not valid: unknown, revoked or expired');
    res.locals.therapistId = found.therapistId;
    res.locals.credentialId = found.credentialId;
    res.locals.credentialExpiresAt = found.expiresAt;
    next();
  };
}

/** Authenticates an auditor's bearer token; sets res.locals.auditor. */
export function requireAuditor(db: Knex, clock: Clock): RequestHandler {
  return async (req, res, next) => {
    const token = bearerOf(req.get('authorization'), 'auditor');
    refuseOtherRole(token, 'auditor');
    const auditor = await auditorOfToken(db, token, clock.now());
    if (!auditor) throw new Unauthorized('The bearer token is not valid: unknown, revoked or expired');
    res.locals.auditor = auditor;
    next();
  };
}

export function therapistIdOf(res: Response): string {
  const id: unknown = res.locals.therapistId;
  if (typeof id !== 'string') throw new Unauthorized('A therapist bearer token is required');
  return id;
}

export function credentialIdOf(res: Response): string {
  const id: unknown = res.locals.credentialId;
  if (typeof id !== 'string') throw new Unauthorized('A therapist bearer token is required');
  return id;
}

/** When the token of this request expires (null: it does not). */
export function credentialExpiryOf(res: Response): Date | null {
  const expiresAt: unknown = res.locals.credentialExpiresAt;
  return expiresAt instanceof Date ? expiresAt : null;
}

export function auditorOf(res: Response): Auditor {
  const auditor = res.locals.auditor as Auditor | undefined;
  if (!auditor) throw new Unauthorized('An auditor bearer token is required');
  return auditor;
}
