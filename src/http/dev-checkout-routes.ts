import express, { type Request, type Response, type Router } from 'express';
import { NotFoundAtProvider, PermanentIntegrationFailure } from '../../integrations/integration-errors.js';
import type { LocalPaymentGateway, LocalPreference } from '../../infra/integrations/local/local-payments.js';

export interface DevCheckoutDeps {
  readonly payments: LocalPaymentGateway;
  /** Our own Mercado Pago webhook, where the signed notification goes (from the request: this very server). */
  readonly webhookUrl: (req: Request) => string;
  readonly webhookSecret: string;
  readonly clock: { now(): Date };
}

const PATH = '/dev/mercadopago/checkout/:preferenceId';
const ZONE = 'America/Argentina/Buenos_Aires';

/**
 * The local driver's stand-in for Mercado Pago's checkout: a page to pay a preference on, and the
 * payment itself, which then goes through the same signed webhook and `auto_return` redirect as with
 * Mercado Pago, so the rest of the app cannot tell the difference. Only for the local driver.
 */
export function devCheckoutRoutes(deps: DevCheckoutDeps): Router {
  const router = express.Router();

  router.get(PATH, async (req, res) => {
    const preference = await deps.payments.preference(req.params.preferenceId);
    if (preference === null) return notFound(res);
    const expired = preference.approvedPaymentId === null && preference.expiresAt.getTime() <= deps.clock.now().getTime();
    page(res, expired ? 410 : 200, preference, expired ? 'expired' : preference.approvedPaymentId === null ? 'open' : 'paid');
  });

  // Parsed here only: the rest of the API takes JSON alone.
  router.post(PATH, express.urlencoded({ extended: false, limit: '1kb' }), async (req, res) => {
    const preference = await deps.payments.preference(req.params.preferenceId);
    if (preference === null) return notFound(res);
    const now = deps.clock.now();
    let paymentId: string;
    try {
      paymentId = await deps.payments.approve(preference.id, now);
    } catch (error) {
      if (error instanceof NotFoundAtProvider) return notFound(res);
      if (error instanceof PermanentIntegrationFailure && error.status === 410) return page(res, 410, preference, 'expired');
      throw error;
    }
    // Every press delivers again, so a webhook that was down when first paid can be retried from here.
    const status = await deps.payments.deliverWebhook({ paymentId, webhookUrl: deps.webhookUrl(req), secret: deps.webhookSecret, now });
    if (status < 200 || status > 299) {
      // Loud in development: Mercado Pago would retry for days, here nobody would notice.
      res.status(502).type('application/problem+json').json({ type: 'about:blank', title: 'Bad Gateway', status: 502, detail: `The webhook answered ${status}; press Pagar again to redeliver` });
      return;
    }
    const back = new URL(preference.backUrl);
    // What Mercado Pago's auto_return appends for an approved payment.
    for (const [key, value] of [
      ['collection_id', paymentId],
      ['collection_status', 'approved'],
      ['payment_id', paymentId],
      ['status', 'approved'],
      ['external_reference', preference.externalReference],
      ['preference_id', preference.id],
    ] as const) {
      back.searchParams.set(key, value);
    }
    res.redirect(303, back.toString());
  });

  return router;
}

function notFound(res: Response): void {
  res.status(404).type('application/problem+json').json({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'There is no such checkout preference' });
}

type PageState = 'open' | 'paid' | 'expired';

function page(res: Response, status: number, preference: LocalPreference, state: PageState): void {
  const amount = new Intl.NumberFormat('es-AR', { style: 'currency', currency: preference.currency }).format(preference.price);
  const expiry = new Intl.DateTimeFormat('es-AR', { dateStyle: 'long', timeStyle: 'short', hourCycle: 'h23', timeZone: ZONE }).format(preference.expiresAt);
  const heading = { open: 'Pagar con Mercado Pago (simulado)', paid: 'Pago aprobado', expired: 'Este link de pago venció' }[state];
  const note = {
    open: `Vence el ${expiry} (hora de Argentina).`,
    paid: 'Este pago ya fue aprobado. Podés volver al sitio.',
    expired: `Venció el ${expiry} (hora de Argentina). Pedí un link nuevo.`,
  }[state];
  const form =
    state === 'expired'
      ? ''
      : // No action: the form posts back to the page's own URL, wherever the router is mounted.
        `<form method="post"><button type="submit">${state === 'open' ? 'Pagar' : 'Volver al sitio'}</button></form>`;
  const html = `<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}.amount{font-size:2rem;font-weight:600}button{font-size:1.1rem;padding:.6rem 2rem;background:#009ee3;color:#fff;border:0;border-radius:.4rem;cursor:pointer}.dev{color:#777;font-size:.85rem}</style>
</head>
<body>
<h1>${escapeHtml(heading)}</h1>
<p>${escapeHtml(preference.title)}</p>
<p class="amount">${escapeHtml(amount)}</p>
<p>${escapeHtml(note)}</p>
${form}
<p class="dev">Entorno de desarrollo: no se cobra nada.</p>
</body>
</html>`;
  // The app's policy is default-src 'none'; this page needs its inline style and its own form. A
  // browser also applies form-action to the redirect after the POST, so the back_url's origin is allowed.
  res.setHeader('Content-Security-Policy', `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${originOf(preference.backUrl)}`.trimEnd());
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).type('text/html; charset=utf-8').send(html);
}

function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : '';
  } catch {
    return '';
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
