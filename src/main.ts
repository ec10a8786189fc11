import type { Server, ServerResponse } from 'node:http';
import { ConfigError, loadConfig } from './config.js';
import { seedDemoTherapist } from './demo.js';
import { createHttpApp } from './http/app.js';
import { createServices, StartupError, type Services } from './services.js';

/** `npm start`: API, projections and scheduler in one process, with embedded defaults. */
async function main(): Promise<void> {
  const config = loadConfig();
  const services = await createServices(config);
  const server = await listen(services, config.port, config.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://localhost:${port}`;
  services.logger.info({ port, dataDir: config.dataDir, eventStore: services.eventStoreKind }, 'PsicoPay scheduling is listening');
  if (config.seedDemoTherapist) {
    const demo = await seedDemoTherapist(services);
    // Printed plainly (not only as JSON logs) because a newcomer copies these lines.
    process.stdout.write(
      [
        '',
        `PsicoPay scheduling ready on ${base}`,
        `  demo therapist: ${base}/api/public/therapists/${demo.slug}  (id ${demo.id})`,
        `  demo therapist token: ${demo.token}`,
        `  try: curl -H "Authorization: Bearer ${demo.token}" ${base}/api/availability/rules`,
        '',
      ].join('\n') + '\n',
    );
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    const { logger } = services;
    if (stopping) {
      // Someone wants it gone now (a second Ctrl-C): what is in flight is cut, accepted commands are already in the log.
      logger.warn({ signal }, 'second signal while shutting down; exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing the requests in flight');
    const bound = setTimeout(() => {
      logger.error({ signal, boundMs: SHUTDOWN_BOUND_MS }, 'shutdown did not finish within its bound; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_BOUND_MS);
    // Requests first, so every command accepted is answered; then services.close stops the scheduler,
    // the integrations and the projections (flushing their checkpoints), and the embedded server last.
    drain(server, DRAIN_MS, logger)
      .then(() => services.close())
      .then(
        () => {
          clearTimeout(bound);
          logger.info({ signal }, 'stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** How long requests in flight at shutdown may take to finish; then their connections are cut. */
const DRAIN_MS = 10_000;
/** The whole shutdown, within an orchestrator's usual 30 s grace; past it the process exits 1. */
const SHUTDOWN_BOUND_MS = 25_000;

/**
 * Stops accepting connections and lets the requests in flight finish: idle keep-alive connections
 * are closed as soon as they are idle, and answers sent meanwhile say `Connection: close`, so no
 * client sends another request down a connection about to go. Past `graceMs` the rest are cut.
 */
function drain(server: Server, graceMs: number, logger: Services['logger']): Promise<void> {
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  });
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => {
      logger.warn({ graceMs }, 'requests still in flight after the grace; closing their connections');
      server.closeAllConnections();
    }, graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(cut);
      resolve();
    });
  });
}

function listen(services: Services, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createHttpApp(services).listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new StartupError(error.code === 'EADDRINUSE' ? `Cannot listen on port ${port}: it is already in use (set PORT)` : `Cannot listen on port ${port}: ${error.message}`));
    });
  });
}

main().catch((error: unknown) => {
  // Configuration and start-up problems are one clear line, not a stack trace.
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Unexpected failure while starting: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
