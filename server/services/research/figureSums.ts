/**
 * What the research figures are made of: counts that add up across cohorts, enrolment days and tracks, so the
 * dashboard can sum the per-cohort records (cohortFigures.ts) and get what the source gives (impact.ts). A
 * participant is counted once per cohort she is in (her enrolment), and so are her outcomes (within 12 months of that
 * enrolment). One place for the counters, so the records, their roll-up and the dashboard add the same things.
 */
export const outcomeKindsCounted = ['applied', 'interviewed', 'appointed'] as const;
export type OutcomeKind = (typeof outcomeKindsCounted)[number];

export type GroupTotals = {
  participants: number;
  completed: number;
  /** Enrolments with a session marked present, late or absent; their attended and marked sessions. */
  marked: number;
  attended: number;
  sessions: number;
} & Record<OutcomeKind, number>;

const groupKeys = ['participants', 'completed', 'marked', 'attended', 'sessions', ...outcomeKindsCounted] as const;

/** Per question id: the sum and number of numeric (Likert) answers at one survey moment. */
export type MomentSums = Record<string, { sum: number; n: number }>;

export const emptyGroup = (): GroupTotals =>
  Object.fromEntries(groupKeys.map((k) => [k, 0])) as Record<(typeof groupKeys)[number], number>;

/** Adds the counters of `from` into `into` (only the counters: other fields of either are left alone). */
export function addGroup(into: GroupTotals, from: GroupTotals): void {
  for (const k of groupKeys) into[k] += from[k];
}

export function addSums(into: MomentSums, from: MomentSums): void {
  for (const [id, s] of Object.entries(from)) {
    const t = (into[id] ??= { sum: 0, n: 0 });
    t.sum += s.sum;
    t.n += s.n;
  }
}
