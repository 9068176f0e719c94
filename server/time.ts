import { DateTime } from 'luxon';

/**
 * Every time a person reads is shown in her own zone, with the zone named, e.g.
 * "Tuesday 2 March 2027, 09:30 GMT (Europe/London)".
 */
export function formatDateTime(instant: Date, zone: string): string {
  const dt = DateTime.fromJSDate(instant, { zone });
  return `${dt.toFormat('cccc d LLLL yyyy, HH:mm')} ${dt.offsetNameShort ?? dt.toFormat('ZZ')} (${zone})`;
}

export function formatTime(instant: Date, zone: string): string {
  const dt = DateTime.fromJSDate(instant, { zone });
  return `${dt.toFormat('HH:mm')} ${dt.offsetNameShort ?? dt.toFormat('ZZ')}`;
}

export function formatDate(instant: Date | string, zone = 'UTC'): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { zone }) : DateTime.fromJSDate(instant, { zone });
  return dt.toFormat('d LLLL yyyy');
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
