import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Mercado Pago's webhook signature (the "clave secreta" of the application's Webhooks settings).
 * The header is `x-signature: ts=<timestamp>,v1=<hex>`; v1 is HMAC-SHA256, keyed with the secret, over
 * the manifest `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`, where `data.id` is the one in the
 * notification URL's query string (not the body) and any part whose value is absent is left out.
 * The signature covers neither the body nor the topic: the receiver must trust only `data.id` and
 * read the payment back from the API.
 */

export interface SignatureCheck {
  readonly secret: string;
  readonly signatureHeader: string | undefined;
  readonly requestId: string | undefined;
  /** The `data.id` query parameter of the notification URL. */
  readonly dataId: string | undefined;
  readonly now: Date;
  /** How far `ts` may be from `now`, either way, before the notification counts as a replay. */
  readonly toleranceMs: number;
}

export type SignatureVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: SignatureFailure };

export type SignatureFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'missing_timestamp'
  | 'missing_v1'
  | 'signature_mismatch'
  | 'timestamp_out_of_tolerance';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const DIGITS = /^\d{1,16}$/;
// Below this a timestamp is in seconds (1e11 s is the year 5138; 1e11 ms is 1973): MP's docs show
// seconds in older examples and milliseconds in recent notifications, so both must verify.
const SECONDS_BELOW = 1e11;

export function verifyMercadoPagoSignature(check: SignatureCheck): SignatureVerdict {
  const header = present(check.signatureHeader);
  if (header === undefined) return fail('missing_signature');
  const parts = parseHeader(header);
  if (parts === null) return fail('malformed_signature');
  if (parts.ts === undefined) return fail('missing_timestamp');
  if (!DIGITS.test(parts.ts)) return fail('malformed_signature');
  if (parts.v1 === undefined) return fail('missing_v1');
  // A received value that is not 64 hex digits cannot be equal: checked before decoding, because
  // Buffer.from(hex) silently drops what it cannot parse and timingSafeEqual throws on unequal lengths.
  if (!HEX_SHA256.test(parts.v1)) return fail('signature_mismatch');
  const expected = hmac(check.secret, manifest(present(check.dataId), present(check.requestId), parts.ts));
  const received = Buffer.from(parts.v1, 'hex');
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return fail('signature_mismatch');
  const tsMs = toMilliseconds(Number(parts.ts));
  if (Math.abs(check.now.getTime() - tsMs) > check.toleranceMs) return fail('timestamp_out_of_tolerance');
  return { ok: true };
}

export interface NotificationToSign {
  readonly secret: string;
  readonly dataId: string;
  readonly requestId: string;
  /** As it goes in the header: epoch milliseconds (what MP sends now) or seconds. */
  readonly ts: number;
}

/** The `x-signature` header value Mercado Pago would send for this notification. */
export function signMercadoPagoNotification(notification: NotificationToSign): string {
  const ts = String(Math.trunc(notification.ts));
  const v1 = hmac(notification.secret, manifest(notification.dataId, notification.requestId, ts)).toString('hex');
  return `ts=${ts},v1=${v1}`;
}

function manifest(dataId: string | undefined, requestId: string | undefined, ts: string): string {
  let text = '';
  // MP signs an alphanumeric id in lower case, whatever case the query string carries.
  if (dataId !== undefined) text += `id:${/^[a-z0-9]+$/i.test(dataId) ? dataId.toLowerCase() : dataId};`;
  if (requestId !== undefined) text += `request-id:${requestId};`;
  return `${text}ts:${ts};`;
}

function hmac(secret: string, text: string): Buffer {
  return createHmac('sha256', secret).update(text, 'utf8').digest();
}

function parseHeader(header: string): { ts: string | undefined; v1: string | undefined } | null {
  let ts: string | undefined;
  let v1: string | undefined;
  let understood = false;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (value === '') continue;
    // The first of each wins: a second `v1` appended by a tamperer is not a second chance.
    if (key === 'ts') {
      ts ??= value;
      understood = true;
    } else if (key === 'v1') {
      v1 ??= value;
      understood = true;
    }
  }
  return understood ? { ts, v1 } : null;
}

function toMilliseconds(ts: number): number {
  return ts < SECONDS_BELOW ? ts * 1000 : ts;
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function fail(reason: SignatureFailure): SignatureVerdict {
  return { ok: false, reason };
}
