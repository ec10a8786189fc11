import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalMailGateway, LocalMessageGateway, maskEmail, maskPhone } from '../../infra/integrations/local/local-messages.js';
import { createLogger } from '../../infra/logging/logger.js';
import { createKnex, migrateToLatest, type Knex } from '../../infra/postgres/knex.js';
import type { MailMessage, WhatsAppMessage } from '../../integrations/ports.js';
import { createTestDatabase } from '../support/database.js';
import { plaintextFindings } from '../support/plaintext-scan.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Knex;
let logLines: Record<string, unknown>[] = [];
const logger = createLogger('info', {}, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });

const whatsapp: WhatsAppMessage = {
  to: '+5491155550000',
  body: 'Hola Ana, tu sesión con Lic. Gómez quedó confirmada.',
  statusCallback: null,
  idempotencyKey: 'whatsapp:booking-confirmed:b1',
};
const mail: MailMessage = {
  to: 'paciente@example.com',
  subject: 'Sesión confirmada con Lic. Gómez',
  text: 'Hola Ana: tu sesión quedó confirmada.',
  calendar: { filename: 'sesion.ics', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' },
  idempotencyKey: 'email:booking-confirmed:b1',
};

beforeAll(async () => {
  database = await createTestDatabase('local_messages');
  db = createKnex(database.url, 2);
  await migrateToLatest(db);
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});
beforeEach(() => {
  logLines = [];
});

describe('local WhatsApp driver', () => {
  it('records a message as delivered with a Twilio-shaped local id and a masked recipient', async () => {
    const sent = await new LocalMessageGateway(db, logger).send(whatsapp);
    expect(sent).toEqual({ sid: expect.stringMatching(/^local-SM[0-9a-f]{32}$/) as unknown, status: 'delivered' });
    const rows = await db('app.local_messages').where({ idempotency_key: whatsapp.idempotencyKey });
    expect(rows).toEqual([expect.objectContaining({ id: sent.sid, channel: 'whatsapp', recipient_masked: '+54********00', status: 'delivered' })]);
  });

  it('answers the same row for the same key, also from a new instance after a restart, and logs once', async () => {
    const message = { ...whatsapp, idempotencyKey: 'whatsapp:k2' };
    const first = await new LocalMessageGateway(db, logger).send(message);
    const again = await new LocalMessageGateway(db, logger).send(message);
    expect(again).toEqual(first);
    expect(await db('app.local_messages').where({ idempotency_key: 'whatsapp:k2' })).toHaveLength(1);
    expect(logLines.filter((l) => l.msg === 'local driver: WhatsApp message recorded')).toHaveLength(1);
  });

  it('finds a sent message by its key, and nothing for a key never sent', async () => {
    const message = { ...whatsapp, idempotencyKey: 'whatsapp:k3' };
    const sent = await new LocalMessageGateway(db, logger).send(message);
    expect(await new LocalMessageGateway(db, logger).findSent(message, new Date(0))).toEqual(sent);
    expect(await new LocalMessageGateway(db, logger).findSent({ ...whatsapp, idempotencyKey: 'whatsapp:never' }, new Date(0))).toBeNull();
  });

  it('logs one line with the key, the id and the masked recipient only', async () => {
    const sent = await new LocalMessageGateway(db, logger).send({ ...whatsapp, idempotencyKey: 'whatsapp:k4' });
    const line = logLines.find((l) => l.msg === 'local driver: WhatsApp message recorded');
    expect(line).toMatchObject({ idempotencyKey: 'whatsapp:k4', messageId: sent.sid, recipient: '+54********00' });
    const text = JSON.stringify(logLines);
    expect(text).not.toContain('5491155550000');
    expect(text).not.toContain('Ana');
  });
});

describe('local e-mail driver', () => {
  it("records the mail under the SMTP driver's Message-ID, once per key", async () => {
    const first = await new LocalMailGateway(db, logger).send(mail);
    const again = await new LocalMailGateway(db, logger).send(mail);
    expect(first).toEqual({ messageId: '<email%3Abooking-confirmed%3Ab1@psicopay.local>' });
    expect(again).toEqual(first);
    const rows = await db('app.local_messages').where({ idempotency_key: mail.idempotencyKey });
    expect(rows).toEqual([expect.objectContaining({ id: first.messageId, channel: 'email', recipient_masked: 'p***@example.com', status: 'delivered' })]);
    expect(logLines.filter((l) => l.msg === 'local driver: e-mail recorded')).toEqual([
      // The logger masks anything shaped like an address, the Message-ID too; the key identifies the mail.
      expect.objectContaining({ idempotencyKey: mail.idempotencyKey, messageId: expect.stringMatching(/@psicopay\.local>$/) as unknown, recipient: 'p***@example.com' }),
    ]);
  });
});

describe('what the local drivers keep', () => {
  it('holds no phone number, e-mail address, name or body anywhere in the database', async () => {
    await new LocalMessageGateway(db, logger).send({ ...whatsapp, idempotencyKey: 'whatsapp:k5' });
    await new LocalMailGateway(db, logger).send({ ...mail, idempotencyKey: 'email:k5' });
    expect(await plaintextFindings(db, ['5491155550000', '55550000', 'paciente@example.com', 'paciente', 'Ana', 'Gómez', 'confirmada', 'VCALENDAR'])).toEqual([]);
  });

  it('masks contacts to what tells two apart', () => {
    expect(maskPhone('+5491155550000')).toBe('+54********00');
    expect(maskPhone('+14155238886')).toBe('+14********86');
    expect(maskPhone('+123')).toBe('+****');
    expect(maskEmail('paciente@example.com')).toBe('p***@example.com');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});
