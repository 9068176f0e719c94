import { RecruitmentRoundModel } from '../../../models/RecruitmentRound.ts';
import { addUpFigures, suppressTotals, type StageTotals } from '../boards/fairness.ts';
import type { ResearchFilters } from './population.ts';
import { suppressFigures } from './suppression.ts';

/**
 * Panels' training before interviews and the gender figures boards recorded, from closed recruitment rounds (all
 * boards): the sums, which the research overview stores, and what the dashboard shows of them (the panels' share
 * through the research suppression rule, the gender figures through the boards' own, server/services/boards/fairness.ts).
 */
export type RecruitmentSums = {
  /** Closed rounds with a readiness record, those whose whole panel was ready, their members, those trained. */
  recordedRounds: number;
  readyBeforeInterview: number;
  panelMembers: number;
  trainedMembers: number;
  /** Closed rounds with any gender figure (`rounds` of the boards' totals) and the figures' sums per stage. */
  figures: StageTotals;
};

type ClosedRound = {
  readinessRecord?: { ready?: boolean | null; members?: { status: string }[] } | null;
  genderFigures?: unknown;
};

export function recruitmentSums(rounds: readonly ClosedRound[]): RecruitmentSums {
  const recorded = rounds.filter((r) => r.readinessRecord);
  const members = recorded.flatMap((r) => r.readinessRecord?.members ?? []);
  return {
    recordedRounds: recorded.length,
    readyBeforeInterview: recorded.filter((r) => r.readinessRecord?.ready === true).length,
    panelMembers: members.length,
    trainedMembers: members.filter((m) => m.status === 'valid').length,
    figures: addUpFigures([...rounds]),
  };
}

/** The closed rounds of the date range (UTC days, both ends included, as the figures' other dates are), summed. */
export async function recruitmentSumsOf(filters: Pick<ResearchFilters, 'from' | 'to'>): Promise<RecruitmentSums> {
  const closedAt: { $gte?: Date; $lt?: Date } = {};
  if (filters.from) closedAt.$gte = new Date(`${filters.from}T00:00:00Z`);
  if (filters.to) closedAt.$lt = new Date(new Date(`${filters.to}T00:00:00Z`).getTime() + 86_400_000);
  const rounds = await RecruitmentRoundModel.find({
    status: 'closed',
    ...(filters.from || filters.to ? { closedAt } : {}),
  })
    .select({ readinessRecord: 1, genderFigures: 1 })
    .lean();
  return recruitmentSums(rounds as ClosedRound[]);
}

export function presentRecruitment(sums: RecruitmentSums) {
  const share = sums.panelMembers ? Math.round((sums.trainedMembers / sums.panelMembers) * 1000) / 1000 : null;
  const panelCells = suppressFigures({ cells: { 'panels.trainedShare': { value: share, n: sums.panelMembers } } });
  // The rounds and how many were ready come from the same few panel members: shown beside a withheld share, "1 round,
  // ready" would say that share is 100% for its three members. They are withheld with it.
  const withheld = panelCells.values['panels.trainedShare'] == null && sums.panelMembers > 0;
  return {
    panels: {
      rounds: withheld ? null : sums.recordedRounds,
      readyBeforeInterview: withheld ? null : sums.readyBeforeInterview,
      trainedShare: panelCells.values['panels.trainedShare'] ?? null,
    },
    recruitment: suppressTotals(sums.figures),
    suppressed: panelCells.suppressed,
  };
}
