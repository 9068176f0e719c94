import { Types } from 'mongoose';
import { BoardModel } from '../../../models/Board.ts';
import {
  RecruitmentRoundModel,
  genderCategories,
  recruitmentStages,
  type GenderCategory,
  type RecruitmentStage,
} from '../../../models/RecruitmentRound.ts';
import { ForbiddenError } from '../../errors.ts';
import { canSeeFairnessAcrossBoards } from '../../policies/boards.ts';

/**
 * Gender figures of recruitment rounds. Boards see their own exact counts; anything shown beyond a board (the
 * admins' cross-board view, the pledge page) suppresses counts under 5, so that no candidate can be identified,
 * and suppresses a second cell when a row's total would otherwise give the hidden one away.
 */
export const suppressionThreshold = 5;
/** "Recent" rounds for the Pledge page: closed within the last two years. */
export const fairnessWindowMs = 2 * 365 * 24 * 60 * 60 * 1000;

export type Counts = Record<GenderCategory, number>;
/** null = suppressed (fewer than 5, or hidden so that another hidden count cannot be worked out). */
export type SuppressedCounts = { cells: Record<GenderCategory, number | null>; total: number | null };

const zero = (): Counts => ({ women: 0, men: 0, other: 0, preferNotToSay: 0 });

export function suppressSmallNumbers(counts: Counts): SuppressedCounts {
  const total = genderCategories.reduce((sum, c) => sum + counts[c], 0);
  const cells = Object.fromEntries(
    genderCategories.map((c) => [c, counts[c] < suppressionThreshold ? null : counts[c]]),
  ) as Record<GenderCategory, number | null>;
  const shownTotal = total < suppressionThreshold ? null : total;
  const hidden = genderCategories.filter((c) => cells[c] === null);
  // With the total shown, one hidden cell is total minus the others: hide the next smallest too.
  if (shownTotal !== null && hidden.length === 1) {
    const next = genderCategories.filter((c) => cells[c] !== null).sort((a, b) => counts[a] - counts[b])[0];
    if (next) cells[next] = null;
  }
  return { cells, total: shownTotal };
}

export type StageTotals = Record<RecruitmentStage, Counts> & { rounds: number };

/** Adds up the recorded figures of rounds (unrecorded cells count as 0; `rounds` = rounds with any figure). */
export function addUpFigures(rounds: { genderFigures?: unknown }[]): StageTotals {
  const totals = { applicants: zero(), shortlisted: zero(), appointed: zero(), rounds: 0 } as StageTotals;
  for (const round of rounds) {
    const figures = (round.genderFigures ?? {}) as Partial<Record<RecruitmentStage, Partial<Counts> | null>>;
    let any = false;
    for (const stage of recruitmentStages) {
      for (const c of genderCategories) {
        const n = figures[stage]?.[c];
        if (typeof n === 'number') {
          totals[stage][c] += n;
          any = true;
        }
      }
    }
    if (any) totals.rounds += 1;
  }
  return totals;
}

export function suppressTotals(totals: StageTotals) {
  return {
    rounds: totals.rounds,
    ...Object.fromEntries(recruitmentStages.map((s) => [s, suppressSmallNumbers(totals[s])])),
  } as { rounds: number } & Record<RecruitmentStage, SuppressedCounts>;
}

/** Admins: each board's totals and the overall totals, suppressed. */
export async function fairnessAcrossBoards(props: { actor: Express.User }) {
  if (!canSeeFairnessAcrossBoards(props.actor)) throw new ForbiddenError();
  const [boards, rounds] = await Promise.all([
    BoardModel.find().select('name organisation').sort({ name: 1 }).lean(),
    RecruitmentRoundModel.find().select('boardId genderFigures').lean(),
  ]);
  return {
    overall: suppressTotals(addUpFigures(rounds)),
    boards: boards.map((b) => ({
      id: String(b._id),
      name: b.name,
      organisation: b.organisation,
      ...suppressTotals(addUpFigures(rounds.filter((r) => String(r.boardId) === String(b._id)))),
    })),
  };
}

/**
 * For the pledge page, when a board that signed chooses to show it: its recent rounds (closed within two years)
 * and how many had the whole panel ready before the interview, plus its gender figures with small numbers
 * suppressed (this is shown beyond the board).
 */
export async function recentRoundReadiness(props: { boardId: string | Types.ObjectId; now?: Date }): Promise<{
  rounds: number;
  readyBeforeInterview: number;
  figures: ReturnType<typeof suppressTotals>;
}> {
  const since = new Date((props.now ?? new Date()).getTime() - fairnessWindowMs);
  const rounds = await RecruitmentRoundModel.find({
    boardId: new Types.ObjectId(String(props.boardId)),
    status: 'closed',
    closedAt: { $gte: since },
  })
    .select('readinessRecord genderFigures')
    .lean();
  return {
    rounds: rounds.length,
    readyBeforeInterview: rounds.filter((r) => r.readinessRecord?.ready === true).length,
    figures: suppressTotals(addUpFigures(rounds)),
  };
}
