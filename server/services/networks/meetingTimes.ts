import { DateTime } from 'luxon';

/**
 * "Find a time": which start times on the hour suit the most members of a network, each in her own zone.
 * Pure: the caller loads the members' zones; nothing here reads the database or the clock.
 */

/** The waking day every member is asked to keep to, in her own zone (API.md: 08:00 to 21:00). */
export const wakingDay = { startHour: 8, endHour: 21 } as const;
export const meetingTimeLimits = { minDuration: 15, maxDuration: 12 * 60, minDays: 1, maxDays: 14 } as const;

export type MeetingTimeCandidate = {
  startsAt: Date;
  /** Members for whom the whole meeting falls between 08:00 and 21:00 of one local day. */
  inWakingHours: number;
  members: number;
  /** inWakingHours / members (0 when the network has no members). */
  share: number;
};

export type RankMeetingTimesProps = {
  /** One IANA zone per member (repeats expected: they are counted, not deduplicated). */
  zones: readonly string[];
  durationMinutes: number;
  /** First day, YYYY-MM-DD; candidates start at 00:00 UTC of it. */
  from: string;
  /** How many days of hourly candidates (24 each). */
  days: number;
  /** The moment of asking: a start at or before it is over, and left out. */
  now: Date;
};

/** Where a date ends last: UTC−12 (Baker Island), at 12:00 UTC of the next day. */
const lastZoneToEnd = 'UTC-12';

/**
 * True once `date` (YYYY-MM-DD) is over in every zone: no meeting can still start on it anywhere, so it cannot be the
 * first day asked for. Until then, it is still that day somewhere, and its starts still ahead are ranked.
 */
export function isOverEverywhere(date: string, now: Date): boolean {
  return DateTime.fromISO(date, { zone: lastZoneToEnd }).plus({ days: 1 }).toMillis() <= now.getTime();
}

/**
 * True when a meeting starting at `start` (already in the member's zone) lies wholly inside her waking day: it
 * starts at or after 08:00 and ends at or before 21:00 of the same local date. A meeting that crosses local
 * midnight is never inside, even when both clock readings look early enough.
 */
export function insideWakingDay(start: DateTime, durationMinutes: number): boolean {
  const end = start.plus({ minutes: durationMinutes });
  if (!start.hasSame(end, 'day')) return false;
  const dayStart = start.startOf('day');
  // set() keeps the wall-clock hour on a DST day, so "08:00" is 08:00 on the local clock however long the day is.
  const opens = dayStart.set({ hour: wakingDay.startHour });
  const closes = dayStart.set({ hour: wakingDay.endHour });
  return start >= opens && end <= closes;
}

/**
 * Every candidate start on the hour from 00:00 UTC of `from` for `days` days that is still ahead of `now`, best
 * first: most members inside their waking day, then earliest. Members are grouped by zone first, so the work is
 * candidates × distinct zones (a few dozen zones at most), not candidates × members.
 */
export function rankMeetingTimes(props: RankMeetingTimesProps): MeetingTimeCandidate[] {
  const { zones, durationMinutes, from, days, now } = props;
  const first = DateTime.fromISO(from, { zone: 'utc' });
  if (!first.isValid) throw new RangeError(`not a date: ${from}`);
  const byZone = new Map<string, number>();
  for (const zone of zones) byZone.set(zone, (byZone.get(zone) ?? 0) + 1);
  const members = zones.length;
  const candidates: MeetingTimeCandidate[] = [];
  for (let hour = 0; hour < days * 24; hour++) {
    const startsAt = first.plus({ hours: hour });
    // A start already past cannot be chosen (an event must start in the future): ranking it first would mislead.
    if (startsAt.toMillis() <= now.getTime()) continue;
    let inWakingHours = 0;
    for (const [zone, count] of byZone) {
      const local = startsAt.setZone(zone);
      // An unknown zone (bad data) counts as never inside rather than failing the whole page.
      if (local.isValid && insideWakingDay(local, durationMinutes)) inWakingHours += count;
    }
    candidates.push({
      startsAt: startsAt.toJSDate(),
      inWakingHours,
      members,
      share: members === 0 ? 0 : inWakingHours / members,
    });
  }
  // Array.prototype.sort is stable and candidates are in time order, so equal counts stay earliest first.
  return candidates.sort((a, b) => b.inWakingHours - a.inWakingHours);
}

/**
 * The candidates as a grid for the page: one row per local day of the reader, one cell per local hour, with the start
 * each cell holds as her clock shows it (candidates start on UTC's hours, so in India a cell's start is at :30, in
 * Nepal at :45, and in Lord Howe's summer the minutes change with the clocks). On the night the clocks go back an hour
 * comes twice: its cell keeps the better of the two starts (the list of best starts names each); on the night they go
 * forward the skipped hour stays empty.
 */
export function heatMapOf(items: readonly MeetingTimeCandidate[], zone: string) {
  const byTime = [...items].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  const rows: {
    date: string;
    label: string;
    cells: (MeetingTimeCandidate | undefined)[];
    /** Each cell's start, HH:mm in her zone. */
    starts: (string | undefined)[];
  }[] = [];
  for (const item of byTime) {
    const local = DateTime.fromJSDate(item.startsAt, { zone });
    const date = local.toISODate()!;
    let row = rows.at(-1);
    if (!row || row.date !== date) {
      const empty = () => Array.from({ length: 24 }, () => undefined);
      row = { date, label: local.toFormat('ccc d LLL'), cells: empty(), starts: empty() };
      rows.push(row);
    }
    const held = row.cells[local.hour];
    if (!held || item.share > held.share) {
      row.cells[local.hour] = item;
      row.starts[local.hour] = local.toFormat('HH:mm');
    }
  }
  return rows;
}

/** The minutes past the hour most of the grid's starts show in her zone ("00", "30", "45"): the columns' heading. */
export function startMinutesOf(rows: ReturnType<typeof heatMapOf>): string {
  const counts = new Map<string, number>();
  for (const row of rows)
    for (const start of row.starts) if (start) counts.set(start.slice(3), (counts.get(start.slice(3)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '00';
}
