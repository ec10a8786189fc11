import { describe, expect, it } from 'vitest';
import {
  bookingConfirmedEmail,
  bookingConfirmedWhatsApp,
  formatArs,
  meetLinkReminderWhatsApp,
  paymentReminderWhatsApp,
} from '../../integrations/message-texts.js';

const session = {
  patientFirstName: 'Ana',
  therapistName: 'Lic. María Gómez',
  // 13:00 UTC is 10:00 in Buenos Aires (UTC-3, no DST).
  startsAt: new Date('2024-07-15T13:00:00Z'),
  timeZone: 'America/Argentina/Buenos_Aires',
};
const confirmed = {
  ...session,
  price: 12000,
  meetLink: 'https://meet.google.com/abc-defg-hij',
  cancelUrl: 'https://psicopay.local/cancelar/tok123',
  calendarUrl: 'https://psicopay.local/agenda/tok123.ics',
};

describe('message texts', () => {
  it('shows prices as ARS with es-AR grouping', () => {
    expect(formatArs(12000)).toBe('$ 12.000');
    expect(formatArs(1500000)).toBe('$ 1.500.000');
    expect(formatArs(850)).toBe('$ 850');
  });

  describe('booking confirmed on WhatsApp', () => {
    it('greets the patient and states therapist, date and time on the therapist clock, price and links', () => {
      const text = bookingConfirmedWhatsApp(confirmed);
      expect(text).toMatch(/^Hola Ana, tu sesión con Lic\. María Gómez quedó confirmada\./);
      expect(text).toContain('lunes 15 de julio');
      expect(text).toContain('10:00');
      expect(text).not.toContain('13:00');
      expect(text).toContain('Argentina');
      expect(text).toContain('$ 12.000');
      expect(text).toContain('https://meet.google.com/abc-defg-hij');
      expect(text).toContain('https://psicopay.local/cancelar/tok123');
      expect(text).toContain('https://psicopay.local/agenda/tok123.ics');
    });

    it('says nothing about a video call while the Meet link is unknown', () => {
      const text = bookingConfirmedWhatsApp({ ...confirmed, meetLink: null });
      expect(text).not.toMatch(/meet|videollamada|null/i);
      expect(text).toContain('10:00');
    });

    it('shows the therapist zone clock for a therapist elsewhere: 13:00Z is 09:00 in New York in July', () => {
      const text = bookingConfirmedWhatsApp({ ...confirmed, timeZone: 'America/New_York' });
      expect(text).toContain('09:00');
      expect(text).not.toContain('10:00');
    });

    it('uses the local date when the UTC date differs: 02:00Z on the 16th is the 15th at 23:00 in Buenos Aires', () => {
      const text = bookingConfirmedWhatsApp({ ...confirmed, startsAt: new Date('2024-07-16T02:00:00Z') });
      expect(text).toContain('lunes 15 de julio');
      expect(text).toContain('23:00');
    });
  });

  describe('booking confirmed by e-mail', () => {
    it('has a subject naming therapist, date and time, and a text with the same facts', () => {
      const mail = bookingConfirmedEmail(confirmed);
      expect(mail.subject).toBe('Sesión confirmada con Lic. María Gómez: lunes 15 de julio, 10:00');
      for (const fact of ['Hola Ana', 'lunes 15 de julio', '10:00', '$ 12.000', confirmed.meetLink, confirmed.cancelUrl, confirmed.calendarUrl]) {
        expect(mail.text).toContain(fact);
      }
    });

    it('leaves the Meet line out while the link is unknown', () => {
      expect(bookingConfirmedEmail({ ...confirmed, meetLink: null }).text).not.toMatch(/meet|videollamada/i);
    });
  });

  describe('payment reminder (BR-RS-007, 24 h before an unpaid single session)', () => {
    it('states the session, the amount due and where to pay', () => {
      const text = paymentReminderWhatsApp({ ...session, price: 12000, paymentLink: 'https://mp.local/checkout/pref-1' });
      expect(text).toMatch(/^Hola Ana,/);
      expect(text).toContain('Lic. María Gómez');
      expect(text).toContain('lunes 15 de julio a las 10:00');
      expect(text).toContain('$ 12.000');
      expect(text).toContain('https://mp.local/checkout/pref-1');
      expect(text).not.toMatch(/mañana/i);
    });

    it('points to the therapist when there is no checkout link', () => {
      const text = paymentReminderWhatsApp({ ...session, price: 12000, paymentLink: null });
      expect(text).toContain('Coordiná el pago con Lic. María Gómez.');
      expect(text).not.toContain('null');
    });
  });

  describe('Meet link reminder (15 minutes before)', () => {
    it('gives the start time on the therapist clock and the link', () => {
      const text = meetLinkReminderWhatsApp({ ...session, meetLink: 'https://meet.google.com/abc-defg-hij' });
      expect(text).toMatch(/^Hola Ana, tu sesión con Lic\. María Gómez empieza a las 10:00/);
      expect(text).toContain('https://meet.google.com/abc-defg-hij');
    });
  });
});
