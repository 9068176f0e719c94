import { LRUCache } from 'lru-cache';
import { DateTime, IANAZone } from 'luxon';

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

/** The one formatter of a zone (en-US names, 24-hour clock, its short zone name). */
export function formatterFor(zone: string): Intl.DateTimeFormat {
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
  return formatter;
}

/**
 * Parts already computed, by zone and instant: a page often shows one instant many times (a register saved at once
 * marks 30 people at the same millisecond; a cohort's sessions repeat on every row). A pure function's results, so
 * every process gives the same answer with or without them; bounded, so memory stays small.
 */
const computedParts = new LRUCache<string, Parts>({ max: 5_000 });

/** An instant's parts as read in the zone. */
export function partsOf(instant: Date, zone: string): Parts {
  const key = `${zone} ${instant.getTime()}`;
  const known = computedParts.get(key);
  if (known) return known;
  // Frozen: every caller shares the one object.
  const parts = Object.freeze(computePartsOf(instant, zone));
  computedParts.set(key, parts);
  return parts;
}

function computePartsOf(instant: Date, zone: string): Parts {
  const formatter = formatterFor(zone);
  // `format` and one regular expression cost a third of `formatToParts` (a page lists 20–50 times). Whatever the
  // pattern does not recognise (another ICU's wording) is taken apart by formatToParts, so the parts are the same.
  const match = formattedPattern.exec(formatter.format(instant));
  if (match) {
    const [, weekday, month, day, year, hour, minute, timeZoneName] = match as unknown as string[];
    return { weekday, day, month, year, hour, minute, timeZoneName } as Parts;
  }
  return partsFromIntl(formatter, instant);
}

/** en-US with these options: "Tuesday, March 2, 2027 at 09:30 GMT" (older ICU: "…, 2027, 09:30 GMT"). */
const formattedPattern = /^([A-Za-z]+), ([A-Za-z]+) (\d{1,2}), (\d{4})(?:,| at) (\d{2}):(\d{2}) ([A-Za-z0-9+:-]+)$/;

/** The parts as Intl names them: the reference the fast path above is tested against. */
export function partsFromIntl(formatter: Intl.DateTimeFormat, instant: Date): Parts {
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
 * it, 99 seconds, an offset outside ISO's) is no instant: undefined, never a guess.
 * ISO 8601's offsets run to ±23:59, minutes under 60 (clocks use -12:00 to +14:00; API.md accepts any ISO offset).
 * luxon alone reads `+25:00` or `+99:99` as an offset of a day or more, which moved a session four days from what was
 * meant.
 */
const isoInstantPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-](\d\d)(?::?(\d\d))?)$/i;
export function parseIsoInstant(text: string): Date | undefined {
  const trimmed = text.trim();
  const match = isoInstantPattern.exec(trimmed);
  if (!match) return undefined;
  const [offsetHours, offsetMinutes] = [Number(match[1] ?? 0), Number(match[2] ?? 0)];
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const parsed = DateTime.fromISO(trimmed, { setZone: true });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}

/**
 * What a wall-clock time typed in a zone ("2027-03-28T09:30" in Europe/London, seconds optional, as a datetime-local
 * field sends it) means: its instant, or why it has none.
 * - `invalid`: not a date and time of that form, or an unknown zone;
 * - `skipped`: the clocks skip it there (the spring change, 01:00–02:00 in London on 28 March 2027). Refused, never
 *   moved: the caller tells her so.
 * A time the clocks show twice (the autumn change, 01:30 in London on 31 October 2027) is the FIRST of the two, the
 * summer-time one, in every zone: the reading RFC 5545 (3.3.5) gives a local time and calendar apps follow. (luxon
 * alone picks the first or the second depending on the hemisphere.) Pages then show it with its zone's abbreviation.
 */
export type WallClockReading = { instant: Date } | { problem: 'invalid' | 'skipped' };
const wallClockPattern = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?$/;
const dayMs = 24 * 60 * 60 * 1000;
export function readWallClock(local: string, zone: string): WallClockReading {
  const m = wallClockPattern.exec(local.trim());
  const tz = IANAZone.create(zone);
  if (!m || !tz.isValid) return { problem: 'invalid' };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((n) => Number(n ?? 0)) as number[];
  const millisecond = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const asUtc = DateTime.fromObject({ year, month, day, hour, minute, second, millisecond }, { zone: 'utc' });
  if (!asUtc.isValid || hour! > 23) return { problem: 'invalid' };
  const wall = asUtc.toMillis();
  // Every offset the zone has within a day either side; an instant is a reading when the zone shows `local` at it.
  const offsets = new Set([wall - dayMs, wall, wall + dayMs].map((t) => tz.offset(t)));
  const readings = [...offsets]
    .map((offset) => wall - offset * 60_000)
    .filter((instant) => instant + tz.offset(instant) * 60_000 === wall);
  if (!readings.length) return { problem: 'skipped' };
  return { instant: new Date(Math.min(...readings)) };
}

/**
 * The instant a calendar day (YYYY-MM-DD) begins in a zone: its first minute, which is not always 00:00 (a few zones
 * change their clocks at midnight), or undefined when the date is not one.
 */
export function startOfLocalDay(date: string, zone: string): Date | undefined {
  if (!/^\d{4}-\d\d-\d\d$/.test(date)) return undefined;
  const day = DateTime.fromISO(date, { zone }).startOf('day');
  return day.isValid ? day.toJSDate() : undefined;
}

/** For <input type="datetime-local"> values. */
export function toWallClock(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat("yyyy-LL-dd'T'HH:mm");
}
