import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { CommandContext } from '../commands/command-context.js';
import type { EventStore } from '../infra/event-store/event-store.js';
import type { CalendarGateway, MailGateway, MessageGateway, PaymentGateway } from './ports.js';

/** Where people and providers reach this service: links in messages, webhooks, the checkout's return. */
export interface IntegrationUrls {
  /** This API, as the outside world reaches it (webhooks, .ics links, the local checkout). */
  readonly publicBaseUrl: string;
  /** The patients' portal (the booking page a message links to); defaults to the API's own. */
  readonly portalBaseUrl: string;
}

/** What the integration handlers use: the write side (commands), the log, and one gateway per integration. */
export interface IntegrationContext {
  readonly commands: CommandContext;
  readonly store: EventStore;
  readonly db: Knex;
  readonly logger: Logger;
  readonly payments: PaymentGateway;
  readonly calendar: CalendarGateway;
  readonly whatsapp: MessageGateway;
  readonly mail: MailGateway;
  readonly urls: IntegrationUrls;
  /** Twilio's status callbacks are signed with the account's token; null with the local driver. */
  readonly twilioStatusCallbacks: boolean;
}

export function driverOf(gateway: { readonly driver: string }): 'real' | 'local' {
  return gateway.driver === 'local' ? 'local' : 'real';
}
