import twilio from 'twilio';
import type SdkRequestClient from 'twilio/lib/base/RequestClient.js';
import { PermanentIntegrationFailure, TransientIntegrationFailure } from '../../../integrations/integration-errors.js';
import type { MessageGateway, SentMessage, WhatsAppMessage } from '../../../integrations/ports.js';

export interface TwilioWhatsAppGatewayOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /** The WhatsApp sender, E.164 (+…): sent as `whatsapp:+…`. */
  readonly from: string;
  /** Replaces https://api.twilio.com (e.g. a local server in tests); Twilio's own when absent. */
  readonly baseUrl?: string;
  /** Per request, ms. */
  readonly timeoutMs?: number;
}

// TWILIO_REGION / TWILIO_EDGE in the environment turn the host into api.<edge>.<region>.twilio.com.
const TWILIO_API_ORIGIN = /^https:\/\/api(\.[a-z0-9-]+)*\.twilio\.com(?=\/|$)/;
// Twilio's list is newest first; a patient gets a handful of messages from us a week.
const FIND_LIMIT = 50;
// Twilio stamps date_created on its clock, we compare with ours.
const CLOCK_SKEW_MS = 60_000;

/**
 * The SDK builds every URI from https://api.twilio.com (Domain.absoluteUrl, then the region/edge
 * rewrite in BaseTwilio.request) and hands it to its httpClient; swapping the origin there is the one
 * place that reaches every call, paging included, without touching how the SDK signs or encodes.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, autoRetry: false });
  }

  override request<TData>(opts: SdkRequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(TWILIO_API_ORIGIN, this.baseUrl) });
  }
}

/** WhatsApp through Twilio's Programmable Messaging (Messages resource, API 2010-04-01). */
export class TwilioWhatsAppGateway implements MessageGateway {
  readonly driver = 'twilio' as const;
  private readonly client: twilio.Twilio;
  private readonly from: string;

  constructor(options: TwilioWhatsAppGatewayOptions) {
    const timeoutMs = options.timeoutMs ?? 15_000;
    // Without a baseUrl the SDK's own client is used as is, region and edge routing included.
    const httpClient = options.baseUrl
      ? new RebasedRequestClient(options.baseUrl.replace(/\/+$/, ''), timeoutMs)
      : new twilio.RequestClient({ timeout: timeoutMs, autoRetry: false });
    this.client = twilio(options.accountSid, options.authToken, {
      httpClient,
      // The dispatcher owns retries (with backoff and a record of attempts); the SDK's would hide them.
      autoRetry: false,
    });
    this.from = options.from;
  }

  async send(message: WhatsAppMessage): Promise<SentMessage> {
    try {
      const created = await this.client.messages.create({
        from: whatsapp(this.from),
        to: whatsapp(message.to),
        body: message.body,
        ...(message.statusCallback ? { statusCallback: message.statusCallback } : {}),
      });
      return { sid: created.sid, status: created.status };
    } catch (error) {
      throw classify(error, 'send');
    }
  }

  /**
   * Twilio keeps no idempotency key, so a message is found again by sender, recipient, time and exact
   * body. The time is compared here on date_created rather than sent as `DateSent>`: Twilio filters
   * that by day and on date_sent, which stays null while a message is queued — exactly the message a
   * crash right after the send leaves behind.
   */
  async findSent(message: WhatsAppMessage, sentAfter: Date): Promise<SentMessage | null> {
    try {
      const recent = await this.client.messages.list({ to: whatsapp(message.to), from: whatsapp(this.from), limit: FIND_LIMIT });
      const earliest = sentAfter.getTime() - CLOCK_SKEW_MS;
      // A date that cannot be read does not rule a message out: better found twice than sent twice.
      const match = recent.find((m) => m.body === message.body && !(m.dateCreated instanceof Date && m.dateCreated.getTime() < earliest));
      return match ? { sid: match.sid, status: match.status } : null;
    } catch (error) {
      throw classify(error, 'findSent');
    }
  }
}

function whatsapp(e164: string): string {
  return e164.startsWith('whatsapp:') ? e164 : `whatsapp:${e164}`;
}

/**
 * Twilio's own message can quote the number (21211: "The 'To' number +54… is not a valid phone
 * number"), so only the HTTP status and Twilio's error code are kept.
 */
function classify(error: unknown, operation: string): Error {
  if (error instanceof twilio.RestException) {
    const status = error.status;
    const label = `Twilio ${operation}: HTTP ${status}${error.code ? ` code ${error.code}` : ''}`;
    if (status === 429 || status >= 500) return new TransientIntegrationFailure(label, null, status);
    return new PermanentIntegrationFailure(label, status);
  }
  // Anything without an HTTP answer (refused, reset, timed out, a proxy's garbage) is the network's.
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : null;
  const name = error instanceof Error ? error.name : 'unknown error';
  return new TransientIntegrationFailure(`Twilio ${operation}: ${code ?? name}`);
}
