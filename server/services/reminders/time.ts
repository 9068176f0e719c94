import { DateTime } from 'luxon';

/**
 * Send-time arithmetic, in the reader's zone with luxon. Offsets before an event are exact durations
 * (API.md: 24 hours = 1,440 minutes); "at 08:00 on a weekday" is a wall-clock time, so it stays 08:00 across DST.
 */

/** The instant `minutes` before `eventAt` (an exact duration, whatever the clocks do). */
export function minutesBefore(eventAt: Date, minutes: number): Date {
  return new Date(eventAt.getTime() - minutes * 60_000);
}

/** The instant of a wall-clock time (hour:minute) on a calendar date (YYYY-MM-DD) in a zone. A time skipped by DST moves forward. */
export function wallClockOn(date: string, hour: number, minute: number, zone: string): Date {
  return DateTime.fromISO(date, { zone }).set({ hour, minute, second: 0, millisecond: 0 }).toJSDate();
}

/** A calendar date shifted by whole days (YYYY-MM-DD in, YYYY-MM-DD out). */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** The calendar date of an instant in a zone. */
export function localDate(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/**
 * Whole calendar days from the day of `from` to the day of `to`, both read in `zone` (0: the same local day,
 * 1: the next one), whatever the clock times: what "today", "tomorrow" and "in N days" mean to the reader.
 */
export function calendarDaysBetween(from: Date, to: Date, zone: string): number {
  const day = (d: Date) => DateTime.fromISO(localDate(d, zone), { zone: 'UTC' });
  return Math.round(day(to).diff(day(from), 'days').days);
}

/**
 * How far off `to` is on the reader's calendar at `from`, in words: "today", "tomorrow" or "in N days". A reminder
 * says this when it is composed (it may go later than planned, or in her next daily digest), never when planned.
 */
export function daysAwayInWords(from: Date, to: Date, zone: string): string {
  return daysInWords(calendarDaysBetween(from, to, zone));
}

/** A count of calendar days ahead in words: "today" (or past), "tomorrow", "in N days". */
export function daysInWords(days: number): string {
  if (days <= 0) return 'today';
  if (days === 1) return 'tomorrow';
  return `in ${days} days`;
}

/**
 * The next time it is `hour`:00 on `weekday` (1 = Monday … 7 = Sunday) in `zone`, strictly after `after`.
 * Computed on the calendar in the zone, so a weekly 08:00 stays 08:00 local when the clocks change.
 */
export function nextWeekly(props: { after: Date; weekday: number; hour: number; zone: string }): Date {
  const start = DateTime.fromJSDate(props.after, { zone: props.zone });
  for (let days = 0; days <= 7; days++) {
    const candidate = start.plus({ days }).set({ hour: props.hour, minute: 0, second: 0, millisecond: 0 });
    if (candidate.weekday === props.weekday && candidate.toMillis() > props.after.getTime())
      return candidate.toJSDate();
  }
  throw new Error('unreachable: a weekday recurs within 8 days');
}

/**
 * The same wall-clock time one calendar week before `instant`, in `zone`: where a weekly digest's week begins, so
 * each digest holds exactly what came since the one before it. Seven times 24 hours would not: in the week the clocks
 * go forward that is an hour before the last digest (its hour counted twice), in the week they go back an hour after
 * it (that hour in no digest).
 */
export function weekBefore(instant: Date, zone: string): Date {
  return DateTime.fromJSDate(instant, { zone }).minus({ weeks: 1 }).toJSDate();
}

/** The next `hour`:00 in `zone` at or after `after` (today's if still ahead, else tomorrow's). */
export function nextDaily(props: { after: Date; hour: number; zone: string }): Date {
  const start = DateTime.fromJSDate(props.after, { zone: props.zone });
  const today = start.set({ hour: props.hour, minute: 0, second: 0, millisecond: 0 });
  return (today.toMillis() >= props.after.getTime() ? today : today.plus({ days: 1 })).toJSDate();
}

/**
 * How soon a reminder's event starts, for its subject: "in one hour" only when about an hour is left, so one planned
 * or sent late (a session set 40 minutes ahead, a job that was down) says how long is really left.
 */
export function howSoon(startsAt: Date, offsetMinutes: unknown, now: Date): string {
  if (offsetMinutes !== 60) return 'coming up';
  const left = Math.max(1, Math.round((startsAt.getTime() - now.getTime()) / 60_000));
  return left >= 55 ? 'in one hour' : `in ${left} minute${left === 1 ? '' : 's'}`;
}
