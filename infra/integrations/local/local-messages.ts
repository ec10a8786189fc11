import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { MailGateway, MailMessage, MessageGateway, SentMessage, WhatsAppMessage } from '../../../integrations/ports.js';
import { messageIdFor } from '../mail/message-id.js';

/**
 * The messaging drivers for a start without credentials: nothing leaves the machine; each message is
 * recorded in app.local_messages (its key unique, so a retry answers the row already there, across
 * restarts) and announced in one log line. Neither the table nor the log holds a body or a full
 * address: only a masked recipient, enough to tell two messages apart.
 */

const TABLE = 'app.local_messages';
const DELIVERED = 'delivered';

interface LocalMessageRow {
  readonly id: string;
  readonly channel: 'whatsapp' | 'email';
  readonly idempotency_key: string;
  readonly recipient_masked: string;
  readonly status: string;
}

/** +5491155550000 → +54911****0000: the country and area prefix, and the last four digits. */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 8) return '+****';
  // The country code and the last two digits: enough to tell two recipients apart, not to call anyone.
  return `+${digits.slice(0, 2)}********${digits.slice(-2)}`;
}

/** paciente@example.com → p***@example.com. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

/** Inserts unless the key is there; answers the row for the key either way, and whether it is new. */
async function record(db: Knex, row: LocalMessageRow): Promise<{ readonly row: LocalMessageRow; readonly fresh: boolean }> {
  const inserted = await db<LocalMessageRow>(TABLE).insert(row).onConflict('idempotency_key').ignore().returning('id');
  const stored = await db<LocalMessageRow>(TABLE).where({ idempotency_key: row.idempotency_key }).first();
  if (!stored) throw new Error('local driver: the message row vanished after its insert');
  return { row: stored, fresh: inserted.length > 0 };
}

export class LocalMessageGateway implements MessageGateway {
  readonly driver = 'local' as const;

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
  ) {}

  async send(message: WhatsAppMessage): Promise<SentMessage> {
    const { row, fresh } = await record(this.db, {
      // Shaped like Twilio's SM + 32 hex, marked local so no one looks for it at Twilio.
      id: `local-SM${randomBytes(16).toString('hex')}`,
      channel: 'whatsapp',
      idempotency_key: message.idempotencyKey,
      recipient_masked: maskPhone(message.to),
      status: DELIVERED,
    });
    if (fresh) this.logger.info({ idempotencyKey: row.idempotency_key, messageId: row.id, recipient: row.recipient_masked }, 'local driver: WhatsApp message recorded');
    return { sid: row.id, status: row.status };
  }

  /** The key is kept here, so there is no need to search by recipient and body as with Twilio. */
  async findSent(message: WhatsAppMessage, _sentAfter: Date): Promise<SentMessage | null> {
    const row = await this.db<LocalMessageRow>(TABLE).where({ idempotency_key: message.idempotencyKey, channel: 'whatsapp' }).first();
    return row ? { sid: row.id, status: row.status } : null;
  }
}

export class LocalMailGateway implements MailGateway {
  readonly driver = 'local' as const;

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
  ) {}

  async send(message: MailMessage): Promise<{ readonly messageId: string }> {
    const { row, fresh } = await record(this.db, {
      // The same Message-ID the SMTP driver would give it.
      id: messageIdFor(message.idempotencyKey),
      channel: 'email',
      idempotency_key: message.idempotencyKey,
      recipient_masked: maskEmail(message.to),
      status: DELIVERED,
    });
    if (fresh) this.logger.info({ idempotencyKey: row.idempotency_key, messageId: row.id, recipient: row.recipient_masked }, 'local driver: e-mail recorded');
    return { messageId: row.id };
  }
}
