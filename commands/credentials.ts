import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { accessEventCodec, AUDITOR_ACCESS_STREAM, therapistAccessStream, type AccessEvent } from '../domain/access/access-events.js';
import { issueAuditorToken, revokeAuditorToken } from '../infra/auth/auditor-credentials.js';
import { issueTherapistToken, revokeTherapistToken, rotateTherapistToken, type CredentialView } from '../infra/auth/credentials.js';
import { ExpectedRevision, type EventStore } from '../infra/event-store/event-store.js';
import { metadataOf, type Caller } from './caller.js';

interface AccessContext {
  readonly db: Knex;
  readonly store: EventStore;
}

/**
 * Credentials with their history in the log. The table is written first (it is what requests are
 * checked against), then the event; a crash between the two leaves a credential without its event,
 * which `auditor token list` / `GET /api/tokens` still show — the reverse (an event for a credential
 * that does not exist) would mislead an auditor.
 */
async function record(ctx: AccessContext, stream: string, event: AccessEvent, caller: Caller): Promise<void> {
  const encoded = accessEventCodec.encode(event);
  await ctx.store.append(stream, [{ eventId: randomUUID(), ...encoded, metadata: metadataOf(caller) }], ExpectedRevision.any);
}

const issued = (view: CredentialView, therapistId: string): AccessEvent => ({
  type: 'CredentialIssued',
  data: { credentialId: view.id, holder: { kind: 'therapist', therapistId }, label: view.label, expiresAt: view.expiresAt, rotatedFrom: view.rotatedFrom, issuedAt: view.createdAt },
});

export async function issueTherapistCredential(ctx: AccessContext, therapistId: string, options: { label?: string; expiresAt?: Date | null }, caller: Caller) {
  const credential = await issueTherapistToken(ctx.db, therapistId, options);
  await record(ctx, therapistAccessStream(therapistId), issued(credential, therapistId), caller);
  return credential;
}

export async function revokeTherapistCredential(ctx: AccessContext, therapistId: string | null, credentialId: string, now: Date, caller: Caller) {
  const wasRevoked = await alreadyRevoked(ctx.db, 'app.therapist_credentials', credentialId);
  const revoked = await revokeTherapistToken(ctx.db, therapistId, credentialId, now);
  const owner = therapistId ?? (await ownerOf(ctx.db, credentialId));
  // Revoking twice keeps the first instant, and records it once.
  if (owner && !wasRevoked) {
    await record(ctx, therapistAccessStream(owner), { type: 'CredentialRevoked', data: { credentialId, holder: { kind: 'therapist', therapistId: owner }, revokedAt: revoked.revokedAt ?? now.toISOString() } }, caller);
  }
  return revoked;
}

export async function rotateTherapistCredential(ctx: AccessContext, therapistId: string | null, credentialId: string, now: Date, options: { expiresAt?: Date | null; notAfter?: Date | null }, caller: Caller) {
  const rotated = await rotateTherapistToken(ctx.db, therapistId, credentialId, now, options);
  const owner = therapistId ?? (await ownerOf(ctx.db, rotated.id));
  if (owner) {
    const stream = therapistAccessStream(owner);
    await record(ctx, stream, { type: 'CredentialRevoked', data: { credentialId, holder: { kind: 'therapist', therapistId: owner }, revokedAt: now.toISOString() } }, caller);
    await record(ctx, stream, issued(rotated, owner), caller);
  }
  return rotated;
}

export async function issueAuditorCredential(ctx: AccessContext, options: { name: string; therapistId: string | null; expiresAt: Date | null }, caller: Caller) {
  const credential = await issueAuditorToken(ctx.db, options);
  await record(
    ctx,
    AUDITOR_ACCESS_STREAM,
    { type: 'CredentialIssued', data: { credentialId: credential.id, holder: { kind: 'auditor', scopeTherapistId: options.therapistId }, label: options.name, expiresAt: options.expiresAt?.toISOString() ?? null, rotatedFrom: null, issuedAt: credential.createdAt } },
    caller,
  );
  return credential;
}

export async function revokeAuditorCredential(ctx: AccessContext, id: string, now: Date, caller: Caller) {
  const wasRevoked = await alreadyRevoked(ctx.db, 'app.auditor_credentials', id);
  const revoked = await revokeAuditorToken(ctx.db, id, now);
  if (wasRevoked) return revoked;
  await record(ctx, AUDITOR_ACCESS_STREAM, { type: 'CredentialRevoked', data: { credentialId: id, holder: { kind: 'auditor', scopeTherapistId: revoked.therapistId }, revokedAt: now.toISOString() } }, caller);
  return revoked;
}

async function ownerOf(db: Knex, credentialId: string): Promise<string | undefined> {
  const row = (await db('app.therapist_credentials').select('therapist_id').where({ id: credentialId }).first()) as { therapist_id: string } | undefined;
  return row?.therapist_id;
}

async function alreadyRevoked(db: Knex, table: string, credentialId: string): Promise<boolean> {
  const row = (await db(table).select('revoked_at').where({ id: credentialId }).first()) as { revoked_at: Date | null } | undefined;
  return row?.revoked_at != null;
}
