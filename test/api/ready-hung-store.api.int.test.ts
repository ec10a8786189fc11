import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsdbFaultServer } from '../support/esdb-fault-server.js';
import { startTestService, type TestService } from '../support/service.js';

/** `/ready` when the event store accepts connections and stops answering (issue 14): it answers, not ready. */
describe('/ready with a store that hangs', () => {
  let server: EsdbFaultServer;
  let service: TestService;
  beforeAll(async () => {
    server = await EsdbFaultServer.start();
    service = await startTestService({ env: { EVENTSTORE_URL: server.url() } });
  });
  afterAll(async () => {
    await service.close();
    await server.stop();
  });

  it('answers 503 naming the event store, within its bound, while every read waits forever; and ready again once the store answers', async () => {
    await expect.poll(async () => (await service.request('GET', '/ready')).status, { timeout: 20_000 }).toBe(200);
    const release = server.holdReads();
    const hung = await service.request('GET', '/ready');
    expect(hung.status).toBe(503);
    expect(hung.json).toMatchObject({ status: 'not_ready', checks: { eventStore: { ok: false, kind: 'eventstoredb' }, database: { ok: true } } });
    release();
    await expect.poll(async () => (await service.request('GET', '/ready')).status, { timeout: 20_000 }).toBe(200);
  }, 30_000);

  it('counts the events of other applications it skipped, for ops', async () => {
    server.writeForeign({ streamId: 'other-app-1', type: 'SomethingElse' });
    await expect.poll(async () => ((await service.request('GET', '/ready')).json.checks as { eventStore: { foreignEventsSkipped: number } }).eventStore.foreignEventsSkipped, { timeout: 20_000 }).toBeGreaterThan(0);
  });
});
