import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EventStoreDbEventStore } from '../../infra/event-store/eventstoredb-event-store.js';
import type { ContractStore } from '../contract/event-store-contract-support.js';
import { eventStoreContract } from '../contract/event-store.contract.js';

const IMAGE = 'eventstore/eventstore:24.10';
const HTTP_PORT = 2113;
/** How long the runtime may take to answer before we call it unreachable: a skip must be quick. */
const RUNTIME_PROBE_MS = 5000;

type Target = { readonly kind: 'url'; readonly url: string } | { readonly kind: 'container' } | { readonly kind: 'none'; readonly reason: string };

/**
 * Decided at module level, before collection, so a missing server turns into a visible skip with its
 * reason rather than a failing beforeAll: EVENTSTORE_URL first, else a throwaway container if Docker answers.
 */
const target = await findEventStoreDb();

if (target.kind === 'none') {
  const title = `EventStoreDB contract — skipped: no EVENTSTORE_URL and no container runtime (${target.reason})`;
  console.warn(title);
  describe.skip(title, () => {
    it.skip(`runs the event store contract against EventStoreDB: set EVENTSTORE_URL or start Docker (${target.reason})`, () => undefined);
  });
} else {
  eventStoreContract('EventStoreDB', () => (target.kind === 'url' ? connect(target.url) : startContainer()));
}

async function connect(url: string, stop: () => Promise<unknown> = () => Promise.resolve()): Promise<ContractStore> {
  const store = await EventStoreDbEventStore.connect(url);
  return {
    store,
    teardown: async () => {
      await store.close();
      await stop();
    },
  };
}

async function startContainer(): Promise<ContractStore> {
  // Loaded only here: files that never start a container should not pay for importing testcontainers.
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(IMAGE)
    .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_MEM_DB: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None' })
    .withExposedPorts(HTTP_PORT)
    .withWaitStrategy(Wait.forHttp('/health/live', HTTP_PORT).withStartupTimeout(110_000))
    .start();
  const url = `esdb://${container.getHost()}:${container.getMappedPort(HTTP_PORT)}?tls=false`;
  try {
    return await connect(url, () => container.stop());
  } catch (error) {
    await container.stop();
    throw error;
  }
}

async function findEventStoreDb(): Promise<Target> {
  const url = process.env.EVENTSTORE_URL;
  if (url) return { kind: 'url', url };
  const unavailable = await whyNoContainerRuntime();
  return unavailable === undefined ? { kind: 'container' } : { kind: 'none', reason: unavailable };
}

/** undefined when a container runtime answers; otherwise why not. */
async function whyNoContainerRuntime(): Promise<string | undefined> {
  // Without any of the places testcontainers looks, asking it would only cost time to say no.
  const home = os.homedir();
  const places = [
    '/var/run/docker.sock',
    path.join(home, '.docker', 'run', 'docker.sock'),
    path.join(home, '.docker', 'desktop', 'docker.sock'),
    path.join(home, '.testcontainers.properties'),
    process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
  ];
  if (!process.env.DOCKER_HOST && process.platform !== 'win32' && !places.some((p) => p !== undefined && existsSync(p))) {
    return 'DOCKER_HOST unset and no Docker socket found';
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${RUNTIME_PROBE_MS} ms`)), RUNTIME_PROBE_MS);
    });
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return undefined;
  } catch (error) {
    return `container runtime unreachable: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}
