import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hashToken } from '../infra/auth/credentials.js';

/** One signing key of patient tokens: the first of the ring signs, every one verifies. */
export interface PatientTokenKey {
  readonly id: string;
  readonly secret: string;
}

export type PatientTokenCheck = 'valid' | 'invalid' | 'legacy';

/** `pt_{keyId}.{nonce}.{mac}`: a key id, so a rotation voids no link at once. */
const TOKEN = /^pt_([A-Za-z0-9-]{1,32})\.([A-Za-z0-9_-]{1,43})\.([A-Za-z0-9_-]{43})$/;
/** Tokens handed out before they expired and named their key: checked by their hash alone. */
const LEGACY_TOKEN = /^pt_[A-Za-z0-9_-]{43}$/;

/**
 * The secret a patient gets with a booking (to cancel it, or fetch its calendar file): a MAC of the
 * booking id under a key from PATIENT_TOKEN_SECRET. It is never stored: the booking's events keep
 * its sha256, which the domain compares (so the therapist can revoke it or issue another, and it
 * expires PATIENT_TOKEN_HOURS_AFTER_SESSION after the session), and a replayed idempotent answer
 * makes the same token again. The first token of a booking has nonce 0; a reissued one a random nonce.
 */
export class PatientTokens {
  private readonly keys: ReadonlyMap<string, string>;
  private readonly signing: PatientTokenKey;

  constructor(ring: readonly PatientTokenKey[]) {
    const [signing] = ring;
    if (!signing) throw new Error('A patient token key is required');
    this.signing = signing;
    this.keys = new Map(ring.map((k) => [k.id, k.secret]));
  }

  /** The key new tokens are signed with (remembered with an idempotent answer, to make its token again). */
  get signingKeyId(): string {
    return this.signing.id;
  }

  /** The booking's first token (nonce 0): the same every time for the same key. */
  tokenFor(bookingId: string, keyId = this.signing.id): string {
    return this.sign(bookingId, '0', this.keys.has(keyId) ? keyId : this.signing.id);
  }

  /** A token unlike any before it, for a link the therapist reissues. */
  reissue(bookingId: string): string {
    return this.sign(bookingId, randomBytes(12).toString('base64url'), this.signing.id);
  }

  /**
   * Whether the token was made here for this booking, under a key still in the ring. That it is the
   * booking's current token, in time, is the domain's to say.
   */
  check(bookingId: string, token: string): PatientTokenCheck {
    if (LEGACY_TOKEN.test(token)) return 'legacy';
    const match = TOKEN.exec(token);
    if (!match) return 'invalid';
    const [, keyId = '', nonce = '', mac = ''] = match;
    const secret = this.keys.get(keyId);
    if (!secret) return 'invalid';
    const expected = Buffer.from(macOf(secret, bookingId, nonce));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given) ? 'valid' : 'invalid';
  }

  hashOf(token: string): string {
    return hashToken(token);
  }

  private sign(bookingId: string, nonce: string, keyId: string): string {
    return `pt_${keyId}.${nonce}.${macOf(this.keys.get(keyId) ?? '', bookingId, nonce)}`;
  }
}

function macOf(secret: string, bookingId: string, nonce: string): string {
  return createHmac('sha256', secret).update(`${bookingId}.${nonce}`).digest('base64url');
}

/**
 * PATIENT_TOKEN_SECRET: `keyId:secret[,keyId:secret…]`, the first signing; a bare secret is key `k1`.
 * Rotating = putting a new key first and keeping the old one after it until its tokens have expired.
 */
export function parsePatientTokenKeys(value: string): PatientTokenKey[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const colon = part.indexOf(':');
      return colon > 0 ? { id: part.slice(0, colon), secret: part.slice(colon + 1) } : { id: 'k1', secret: part };
    });
}
