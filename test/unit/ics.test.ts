import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { calendarFileFor, type CalendarFileInput } from '../../integrations/ics.js';

// The file is read back with ical.js, an independent RFC 5545 parser: it has no time-zone database
// of its own, so the instants below come out right only if our VTIMEZONE is right.

const base: CalendarFileInput = {
  uid: 'session-7f3a@psicopay.local',
  dtstamp: new Date('2024-06-01T12:34:56Z'),
  startsAt: new Date('2024-07-15T13:00:00Z'),
  endsAt: new Date('2024-07-15T13:50:00Z'),
  timeZone: 'America/Argentina/Buenos_Aires',
  summary: 'Sesión con Lic. Gómez',
  description: 'Sesión online',
};

function parsed(input: CalendarFileInput) {
  const calendar = ICAL.Component.fromString(calendarFileFor(input));
  const vevent = calendar.getFirstSubcomponent('vevent');
  if (!vevent) throw new Error('no VEVENT');
  return { calendar, vevent, event: new ICAL.Event(vevent) };
}

function observances(calendar: InstanceType<typeof ICAL.Component>): string[] {
  const vtimezone = calendar.getFirstSubcomponent('vtimezone');
  return vtimezone ? vtimezone.getAllSubcomponents().map((c) => c.name) : [];
}

describe('the .ics file for a session', () => {
  it('is a published calendar with CRLF line endings and no line over 75 octets', () => {
    const text = calendarFileFor({ ...base, description: 'Ñandú '.repeat(40) });
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of text.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(text).toContain('\r\nVERSION:2.0\r\nPRODID:-//PsicoPay//Agenda//ES\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n');
    expect(text).toContain('\r\nSTATUS:CONFIRMED\r\nSEQUENCE:0\r\n');
  });

  it('carries the UID and a UTC DTSTAMP', () => {
    const { vevent, event } = parsed(base);
    expect(event.uid).toBe(base.uid);
    const dtstamp = vevent.getFirstPropertyValue('dtstamp');
    expect(dtstamp).toBeInstanceOf(ICAL.Time);
    expect((dtstamp as InstanceType<typeof ICAL.Time>).toJSDate().toISOString()).toBe('2024-06-01T12:34:56.000Z');
    expect(calendarFileFor(base)).toContain('\r\nDTSTAMP:20240601T123456Z\r\n');
  });

  it('places a Buenos Aires session at its instant, shown on the local clock, with one STANDARD observance', () => {
    const { calendar, event } = parsed(base);
    expect(event.startDate.toJSDate().toISOString()).toBe('2024-07-15T13:00:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2024-07-15T13:50:00.000Z');
    expect(event.startDate.zone?.tzid).toBe('America/Argentina/Buenos_Aires');
    expect(event.startDate.hour).toBe(10);
    expect(calendarFileFor(base)).toContain('DTSTART;TZID=America/Argentina/Buenos_Aires:20240715T100000');
    expect(observances(calendar)).toEqual(['standard']);
  });

  it.each([
    { season: 'in daylight time', startsAt: '2024-07-15T14:00:00Z', endsAt: '2024-07-15T14:50:00Z', local: '20240715T100000' },
    { season: 'in standard time', startsAt: '2024-01-15T15:00:00Z', endsAt: '2024-01-15T15:50:00Z', local: '20240115T100000' },
  ])('places a New York session $season at its instant', ({ startsAt, endsAt, local }) => {
    const input = { ...base, timeZone: 'America/New_York', startsAt: new Date(startsAt), endsAt: new Date(endsAt) };
    const { calendar, event } = parsed(input);
    expect(event.startDate.toJSDate().toISOString()).toBe(new Date(startsAt).toISOString());
    expect(event.endDate.toJSDate().toISOString()).toBe(new Date(endsAt).toISOString());
    expect(calendarFileFor(input)).toContain(`DTSTART;TZID=America/New_York:${local}`);
    expect(observances(calendar).sort()).toEqual(['daylight', 'standard']);
  });

  it('gives New York its real onsets: second Sunday of March and first of November, 02:00 local', () => {
    const text = calendarFileFor({ ...base, timeZone: 'America/New_York', startsAt: new Date('2024-07-15T14:00:00Z'), endsAt: new Date('2024-07-15T14:50:00Z') });
    expect(text).toContain('BEGIN:DAYLIGHT\r\nDTSTART:20240310T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT');
    expect(text).toContain('BEGIN:STANDARD\r\nDTSTART:20241103T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD');
  });

  it('keeps a long description with accents, emoji and TEXT specials intact through folding and escaping', () => {
    const description = `Hola Ñusta 🌿 — sesión de 50′; traé agua, mate y paciencia.\nSegunda línea \\ con barra. ${'Â€𝄞'.repeat(30)}`;
    const { event, vevent } = parsed({ ...base, description, location: 'Av. Corrientes 1234, 5° B; CABA', url: 'https://psicopay.local/b/abc?x=1,2;3' });
    expect(event.description).toBe(description);
    expect(event.location).toBe('Av. Corrientes 1234, 5° B; CABA');
    expect(vevent.getFirstPropertyValue('url')).toBe('https://psicopay.local/b/abc?x=1,2;3');
    expect(event.summary).toBe(base.summary);
  });

  it('leaves LOCATION and URL out when unknown', () => {
    const text = calendarFileFor({ ...base, location: null, url: null });
    expect(text).not.toMatch(/^LOCATION/m);
    expect(text).not.toMatch(/^URL/m);
  });

  it('is the same bytes for the same input', () => {
    expect(calendarFileFor(base)).toBe(calendarFileFor({ ...base }));
  });

  it('refuses an unknown zone and an event that ends before it starts', () => {
    expect(() => calendarFileFor({ ...base, timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
    expect(() => calendarFileFor({ ...base, endsAt: base.startsAt })).toThrow(RangeError);
  });
});
