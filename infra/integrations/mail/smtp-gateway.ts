import { createTransport } from 'nodemailer';
import { PermanentIntegrationFailure, TransientIntegrationFailure } from '../../../integrations/integration-errors.js';
import type { MailGateway, MailMessage } from '../../../integrations/ports.js';
import { messageIdFor } from './message-id.js';

export { messageIdFor } from './message-id.js';

export interface SmtpMailGatewayOptions {
  /** smtp://user:pass@host:port (or smtps:// for implicit TLS). */
  readonly url: string;
  /** The From header, e.g. `PsicoPay <agenda@psicopay.com.ar>`. */
  readonly from: string;
}

const CALENDAR_CONTENT_TYPE = 'text/calendar; charset=utf-8; method=PUBLISH';


/**
 * E-mail over SMTP with nodemailer. The .ics goes as an attachment, not as a text/calendar
 * alternative: mail clients treat an alternative calendar part as an iTIP scheduling message
 * (an invitation with RSVP buttons, which needs ORGANIZER/ATTENDEE we do not send, and which Outlook
 * may swallow into the calendar instead of showing the mail); an attached file is shown to everyone
 * as a file to open, which is what "add to calendar" means, and the text stays the readable body.
 */
export class SmtpMailGateway implements MailGateway {
  readonly driver = 'smtp' as const;
  private readonly transport: ReturnType<typeof createTransport>;
  private readonly from: string;

  constructor(options: SmtpMailGatewayOptions) {
    this.transport = createTransport({
      url: options.url,
      // Nodemailer's defaults wait two minutes to connect and ten on a silent socket; the dispatcher
      // would rather retry later than hold a worker that long.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // Its logger would print envelopes and addresses.
      logger: false,
    });
    this.from = options.from;
  }

  async send(message: MailMessage): Promise<{ readonly messageId: string }> {
    const messageId = messageIdFor(message.idempotencyKey);
    try {
      await this.transport.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
        messageId,
        attachments: message.calendar
          ? [{ filename: message.calendar.filename, content: message.calendar.content, contentType: CALENDAR_CONTENT_TYPE }]
          : [],
      });
      return { messageId };
    } catch (error) {
      throw classify(error);
    }
  }

  /** Closes pooled connections (none by default; kept for a clean shutdown either way). */
  close(): void {
    this.transport.close();
  }
}

// Failures before any SMTP reply: the server is down, slow or cut the line.
const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPROXY']);

/**
 * SMTP's own classes (RFC 5321 4.2.1): 4yz is "try again later", 5yz is "do not repeat this". A
 * server's reply text often quotes the address (550 5.1.1 <p…@…>: unknown user), so only the code
 * and nodemailer's error code are kept.
 */
function classify(error: unknown): Error {
  const responseCode = field(error, 'responseCode');
  const code = field(error, 'code');
  const label = `SMTP send: ${[typeof responseCode === 'number' ? String(responseCode) : null, typeof code === 'string' ? code : null].filter(Boolean).join(' ') || 'failed'}`;
  if (typeof responseCode === 'number') {
    if (responseCode >= 400 && responseCode < 500) return new TransientIntegrationFailure(label, null, responseCode);
    if (responseCode >= 500) return new PermanentIntegrationFailure(label, responseCode);
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return new TransientIntegrationFailure(label);
  // No reply code and not the network: our message or configuration (bad address, bad credentials setup).
  return new PermanentIntegrationFailure(label);
}

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null && name in error ? (error as Record<string, unknown>)[name] : undefined;
}
