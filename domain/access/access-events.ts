import { z } from 'zod';
import { EventCodec, defineEvent } from '../shared/event-codec.js';
import type { EventOf } from '../shared/event-of.js';
import { id, instant } from '../therapist/events/event-fields.js';

/**
 * Who was given access, and when it was taken away: every bearer credential issued, rotated or
 * revoked is in the log with its actor (`access-therapist-{id}`, `access-auditors`), so auditors see
 * it like any other change. The credential table stays the authority a request is checked against
 * (a revocation must hold from the next request on); these events are its history, never a hash.
 */
const holder = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('therapist'), therapistId: id }),
  z.object({ kind: z.literal('auditor'), scopeTherapistId: id.nullable() }),
]);

export const credentialIssued = defineEvent(
  'CredentialIssued',
  z.object({ credentialId: id, holder, label: z.string(), expiresAt: instant.nullable(), rotatedFrom: id.nullable(), issuedAt: instant }),
);
export type CredentialIssued = EventOf<typeof credentialIssued>;

export const credentialRevoked = defineEvent('CredentialRevoked', z.object({ credentialId: id, holder, revokedAt: instant }));
export type CredentialRevoked = EventOf<typeof credentialRevoked>;

export type AccessEvent = CredentialIssued | CredentialRevoked;

export const accessEventCodec = new EventCodec<AccessEvent>([credentialIssued, credentialRevoked]);

export function therapistAccessStream(therapistId: string): string {
  return `access-therapist-${therapistId}`;
}

export const AUDITOR_ACCESS_STREAM = 'access-auditors';
