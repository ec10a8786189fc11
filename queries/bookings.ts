import type { Knex } from 'knex';
import { NotFound } from '../domain/shared/domain-error.js';

interface BookingRow {
  id: string;
  therapist_id: string;
  status: string;
  /** NULL once the person was forgotten (patient_forgotten). */
  patient_name: string | null;
  patient_email: string | null;
  patient_phone: string | null;
  patient_forgotten: boolean;
  is_new_patient: boolean;
  reason_for_consultation: string | null;
  payment_method: string;
  requested_date: string;
  requested_time: string;
  starts_at: Date;
  ends_at: Date;
  duration_minutes: number;
  price_at_booking: string;
  currency: string;
  hold_expires_at: Date;
  hold_released: boolean;
  expires_at: Date;
  payment_reference: string | null;
  payment_expires_at: Date | null;
  expiry_reason: string | null;
  late_payment_received_at: Date | null;
  late_payment_reference: string | null;
  patient_id: string | null;
  session_id: string | null;
  payment_link: string | null;
  cancelled_by: string | null;
  cancellation_reason: string | null;
  requested_at: Date;
  closed_at: Date | null;
}

/** What the patient who made a booking may see of it: its own status, nothing about anyone else. */
export interface PublicBookingStatus {
  readonly id: string;
  readonly status: string;
  readonly therapist: { readonly id: string; readonly name: string; readonly slug: string };
  readonly requestedDate: string;
  readonly requestedTime: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly durationMinutes: number;
  readonly priceAtBooking: number;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly holdExpiresAt: string;
  readonly expiresAt: string;
  readonly sessionId: string | null;
  /** The Mercado Pago checkout, once the payments integration made it. */
  readonly paymentLink: string | null;
  /** The session's Google Meet link, once its calendar event exists. */
  readonly meetLink: string | null;
}

export async function publicBookingStatus(db: Knex, bookingId: string): Promise<PublicBookingStatus> {
  // A function of its own: the public role reads a booking by its id, and never lists bookings.
  const row = (await db.select('*').from(db.raw('read.public_booking(?)', [bookingId])).first()) as
    | (Pick<BookingRow, 'id' | 'therapist_id' | 'status' | 'requested_date' | 'requested_time' | 'starts_at' | 'ends_at' | 'duration_minutes' | 'price_at_booking' | 'currency' | 'payment_method' | 'hold_expires_at' | 'expires_at' | 'session_id'> & { therapist_name: string; therapist_slug: string; payment_link: string | null; meet_link: string | null })
    | undefined;
  if (!row) throw new NotFound('booking', bookingId);
  return {
    id: row.id,
    status: row.status,
    therapist: { id: row.therapist_id, name: row.therapist_name, slug: row.therapist_slug },
    requestedDate: row.requested_date,
    requestedTime: row.requested_time,
    startsAt: row.starts_at.toISOString(),
    endsAt: row.ends_at.toISOString(),
    durationMinutes: row.duration_minutes,
    priceAtBooking: Number(row.price_at_booking),
    currency: row.currency,
    paymentMethod: row.payment_method,
    holdExpiresAt: row.hold_expires_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    sessionId: row.session_id,
    paymentLink: row.payment_link,
    meetLink: row.meet_link,
  };
}

export interface BookingListFilter {
  readonly status?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly page: number;
  readonly pageSize: number;
}

/** The therapist's booking pipeline, soonest first, one page at a time. */
export async function therapistBookings(db: Knex, therapistId: string, filter: BookingListFilter) {
  const base = db('read.booking_requests').where('therapist_id', therapistId);
  if (filter.status) void base.where('status', filter.status);
  if (filter.from) void base.where('requested_date', '>=', filter.from);
  if (filter.to) void base.where('requested_date', '<=', filter.to);
  // One after the other: a tenant's reads share one transaction's connection.
  const countRow = await base.clone().count<{ count: string }[]>('* as count').first();
  const rows = (await base.clone().orderBy([{ column: 'starts_at' }, { column: 'id' }]).offset((filter.page - 1) * filter.pageSize).limit(filter.pageSize)) as BookingRow[];
  return {
    bookings: rows.map((r) => ({
      id: r.id,
      status: r.status,
      patient: { name: r.patient_name, email: r.patient_email, phone: r.patient_phone, isNewPatient: r.is_new_patient, patientId: r.patient_id, forgotten: r.patient_forgotten },
      reasonForConsultation: r.reason_for_consultation,
      requestedDate: r.requested_date,
      requestedTime: r.requested_time,
      startsAt: r.starts_at.toISOString(),
      endsAt: r.ends_at.toISOString(),
      priceAtBooking: Number(r.price_at_booking),
      currency: r.currency,
      paymentMethod: r.payment_method,
      paymentReference: r.payment_reference,
      holdExpiresAt: r.hold_expires_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      paymentExpiresAt: r.payment_expires_at?.toISOString() ?? null,
      expiryReason: r.expiry_reason,
      latePayment: r.late_payment_received_at ? { receivedAt: r.late_payment_received_at.toISOString(), reference: r.late_payment_reference } : null,
      sessionId: r.session_id,
      paymentLink: r.payment_link,
      cancelledBy: r.cancelled_by,
      requestedAt: r.requested_at.toISOString(),
    })),
    page: filter.page,
    pageSize: filter.pageSize,
    total: Number(countRow?.count ?? 0),
  };
}

interface SessionRow {
  id: string;
  patient_id: string;
  patient_name: string | null;
  booking_id: string | null;
  recurrence_id: string | null;
  starts_at: Date;
  ends_at: Date;
  duration_minutes: number;
  price: string;
  payment_status: string;
  status: string;
  source: string;
  payment_link: string | null;
  meet_link: string | null;
}

/** The therapist's sessions starting in [from, to). */
export async function therapistSessions(db: Knex, therapistId: string, range: { from: Date; to: Date }) {
  const rows = (await db('read.sessions as s')
    .leftJoin('read.patients as p', 'p.id', 's.patient_id')
    .select('s.*', 'p.name as patient_name')
    .where('s.therapist_id', therapistId)
    .where('s.starts_at', '>=', range.from)
    .where('s.starts_at', '<', range.to)
    .orderBy('s.starts_at')) as SessionRow[];
  return rows.map((r) => ({
    id: r.id,
    patient: { id: r.patient_id, name: r.patient_name },
    bookingId: r.booking_id,
    recurrenceId: r.recurrence_id,
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    durationMinutes: r.duration_minutes,
    price: Number(r.price),
    paymentStatus: r.payment_status,
    status: r.status,
    source: r.source,
    meetLink: r.meet_link,
    paymentLink: r.payment_link,
  }));
}
