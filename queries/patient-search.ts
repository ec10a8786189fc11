import type { Knex } from 'knex';
import { ARCHIVED, patientJson, selectPatients, type PatientRow } from './patients.js';

export const PATIENTS_PAGE = 25;

export type PatientSort = 'name' | 'next_session' | 'last_session' | 'attendance_rate';

export interface PatientSearch {
  /** Part of a name, an e-mail or a phone number. */
  readonly q?: string | undefined;
  readonly status: 'active' | 'archived' | 'all';
  readonly sort: PatientSort;
  readonly cursor?: string | undefined;
}

/**
 * Each order's key, as of the reading instant (`?` binds it): next session soonest first, last
 * session and attendance rate highest first; patients without one (and forgotten ones, by name) last.
 */
const SORTS: Readonly<Record<PatientSort, { readonly key: string; readonly cast: string; readonly desc: boolean; readonly timed: boolean }>> = {
  name: { key: 'lower(p.name)', cast: 'text', desc: false, timed: false },
  next_session: { key: `(SELECT min(s.starts_at) FROM read.sessions s WHERE s.patient_id = p.id AND s.status = 'scheduled' AND s.starts_at >= ?::timestamptz)`, cast: 'timestamptz', desc: false, timed: true },
  last_session: { key: `(SELECT max(s.starts_at) FROM read.sessions s WHERE s.patient_id = p.id AND s.status <> 'cancelled' AND s.starts_at < ?::timestamptz)`, cast: 'timestamptz', desc: true, timed: true },
  attendance_rate: { key: '(SELECT st.attendance_rate FROM read.patient_statistics_at(?::timestamptz) st WHERE st.patient_id = p.id)', cast: 'numeric', desc: true, timed: true },
};

type Cursor = [PatientSort, boolean, string, string];

/**
 * The therapist's patients, 25 a page, in the order asked for. The cursor is the last row's sort
 * key (and the order it belongs to), so pages stay right while patients are added: no offset shifts.
 */
export async function searchPatients(db: Knex, therapistId: string, search: PatientSearch, now: Date) {
  const sort = SORTS[search.sort];
  const at = now.toISOString();
  // The key is computed once per row (a lateral subquery), then compared, ordered and handed out as `sk.k`.
  const query = selectPatients(db, now)
    .joinRaw(`LEFT JOIN LATERAL (SELECT (${sort.key}) AS k) sk ON true`, sort.timed ? [at] : [])
    .select(db.raw('sk.k::text AS sort_key'))
    .where('p.therapist_id', therapistId);
  if (search.q) {
    const like = `%${search.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const digits = search.q.replace(/\D/g, '');
    void query.where((w) => {
      void w.whereILike('p.name', like).orWhereILike('p.email', like);
      if (digits.length >= 3) void w.orWhereLike('p.phone', `%${digits}%`);
    });
  }
  if (search.status !== 'all') void query.whereRaw(`${search.status === 'archived' ? '' : 'NOT '}${ARCHIVED}`, [at, at]);
  const after = decodeCursor(search.cursor, search.sort);
  if (after) {
    const [, isNull, text, id] = after;
    // A row without a key (the NULL group, last) compares by id alone; bind NULL, never '' cast to a timestamp.
    const key = isNull ? null : text;
    // Parenthesised whole: knex adds a raw condition with AND as it is, and this one has an OR.
    void query.whereRaw(
      `((sk.k IS NULL) > ? OR ((sk.k IS NULL) = ? AND (? OR sk.k ${sort.desc ? '<' : '>'} ?::${sort.cast} OR (sk.k = ?::${sort.cast} AND p.id > ?::uuid)) AND (NOT ? OR p.id > ?::uuid)))`,
      [isNull, isNull, isNull, key, key, id, isNull, id],
    );
  }
  const rows = (await query.orderByRaw(`(sk.k IS NULL), sk.k ${sort.desc ? 'DESC' : 'ASC'}, p.id`).limit(PATIENTS_PAGE + 1)) as (PatientRow & { sort_key: string | null })[];
  const page = rows.slice(0, PATIENTS_PAGE);
  const last = page[page.length - 1];
  return {
    patients: page.map(patientJson),
    nextCursor: rows.length > PATIENTS_PAGE && last ? encodeCursor([search.sort, last.sort_key === null, last.sort_key ?? '', last.id]) : null,
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** Undefined for no cursor; one that is not ours, or of another order, throws (the route answers 400). */
export function decodeCursor(cursor: string | undefined, sort: PatientSort): Cursor | undefined {
  if (cursor === undefined) return undefined;
  const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Array.isArray(value) || value.length !== 4 || value[0] !== sort || typeof value[1] !== 'boolean' || typeof value[2] !== 'string' || typeof value[3] !== 'string' || !/^[0-9a-f-]{36}$/.test(value[3])) {
    throw new Error('not a cursor of this order');
  }
  return value as Cursor;
}
