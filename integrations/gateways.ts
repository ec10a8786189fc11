import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Integrations as IntegrationSettings } from '../src/integration-config.js';
import type { CalendarGateway, MailGateway, MessageGateway, PaymentGateway } from './ports.js';

export interface Gateways {
  readonly payments: PaymentGateway;
  readonly calendar: CalendarGateway;
  readonly whatsapp: MessageGateway;
  readonly mail: MailGateway;
}

/**
 * One gateway per integration: the vendor's SDK when its credentials are set, the local driver
 * otherwise. SDKs are imported only when used: each weighs megabytes of heap in a 128 MB process.
 */
export async function createGateways(settings: IntegrationSettings, db: Knex, logger: Logger): Promise<Gateways> {
  const base = settings.urls.publicBaseUrl;
  const log = logger.child({ component: 'local-drivers' });
  const payments: PaymentGateway = settings.mercadoPago
    ? new (await import('../infra/integrations/mercadopago/mercadopago-gateway.js')).MercadoPagoGateway({ accessToken: settings.mercadoPago.accessToken, ...(settings.mercadoPago.baseUrl ? { baseUrl: settings.mercadoPago.baseUrl } : {}) })
    : new (await import('../infra/integrations/local/local-payments.js')).LocalPaymentGateway({ db, checkoutBaseUrl: base });
  const calendar: CalendarGateway = settings.google
    ? new (await import('../infra/integrations/google/google-calendar-gateway.js')).GoogleCalendarGateway({
        clientId: settings.google.clientId,
        clientSecret: settings.google.clientSecret,
        ...(settings.google.rootUrl ? { rootUrl: settings.google.rootUrl } : {}),
        ...(settings.google.tokenUrl ? { tokenUrl: settings.google.tokenUrl } : {}),
        ...(settings.google.authBaseUrl ? { authBaseUrl: settings.google.authBaseUrl } : {}),
      })
    : new (await import('../infra/integrations/local/local-calendar.js')).LocalCalendarGateway({ db, baseUrl: base });
  const local = await import('../infra/integrations/local/local-messages.js');
  const whatsapp: MessageGateway = settings.twilio
    ? new (await import('../infra/integrations/twilio/twilio-gateway.js')).TwilioWhatsAppGateway({
        accountSid: settings.twilio.accountSid,
        authToken: settings.twilio.authToken,
        from: settings.twilio.from,
        ...(settings.twilio.baseUrl ? { baseUrl: settings.twilio.baseUrl } : {}),
      })
    : new local.LocalMessageGateway(db, log);
  const mail: MailGateway = settings.smtp
    ? new (await import('../infra/integrations/mail/smtp-gateway.js')).SmtpMailGateway({ url: settings.smtp.url, from: settings.smtp.from })
    : new local.LocalMailGateway(db, log);
  return { payments, calendar, whatsapp, mail };
}
