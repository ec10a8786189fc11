import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { outboxHealth } from '../../integrations/outbox.js';
import { useEventStoreDatabase } from '../support/database.js';

const NOW = new Date('2027-03-01T12:00:00.000Z');
const HOUR = 3_600_000;

/**
 * The integrations' health, asked by every /ready and /metrics scrape, over an outbox that keeps
 * every call it ever made: it counts what is open and what failed in the last day, answers every
 * integration (zeros when nothing is open), and never reads the done calls to do so.
 */
describe('Outbox health', () => {
  const database = useEventStoreDatabase('outbox_health');

  const call = (integration: string, status: string, fields: { nextAttemptAt?: Date; updatedAt?: Date; lastError?: string } = {}) => ({
    key: `${integration}:${randomUUID()}`,
    integration,
    kind: integration === 'mercadopago' ? 'mp.preference' : integration === 'google' ? 'google.create' : 'message',
    payload: {},
    status,
    due_at: NOW,
    next_attempt_at: fields.nextAttemptAt ?? NOW,
    last_error: fields.lastError ?? null,
    updated_at: fields.updatedAt ?? NOW,
  });

  it('counts open calls and those failed in the last day, every integration answered', async () => {
    const { db } = database;
    await db('app.integration_dispatches').insert([
      ...Array.from({ length: 50 }, () => call('whatsapp', 'done', { updatedAt: new Date(NOW.getTime() - 30 * 24 * HOUR) })),
      call('google', 'failed', { updatedAt: new Date(Date.now() - 48 * HOUR), lastError: 'gone' }),
      call('mercadopago', 'failed', { updatedAt: new Date(Date.now() - HOUR), lastError: 'refused' }),
      call('mercadopago', 'pending', { nextAttemptAt: new Date(NOW.getTime() - HOUR), lastError: 'timeout' }),
      call('mercadopago', 'pending', { nextAttemptAt: new Date(NOW.getTime() + HOUR) }),
    ]);

    expect(await outboxHealth(db, NOW)).toEqual([
      { integration: 'email', pending: 0, retrying: 0, failedLastDay: 0, oldestDueAt: null },
      { integration: 'google', pending: 0, retrying: 0, failedLastDay: 0, oldestDueAt: null },
      { integration: 'mercadopago', pending: 1, retrying: 1, failedLastDay: 1, oldestDueAt: new Date(NOW.getTime() - HOUR).toISOString() },
      { integration: 'whatsapp', pending: 0, retrying: 0, failedLastDay: 0, oldestDueAt: null },
    ]);
  });

  it('is answered from the indexes of open and failed calls, not by reading the whole outbox', async () => {
    const { db } = database;
    const asked: { sql: string; bindings: readonly unknown[] }[] = [];
    const listen = (query: { sql: string; bindings?: readonly unknown[] }) => asked.push({ sql: query.sql, bindings: query.bindings ?? [] });
    db.on('query', listen);
    try {
      await outboxHealth(db, NOW);
    } finally {
      db.off('query', listen);
    }
    const [health] = asked;
    if (!health) throw new Error('outboxHealth asked nothing');
    // With sequential scans priced out, a plan still needs one only if the rows cannot be reached otherwise.
    const plan = await db.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off');
      return (await trx.raw<{ rows: { 'QUERY PLAN': string }[] }>(`EXPLAIN ${health.sql.replace(/\$\d+/g, '?')}`, [...health.bindings] as never)).rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).not.toMatch(/Seq Scan/);
    expect(plan).toMatch(/integration_dispatches_failed/);
  });
});
