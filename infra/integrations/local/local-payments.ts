import { randomInt, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { NotFoundAtProvider, PermanentIntegrationFailure, TransientIntegrationFailure } from '../../../integrations/integration-errors.js';
import type { CreatedPreference, MercadoPagoPayment, MercadoPagoPaymentStatus, PaymentGateway, PreferenceRequest } from '../../../integrations/ports.js';
import { signMercadoPagoNotification } from '../mercadopago/webhook-signature.js';

/**
 * Mercado Pago without credentials: preferences and payments kept in PostgreSQL (so a restart of the
 * embedded start keeps them), a checkout page of our own (src/http/dev-checkout-routes.ts), and
 * webhooks signed and shaped exactly as Mercado Pago's, so the real webhook route is what runs.
 */
export interface LocalPaymentGatewayOptions {
  readonly db: Knex;
  /** Where this process answers HTTP, e.g. http://127.0.0.1:3000: the checkout page lives under it. */
  readonly checkoutBaseUrl: string;
}

export interface LocalPreference {
  readonly id: string;
  readonly externalReference: string;
  readonly title: string;
  readonly price: number;
  readonly currency: string;
  readonly expiresAt: Date;
  readonly notificationUrl: string;
  readonly backUrl: string;
  /** Its approved payment, once paid. */
  readonly approvedPaymentId: string | null;
}

export interface WebhookDelivery {
  readonly paymentId: string;
  readonly webhookUrl: string;
  readonly secret: string;
  readonly now: Date;
}

interface PreferenceRow {
  id: string;
  external_reference: string;
  title: string;
  price: string;
  currency: string;
  expires_at: Date;
  notification_url: string;
  back_url: string;
}

interface PaymentRow {
  id: string;
  status: string;
  external_reference: string;
  amount: string;
  currency: string;
  date_approved: Date | null;
}

const PREFERENCES = 'app.local_mercadopago_preferences';
const PAYMENTS = 'app.local_mercadopago_payments';
const WEBHOOK_TIMEOUT_MS = 10_000;
const statuses: ReadonlySet<string> = new Set<MercadoPagoPaymentStatus>(['pending', 'approved', 'authorized', 'in_process', 'in_mediation', 'rejected', 'cancelled', 'refunded', 'charged_back']);

export class LocalPaymentGateway implements PaymentGateway {
  readonly driver = 'local' as const;
  readonly #db: Knex;
  readonly #checkoutBaseUrl: string;

  constructor(options: LocalPaymentGatewayOptions) {
    this.#db = options.db;
    this.#checkoutBaseUrl = options.checkoutBaseUrl.replace(/\/+$/, '');
  }

  async createPreference(request: PreferenceRequest): Promise<CreatedPreference> {
    // As Mercado Pago with X-Idempotency-Key: the same key answers the preference it first made.
    await this.#db(PREFERENCES)
      .insert({
        id: `local-pref-${randomUUID()}`,
        idempotency_key: request.idempotencyKey,
        external_reference: request.externalReference,
        title: request.title,
        price: request.price,
        currency: request.currency,
        expires_at: request.expiresAt,
        notification_url: request.notificationUrl,
        back_url: request.backUrl,
      })
      .onConflict('idempotency_key')
      .ignore();
    const row = await this.#db(PREFERENCES).where({ idempotency_key: request.idempotencyKey }).first<{ id: string } | undefined>('id');
    if (row === undefined) throw new TransientIntegrationFailure('Local Mercado Pago: the preference just written is not there');
    return { preferenceId: row.id, checkoutUrl: `${this.#checkoutBaseUrl}/dev/mercadopago/checkout/${encodeURIComponent(row.id)}` };
  }

  async getPayment(paymentId: string): Promise<MercadoPagoPayment> {
    // Mercado Pago's payment ids are numbers; anything else (a forged notification) is unknown there too.
    const row = /^\d{1,18}$/.test(paymentId) ? await this.#db(PAYMENTS).where({ id: paymentId }).first<PaymentRow | undefined>() : undefined;
    if (row === undefined) throw new NotFoundAtProvider('Local Mercado Pago: no such payment', 404);
    if (!statuses.has(row.status)) throw new PermanentIntegrationFailure('Local Mercado Pago: a payment has an unknown status');
    return {
      paymentId: String(row.id),
      status: row.status as MercadoPagoPaymentStatus,
      externalReference: row.external_reference,
      amount: Number(row.amount),
      currency: row.currency,
      dateApproved: row.date_approved?.toISOString() ?? null,
    };
  }

  /** What the checkout page shows; null when there is no such preference. */
  async preference(preferenceId: string): Promise<LocalPreference | null> {
    const row = await this.#db(PREFERENCES).where({ id: preferenceId }).first<PreferenceRow | undefined>();
    if (row === undefined) return null;
    const paid = await this.#db(PAYMENTS).where({ preference_id: preferenceId, status: 'approved' }).orderBy('id').first<{ id: string } | undefined>('id');
    return {
      id: row.id,
      externalReference: row.external_reference,
      title: row.title,
      price: Number(row.price),
      currency: row.currency,
      expiresAt: row.expires_at,
      notificationUrl: row.notification_url,
      backUrl: row.back_url,
      approvedPaymentId: paid === undefined ? null : String(paid.id),
    };
  }

  /**
   * The patient pays: an approved payment for the preference, or the one it already has, so paying
   * twice (a double click, a reload) never makes two. NotFoundAtProvider for an unknown preference;
   * a 410 PermanentIntegrationFailure once it expired unpaid (Mercado Pago refuses those too).
   */
  async approve(preferenceId: string, now: Date): Promise<string> {
    return this.#db.transaction(async (trx) => {
      // The row lock serialises two concurrent payments of the same preference.
      const preference = await trx(PREFERENCES).where({ id: preferenceId }).forUpdate().first<PreferenceRow | undefined>();
      if (preference === undefined) throw new NotFoundAtProvider('Local Mercado Pago: no such preference', 404);
      const existing = await trx(PAYMENTS).where({ preference_id: preferenceId, status: 'approved' }).orderBy('id').first<{ id: string } | undefined>('id');
      if (existing !== undefined) return String(existing.id);
      if (preference.expires_at.getTime() <= now.getTime()) throw new PermanentIntegrationFailure('Local Mercado Pago: the preference has expired', 410);
      const [inserted] = await trx(PAYMENTS)
        .insert({
          preference_id: preferenceId,
          status: 'approved',
          external_reference: preference.external_reference,
          amount: preference.price,
          currency: preference.currency,
          date_approved: now,
        })
        .returning<{ id: string }[]>('id');
      if (inserted === undefined) throw new TransientIntegrationFailure('Local Mercado Pago: the payment was not written');
      return String(inserted.id);
    });
  }

  /**
   * POSTs the notification Mercado Pago sends for a payment (`payment.updated`), signed with the
   * webhook secret; answers the receiver's HTTP status. TransientIntegrationFailure when unreachable.
   */
  async deliverWebhook(delivery: WebhookDelivery): Promise<number> {
    const url = new URL(delivery.webhookUrl);
    url.searchParams.set('data.id', delivery.paymentId);
    url.searchParams.set('type', 'payment');
    const requestId = randomUUID();
    const body = {
      action: 'payment.updated',
      api_version: 'v1',
      type: 'payment',
      data: { id: delivery.paymentId },
      date_created: delivery.now.toISOString(),
      live_mode: false,
      // Mercado Pago's notification ids are numbers, distinct per delivery.
      id: randomInt(1, 2 ** 47),
    };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': requestId,
          'x-signature': signMercadoPagoNotification({ secret: delivery.secret, dataId: delivery.paymentId, requestId, ts: delivery.now.getTime() }),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return response.status;
    } catch {
      throw new TransientIntegrationFailure('Local Mercado Pago: the webhook did not answer');
    }
  }
}
