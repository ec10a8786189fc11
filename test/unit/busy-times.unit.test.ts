import { describe, expect, it } from 'vitest';
import { busyTimes, type BusyEventSource } from '../../infra/integrations/google/busy-times.js';

const BUENOS_AIRES = 'America/Argentina/Buenos_Aires';
const NEW_YORK = 'America/New_York';

/** A week in Buenos Aires (UTC−3, no DST): Monday 26 January to Sunday 1 February 2026, local. */
const WEEK = { from: new Date('2026-01-26T03:00:00Z'), to: new Date('2026-02-02T03:00:00Z') };
const inBuenosAires = (events: BusyEventSource[], ownEventIds: ReadonlySet<string> = new Set()) =>
  busyTimes(events, { timeZone: BUENOS_AIRES, range: WEEK, ownEventIds });

const timed = (id: string, start: string, end: string, extra: Partial<BusyEventSource> = {}): BusyEventSource => ({
  id, status: 'confirmed', start: { dateTime: start, timeZone: BUENOS_AIRES }, end: { dateTime: end, timeZone: BUENOS_AIRES }, ...extra,
});
const allDay = (id: string, date: string, endDate: string): BusyEventSource => ({ id, status: 'confirmed', start: { date }, end: { date: endDate } });

describe('Busy time from a Google calendar', () => {
  it('a timed event is busy from its start to its end, as UTC instants', () => {
    expect(inBuenosAires([timed('a1', '2026-01-28T15:00:00-03:00', '2026-01-28T16:00:00-03:00')])).toEqual({
      intervals: [{ startsAt: '2026-01-28T18:00:00.000Z', endsAt: '2026-01-28T19:00:00.000Z' }],
      allDayDates: [],
    });
  });

  it('an event written in another offset is the same instant', () => {
    const busy = inBuenosAires([{ id: 'b1', start: { dateTime: '2026-01-28T21:00:00+01:00' }, end: { dateTime: '2026-01-28T22:30:00+01:00' } }]);
    expect(busy.intervals).toEqual([{ startsAt: '2026-01-28T20:00:00.000Z', endsAt: '2026-01-28T21:30:00.000Z' }]);
  });

  it('intervals come in time order, whatever order Google listed them in', () => {
    const busy = inBuenosAires([
      timed('late', '2026-01-29T10:00:00-03:00', '2026-01-29T11:00:00-03:00'),
      timed('early', '2026-01-27T10:00:00-03:00', '2026-01-27T11:00:00-03:00'),
    ]);
    expect(busy.intervals.map((interval) => interval.startsAt)).toEqual(['2026-01-27T13:00:00.000Z', '2026-01-29T13:00:00.000Z']);
  });

  it('a transparent ("free") event, a cancelled one and an invitation the therapist declined are not busy', () => {
    const busy = inBuenosAires([
      timed('free', '2026-01-27T10:00:00-03:00', '2026-01-27T11:00:00-03:00', { transparency: 'transparent' }),
      timed('gone', '2026-01-27T12:00:00-03:00', '2026-01-27T13:00:00-03:00', { status: 'cancelled' }),
      timed('declined', '2026-01-27T14:00:00-03:00', '2026-01-27T15:00:00-03:00', { attendees: [{ self: false, responseStatus: 'accepted' }, { self: true, responseStatus: 'declined' }] }),
      timed('accepted', '2026-01-27T16:00:00-03:00', '2026-01-27T17:00:00-03:00', { attendees: [{ self: true, responseStatus: 'accepted' }] }),
    ]);
    expect(busy.intervals).toEqual([{ startsAt: '2026-01-27T19:00:00.000Z', endsAt: '2026-01-27T20:00:00.000Z' }]);
  });

  it('a declined invitation counts when asked to', () => {
    const declined = timed('declined', '2026-01-27T14:00:00-03:00', '2026-01-27T15:00:00-03:00', { attendees: [{ self: true, responseStatus: 'declined' }] });
    expect(busyTimes([declined], { timeZone: BUENOS_AIRES, range: WEEK, ownEventIds: new Set(), ignoreDeclined: false }).intervals).toHaveLength(1);
  });

  it('our own events are sessions already: neither they nor instances of them count', () => {
    const busy = inBuenosAires(
      [
        timed('ps0123456789abcdef0123456789abcdef', '2026-01-27T09:00:00-03:00', '2026-01-27T09:50:00-03:00'),
        timed('psfeed_20260128T120000Z', '2026-01-28T09:00:00-03:00', '2026-01-28T09:50:00-03:00', { recurringEventId: 'psfeed' }),
      ],
      new Set(['ps0123456789abcdef0123456789abcdef', 'psfeed']),
    );
    expect(busy).toEqual({ intervals: [], allDayDates: [] });
  });

  it('an all-day event blocks its date; its end date is exclusive', () => {
    expect(inBuenosAires([allDay('holiday', '2026-01-30', '2026-01-31')])).toEqual({ intervals: [], allDayDates: ['2026-01-30'] });
  });

  it('a multi-day all-day event blocks each local date it covers, clipped to the range, each date once', () => {
    const busy = inBuenosAires([allDay('leave', '2026-01-20', '2026-01-28'), allDay('congress', '2026-01-27', '2026-01-29'), allDay('trip', '2026-01-31', '2026-02-10')]);
    expect(busy.allDayDates).toEqual(['2026-01-26', '2026-01-27', '2026-01-28', '2026-01-31', '2026-02-01']);
  });

  it('a years-long all-day event costs only the range', () => {
    expect(inBuenosAires([allDay('sabbatical', '2000-01-01', '2100-01-01')]).allDayDates).toHaveLength(7);
  });

  it('where the clocks spring forward, the range\'s local dates are still whole days (New York, 8 March 2026)', () => {
    // Local midnight to local midnight is 23 hours that day.
    const range = { from: new Date('2026-03-08T05:00:00Z'), to: new Date('2026-03-09T04:00:00Z') };
    const busy = busyTimes([allDay('conference', '2026-03-07', '2026-03-10')], { timeZone: NEW_YORK, range, ownEventIds: new Set() });
    expect(busy.allDayDates).toEqual(['2026-03-08']);
  });

  it('where the clocks fall back, the 25-hour day is one date (New York, 1 November 2026)', () => {
    const range = { from: new Date('2026-11-01T04:00:00Z'), to: new Date('2026-11-02T05:00:00Z') };
    const busy = busyTimes([allDay('retreat', '2026-10-31', '2026-11-03')], { timeZone: NEW_YORK, range, ownEventIds: new Set() });
    expect(busy.allDayDates).toEqual(['2026-11-01']);
  });

  it('the range\'s dates are read in the therapist\'s zone: the same instants cover other dates elsewhere', () => {
    // In Buenos Aires that range runs from 02:00 on 8 March to 01:00 on 9 March: two dates.
    const range = { from: new Date('2026-03-08T05:00:00Z'), to: new Date('2026-03-09T04:00:00Z') };
    const busy = busyTimes([allDay('conference', '2026-03-07', '2026-03-10')], { timeZone: BUENOS_AIRES, range, ownEventIds: new Set() });
    expect(busy.allDayDates).toEqual(['2026-03-08', '2026-03-09']);
  });

  it('an event without times (malformed) is no busy time', () => {
    expect(inBuenosAires([{ id: 'odd', status: 'confirmed' }])).toEqual({ intervals: [], allDayDates: [] });
  });
});
