import { MercadoPagoConfig, MercadoPagoError, MPConnectionError, MPRateLimitError, Payment, Preference } from 'mercadopago';
// The SDK takes its API root from this static, not from its config: the only way to point it at a
// local server speaking the same wire format. The package has no `exports` map, so the path is stable
// for the 3.x line; tests fail loudly if it moves.
import { AppConfig } from 'mercadopago/dist/utils/config/index.js';
import { z } from 'zod';
import { NotFoundAtProvider, PermanentIntegrationFailure, TransientIntegrationFailure } from '../../../integrations/integration-errors.js';
import type { CreatedPreference, MercadoPagoPayment, MercadoPagoPaymentStatus, PaymentGateway, PreferenceRequest } from '../../../integrations/ports.js';

export interface MercadoPagoGatewayOptions {
  readonly accessToken: string;
  /** The API root; Mercado Pago's own when absent. Tests point it at a local fake. */
  readonly baseUrl?: string;
  /** Per request; the SDK's default is a minute, far longer than a dispatcher attempt should hang. */
  readonly timeoutMs?: number;
}

const MERCADO_PAGO_API = AppConfig.BASE_URL;
const DEFAULT_TIMEOUT_MS = 15_000;

const statuses = ['pending', 'approved', 'authorized', 'in_process', 'in_mediation', 'rejected', 'cancelled', 'refunded', 'charged_back'] as const satisfies readonly MercadoPagoPaymentStatus[];

const preferenceAnswer = z.object({ id: z.string().min(1), init_point: z.url() });
const paymentAnswer = z.object({
  id: z.union([z.number().int(), z.string().min(1)]),
  status: z.enum(statuses),
  external_reference: z.string().nullish(),
  transaction_amount: z.number(),
  currency_id: z.string(),
  date_approved: z.string().nullish(),
});

/** Checkout Pro through the official SDK: preferences (with our idempotency key) and payments read back. */
export class MercadoPagoGateway implements PaymentGateway {
  readonly driver = 'mercadopago' as const;
  readonly #accessToken: string;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;

  constructor(options: MercadoPagoGatewayOptions) {
    this.#accessToken = options.accessToken;
    this.#baseUrl = (options.baseUrl ?? MERCADO_PAGO_API).replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async createPreference(request: PreferenceRequest): Promise<CreatedPreference> {
    const client = new Preference(this.#config());
    const answer = await this.#call('create preference', () =>
      client.create({
        body: {
          items: [{ id: request.externalReference, title: request.title, quantity: 1, unit_price: request.price, currency_id: request.currency }],
          external_reference: request.externalReference,
          notification_url: request.notificationUrl,
          back_urls: { success: request.backUrl, pending: request.backUrl, failure: request.backUrl },
          auto_return: 'approved',
          expires: true,
          expiration_date_to: request.expiresAt.toISOString(),
        },
        requestOptions: { idempotencyKey: request.idempotencyKey },
      }),
    );
    const parsed = parse(preferenceAnswer, answer, 'create preference');
    return { preferenceId: parsed.id, checkoutUrl: parsed.init_point };
  }

  async getPayment(paymentId: string): Promise<MercadoPagoPayment> {
    const client = new Payment(this.#config());
    const answer = await this.#call('get payment', () => client.get({ id: paymentId }));
    const parsed = parse(paymentAnswer, answer, 'get payment');
    return {
      paymentId: String(parsed.id),
      status: parsed.status,
      externalReference: parsed.external_reference ?? null,
      amount: parsed.transaction_amount,
      currency: parsed.currency_id,
      dateApproved: parsed.date_approved ?? null,
    };
  }

  // A config per call: the SDK's clients merge each call's requestOptions into their config for good,
  // so a shared one would carry one call's idempotency key into the next.
  #config(): MercadoPagoConfig {
    // Retries are the dispatcher's (with backoff, across restarts); the SDK's own would multiply them.
    return new MercadoPagoConfig({ accessToken: this.#accessToken, options: { timeout: this.#timeoutMs, maxRetries: 0 } });
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    // AppConfig is process-global. The SDK reads it synchronously when a call starts, so setting it
    // right before each call gives every gateway its own base URL even when several coexist.
    (AppConfig as { BASE_URL: string }).BASE_URL = this.#baseUrl;
    try {
      return await call();
    } catch (error) {
      throw classify(operation, error);
    }
  }
}

/** Status and Mercado Pago's error code only: bodies can echo what was sent (titles, payer data). */
function classify(operation: string, error: unknown): Error {
  if (error instanceof MPConnectionError) return new TransientIntegrationFailure(`Mercado Pago ${operation}: no answer (network failure or timeout)`);
  if (!(error instanceof MercadoPagoError)) {
    return new TransientIntegrationFailure(`Mercado Pago ${operation}: unexpected failure (${error instanceof Error ? error.name : typeof error})`);
  }
  const { status } = error;
  const message = `Mercado Pago ${operation} answered ${status}${/^[\w.-]{1,64}$/.test(error.error) ? ` (${error.error})` : ''}`;
  if (status === 429) {
    const retryAfterMs = error instanceof MPRateLimitError && error.retryAfter !== null ? error.retryAfter * 1000 : null;
    return new TransientIntegrationFailure(message, retryAfterMs, status);
  }
  // 408 timed out, 423 the idempotency key is busy with a concurrent request, 424 a dependency of MP's failed.
  if (status >= 500 || status === 408 || status === 423 || status === 424) return new TransientIntegrationFailure(message, null, status);
  if (status === 404) return new NotFoundAtProvider(message, status);
  return new PermanentIntegrationFailure(message, status);
}

function parse<T>(schema: z.ZodType<T>, answer: unknown, operation: string): T {
  const parsed = schema.safeParse(answer);
  // A 2xx we cannot read (a proxy's page, a new status value) is worth retrying, never acting on:
  // the same idempotency key makes a retried create answer the same preference.
  if (!parsed.success) throw new TransientIntegrationFailure(`Mercado Pago ${operation}: unexpected answer (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
  return parsed.data;
}
