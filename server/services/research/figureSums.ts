/**
 * What the research figures are made of: counts that add up across cohorts, enrolment days and tracks, so the
 * dashboard can sum the per-cohort records (cohortFigures.ts) and get what the source gives (impact.ts). The counters
 * count enrolments (a participant is counted once per cohort she is in, and so are her outcomes within 12 months of
 * that enrolment); `repeats` says how many of them are a person counted again, so that a view can count people (see
 * `peopleOf`). One place for the counters, so the records, their roll-up and the dashboard add the same things.
 */
export const outcomeKindsCounted = ['applied', 'interviewed', 'appointed'] as const;
export type OutcomeKind = (typeof outcomeKindsCounted)[number];

/** The counters a figure's people are counted from: those enrolled, those marked at a session, those with each step. */
export const personCounters = ['participants', 'marked', ...outcomeKindsCounted] as const;
export type PersonCounter = (typeof personCounters)[number];

/**
 * The groups a view counts people in: a programme, a track, everyone. A woman in two cohorts of one programme is one
 * person in it; in two programmes of one track, one person in the track's figures and in everyone's.
 */
export const repeatScopes = ['programme', 'track', 'all'] as const;
export type RepeatScope = (typeof repeatScopes)[number];

export type GroupTotals = {
  participants: number;
  completed: number;
  /** Enrolments with a session marked present, late or absent; their attended and marked sessions. */
  marked: number;
  attended: number;
  sessions: number;
  /**
   * `scope:counter:day` → how many of the enrolments counted here (in that counter) are a person's second or later
   * such enrolment in that scope, her previous one being on that enrolment day. Keyed by the previous day so that a
   * date range subtracts only the repeats whose previous enrolment is inside it too (`dropRepeatsBefore`); all time's
   * total drops the day (`repeatsOverAllTime`). Only non-zero entries.
   */
  repeats: Record<string, number>;
} & Record<OutcomeKind, number>;

const groupKeys = ['participants', 'completed', 'marked', 'attended', 'sessions', ...outcomeKindsCounted] as const;

/** Per question id: the sum and number of numeric (Likert) answers at one survey moment. */
export type MomentSums = Record<string, { sum: number; n: number }>;

export const emptyGroup = (): GroupTotals => ({
  ...(Object.fromEntries(groupKeys.map((k) => [k, 0])) as Record<(typeof groupKeys)[number], number>),
  repeats: {},
});

/** Adds the counters of `from` into `into` (only the counters: other fields of either are left alone). */
export function addGroup(into: GroupTotals, from: GroupTotals): void {
  for (const k of groupKeys) into[k] += from[k];
  // A record stored before repeats were kept has none: it counts enrolments until it is recomputed.
  const repeats = (into.repeats ??= {});
  for (const [key, count] of Object.entries(from.repeats ?? {})) repeats[key] = (repeats[key] ?? 0) + count;
}

export function addSums(into: MomentSums, from: MomentSums): void {
  for (const [id, s] of Object.entries(from)) {
    const t = (into[id] ??= { sum: 0, n: 0 });
    t.sum += s.sum;
    t.n += s.n;
  }
}

const repeatKey = (scope: RepeatScope, counter: PersonCounter, previousDay: string) =>
  `${scope}:${counter}:${previousDay}`;

/**
 * Over a date range starting on `from`: keeps only the repeats whose previous enrolment is in the range as well (the
 * repeat itself is, as it was summed): one whose previous enrolment is before the range is the first time the range
 * sees her.
 */
export function dropRepeatsBefore(group: GroupTotals, from: string | undefined): void {
  if (!from) return;
  group.repeats = Object.fromEntries(
    Object.entries(group.repeats ?? {}).filter(([key]) => {
      const day = key.split(':')[2];
      if (day === undefined) throw new Error('All time’s repeats hold no days: they cannot be cut by a date range.');
      return day >= from;
    }),
  );
}

/**
 * The repeats of a period that no date range cuts (a programme's all-time total): by scope and counter only, so the
 * record read by every all-time view holds a few numbers, not one per earlier enrolment day.
 */
export function repeatsOverAllTime(repeats: Record<string, number>): Record<string, number> {
  const summed: Record<string, number> = {};
  for (const [key, count] of Object.entries(repeats)) {
    const [scope, counter] = key.split(':');
    summed[`${scope}:${counter}`] = (summed[`${scope}:${counter}`] ?? 0) + count;
  }
  return summed;
}

/** The people behind each counter of a group, counted in `scope`: its enrolments less the repeats in that scope. */
export function peopleOf(group: GroupTotals, scope: RepeatScope): Record<PersonCounter, number> {
  const people = Object.fromEntries(personCounters.map((c) => [c, group[c]])) as Record<PersonCounter, number>;
  for (const [key, count] of Object.entries(group.repeats ?? {})) {
    const [keyScope, counter] = key.split(':') as [RepeatScope, PersonCounter];
    if (keyScope === scope) people[counter] -= count;
  }
  return people;
}

/** One counted enrolment of a person and what it counts in. */
export type PersonEnrolmentCounts = {
  cohortId: string;
  programmeId: string;
  track: string;
  /** Enrolment instant (ms) and its UTC day. */
  at: number;
  day: string;
  counts: Record<PersonCounter, boolean>;
};

/**
 * The repeat keys of each of one person's counted enrolments (by cohort id): for every scope and counter it counts
 * in, the day of her previous enrolment counted in it in that scope (enrolments in time order, then by cohort id),
 * when there is one. The records and the source computation both count her with this.
 */
export function repeatsOfPerson(enrolments: readonly PersonEnrolmentCounts[]): Map<string, string[]> {
  const ordered = [...enrolments].sort((a, b) => a.at - b.at || a.cohortId.localeCompare(b.cohortId));
  const previous = new Map<string, string>();
  const keys = new Map<string, string[]>();
  for (const e of ordered) {
    const own: string[] = [];
    const groups: Record<RepeatScope, string> = { programme: e.programmeId, track: e.track, all: '' };
    for (const scope of repeatScopes)
      for (const counter of personCounters) {
        if (!e.counts[counter]) continue;
        const at = `${scope}:${groups[scope]}:${counter}`;
        const day = previous.get(at);
        if (day !== undefined) own.push(repeatKey(scope, counter, day));
        previous.set(at, e.day);
      }
    keys.set(e.cohortId, own);
  }
  return keys;
}

/** Adds an enrolment's repeat keys into a group's. */
export function addRepeats(group: GroupTotals, keys: readonly string[]): void {
  for (const key of keys) group.repeats[key] = (group.repeats[key] ?? 0) + 1;
}
