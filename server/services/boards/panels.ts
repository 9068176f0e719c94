import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { BoardModel, type Board } from '../../../models/Board.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { RecruitmentRoundModel, type RecruitmentRound } from '../../../models/RecruitmentRound.ts';
import { canSelfEnrol } from '../../policies/cohorts.ts';
import { addDashboardPanel } from '../dashboard.ts';
import { panelTraining, panelTrainingIds } from '../learning/panelTraining.ts';
import { localDate } from '../reminders/time.ts';
import { interviewDays, loadPanelFacts, readinessFromFacts } from './readiness.ts';

/**
 * Dashboard panel for governors, chairs and clerks: their boards, open rounds with readiness, and their own
 * training status for the next interview they sit on. One readiness load for all rounds together.
 */
export async function governorDashboard(user: Express.User, now = new Date()) {
  const me = new Types.ObjectId(user.id);
  const boards = await BoardModel.find({ 'members.userId': me }).sort({ name: 1 }).lean<Board[]>();
  const rounds = await RecruitmentRoundModel.find({
    status: 'open',
    $or: [{ boardId: { $in: boards.map((b) => b._id) } }, { panel: me }],
  })
    .sort({ createdAt: -1 })
    .limit(20)
    .lean<RecruitmentRound[]>();
  const roundBoards = await BoardModel.find({ _id: { $in: rounds.map((r) => r.boardId) } })
    .select('name timezone')
    .lean();
  const zoneOf = new Map(roundBoards.map((b) => [String(b._id), { name: b.name, timezone: b.timezone }]));
  const facts = await loadPanelFacts([...rounds.flatMap((r) => r.panel), me]);
  const summaries = rounds.map((r) => {
    const board = zoneOf.get(String(r.boardId)) ?? { name: '', timezone: 'Europe/London' };
    const readiness = readinessFromFacts({
      panel: r.panel.map(String),
      ...interviewDays(r.interviewDates),
      timezone: board.timezone,
      facts,
      now,
    });
    return {
      id: String(r._id),
      title: r.title,
      boardName: board.name,
      interviewDate: readiness.interviewDate,
      /** The interview day and its days left are on the board's calendar: named beside them. */
      timezone: board.timezone,
      daysLeft: readiness.daysLeft,
      ready: readiness.ready,
      readyCount: readiness.members.filter((m) => m.status === 'valid').length,
      panelSize: readiness.members.length,
      mine: readiness.members.find((m) => m.userId === user.id) ?? null,
    };
  });
  const next = summaries
    .filter((s) => s.mine && s.daysLeft >= 0)
    .sort((a, b) => a.interviewDate.localeCompare(b.interviewDate))[0];
  const own =
    next?.mine ??
    readinessFromFacts({
      panel: [user.id],
      // No interview ahead: is she trained today, her today (the UTC date is yesterday in Sydney each morning).
      interviewDate: localDate(now, user.timezone),
      timezone: user.timezone,
      facts,
      now,
    }).members[0]!;
  return {
    /** Where she goes from here when not trained: her training, or who enrols her and what she may join herself. */
    training: own.status === 'valid' && !own.renewBy ? null : await trainingWayIn(user, own.enrolled, now),
    boards: boards.map((b) => ({
      id: String(b._id),
      name: b.name,
      role: b.members.find((m) => String(m.userId) === user.id)?.role ?? 'governor',
      confirmed: !!b.members.find((m) => String(m.userId) === user.id)?.confirmedAt,
    })),
    rounds: summaries,
    own: {
      status: own.status,
      percent: own.percent,
      expiresAt: own.certificateExpiresAt ?? null,
      renewBy: own.renewBy ?? null,
      forRound: next ? { title: next.title, interviewDate: next.interviewDate, timezone: next.timezone } : null,
    },
  };
}

/**
 * A governor not trained: enrolled, she goes to her cohorts; not enrolled, her board's chair enrols the panel (her
 * cohorts page would be empty), unless a cohort of the panels' training is open for her to join herself.
 */
async function trainingWayIn(user: Express.User, enrolled: boolean, now: Date) {
  if (enrolled) return { enrolled, joinable: false };
  const programmeIds = panelTrainingIds(await panelTraining());
  const open = programmeIds.length
    ? await CohortModel.find(
        {
          programmeId: { $in: programmeIds },
          selfEnrolment: true,
          // A day's margin for the zones: canSelfEnrol decides in each cohort's own.
          endsOn: { $gte: DateTime.fromJSDate(now, { zone: 'UTC' }).minus({ days: 1 }).toISODate()! },
        },
        { selfEnrolment: 1, endsOn: 1, timezone: 1 },
      )
        .limit(20)
        .lean()
    : [];
  return { enrolled, joinable: open.some((c) => canSelfEnrol(user, c, 'governing-board', now)) };
}

addDashboardPanel({ name: 'boards', roles: ['governor'], load: (user) => governorDashboard(user) });
