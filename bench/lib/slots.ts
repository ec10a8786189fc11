import { DateTime } from 'luxon';
import { TIMEZONE } from './events.js';

export interface OpenSlot {
  readonly date: string;
  readonly time: string;
}

interface AvailabilityBody {
  readonly days?: readonly { readonly date: string; readonly slots: readonly { readonly time: string; readonly status: string }[] }[];
}

/** Local date `days` from today in the bench's time zone. */
export function localDate(days: number): string {
  return DateTime.now().setZone(TIMEZONE).startOf('day').plus({ days }).toISODate() ?? '';
}

/** The slots the public availability query calls available, in calendar order. */
export async function availableSlots(baseUrl: string, therapistId: string, fromDays: number, toDays: number): Promise<OpenSlot[]> {
  const response = await fetch(`${baseUrl}/api/public/availability?therapistId=${therapistId}&start=${localDate(fromDays)}&end=${localDate(toDays)}`);
  if (!response.ok) throw new Error(`availability of ${therapistId} answered ${response.status}`);
  const body = (await response.json()) as AvailabilityBody;
  return (body.days ?? []).flatMap((day) => day.slots.filter((s) => s.status === 'available').map((s) => ({ date: day.date, time: s.time })));
}

/** A booking request body for the public endpoint, patient `n`. */
export function bookingBody(therapistId: string, slot: OpenSlot, n: number): Record<string, unknown> {
  return {
    therapistId,
    patientName: `Paciente ${n}`,
    patientEmail: `paciente${n}@bench.example`,
    patientPhone: `+54911${String(10_000_000 + n).slice(-8)}`,
    requestedDate: slot.date,
    requestedTime: slot.time,
    paymentMethod: 'bank_transfer',
  };
}
