import twilio from 'twilio';
import { z } from 'zod';

/**
 * Twilio's delivery-status callback (POSTed, form-encoded, to the message's StatusCallback URL).
 * Anyone can POST to that URL, so the route checks X-Twilio-Signature before believing a word of it.
 */
export interface TwilioSignatureCheck {
  readonly authToken: string;
  /** The X-Twilio-Signature header; missing counts as wrong. */
  readonly signature: string | undefined;
  /** The full URL Twilio was given (scheme, host, path and query), as Twilio signed it — not as a proxy rewrote it. */
  readonly url: string;
  /** The form body's fields, as received. */
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * Uses the SDK's own validateRequest (HMAC-SHA1 over the URL and the sorted fields, constant-time
 * compare, with and without the default port) rather than a copy of the algorithm that could drift.
 */
export function verifyTwilioSignature(check: TwilioSignatureCheck): boolean {
  if (!check.signature) return false;
  return twilio.validateRequest(check.authToken, check.signature, check.url, check.params);
}

/** The statuses Twilio reports for a Message. */
export const TWILIO_MESSAGE_STATUSES = [
  'queued', 'sending', 'sent', 'failed', 'delivered', 'undelivered', 'receiving', 'received',
  'accepted', 'scheduled', 'read', 'partially_delivered', 'canceled',
] as const;
export type TwilioMessageStatus = (typeof TWILIO_MESSAGE_STATUSES)[number];

export interface TwilioStatusCallback {
  readonly messageSid: string;
  readonly status: TwilioMessageStatus;
  /** Twilio's error code (e.g. 63016: outside the WhatsApp 24 h window) for failed/undelivered. */
  readonly errorCode: string | null;
}

const callbackSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/),
  MessageStatus: z.enum(TWILIO_MESSAGE_STATUSES),
  // Sent only with failed/undelivered; some accounts send it empty otherwise.
  ErrorCode: z.string().regex(/^\d{0,6}$/).optional(),
});

/** The fields we act on; null for a body that is not a message status callback. */
export function parseTwilioStatus(params: Readonly<Record<string, unknown>>): TwilioStatusCallback | null {
  const parsed = callbackSchema.safeParse(params);
  if (!parsed.success) return null;
  return { messageSid: parsed.data.MessageSid, status: parsed.data.MessageStatus, errorCode: parsed.data.ErrorCode || null };
}
