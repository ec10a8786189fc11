import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdFor, SmtpMailGateway } from '../../infra/integrations/mail/smtp-gateway.js';
import { calendarFileFor } from '../../integrations/ics.js';
import { PermanentIntegrationFailure, TransientIntegrationFailure } from '../../integrations/integration-errors.js';
import type { MailMessage } from '../../integrations/ports.js';
import { startFakeSmtp, type FakeSmtp } from '../support/fakes/smtp-server.js';

let smtp: FakeSmtp;
let gateway: SmtpMailGateway;
const from = 'PsicoPay <agenda@psicopay.test>';

const ics = calendarFileFor({
  uid: 'session-1@psicopay.local',
  dtstamp: new Date('2024-06-01T12:00:00Z'),
  startsAt: new Date('2024-07-15T13:00:00Z'),
  endsAt: new Date('2024-07-15T13:50:00Z'),
  timeZone: 'America/Argentina/Buenos_Aires',
  summary: 'Sesión con Lic. Gómez',
  description: 'Sesión online. Cancelaciones: https://psicopay.local/cancelar/tok',
});
const mail = (overrides: Partial<MailMessage> = {}): MailMessage => ({
  to: 'paciente@example.com',
  subject: 'Sesión confirmada con Lic. Gómez: lunes 15 de julio, 10:00',
  text: 'Hola Ana:\n\nTu sesión quedó confirmada.',
  calendar: { filename: 'sesion.ics', content: ics },
  idempotencyKey: 'email-booking-confirmed-b1',
  ...overrides,
});

beforeAll(async () => {
  smtp = await startFakeSmtp();
  gateway = new SmtpMailGateway({ url: smtp.url, from });
});
afterAll(async () => {
  gateway.close();
  await smtp.close();
});

describe('SMTP mail gateway (nodemailer against a local SMTP server)', () => {
  it('delivers the mail, authenticated, with its text and the .ics as a text/calendar attachment', async () => {
    const sent = await gateway.send(mail());
    const received = smtp.messages.find((m) => m.messageId === sent.messageId);
    expect(received).toBeDefined();
    expect(received?.authUser).toBe(smtp.user);
    expect(received?.envelope.to).toEqual(['paciente@example.com']);
    expect(received?.to).toBe('paciente@example.com');
    expect(received?.from).toContain('agenda@psicopay.test');
    expect(received?.subject).toBe('Sesión confirmada con Lic. Gómez: lunes 15 de julio, 10:00');
    expect(received?.text.trim()).toBe('Hola Ana:\n\nTu sesión quedó confirmada.');
    expect(received?.attachments).toHaveLength(1);
    const [attachment] = received?.attachments ?? [];
    expect(attachment?.filename).toBe('sesion.ics');
    expect(attachment?.contentType).toBe('text/calendar');
    expect(attachment?.contentDisposition).toBe('attachment');
    expect(received?.raw).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=PUBLISH/i);
    // The file survives the trip byte for byte and still parses as the same event.
    expect(attachment?.content).toBe(ics);
    const vevent = ICAL.Component.fromString(attachment?.content ?? '').getFirstSubcomponent('vevent');
    expect(vevent && new ICAL.Event(vevent).startDate.toJSDate().toISOString()).toBe('2024-07-15T13:00:00.000Z');
  });

  it('gives the mail a deterministic Message-ID from the idempotency key, the same on a resend', async () => {
    const first = await gateway.send(mail({ idempotencyKey: 'email-k2' }));
    const again = await new SmtpMailGateway({ url: smtp.url, from }).send(mail({ idempotencyKey: 'email-k2' }));
    expect(first.messageId).toBe('<email-k2@psicopay.local>');
    expect(again.messageId).toBe(first.messageId);
    expect(smtp.messages.filter((m) => m.messageId === '<email-k2@psicopay.local>')).toHaveLength(2);
  });

  it('keeps a Message-ID valid whatever the key holds, without two keys sharing one', () => {
    expect(messageIdFor('email:booking/1')).toBe('<email%3Abooking/1@psicopay.local>');
    expect(messageIdFor('a b')).not.toBe(messageIdFor('a%20b'));
    expect(messageIdFor('ñ.x')).toMatch(/^<[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+@psicopay\.local>$/);
  });

  it('sends an html part when given one, next to the text', async () => {
    const sent = await gateway.send(mail({ idempotencyKey: 'email-k3', html: '<p>Hola <b>Ana</b></p>', calendar: undefined }));
    const received = smtp.messages.find((m) => m.messageId === sent.messageId);
    expect(received?.html).toContain('<b>Ana</b>');
    expect(received?.text.trim()).toBe('Hola Ana:\n\nTu sesión quedó confirmada.');
    expect(received?.attachments).toEqual([]);
  });

  it('reports a 421 (try later) as transient, with no address in the message', async () => {
    smtp.failNext(421, 1);
    const error = await gateway.send(mail({ idempotencyKey: 'email-k4' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientIntegrationFailure);
    expect((error as TransientIntegrationFailure).status).toBe(421);
    expect((error as Error).message).not.toContain('@example.com');
  });

  it('reports a 550 (mailbox unavailable) as permanent, with no address in the message', async () => {
    smtp.failNext(550, 1);
    const error = await gateway.send(mail({ idempotencyKey: 'email-k5' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentIntegrationFailure);
    expect((error as PermanentIntegrationFailure).status).toBe(550);
    expect((error as Error).message).toBe('SMTP send: 550 EENVELOPE');
  });

  it('reports wrong credentials (535) as permanent', async () => {
    const url = new URL(smtp.url);
    url.password = 'wrong';
    const error = await new SmtpMailGateway({ url: url.toString(), from }).send(mail()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentIntegrationFailure);
    expect((error as Error).message).toBe('SMTP send: 535 EAUTH');
  });

  it('reports a refused connection as transient', async () => {
    const gone = await startFakeSmtp();
    await gone.close();
    const error = await new SmtpMailGateway({ url: gone.url, from }).send(mail()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientIntegrationFailure);
    expect((error as Error).message).toBe('SMTP send: ESOCKET');
  });
});
