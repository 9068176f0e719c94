import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { weekDays, type WeekDay } from '../../../models/mentoringShared.ts';

/**
 * Weekly availability (API.md: `[{ day, from, to }]` in the person's own zone) turned into concrete UTC intervals
 * over the coming seven days, and the time two people share. Each day's local times are converted ON THAT DATE, so a
 * daylight-saving change inside the week (London and Toronto change on different Sundays, Sydney the other way,
 * Dubai and Kuala Lumpur never) moves exactly the windows after it.
 */

export { weekDays, type WeekDay };

export const dayLabels: Record<WeekDay, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

const messages = {
  time: 'must be a time as HH:MM (00:00 to 24:00)',
  endsBeforeStart: (w: Window) => `${describeWindow(w)} ends before or when it starts: the end must be after the start`,
  overlaps: (w: Window, other: Window) => `${describeWindow(w)} overlaps ${describeWindow(other)}`,
  zone: 'must be an IANA time zone such as Europe/London',
};

export type Window = { day: WeekDay; from: string; to: string };
export type Availability = Window[];
/** A half-open UTC interval [start, end) in epoch milliseconds. */
export type Interval = { start: number; end: number };

const describeWindow = (w: Window) => `the ${dayLabels[w.day]} window ${w.from}–${w.to}`;

/** "13:30" → 810; "24:00" → 1440 (a window may run to midnight). */
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const hhmm = z
  .string()
  .trim()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, messages.time);

/**
 * Weekly availability as people give it. A window that ends before or at its start, and two windows that overlap on
 * the same day, are field errors naming the window (the path points at it: `availability.2.to`, `availability.3`).
 */
export const availabilitySchema = z
  .array(z.strictObject({ day: z.enum(weekDays), from: hhmm, to: hhmm }))
  .max(50, 'must have at most 50 windows')
  .superRefine((windows, ctx) => {
    windows.forEach((w, i) => {
      if (minutesOf(w.to) <= minutesOf(w.from)) {
        ctx.addIssue({ code: 'custom', path: [i, 'to'], message: messages.endsBeforeStart(w) });
      }
    });
    windows.forEach((w, i) => {
      if (minutesOf(w.to) <= minutesOf(w.from)) return;
      const earlier = windows
        .slice(0, i)
        .find(
          (o) =>
            o.day === w.day &&
            minutesOf(o.to) > minutesOf(o.from) &&
            minutesOf(o.from) < minutesOf(w.to) &&
            minutesOf(w.from) < minutesOf(o.to),
        );
      if (earlier) ctx.addIssue({ code: 'custom', path: [i], message: messages.overlaps(w, earlier) });
    });
  });

/** IANAZone.create keeps one zone object per name (with its validity); isValidZone builds a formatter per call. */
export const isKnownZone = (zone: string): boolean =>
  (zone.includes('/') || zone === 'UTC') && IANAZone.create(zone).isValid;

/** For callers holding a zone from elsewhere: an unknown zone is a 422 naming the field. */
export function assertKnownZone(zone: string, path = 'timezone'): void {
  if (!isKnownZone(zone))
    throw new ValidationError('Some details need correcting.', [{ path, message: messages.zone }]);
}

export const horizonDays = 7;

/**
 * The UTC intervals in which a person is free during [now, now + 7 days), sorted and merged. Each window is placed on
 * every local date of that span with the zone's offset of that date and time; a local time that does not exist (the
 * hour skipped in spring) moves forward as the clocks do.
 */
export function intervalsInComingWeek(props: {
  /** Her weekly windows, in her own zone. */
  availability: readonly Window[];
  /** Her IANA zone. */
  timezone: string;
  /** The start of the seven days. */
  now: Date;
}): Interval[] {
  assertKnownZone(props.timezone);
  const from = props.now.getTime();
  const until = from + horizonDays * 24 * 60 * 60 * 1000;
  const byDay = new Map<number, Window[]>();
  for (const w of props.availability) {
    const weekday = weekDays.indexOf(w.day) + 1;
    byDay.set(weekday, [...(byDay.get(weekday) ?? []), w]);
  }
  const intervals: Interval[] = [];
  const clip = (start: number, end: number) => {
    const clipped = { start: Math.max(start, from), end: Math.min(end, until) };
    if (clipped.end > clipped.start) intervals.push(clipped);
  };
  const offset = fixedOffsetOver(props.timezone, from, until);
  if (offset !== undefined) {
    // No change of offset in these days (most weeks of every zone): wall time minus the offset is the instant.
    const firstLocalDay = Math.floor((from + offset) / DAY) * DAY;
    for (let day = firstLocalDay; day - offset < until; day += DAY) {
      const weekday = ((new Date(day).getUTCDay() + 6) % 7) + 1;
      for (const w of byDay.get(weekday) ?? []) {
        clip(day + minutesOf(w.from) * MINUTE - offset, day + minutesOf(w.to) * MINUTE - offset);
      }
    }
    return merge(intervals);
  }
  const lastDate = DateTime.fromMillis(until, { zone: props.timezone }).startOf('day');
  for (
    let date = DateTime.fromMillis(from, { zone: props.timezone }).startOf('day');
    date <= lastDate;
    date = date.plus({ days: 1 }).startOf('day')
  ) {
    for (const w of byDay.get(date.weekday) ?? []) {
      clip(localInstant(date, minutesOf(w.from), props.timezone), localInstant(date, minutesOf(w.to), props.timezone));
    }
  }
  return merge(intervals);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The zone's offset (ms) when it is the same a day either side of [from, until), else undefined. Why: luxon costs
 * 20–100 µs per offset and far more per DateTime, and suggestions place the windows of thousands of mentors; in a
 * week without a change one offset serves every window. (No zone changes its offset twice within nine days.)
 * Remembered per (zone, day): the answer is a pure function of the zone database, so keeping it in one process
 * changes no answer (the rule against per-process caches is about state that must agree across processes).
 */
const offsets = new Map<string, number | undefined>();
function fixedOffsetOver(zone: string, from: number, until: number): number | undefined {
  // Spans are a whole number of days from any instant: checking a day either side of the hour-rounded span is the
  // same question for every instant in that hour, and one cache entry serves them all.
  const start = Math.floor(from / HOUR) * HOUR - DAY;
  const end = Math.ceil(until / HOUR) * HOUR + DAY;
  const key = `${zone} ${start} ${end}`;
  if (offsets.has(key)) return offsets.get(key);
  const tz = IANAZone.create(zone);
  const before = tz.offset(start);
  const offset = before === tz.offset(end) ? before * MINUTE : undefined;
  if (offsets.size > 10_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/** The instant of a wall-clock minute on a local date (1440 = the next midnight, which is not always 24 h later). */
function localInstant(date: DateTime, minute: number, zone: string): number {
  if (minute >= 1440) return date.plus({ days: 1 }).startOf('day').toMillis();
  return DateTime.fromObject(
    { year: date.year, month: date.month, day: date.day, hour: Math.floor(minute / 60), minute: minute % 60 },
    { zone },
  ).toMillis();
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** The intervals in which both are free (both lists sorted and merged, as intervalsInComingWeek gives them). */
export function sharedIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i]!.start, b[j]!.start);
    const end = Math.min(a[i]!.end, b[j]!.end);
    if (end > start) out.push({ start, end });
    if (a[i]!.end < b[j]!.end) i++;
    else j++;
  }
  return out;
}

export const totalMinutes = (intervals: readonly Interval[]): number =>
  Math.round(intervals.reduce((sum, i) => sum + (i.end - i.start), 0) / 60_000);

/** A shared slot as the reader sees it in her own zone: every `day`, `from`–`to`. */
/**
 * `date` (YYYY-MM-DD) only in a week whose clock changes, when a weekday's slot differs between its two dates in the
 * coming seven days: it is then said of that date, not of every such weekday.
 */
export type Slot = { day: WeekDay; from: string; to: string; minutes: number; date?: string };

/**
 * Shared intervals described as weekly slots in one person's zone ("Mondays 13:00–15:00 your time"). A window cut by
 * the start and end of the seven days comes back as two pieces on the same weekday; they are joined again here.
 */
export function slotsInZone(intervals: readonly Interval[], zone: string): Slot[] {
  const pieces: { weekday: number; from: number; to: number; date?: string }[] = [];
  const first = intervals[0];
  const last = intervals[intervals.length - 1];
  const offset = first && last ? fixedOffsetOver(zone, first.start, last.end) : undefined;
  if (offset !== undefined) {
    for (const i of intervals) {
      // Cut at each local midnight, in local wall-clock milliseconds.
      for (let start = i.start + offset; start < i.end + offset;) {
        const midnight = Math.floor(start / DAY) * DAY;
        const end = Math.min(i.end + offset, midnight + DAY);
        const weekday = ((new Date(midnight).getUTCDay() + 6) % 7) + 1;
        pieces.push({ weekday, from: (start - midnight) / MINUTE, to: (end - midnight) / MINUTE });
        start = end;
      }
    }
  }
  for (const i of offset === undefined ? intervals : []) {
    let cursor = DateTime.fromMillis(i.start, { zone });
    const end = DateTime.fromMillis(i.end, { zone });
    // An interval across local midnight is described as two slots, one on each day.
    while (cursor < end) {
      const nextMidnight = cursor.plus({ days: 1 }).startOf('day');
      const pieceEnd = end < nextMidnight ? end : nextMidnight;
      const from = cursor.hour * 60 + cursor.minute;
      const wallEnd = pieceEnd.equals(nextMidnight) ? 1440 : pieceEnd.hour * 60 + pieceEnd.minute;
      // When the clocks go back, a piece's end can read no later than its start (02:00 summer time to 02:00 winter
      // time is an hour): it is said as the hour it lasts from its start, never dropped. When they go forward, the
      // clock's own end stands (01:00–03:00 across the hour that does not exist).
      const to = Math.min(1440, Math.max(wallEnd, from + Math.round(pieceEnd.diff(cursor, 'minutes').minutes)));
      // Its date too: across a clock change the same weekday's two dates in the seven days hold different times.
      if (to > from) pieces.push({ weekday: cursor.weekday, from, to, date: cursor.toISODate()! });
      cursor = pieceEnd;
    }
  }
  pieces.sort((a, b) => a.weekday - b.weekday || a.from - b.from);
  // A weekday met on two dates (today's rest and the same day next week) is one weekly slot when the clock keeps its
  // offset: the two pieces are the two halves of one window. Across a clock change they are not: each is said with its
  // date, so the slots add up to the time stated beside them.
  const dates = new Map<number, Set<string>>();
  for (const p of pieces) if (p.date) dates.set(p.weekday, (dates.get(p.weekday) ?? new Set()).add(p.date));
  const dated = (p: (typeof pieces)[number]) => (p.date && (dates.get(p.weekday)?.size ?? 0) > 1 ? p.date : undefined);
  const joined: (typeof pieces)[number][] = [];
  for (const p of pieces) {
    const date = dated(p);
    const last = joined[joined.length - 1];
    if (last && last.weekday === p.weekday && last.date === date && p.from <= last.to)
      last.to = Math.max(last.to, p.to);
    else joined.push({ weekday: p.weekday, from: p.from, to: p.to, date });
  }
  joined.sort((a, b) => a.weekday - b.weekday || (a.date ?? '').localeCompare(b.date ?? '') || a.from - b.from);
  return joined.map((p) => ({
    day: weekDays[p.weekday - 1]!,
    from: clock(p.from),
    to: clock(p.to),
    minutes: p.to - p.from,
    ...(p.date ? { date: p.date } : {}),
  }));
}

const clock = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** "Mondays 13:00–15:00, Thursdays 18:00–19:00"; a slot of one date "Friday 9 October 07:30–09:00". */
export const describeSlots = (slots: readonly Slot[]): string =>
  slots
    .map((s) =>
      s.date
        ? `${dayLabels[s.day]} ${DateTime.fromISO(s.date).toFormat('d LLLL')} ${s.from}–${s.to}`
        : `${dayLabels[s.day]}s ${s.from}–${s.to}`,
    )
    .join(', ');

/** "2 hours", "1 hour 30 minutes", "45 minutes" */
export function describeMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const hours = h === 0 ? '' : `${h} hour${h === 1 ? '' : 's'}`;
  const mins = m === 0 ? '' : `${m} minute${m === 1 ? '' : 's'}`;
  return [hours, mins].filter(Boolean).join(' ') || '0 minutes';
}
