import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { BoardModel, type Board } from '../../../models/Board.ts';
import { RecruitmentRoundModel, type RecruitmentRound } from '../../../models/RecruitmentRound.ts';
import { finishEach } from '../../interruptedWork.ts';
import { peopleById } from './people.ts';
import { daysUntil, firstInterviewDate, loadReadiness } from './readiness.ts';
import { registerNotificationKind, type Memo } from '../reminders/compose.ts';
import { replanNotifications } from '../reminders/plan.ts';
import { daysInWords } from '../reminders/time.ts';

/**
 * Escalating reminders for a round's interview: panel members who are not ready hear at 21, 14, 7 and 2 days
 * before the first interview day (the training deadline: readiness.ts, interviewDays); the board's chairs also hear at 7 and 2 days, with the list of who is not
 * ready. Planning is idempotent (one Notification per unique key) and re-run whenever readiness can change:
 * panel or dates changed, a certificate issued, the round closed. Reminders of people who became ready, and of
 * dates no longer in force, are cancelled; nothing is ever sent for a closed round. A step whose day passed before she
 * was on the panel goes at once (stepsStillToGo).
 */
export const memberOffsetsDays = [21, 14, 7, 2] as const;
export const chairOffsetsDays = [7, 2] as const;
/** Local time on the reminder day, in the board's zone. */
const dayMs = 24 * 60 * 60 * 1000;
const sendHour = 9;

type Planned = {
  key: string;
  userId: string;
  kind: 'panel-training-due' | 'panel-not-ready';
  sendAt: Date;
  eventAt: Date;
  series: string;
  subject: string;
  data: Record<string, unknown>;
};

/** The reminders a round should have now (pure: the caller supplies readiness and names). */
export function wantedRoundReminders(props: {
  round: Pick<RecruitmentRound, '_id' | 'title' | 'interviewDates' | 'status'>;
  board: Pick<Board, 'members' | 'timezone' | 'name'>;
  notReady: { userId: string; name: string; status: string; percent: number; renewBy?: Date }[];
  now: Date;
}): Planned[] {
  if (props.round.status !== 'open' || !props.notReady.length) return [];
  const roundId = String(props.round._id);
  const interviewDate = firstInterviewDate(props.round.interviewDates);
  const day = DateTime.fromISO(interviewDate, { zone: props.board.timezone });
  const eventAt = day.startOf('day').toJSDate();
  const at = (offset: number) =>
    day.minus({ days: offset }).set({ hour: sendHour, minute: 0, second: 0, millisecond: 0 }).toJSDate();
  const link = `/rounds/${roundId}`;
  const planned: Planned[] = [];
  for (const member of props.notReady) {
    for (const offset of memberOffsetsDays) {
      planned.push({
        key: `round:${roundId}:${interviewDate}:panel-training-due:${member.userId}:${offset}`,
        userId: member.userId,
        kind: 'panel-training-due',
        sendAt: at(offset),
        eventAt,
        series: `round:${roundId}:panel-training-due:${member.userId}`,
        subject: `Interview panel in ${offset} days: your unconscious-bias training`,
        data: {
          roundId,
          roundTitle: props.round.title,
          boardName: props.board.name,
          interviewDate,
          daysBefore: offset,
          status: member.status,
          percent: member.percent,
          renewBy: member.renewBy,
          link,
        },
      });
    }
  }
  for (const chair of props.board.members.filter((m) => m.role === 'chair')) {
    for (const offset of chairOffsetsDays) {
      planned.push({
        key: `round:${roundId}:${interviewDate}:panel-not-ready:${String(chair.userId)}:${offset}`,
        userId: String(chair.userId),
        kind: 'panel-not-ready',
        sendAt: at(offset),
        eventAt,
        series: `round:${roundId}:panel-not-ready:${String(chair.userId)}`,
        subject: `${props.notReady.length} panel member(s) not ready, interview in ${offset} days`,
        data: {
          roundId,
          roundTitle: props.round.title,
          boardName: props.board.name,
          interviewDate,
          daysBefore: offset,
          notReady: props.notReady.map((m) => ({
            name: m.name,
            status: m.status,
            percent: m.percent,
            renewBy: m.renewBy,
          })),
          link,
        },
      });
    }
  }
  return stepsStillToGo(planned, props.now, eventAt);
}

/**
 * The steps of each series still ahead, and the last step already passed while the interview day has not come: that
 * one is due, and goes at once. So a member added to the panel, a round started or its interview moved a few days
 * before the interview hears now, not never; one who heard that step on time is not told again (one record per key).
 * When the next step is less than a day away, it alone goes, on time: sent at once too, the passed one would say the
 * same thing twice the same day.
 */
function stepsStillToGo(planned: Planned[], now: Date, interviewDayStarts: Date): Planned[] {
  const bySeries = new Map<string, Planned[]>();
  for (const p of planned) {
    const steps = bySeries.get(p.series);
    if (steps) steps.push(p);
    else bySeries.set(p.series, [p]);
  }
  return [...bySeries.values()].flatMap((steps) => {
    const ahead = steps.filter((p) => p.sendAt > now);
    const passed = steps.filter((p) => p.sendAt <= now).sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime());
    const nextSoon = ahead.some((p) => p.sendAt.getTime() - now.getTime() < dayMs);
    const due = now < interviewDayStarts && !nextSoon ? passed.slice(-1) : [];
    return [...due, ...ahead];
  });
}

/**
 * Re-plans a round's reminders against what is true now (through the reminders area's planning API), read again after
 * planning so that two re-plans at once (a panel change and a certificate issued) never leave the older reader's plan.
 */
export async function planRoundReminders(props: { roundId: string; now?: Date }): Promise<void> {
  const now = props.now ?? new Date();
  await replanNotifications({
    about: { type: 'round', id: props.roundId },
    kinds: ['panel-training-due', 'panel-not-ready'],
    wanted: () => wantedRemindersOf(props.roundId, now),
  });
}

/** The reminders a round wants now (none once it is gone). */
async function wantedRemindersOf(roundId: string, now: Date) {
  const round = await RecruitmentRoundModel.findById(roundId).lean<RecruitmentRound>();
  if (!round) return null;
  const board = await BoardModel.findById(round.boardId).lean<Board>();
  if (!board) return null;
  const notReady = await notReadyMembers(round, board, now);
  return wantedRoundReminders({ round, board, notReady, now }).map((w) => ({
    ...w,
    about: { type: 'round' as const, id: String(round._id) },
    template: w.kind,
  }));
}

async function notReadyMembers(round: RecruitmentRound, board: Board, now: Date) {
  const readiness = await loadReadiness({
    panel: round.panel,
    interviewDates: round.interviewDates,
    timezone: board.timezone,
    now,
  });
  const people = await peopleById(round.panel);
  return readiness.members
    .filter((m) => m.status !== 'valid')
    .map((m) => ({
      userId: m.userId,
      name: people.get(m.userId)?.name ?? 'A panel member',
      status: m.status,
      percent: m.percent,
      renewBy: m.renewBy,
    }));
}

/**
 * Last look when a reminder is due (it may have been planned weeks ago): the round still open, the date unchanged,
 * the reader still on the panel and not ready; the chair's list is recomputed so it names who is not ready NOW.
 */
async function currentState(roundId: string, memo: Memo, now: Date) {
  return memo.once(`round:${roundId}`, async () => {
    const round = await RecruitmentRoundModel.findById(roundId).lean<RecruitmentRound>();
    const board = round && (await BoardModel.findById(round.boardId).lean<Board>());
    if (!round || !board || round.status !== 'open') return null;
    return { round, board, notReady: await notReadyMembers(round, board, now) };
  });
}

/**
 * Days to the interview as the email goes, in the board's zone (named beside the day in both emails, `boardZone`): a reminder planned for 2 days before may go later (in
 * her daily digest at 08:00 her time, or after the job was down), and must not then say "in 2 days" of tomorrow.
 */
function daysLeftWhenSent(record: { data?: Record<string, unknown> | null }, board: Board | undefined, now: Date) {
  const interviewDate = record.data?.interviewDate;
  if (board && typeof interviewDate === 'string') return daysUntil(interviewDate, board.timezone, now);
  return Number(record.data?.daysBefore);
}

registerNotificationKind('panel-training-due', {
  isStillRelevant: async ({ record, memo, now }) => {
    const state = await currentState(record.about.id, memo, now);
    if (!state) return 'the round is closed';
    if (record.data?.interviewDate !== firstInterviewDate(state.round.interviewDates))
      return 'the interview date changed';
    return state.notReady.some((m) => m.userId === String(record.userId)) ? true : 'she is ready (or off the panel)';
  },
  // Her status and percent as they are when the email goes, not when it was planned.
  compose: async ({ record, memo, now }) => {
    const state = await currentState(record.about.id, memo, now);
    const me = state?.notReady.find((m) => m.userId === String(record.userId));
    const when = daysInWords(daysLeftWhenSent(record, state?.board, now));
    return {
      subject: `Interview panel ${when}: your unconscious-bias training`,
      template: 'panel-training-due',
      data: {
        ...(record.data ?? {}),
        interviewWhen: when,
        boardZone: state?.board.timezone,
        ...(me ? { status: me.status, percent: me.percent, renewBy: me.renewBy } : {}),
      },
    };
  },
});
registerNotificationKind('panel-not-ready', {
  isStillRelevant: async ({ record, memo, now }) => {
    const state = await currentState(record.about.id, memo, now);
    if (!state) return 'the round is closed';
    if (record.data?.interviewDate !== firstInterviewDate(state.round.interviewDates))
      return 'the interview date changed';
    return state.notReady.length ? true : 'the whole panel is ready';
  },
  compose: async ({ record, memo, now }) => {
    const state = await currentState(record.about.id, memo, now);
    const notReady = state?.notReady ?? [];
    const when = daysInWords(daysLeftWhenSent(record, state?.board, now));
    return {
      subject: `${notReady.length} panel member${notReady.length === 1 ? '' : 's'} not ready, interview ${when}`,
      template: 'panel-not-ready',
      data: {
        ...(record.data ?? {}),
        interviewWhen: when,
        boardZone: state?.board.timezone,
        notReady: notReady.map((m) => ({ name: m.name, status: m.status, percent: m.percent, renewBy: m.renewBy })),
      },
    };
  },
});

/** A certificate changes readiness of every open round she sits on. */
export async function replanRoundsOf(props: { userId: string; now?: Date }): Promise<void> {
  const rounds = await RecruitmentRoundModel.find({ panel: new Types.ObjectId(props.userId), status: 'open' })
    .select('_id')
    .lean();
  for (const r of rounds) await planRoundReminders({ roundId: String(r._id), now: props.now });
}

/**
 * Every open round's reminders planned again from what is true now: hourly (jobs/boards.ts) and when a programme is
 * saved (subscriptions.ts: marking or unmarking the panels' training changes who is trained). It heals a plan left
 * behind by a process that stopped between a change and its re-plan, and a plan of an earlier rule (until
 * 7 December 2026 reminders counted down to a round's last interview day, not its first); planning is keyed, so a run
 * that finds the plan right writes nothing. Rounds whose interviews are all over plan nothing new, and are skipped.
 */
export async function replanOpenRounds(props: { now?: Date } = {}): Promise<number> {
  const now = props.now ?? new Date();
  // A day's margin either side of UTC: "over" is decided on the board's calendar by the plan itself.
  const yesterday = DateTime.fromJSDate(now, { zone: 'UTC' }).minus({ days: 1 }).toISODate()!;
  const rounds = await RecruitmentRoundModel.find({ status: 'open', interviewDates: { $gte: yesterday } })
    .select('_id')
    .lean();
  return finishEach('round reminders', rounds, (r) => planRoundReminders({ roundId: String(r._id), now }));
}

/** A change of chairs changes who hears "not ready". */
export async function replanRoundsOfBoard(props: { boardId: string; now?: Date }): Promise<void> {
  const rounds = await RecruitmentRoundModel.find({ boardId: props.boardId, status: 'open' }).select('_id').lean();
  for (const r of rounds) await planRoundReminders({ roundId: String(r._id), now: props.now });
}
