import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { CommandContext } from '../commands/command-context.js';
import type { Integrations as IntegrationSettings } from '../src/integration-config.js';
import type { EventStore } from '../infra/event-store/event-store.js';
import { ProjectionRunner, type ProjectionStatus } from '../projections/projection-runner.js';
import { decodeEvent } from '../projections/registry.js';
import { createEventHandler, deleteEventHandler, patchEventHandler } from './calendar-handlers.js';
import { calendarConnectionCodec, calendarConnectionStream } from '../domain/integrations/integration-events.js';
import { CalendarBusyTimes } from './calendar-busy.js';
import { Dispatcher, outcomeEventId, type DispatcherOptions } from './dispatcher.js';
import { createGateways, type Gateways } from './gateways.js';
import type { IntegrationContext } from './integration-context.js';
import { GrantRevoked } from './integration-errors.js';
import { INTEGRATIONS_REACTOR, integrationsReactor } from './integrations-reactor.js';
import { messageHandler } from './message-handlers.js';
import { dispatchOf, outboxHealth, type DispatchRow, type IntegrationHealth } from './outbox.js';
import { paymentNotificationHandler, preferenceHandler } from './payment-handlers.js';
import { ExpectedRevision } from '../infra/event-store/event-store.js';

export interface IntegrationsDeps {
  readonly settings: IntegrationSettings;
  readonly commands: CommandContext;
  readonly store: EventStore;
  readonly db: Knex;
  readonly logger: Logger;
  /** Told of each outbox call's outcome (the metrics). */
  readonly onCall?: DispatcherOptions['onCall'];
}

/**
 * The integrations at run time: the reactor (log → outbox, its own checkpoint), the dispatcher
 * (outbox → the outside world → outcome events) and the gateways they call, real or local.
 */
export class IntegrationRuntime {
  readonly dispatcher: Dispatcher;
  /** Busy times from the therapists' Google calendars, for availability and booking decisions. */
  readonly busyTimes: CalendarBusyTimes;
  private readonly reactor: ProjectionRunner;

  private constructor(
    readonly gateways: Gateways,
    readonly context: IntegrationContext,
    private readonly deps: IntegrationsDeps,
    /** Verifies Mercado Pago's x-signature: the panel's secret, or one derived for the local driver's webhooks. */
    readonly mercadoPagoWebhookSecret: string,
  ) {
    this.busyTimes = new CalendarBusyTimes({ store: deps.store, keys: deps.commands.keys, calendar: gateways.calendar, logger: deps.logger.child({ component: 'calendar-busy' }), now: () => deps.commands.clock.now().getTime() });
    this.reactor = new ProjectionRunner({ store: deps.store, db: deps.db, projections: [integrationsReactor()], decode: decodeEvent, logger: deps.logger.child({ component: 'integrations-reactor' }) });
    this.dispatcher = new Dispatcher({
      db: deps.db,
      store: deps.store,
      clock: deps.commands.clock,
      logger: deps.logger.child({ component: 'integrations' }),
      handlers: {
        'mp.preference': preferenceHandler(context),
        'mp.payment': paymentNotificationHandler(context),
        'google.create': createEventHandler(context),
        'google.patch': patchEventHandler(context),
        'google.delete': deleteEventHandler(context),
        message: messageHandler(context),
      },
      onPermanentFailure: (row, error, now) => this.onPermanentFailure(row, error, now),
      ...(deps.onCall ? { onCall: deps.onCall } : {}),
    });
  }

  static async create(deps: IntegrationsDeps): Promise<IntegrationRuntime> {
    const gateways = await createGateways(deps.settings, deps.db, deps.logger);
    const context: IntegrationContext = {
      commands: deps.commands,
      store: deps.store,
      db: deps.db,
      logger: deps.logger,
      ...gateways,
      urls: deps.settings.urls,
      twilioStatusCallbacks: gateways.whatsapp.driver === 'twilio',
    };
    return new IntegrationRuntime(gateways, context, deps, deps.settings.mercadoPago?.webhookSecret ?? deps.commands.keys.derivedSecret('local mercadopago webhook'));
  }

  /**
   * Starts following the log. A reactor that never ran before starts at the head: deploying it onto
   * an existing history must not send a message for every booking ever confirmed.
   */
  async start(): Promise<void> {
    const ranBefore = await this.deps.db<{ name: string }>('projections.checkpoints').where({ name: INTEGRATIONS_REACTOR }).first('name');
    if (!ranBefore) {
      const head = await this.deps.store.headPosition();
      await this.deps.db('projections.checkpoints')
        .insert({ name: INTEGRATIONS_REACTOR, position_commit: head.commit.toString(), position_prepare: head.prepare.toString() })
        .onConflict('name')
        .ignore();
    }
    await this.reactor.start();
    this.dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
    await this.reactor.stop();
  }

  /** The reactor's and the outbox's state, per integration (ops, /ready). */
  async health(now: Date): Promise<{ reactor: ProjectionStatus[]; outbox: IntegrationHealth[]; dispatcher: ReturnType<Dispatcher['health']>; drivers: Record<string, string> }> {
    return { reactor: await this.reactor.status(), outbox: await outboxHealth(this.deps.db, now), dispatcher: this.dispatcher.health(), drivers: this.drivers() };
  }

  /** Which driver each integration runs (fixed at start: no query). */
  drivers(): Record<string, string> {
    return { mercadopago: this.gateways.payments.driver, google: this.gateways.calendar.driver, whatsapp: this.gateways.whatsapp.driver, email: this.gateways.mail.driver };
  }

  /** Waits (briefly) for a call's outcome, e.g. the payment link a booking's answer carries. */
  async outcomeOf(key: string, timeoutMs: number): Promise<DispatchRow | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const row = await dispatchOf(this.deps.db, key);
      if ((row && row.status !== 'pending' && row.status !== 'in_flight') || Date.now() >= until) return row;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A grant Google no longer honours disconnects the calendar: the therapist is told to connect it again. */
  private async onPermanentFailure(row: DispatchRow, error: Error, now: Date) {
    if (error instanceof GrantRevoked && row.therapistId) {
      const encoded = calendarConnectionCodec.encode({ type: 'GoogleCalendarDisconnected', data: { reason: 'grant_revoked', disconnectedAt: now.toISOString() } });
      await this.deps.store.append(
        calendarConnectionStream(row.therapistId),
        // The row's own id: a failure recorded twice (its record retried) disconnects once.
        [{ eventId: outcomeEventId(row.key, 200, 'GoogleCalendarDisconnected'), ...encoded, metadata: { correlationId: row.key, causationId: null, actor: { kind: 'system', job: 'integration:google' } } }],
        ExpectedRevision.any,
      );
    }
    return [];
  }
}
