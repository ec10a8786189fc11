import type { Knex } from 'knex';

export interface HistoryFilter {
  readonly status?: string | undefined;
  readonly payment?: 'paid' | 'pending' | undefined;
  /** Local dates in the therapist's zone, inclusive. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

export interface HistoryEntry {
  readonly kind: 'session' | 'booking_request';
  readonly id: string;
  readonly status: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly price: number;
  readonly paymentStatus: string;
  readonly source: string;
  readonly bookingId: string | null;
}

interface HistoryRow {
  kind: 'session' | 'booking_request';
  id: string;
  status: string;
  starts_at: Date;
  ends_at: Date;
  price: string;
  payment_status: string;
  source: string;
  booking_id: string | null;
}

export const HISTORY_PAGE = 50;

/**
 * Every session and booking request of the patient, newest first: sessions as they are, and the
 * booking requests behind them (a confirmed one shows how the session came to be). Dates in the
 * therapist's zone.
 */
function historyQuery(db: Knex, therapistId: string, patientId: string, filter: HistoryFilter) {
  const zone = db.raw(`coalesce((SELECT timezone FROM read.booking_policies WHERE therapist_id = ?), 'America/Argentina/Buenos_Aires')`, [therapistId]);
  const sessions = db('read.sessions')
    .select(db.raw(`'session' AS kind`), 'id', 'status', 'starts_at', 'ends_at', 'price', 'payment_status', 'source', 'booking_id')
    .where({ patient_id: patientId, therapist_id: therapistId });
  const requests = db('read.booking_requests')
    .select(db.raw(`'booking_request' AS kind`), 'id', 'status', 'starts_at', 'ends_at', db.raw('price_at_booking AS price'), db.raw(`CASE WHEN status = 'confirmed' THEN 'paid' ELSE 'pending' END AS payment_status`), db.raw(`'booking' AS source`), db.raw('id AS booking_id'))
    .where({ patient_id: patientId, therapist_id: therapistId });
  const all = db.queryBuilder().from(db.raw('(? UNION ALL ?) AS h', [sessions, requests]));
  if (filter.status) void all.where('h.status', filter.status);
  if (filter.payment) void all.where('h.payment_status', filter.payment);
  if (filter.from) void all.whereRaw('(h.starts_at AT TIME ZONE (?))::date >= ?::date', [zone, filter.from]);
  if (filter.to) void all.whereRaw('(h.starts_at AT TIME ZONE (?))::date <= ?::date', [zone, filter.to]);
  return all;
}

const entryOf = (r: HistoryRow): HistoryEntry => ({
  kind: r.kind,
  id: r.id,
  status: r.status,
  startsAt: r.starts_at.toISOString(),
  endsAt: r.ends_at.toISOString(),
  price: Number(r.price),
  paymentStatus: r.payment_status,
  source: r.source,
  bookingId: r.booking_id,
});

/** Newest first; a booking request before the session it became, at the same instant. */
const NEWEST_FIRST = [{ column: 'h.starts_at', order: 'desc' }, { column: 'h.kind' }, { column: 'h.id' }] as const;

export async function patientHistory(db: Knex, therapistId: string, patientId: string, filter: HistoryFilter, page: number) {
  const query = historyQuery(db, therapistId, patientId, filter);
  // One after the other: a tenant's reads share one transaction's connection.
  const count = await query.clone().clearSelect().count<{ count: string }[]>('* as count').first();
  const rows = (await query.clone().select('h.*').orderBy([...NEWEST_FIRST]).offset((page - 1) * HISTORY_PAGE).limit(HISTORY_PAGE)) as HistoryRow[];
  return { entries: rows.map(entryOf), page, pageSize: HISTORY_PAGE, total: Number(count?.count ?? 0) };
}

/** The whole filtered history, for the CSV export. */
export async function patientHistoryAll(db: Knex, therapistId: string, patientId: string, filter: HistoryFilter): Promise<HistoryEntry[]> {
  const rows = (await historyQuery(db, therapistId, patientId, filter).select('h.*').orderBy([...NEWEST_FIRST])) as HistoryRow[];
  return rows.map(entryOf);
}
