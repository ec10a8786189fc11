import { DateTime } from 'luxon';

const MINUTE = 60_000;

/**
 * A reference written apart from the domain's time code, with luxon: the instant a local wall-clock
 * time happens in a zone. `exists: false` when the clock never shows it (a spring-forward gap; `ms`
 * is then luxon's answer); the earliest instant showing it when shown twice (a repeated hour).
 */
export function wallToInstant(zone: string, date: string, minute: number): { ms: number; exists: boolean } {
  const [year, month, day] = date.split('-').map(Number);
  const hour = Math.floor(minute / 60);
  const minuteOfHour = minute % 60;
  const showsWall = (instant: number): boolean => {
    const local = DateTime.fromMillis(instant, { zone });
    return local.year === year && local.month === month && local.day === day && local.hour === hour && local.minute === minuteOfHour;
  };
  const guess = DateTime.fromObject({ year, month, day, hour, minute: minuteOfHour }, { zone }).toMillis();
  if (!showsWall(guess)) return { ms: guess, exists: false };
  let earliest = guess;
  // An earlier occurrence needs the clock to have been set back within the last few hours.
  for (const back of [30, 60, 90, 120, 180]) {
    const candidate = guess - back * MINUTE;
    if (showsWall(candidate)) earliest = Math.min(earliest, candidate);
  }
  return { ms: earliest, exists: true };
}
