import { DateTime } from 'luxon';

/**
 * What patients read (WhatsApp and e-mail), in Argentine Spanish (voseo). Pure: times are shown on
 * the therapist's clock, named, because that is the clock the session is agreed on; a patient in
 * another zone sees which one it is. No relative words ("mañana", "en 15 minutos"): a message
 * delivered late by a retry would then say something false.
 */

const LOCALE = 'es-AR';

interface SessionFacts {
  readonly patientFirstName: string;
  readonly therapistName: string;
  readonly startsAt: Date;
  /** The therapist's IANA zone. */
  readonly timeZone: string;
}

export interface BookingConfirmedInput extends SessionFacts {
  /** ARS. */
  readonly price: number;
  /** Known once the calendar event exists; the link is left out until then. */
  readonly meetLink: string | null;
  readonly cancelUrl: string;
  /** The .ics download. */
  readonly calendarUrl: string;
}

export interface PaymentReminderInput extends SessionFacts {
  readonly price: number;
  /** The checkout page; null when the therapist takes payment some other way. */
  readonly paymentLink: string | null;
}

export interface MeetLinkReminderInput extends SessionFacts {
  readonly meetLink: string;
}

export interface MailText {
  readonly subject: string;
  readonly text: string;
}

/** Date, time (the therapist's zone), price and the Meet link when known: the same in every confirmation. */
function sessionFacts(input: BookingConfirmedInput): (string | null)[] {
  const when = sessionTime(input.startsAt, input.timeZone);
  return [`Fecha: ${when.date}`, `Hora: ${when.time} (${when.zoneName})`, `Valor: ${formatArs(input.price)}`, input.meetLink ? `Videollamada (Google Meet): ${input.meetLink}` : null];
}

export function bookingConfirmedWhatsApp(input: BookingConfirmedInput): string {
  return lines(
    `Hola ${input.patientFirstName}, tu sesión con ${input.therapistName} quedó confirmada.`,
    '',
    ...sessionFacts(input),
    '',
    `Agregala a tu calendario: ${input.calendarUrl}`,
    `Si necesitás cancelar: ${input.cancelUrl}`,
  );
}

export function bookingConfirmedEmail(input: BookingConfirmedInput): MailText {
  const when = sessionTime(input.startsAt, input.timeZone);
  return {
    subject: `Sesión confirmada con ${input.therapistName}: ${when.date}, ${when.time}`,
    text: lines(
      `Hola ${input.patientFirstName}:`,
      '',
      `Tu sesión con ${input.therapistName} quedó confirmada.`,
      '',
      ...sessionFacts(input),
      '',
      `Para agregarla a tu calendario: ${input.calendarUrl}`,
      `Si necesitás cancelar, podés hacerlo acá: ${input.cancelUrl}`,
      '',
      'Saludos,',
      'PsicoPay',
    ),
  };
}

/** BR-RS-007: sent 24 h before a single session that is still unpaid. */
export function paymentReminderWhatsApp(input: PaymentReminderInput): string {
  const when = sessionTime(input.startsAt, input.timeZone);
  return lines(
    `Hola ${input.patientFirstName}, te recordamos que tu sesión con ${input.therapistName} es el ${when.date} a las ${when.time} (${when.zoneName}).`,
    `Todavía no registramos el pago de ${formatArs(input.price)}.`,
    input.paymentLink ? `Podés pagar acá: ${input.paymentLink}` : `Coordiná el pago con ${input.therapistName}.`,
    'Si ya pagaste, no hace falta que hagas nada.',
  );
}

/** Sent 15 minutes before the session. */
export function meetLinkReminderWhatsApp(input: MeetLinkReminderInput): string {
  const when = sessionTime(input.startsAt, input.timeZone);
  return lines(
    `Hola ${input.patientFirstName}, tu sesión con ${input.therapistName} empieza a las ${when.time} (${when.zoneName}).`,
    `Entrá a la videollamada acá: ${input.meetLink}`,
  );
}

/**
 * `$ 12.000`: the es-AR grouping, with a plain space after the sign. Intl's currency style puts a
 * no-break space there in some ICU versions and a narrow one in others; the text must not depend on
 * which Node built it.
 */
export function formatArs(amount: number): string {
  return `$ ${new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 0, maximumFractionDigits: 2 }).format(amount)}`;
}

/** "lunes 15 de julio", "10:00", "hora estándar de Argentina", on the zone's own clock. */
export function sessionTime(startsAt: Date, timeZone: string): { readonly date: string; readonly time: string; readonly zoneName: string } {
  const local = DateTime.fromJSDate(startsAt, { zone: timeZone }).setLocale(LOCALE);
  if (!local.isValid) throw new RangeError('sessionTime: unknown time zone');
  return { date: local.toFormat("cccc d 'de' LLLL"), time: local.toFormat('HH:mm'), zoneName: local.offsetNameLong ?? timeZone };
}

function lines(...parts: readonly (string | null)[]): string {
  return parts.filter((part): part is string => part !== null).join('\n');
}
