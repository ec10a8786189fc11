import { describe, expect, it } from 'vitest';
import { calendarEventIdOf } from '../../infra/integrations/google/calendar-event-id.js';

const GOOGLE_EVENT_ID = /^[a-v0-9]{5,1024}$/;

describe('The Google event id of a session', () => {
  it('is the session uuid\'s hex, prefixed, in Google\'s base32hex alphabet', () => {
    expect(calendarEventIdOf('3F2504E0-4F89-41D3-9A0C-0305E82C3301')).toBe('ps3f2504e04f8941d39a0c0305e82c3301');
    expect(calendarEventIdOf('3f2504e0-4f89-41d3-9a0c-0305e82c3301')).toMatch(GOOGLE_EVENT_ID);
  });

  it('is the same every time for the same session, different for another', () => {
    const id = calendarEventIdOf('0b7c1f6e-9d1a-4f53-8f0e-2c6a1d3b9e44');
    expect(calendarEventIdOf('0b7c1f6e-9d1a-4f53-8f0e-2c6a1d3b9e44')).toBe(id);
    expect(calendarEventIdOf('0b7c1f6e-9d1a-4f53-8f0e-2c6a1d3b9e45')).not.toBe(id);
  });

  it('is still a valid, deterministic id for a session id that is not a uuid', () => {
    expect(calendarEventIdOf('session:42')).toMatch(GOOGLE_EVENT_ID);
    expect(calendarEventIdOf('session:42')).toBe(calendarEventIdOf('session:42'));
  });
});
