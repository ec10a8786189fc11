import type { Server } from 'node:http';
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
  // The embedded server is stopped last, by services.close, after HTTP, the scheduler and the projections.
  const shutdown = (signal: string) => {
    services.logger.info({ signal }, 'shutting down');
    server.close();
    server.closeAllConnections();
    void services.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
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
