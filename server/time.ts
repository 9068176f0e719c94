import { DateTime } from 'luxon';

/**
 * Formatting reads the zone rules through one cached Intl.DateTimeFormat per zone. Why not luxon here: each of its
 * DateTimes recomputes the zone offset and builds a new Intl formatter for the zone's short name, and a page of 30
 * rows with times spent a fifth of its time there. The output is the same (en-US short zone names, as luxon's).
 */
type Parts = {
  weekday: string;
  day: string;
  month: string;
  year: string;
  hour: string;
  minute: string;
  timeZoneName: string;
};
const formatters = new Map<string, Intl.DateTimeFormat>();

function partsOf(instant: Date, zone: string): Parts {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(zone, formatter);
  }
  const parts = { weekday: '', day: '', month: '', year: '', hour: '', minute: '', timeZoneName: '' } as Parts;
  for (const p of formatter.formatToParts(instant)) if (p.type in parts) parts[p.type as keyof Parts] = p.value;
  return parts;
}

/**
 * Every time a person reads is shown in her own zone, with the zone named, e.g.
 * "Tuesday 2 March 2027, 09:30 GMT (Europe/London)".
 */
export function formatDateTime(instant: Date, zone: string): string {
  const p = partsOf(instant, zone);
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${p.timeZoneName} (${zone})`;
}

export function formatTime(instant: Date, zone: string): string {
  const p = partsOf(instant, zone);
  return `${p.hour}:${p.minute} ${p.timeZoneName}`;
}

export function formatDate(instant: Date | string, zone = 'UTC'): string {
  if (typeof instant === 'string') return DateTime.fromISO(instant, { zone }).toFormat('d LLLL yyyy');
  const p = partsOf(instant, zone);
  return `${p.day} ${p.month} ${p.year}`;
}

/**
 * An ISO 8601 date and time with an offset, as API.md lets clients send one ("inputs accept any ISO 8601 offset"):
 * `Z`, `±hh`, `±hhmm` or `±hh:mm`, seconds and their fraction optional. The year has four digits: ISO's expanded
 * years parse but run past the last date JavaScript can hold. Anything else (a zone name after the time, text after
 * it, 99 seconds) is no instant: undefined, never a guess.
 */
const isoInstantPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d(:?\d\d)?)$/i;
export function parseIsoInstant(text: string): Date | undefined {
  const trimmed = text.trim();
  if (!isoInstantPattern.test(trimmed)) return undefined;
  const parsed = DateTime.fromISO(trimmed, { setZone: true });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}

/** A wall-clock time in a zone ("2027-03-28T09:30" in Europe/London) → the UTC instant, or undefined if invalid. */
export function wallClockToInstant(local: string, zone: string): Date | undefined {
  const dt = DateTime.fromISO(local, { zone });
  return dt.isValid ? dt.toJSDate() : undefined;
}

/** For <input type="datetime-local"> values. */
export function toWallClock(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat("yyyy-LL-dd'T'HH:mm");
}
