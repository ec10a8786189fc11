import type { Knex } from 'knex';
import { NotFound } from '../domain/shared/domain-error.js';

export interface PatientRow {
  id: string;
  therapist_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  date_of_birth: string | null;
  gender: string | null;
  emergency_contact_name: string | null;
  emergency_contact_phone: string | null;
  preferred_contact_method: string;
  preferred_language: string;
  occupation: string | null;
  city: string | null;
  referral_source: string | null;
  first_booking_id: string | null;
  registered_at: Date;
  forgotten_at: Date | null;
  archived: boolean;
}

/** BR-PP-005: a patient with no session for two years shows as archived (computed at query time, never deleted). */
export const ARCHIVED = `(p.registered_at < ?::timestamptz - interval '2 years' AND NOT EXISTS (
  SELECT 1 FROM read.sessions s WHERE s.patient_id = p.id AND s.status <> 'cancelled' AND s.starts_at >= ?::timestamptz - interval '2 years'))`;

export function patientJson(row: PatientRow) {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    dateOfBirth: row.date_of_birth,
    gender: row.gender,
    emergencyContact: { name: row.emergency_contact_name, phone: row.emergency_contact_phone },
    preferredContactMethod: row.preferred_contact_method,
    preferredLanguage: row.preferred_language,
    occupation: row.occupation,
    city: row.city,
    referralSource: row.referral_source,
    firstBookingId: row.first_booking_id,
    registeredAt: row.registered_at.toISOString(),
    archived: row.archived,
    // BR-PP-005: the record stays (dates, counts, amounts), the person is gone.
    forgotten: row.forgotten_at !== null,
    forgottenAt: row.forgotten_at?.toISOString() ?? null,
  };
}

export const selectPatients = (db: Knex, now: Date) => db('read.patients as p').select('p.*', db.raw(`${ARCHIVED} AS archived`, [now.toISOString(), now.toISOString()]));

/** One of the therapist's patients; another therapist's is not found (never a 403 that confirms it exists). */
export async function patientProfile(db: Knex, therapistId: string, patientId: string, now: Date) {
  const row = (await selectPatients(db, now).where({ 'p.id': patientId, 'p.therapist_id': therapistId }).first()) as PatientRow | undefined;
  if (!row) throw new NotFound('patient', patientId);
  return patientJson(row);
}

interface StatisticsRow {
  attended: number;
  cancelled: number;
  no_shows: number;
  attendance_rate: string | null;
  first_session_at: Date | null;
  last_session_at: Date | null;
  next_session_at: Date | null;
  total_paid: string;
  outstanding_balance: string;
  sessions_per_month: Record<string, number>;
}

/** A patient's statistics as of `at` (see migration 0008 for each definition); zeros before any session. */
export async function patientStatistics(db: Knex, patientId: string, at: Date) {
  const row = (await db.raw<{ rows: StatisticsRow[] }>('SELECT * FROM read.patient_statistics_at(?) WHERE patient_id = ?', [at.toISOString(), patientId])).rows[0];
  return {
    attended: row?.attended ?? 0,
    cancelled: row?.cancelled ?? 0,
    noShows: row?.no_shows ?? 0,
    attendanceRate: row?.attendance_rate == null ? null : Number(row.attendance_rate),
    firstSessionAt: row?.first_session_at?.toISOString() ?? null,
    lastSessionAt: row?.last_session_at?.toISOString() ?? null,
    nextSessionAt: row?.next_session_at?.toISOString() ?? null,
    totalPaid: Number(row?.total_paid ?? 0),
    outstandingBalance: Number(row?.outstanding_balance ?? 0),
    sessionsPerMonth: row?.sessions_per_month ?? {},
  };
}

interface NoteRow {
  id: string;
  note_type: string;
  content: string | null;
  pinned: boolean;
  author_id: string;
  editor_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A patient's notes, pinned first, newest first; `q` finds text in them. */
export async function patientNotes(db: Knex, therapistId: string, patientId: string, options: { q?: string | undefined; pinnedOnly?: boolean; noteId?: string } = {}) {
  const query = db('read.patient_notes').where({ patient_id: patientId, therapist_id: therapistId });
  if (options.noteId) void query.where({ id: options.noteId });
  if (options.q) void query.whereILike('content', `%${options.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (options.pinnedOnly) void query.where({ pinned: true });
  const rows = (await query.orderBy([{ column: 'pinned', order: 'desc' }, { column: 'created_at', order: 'desc' }, { column: 'id' }])) as NoteRow[];
  return rows.map((r) => ({
    id: r.id,
    type: r.note_type,
    content: r.content,
    pinned: r.pinned,
    authorId: r.author_id,
    editorId: r.editor_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

interface PreferencesRow {
  preferred_days: number[] | null;
  preferred_time_from: string | null;
  preferred_time_to: string | null;
  preferred_session_minutes: number | null;
  preferred_frequency: string | null;
  contact_preferences: string | null;
  special_accommodations: string | null;
  custom_price: string | null;
  set_at: Date;
}

export async function patientPreferencesOf(db: Knex, patientId: string) {
  const row = (await db('read.patient_preferences').where({ patient_id: patientId }).first()) as PreferencesRow | undefined;
  if (!row) return null;
  return {
    preferredDays: row.preferred_days ?? [],
    preferredTimeFrom: row.preferred_time_from,
    preferredTimeTo: row.preferred_time_to,
    preferredSessionMinutes: row.preferred_session_minutes,
    preferredFrequency: row.preferred_frequency,
    contactPreferences: row.contact_preferences,
    specialAccommodations: row.special_accommodations,
    customPrice: row.custom_price === null ? null : Number(row.custom_price),
    setAt: row.set_at.toISOString(),
  };
}

/** The patient's next scheduled sessions, soonest first. */
export async function upcomingSessions(db: Knex, patientId: string, now: Date, limit = 5) {
  const rows = (await db('read.sessions').select('id', 'starts_at', 'ends_at', 'price', 'payment_status', 'source').where({ patient_id: patientId, status: 'scheduled' }).where('starts_at', '>=', now).orderBy('starts_at').limit(limit)) as {
    id: string;
    starts_at: Date;
    ends_at: Date;
    price: string;
    payment_status: string;
    source: string;
  }[];
  return rows.map((r) => ({ id: r.id, startsAt: r.starts_at.toISOString(), endsAt: r.ends_at.toISOString(), price: Number(r.price), paymentStatus: r.payment_status, source: r.source }));
}
