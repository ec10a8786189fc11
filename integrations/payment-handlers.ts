import { DateTime } from 'luxon';
import { confirmBooking, startPayment } from '../commands/booking.js';
import type { Caller } from '../commands/caller.js';
import { recordSessionPayment } from '../commands/recurring.js';
import type { IntegrationEvent } from '../domain/integrations/integration-events.js';
import { DomainError } from '../domain/shared/domain-error.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistEventCodec } from '../domain/therapist/therapist-events.js';
import { therapistStream } from '../domain/therapist/streams.js';
import { keys } from './dispatch-plan.js';
import type { DispatchHandler, HandlerResult } from './dispatcher.js';
import { driverOf, type IntegrationContext } from './integration-context.js';
import { dispatchOf, type DispatchRow } from './outbox.js';

const HOUR_MS = 3_600_000;

/**
 * A checkout preference for a booking request (expiring with it) or a recurring session (an hour
 * before it, spec 6.3 h). The idempotency key is the outbox key: a retry after a crash answers the
 * preference already made.
 */
export function preferenceHandler(ctx: IntegrationContext): DispatchHandler {
  return async (row, now) => {
    if (row.payload.kind !== 'mp.preference' || !row.therapistId) throw new Error(`Not a preference row: ${row.key}`);
    const therapist = requireRegistered((await ctx.commands.therapists.load(therapistStream(row.therapistId))).state);
    const { reference } = row.payload;
    let target: { price: number; startsAt: string; expiresAt: Date } | undefined;
    if (reference.kind === 'booking') {
      const booking = therapist.bookings[reference.id];
      if (!booking || booking.status !== 'pending_payment') return { status: 'skipped', reason: 'the booking request is no longer waiting for payment' };
      target = { price: booking.priceAtBooking, startsAt: booking.startsAt, expiresAt: new Date(booking.expiresAt) };
    } else {
      const session = therapist.sessions[reference.id];
      if (!session || session.status !== 'scheduled' || session.paymentStatus !== 'pending') return { status: 'skipped', reason: 'the session is not waiting for payment' };
      target = { price: session.price, startsAt: session.startsAt, expiresAt: new Date(Date.parse(session.startsAt) - HOUR_MS) };
    }
    if (target.expiresAt.getTime() <= now.getTime()) return { status: 'skipped', reason: 'too late for a payment link' };
    const local = DateTime.fromISO(target.startsAt, { zone: therapist.policies.timezone }).setLocale('es-AR');
    const created = await ctx.payments.createPreference({
      externalReference: reference.id,
      title: `Sesión con ${therapist.name} — ${local.toFormat("cccc d 'de' LLLL, HH:mm")}`,
      price: target.price,
      currency: 'ARS',
      expiresAt: target.expiresAt,
      notificationUrl: `${ctx.urls.publicBaseUrl}/api/webhooks/mercadopago`,
      backUrl: `${ctx.urls.portalBaseUrl}/booking/${reference.id}`,
      idempotencyKey: row.key,
    });
    const event: IntegrationEvent = {
      type: 'PaymentLinkCreated',
      data: { key: row.key, reference, preferenceId: created.preferenceId, checkoutUrl: created.checkoutUrl, expiresAt: target.expiresAt.toISOString(), driver: driverOf(ctx.payments), at: now.toISOString() },
    };
    return { status: 'done', events: [event], outcome: created };
  };
}

/** Whose booking or session a payment is for: the preference we made for it says (our own outbox, not a read model). */
async function preferenceFor(ctx: IntegrationContext, externalReference: string): Promise<DispatchRow | undefined> {
  return (await dispatchOf(ctx.db, keys.bookingPreference(externalReference))) ?? (await dispatchOf(ctx.db, keys.sessionPreference(externalReference)));
}

/**
 * A payment notification: the payment is fetched from Mercado Pago (the notification itself is never
 * trusted for its content), recorded, and an approved one drives the booking: payment started, then
 * confirmed; or the recurring session paid. Every step is idempotent, so duplicates and
 * out-of-order notifications change nothing twice. A payment for a request already over is recorded
 * as late on the therapist's stream (the domain decides it), flagged for a refund decision.
 */
export function paymentNotificationHandler(ctx: IntegrationContext): DispatchHandler {
  return async (row, now): Promise<HandlerResult> => {
    if (row.payload.kind !== 'mp.payment') throw new Error(`Not a payment row: ${row.key}`);
    const payment = await ctx.payments.getPayment(row.payload.paymentId);
    const preference = payment.externalReference ? await preferenceFor(ctx, payment.externalReference) : undefined;
    if (!preference?.therapistId || preference.payload.kind !== 'mp.preference') return { status: 'skipped', reason: 'not a payment for one of our bookings or sessions' };
    const therapistId = preference.therapistId;
    const reference = preference.payload.reference;
    const recorded: IntegrationEvent = {
      type: 'MercadoPagoPaymentRecorded',
      data: { paymentId: payment.paymentId, reference, status: payment.status, amount: payment.amount, currency: payment.currency, driver: driverOf(ctx.payments), at: now.toISOString() },
    };
    const events: IntegrationEvent[] = [recorded];
    if (payment.status === 'approved') {
      const caller: Caller = { actor: { kind: 'webhook', source: 'mercadopago' }, correlationId: row.key, causationId: null };
      const short = await shortfall(ctx, therapistId, reference, payment);
      // Less than the price (or another currency) confirms nothing: the therapist sees it and decides.
      const refused = short ?? (await settlePayment(ctx, therapistId, reference, payment.paymentId, caller));
      // Money taken for something the calendar could not give: the therapist decides the refund.
      if (refused) {
        events.push({
          type: 'IntegrationCallFailed',
          data: { key: row.key, integration: 'mercadopago', kind: row.kind, reference, reason: `payment ${payment.paymentId} approved but refused by the calendar (${refused}): refund decision needed`, status: null, attempts: row.attempts, at: now.toISOString() },
        });
      }
    }
    return { status: 'done', events, therapistId, outcome: { paymentId: payment.paymentId, status: payment.status } };
  };
}

/** Why a payment does not pay for its booking or session (amount, currency); null when it does. */
async function shortfall(ctx: IntegrationContext, therapistId: string, reference: { kind: 'booking' | 'session'; id: string }, payment: { amount: number; currency: string }): Promise<string | null> {
  const therapist = requireRegistered((await ctx.commands.therapists.load(therapistStream(therapistId))).state);
  const price = reference.kind === 'booking' ? therapist.bookings[reference.id]?.priceAtBooking : therapist.sessions[reference.id]?.price;
  if (price === undefined) return null;
  if (payment.currency !== 'ARS') return `paid in ${payment.currency}, not ARS`;
  // Centavos of rounding are not a shortfall.
  return payment.amount + 0.01 < price ? `paid ${payment.amount} of ${price} ARS` : null;
}

/** Null when the payment took effect (or already had); the refusal's code when the calendar said no. */
async function settlePayment(ctx: IntegrationContext, therapistId: string, reference: { kind: 'booking' | 'session'; id: string }, paymentId: string, caller: Caller): Promise<string | null> {
  try {
    if (reference.kind === 'session') {
      await recordSessionPayment(ctx.commands, therapistId, reference.id, paymentId, caller, 'mercadopago');
      return null;
    }
    const started = await startPayment(ctx.commands, therapistId, reference.id, { method: 'mercadopago', reference: paymentId }, caller).catch(async (error: unknown) => {
      // Mercado Pago notifies a payment more than once (each with its own x-request-id): the booking this
      // very payment confirmed is no second payment, and no refund decision.
      if (error instanceof DomainError && error.code === 'booking_confirmed' && (await paymentStartedWith(ctx, therapistId, reference.id, paymentId))) return null;
      throw error;
    });
    // A late payment is on the therapist's stream already (LatePaymentReceived), flagged there.
    if (started === null || started.latePayment || started.booking.status === 'confirmed') return null;
    const confirmed = await confirmBooking(ctx.commands, therapistId, reference.id, caller).catch(async (error: unknown) => {
      if (!(error instanceof DomainError)) throw error;
      // Confirmed meanwhile by another notification of the same payment: nothing left to do.
      const { state } = await ctx.commands.therapists.load(therapistStream(therapistId));
      if (requireRegistered(state).bookings[reference.id]?.status === 'confirmed') return null;
      throw error;
    });
    return confirmed === null || confirmed.booking.status === 'confirmed' ? null : `booking ${confirmed.booking.status}`;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

/** Whether this booking's payment was started by this Mercado Pago payment (the state keeps no payment reference). */
async function paymentStartedWith(ctx: IntegrationContext, therapistId: string, bookingId: string, paymentId: string): Promise<boolean> {
  const events = await ctx.store.readStream(therapistStream(therapistId));
  return events.some((recorded) => {
    if (recorded.type !== 'PaymentStarted') return false;
    const event = therapistEventCodec.decode(recorded);
    return event?.type === 'PaymentStarted' && event.data.bookingId === bookingId && event.data.method === 'mercadopago' && event.data.reference === paymentId;
  });
}
