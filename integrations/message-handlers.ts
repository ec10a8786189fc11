import type { IntegrationEvent } from '../domain/integrations/integration-events.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { RegisteredTherapist, SessionInState } from '../domain/therapist/therapist-state.js';
import { meetLinkOf } from './calendar-handlers.js';
import { keys, type MessagePurpose } from './dispatch-plan.js';
import type { DispatchHandler, HandlerResult } from './dispatcher.js';
import { calendarFileFor } from './ics.js';
import { driverOf, type IntegrationContext } from './integration-context.js';
import { bookingConfirmedEmail, bookingConfirmedWhatsApp, meetLinkReminderWhatsApp, paymentReminderWhatsApp } from './message-texts.js';
import { dispatchOf, freezeInputs, frozenInputs, rememberSent, sentBefore, type DispatchRow } from './outbox.js';
import { patientContactOf, type PatientContact } from './patient-contact.js';
import type { MailMessage, WhatsAppMessage } from './ports.js';

/** The confirmation waits this long at most for the session's Meet link before going without it. */
const MEET_LINK_WAIT_MS = 60_000;

interface Draft {
  readonly whatsapp?: Omit<WhatsAppMessage, 'idempotencyKey' | 'statusCallback'>;
  readonly mail?: Omit<MailMessage, 'idempotencyKey'>;
}

/**
 * One message per (booking or session, purpose, channel): what it says is decided when it is sent,
 * from the calendar as it stands (a cancelled session sends nothing) and the patient's contact
 * opened from their stream. A WhatsApp message claimed again after a crash mid-send is first looked
 * for at Twilio: found, it is recorded, not sent twice.
 */
export function messageHandler(ctx: IntegrationContext): DispatchHandler {
  return async (row, now): Promise<HandlerResult> => {
    if (row.payload.kind !== 'message' || !row.therapistId) throw new Error(`Not a message row: ${row.key}`);
    const { purpose, channel, sessionId, bookingId } = row.payload;
    const therapist = requireRegistered((await ctx.commands.therapists.load(therapistStream(row.therapistId))).state);
    const session = sessionId ? therapist.sessions[sessionId] : undefined;
    if (!session || session.status !== 'scheduled') return { status: 'skipped', reason: 'the session is not scheduled any more' };
    if (Date.parse(session.startsAt) <= now.getTime()) return { status: 'skipped', reason: 'the session has started' };
    const contact = await patientContactOf(ctx.store, ctx.commands.keys, session.patientId);
    if (contact === undefined) return { status: 'postponed', until: new Date(now.getTime() + 2_000), reason: 'the patient record is not written yet' };
    if (contact === null) return { status: 'skipped', reason: 'the patient was forgotten' };
    const frozen = frozenInputs(row);
    const meet = await meetLinkOf(ctx, session.sessionId);
    if (!frozen && purpose !== 'payment_reminder' && meet.pending && meet.since && now.getTime() - meet.since.getTime() < MEET_LINK_WAIT_MS) {
      return { status: 'postponed', until: new Date(now.getTime() + 1_000), reason: 'waiting for the Meet link' };
    }
    const inputs = frozen ?? { meetLink: meet.link, paymentLink: purpose === 'payment_reminder' ? await sessionPaymentLink(ctx, session.sessionId) : null };
    if (!frozen) await freezeInputs(ctx.db, row.key, inputs);
    const draft = draftOf(ctx, { purpose, therapist, session, bookingId, contact, meetLink: inputs.meetLink ?? null, paymentLink: inputs.paymentLink ?? null, now });
    if (typeof draft === 'string') return { status: 'skipped', reason: draft };
    const earlier = sentBefore(row);
    const sent = earlier ? { ...earlier, recovered: true } : channel === 'whatsapp' ? await sendWhatsApp(ctx, row, draft) : await sendMail(ctx, row, draft);
    if (typeof sent !== 'string' && !earlier) await rememberSent(ctx.db, row.key, { id: sent.id, status: sent.status });
    if (typeof sent === 'string') return { status: 'skipped', reason: sent };
    const event: IntegrationEvent = {
      type: 'MessageSent',
      data: { key: row.key, channel, purpose, sessionId, bookingId, providerId: sent.id, status: sent.status, recovered: sent.recovered, driver: driverOf(channel === 'whatsapp' ? ctx.whatsapp : ctx.mail), at: now.toISOString() },
    };
    return { status: 'done', events: [event], outcome: { providerId: sent.id } };
  };
}

async function sendWhatsApp(ctx: IntegrationContext, row: DispatchRow, draft: Draft): Promise<{ id: string; status: string; recovered: boolean } | string> {
  if (!draft.whatsapp) return 'no WhatsApp message for this purpose';
  const statusCallback = ctx.twilioStatusCallbacks ? `${ctx.urls.publicBaseUrl}/api/webhooks/twilio/status?therapist=${row.therapistId ?? ''}&key=${encodeURIComponent(row.key)}` : null;
  const message: WhatsAppMessage = { ...draft.whatsapp, statusCallback, idempotencyKey: row.key };
  // An earlier attempt may have sent it: the process died before recording it, or the answer was lost
  // (a timeout, a 5xx after Twilio accepted it). A minute's margin for clock skew.
  if (row.previousClaimAt || row.attempts > 1) {
    const found = await ctx.whatsapp.findSent(message, new Date((row.previousClaimAt ?? row.createdAt).getTime() - 60_000));
    if (found) return { id: found.sid, status: found.status, recovered: true };
  }
  const sent = await ctx.whatsapp.send(message);
  return { id: sent.sid, status: sent.status, recovered: false };
}

async function sendMail(ctx: IntegrationContext, row: DispatchRow, draft: Draft): Promise<{ id: string; status: string; recovered: boolean } | string> {
  if (!draft.mail) return 'no e-mail for this purpose, or no address';
  // The Message-ID is the key's: a mail resent after a crash is recognisably the same one.
  const sent = await ctx.mail.send({ ...draft.mail, idempotencyKey: row.key });
  return { id: sent.messageId, status: 'sent', recovered: false };
}

interface Facts {
  readonly purpose: MessagePurpose;
  readonly therapist: RegisteredTherapist;
  readonly session: SessionInState;
  readonly bookingId: string | null;
  readonly contact: PatientContact;
  readonly meetLink: string | null;
  readonly paymentLink: string | null;
  readonly now: Date;
}

async function sessionPaymentLink(ctx: IntegrationContext, sessionId: string): Promise<string | null> {
  const preference = await dispatchOf(ctx.db, keys.sessionPreference(sessionId));
  return (preference?.outcome as { checkoutUrl?: string } | null | undefined)?.checkoutUrl ?? null;
}

function draftOf(ctx: IntegrationContext, facts: Facts): Draft | string {
  const { therapist, session, contact } = facts;
  const base = { patientFirstName: contact.name.split(/\s+/)[0] ?? contact.name, therapistName: therapist.name, startsAt: new Date(session.startsAt), timeZone: therapist.policies.timezone, price: session.price };
  switch (facts.purpose) {
    case 'booking_confirmed': {
      const bookingId = facts.bookingId;
      if (!bookingId) return 'no booking to confirm';
      const token = ctx.commands.patientTokens.tokenFor(bookingId);
      const booking = therapist.bookings[bookingId];
      // A link the therapist revoked or reissued is not handed out again by a late message.
      const tokenValid = booking?.patientTokenHash === ctx.commands.patientTokens.hashOf(token);
      const cancelUrl = tokenValid ? `${ctx.urls.portalBaseUrl}/booking/${bookingId}?token=${encodeURIComponent(token)}` : `${ctx.urls.portalBaseUrl}/booking/${bookingId}`;
      const calendarUrl = tokenValid ? `${ctx.urls.publicBaseUrl}/api/public/bookings/${bookingId}/calendar.ics?token=${encodeURIComponent(token)}` : null;
      const texts = { ...base, meetLink: facts.meetLink, cancelUrl, calendarUrl: calendarUrl ?? cancelUrl };
      const mail = bookingConfirmedEmail(texts);
      const ics = calendarFileFor({
        uid: `${bookingId}@psicopay`,
        dtstamp: facts.now,
        startsAt: new Date(session.startsAt),
        endsAt: new Date(session.endsAt),
        timeZone: therapist.policies.timezone,
        summary: `Sesión con ${therapist.name}`,
        description: facts.meetLink ? `Google Meet: ${facts.meetLink}` : 'Sesión de psicoterapia',
        location: facts.meetLink,
        url: facts.meetLink,
      });
      return {
        whatsapp: { to: contact.phone, body: bookingConfirmedWhatsApp(texts) },
        ...(contact.email ? { mail: { to: contact.email, subject: mail.subject, text: mail.text, calendar: { filename: 'sesion.ics', content: ics } } } : {}),
      };
    }
    case 'payment_reminder':
      if (session.paymentStatus !== 'pending') return 'the session is paid';
      return { whatsapp: { to: contact.phone, body: paymentReminderWhatsApp({ ...base, paymentLink: facts.paymentLink }) } };
    case 'meet_link':
      if (!facts.meetLink) return 'the session has no Meet link';
      return { whatsapp: { to: contact.phone, body: meetLinkReminderWhatsApp({ ...base, meetLink: facts.meetLink }) } };
  }

}
