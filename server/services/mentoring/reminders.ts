import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { MentoringRequestModel, requestReminderDays, type MentoringRequest } from '../../../models/MentoringRequest.ts';
import { MentorshipModel, type MeetingFrequency, type Mentorship } from '../../../models/Mentorship.ts';
import { UserModel } from '../../../models/User.ts';
import { isBlockedBetween } from '../directory/blocks.ts';
import { expireRequest } from './requestKeys.ts';
import { registerNotificationKind, type Memo } from '../reminders/compose.ts';
import {
  cancelNotifications,
  planNotifications,
  replanNotifications,
  type NotificationPlan,
} from '../reminders/plan.ts';
import { oid } from '../../ids.ts';
import { commonGroundForMentor } from './matching.ts';
import { scoreStoredPair } from './pairRules.ts';

/**
 * Mentoring's reminders, through the reminders pipeline (one Notification per unique key, so planning twice or a job
 * running twice sends once; the reader's zone, her preferences and unsubscribe come with it):
 * - a new request → the mentor at once (and the mentee, when the admin's assignment sent it for her); unanswered at 7
 *   days → the mentor again; at 14 days it expires → the mentee; accepted or declined → the mentee at once;
 * - the meeting rhythm: no meeting logged for the agreed rhythm plus a week (5 weeks when monthly or not yet agreed)
 *   → both members, once per gap (logging a meeting starts a new gap);
 * - 14 days before the agreement's end date → both members, at 09:00 in each one's zone;
 * - a member closes it → the other member at once, with the reason;
 * - 6 months after a mentorship closes → the mentee, a prompt to record her outcomes.
 * Each kind looks again when it is due (`isStillRelevant`), so a reminder planned weeks ago never contradicts now.
 */
const dayMs = 86_400_000;
const sendHour = 9;
/** Days without a logged meeting before both hear about it, by agreed rhythm (the rhythm plus a week's grace). */
export const meetingGapDays: Record<MeetingFrequency | 'none', number> = {
  weekly: 14,
  fortnightly: 21,
  monthly: 35,
  none: 35,
};
export const endingNoticeDays = 14;
export const outcomesPromptMonths = 6;

async function peopleOf(ids: (string | Types.ObjectId)[]): Promise<Map<string, { name: string; timezone: string }>> {
  const users = await UserModel.find({ _id: { $in: ids.map(oid) } })
    .select('name timezone')
    .lean();
  return new Map(users.map((u) => [String(u._id), { name: u.name, timezone: u.timezone || 'UTC' }]));
}

/** A new request: the mentor hears now and at 7 days; the mentee hears at 14 if it expires unanswered. */
export async function requestSent(props: { request: MentoringRequest }): Promise<void> {
  const r = props.request;
  const id = String(r._id);
  const people = await peopleOf([r.menteeId, r.mentorId]);
  const about = { type: 'mentoring-request' as const, id };
  const link = '/mentoring/requests';
  // Sent by the admin's assignment, not by her: the mentor is told who asked (she did not write the message).
  const byTheTeam = String(r.sentBy ?? r.menteeId) !== String(r.menteeId);
  // She wrote no message, so the mentor is told what the team paired them on: what the pair's score is made of.
  const pair = byTheTeam
    ? (await scoreStoredPair({ menteeId: String(r.menteeId), mentorId: String(r.mentorId), now: r.sentAt })).score
    : null;
  const data = {
    requestId: id,
    menteeName: people.get(String(r.menteeId))?.name ?? 'A member',
    mentorName: people.get(String(r.mentorId))?.name ?? 'A mentor',
    expiresAt: r.expiresAt.toISOString(),
    link,
    ...(byTheTeam ? { byTheTeam: true, commonGround: pair ? commonGroundForMentor(pair) : [] } : {}),
  };
  await planNotifications([
    {
      key: `mentoring-request:${id}`,
      userId: r.mentorId,
      kind: 'mentoring-request',
      about,
      sendAt: r.sentAt,
      eventAt: r.expiresAt,
      template: 'mentoring-request',
      subject: byTheTeam
        ? `The programme team asks you to mentor ${data.menteeName}`
        : `${data.menteeName} asks you to mentor her`,
      data,
    },
    {
      key: `mentoring-request-reminder:${id}`,
      userId: r.mentorId,
      kind: 'mentoring-request-reminder',
      about,
      sendAt: new Date(r.sentAt.getTime() + requestReminderDays * dayMs),
      eventAt: r.expiresAt,
      template: 'mentoring-request-reminder',
      subject: `${data.menteeName} is still waiting for your answer`,
      data,
    },
    {
      key: `mentoring-request-expired:${id}`,
      userId: r.menteeId,
      kind: 'mentoring-request-expired',
      about,
      sendAt: r.expiresAt,
      template: 'mentoring-request-expired',
      subject: `Your mentoring request to ${data.mentorName} has expired`,
      data: { ...data, link: '/mentoring/suggestions' },
    },
    // Sent by the admin's assignment: she is told now, or the mentor's answer (or its expiry) would be the first she
    // hears of a request she never made.
    ...(byTheTeam
      ? [
          {
            key: `mentoring-request-on-her-behalf:${id}`,
            userId: r.menteeId,
            kind: 'mentoring-request-on-her-behalf' as const,
            about,
            sendAt: r.sentAt,
            template: 'mentoring-request-on-her-behalf',
            subject: `The programme team asked ${data.mentorName} to mentor you`,
            data: { ...data, link: '/mentoring/requests#sent' },
          },
        ]
      : []),
  ]);
}

/**
 * The mentor answered: the mentee is told at once, with a link to the mentorship or, declined, the reason if one was
 * given and a link to her other suggested mentors (without it she learns the answer only by looking).
 */
export async function answerToMentee(props: {
  request: Pick<MentoringRequest, '_id' | 'menteeId' | 'mentorId'>;
  answer: { accepted: true; mentorshipId: string } | { accepted: false; reason: string | null };
  now: Date;
}): Promise<void> {
  const { request, answer } = props;
  const id = String(request._id);
  const people = await peopleOf([request.mentorId]);
  const mentorName = people.get(String(request.mentorId))?.name ?? 'The mentor';
  await planNotifications([
    {
      key: `mentoring-request-answered:${id}`,
      userId: request.menteeId,
      kind: 'mentoring-request-answered',
      about: { type: 'mentoring-request', id },
      sendAt: props.now,
      template: 'mentoring-request-answered',
      subject: answer.accepted
        ? `${mentorName} accepted your mentoring request`
        : `${mentorName} declined your mentoring request`,
      data: {
        requestId: id,
        mentorName,
        accepted: answer.accepted,
        reason: answer.accepted ? null : answer.reason,
        link: answer.accepted ? `/mentorships/${answer.mentorshipId}` : '/mentoring/suggestions',
      },
    },
  ]);
}

/**
 * Accepted, declined or withdrawn: nothing more about the request is sent (its answer to the mentee aside, which a
 * second telling of the same answer, by the repair, must not cancel).
 */
export async function requestAnswered(props: { requestId: string }): Promise<void> {
  await cancelNotifications({
    about: { type: 'mentoring-request', id: props.requestId },
    kinds: ['mentoring-request', 'mentoring-request-reminder', 'mentoring-request-expired'],
  });
}

/**
 * When a mentorship with this agreed end is over: the end day is a day on each member's own calendar, so it is over
 * once that day has ended for both of them (the later of their midnights), and neither sees it end on her last day.
 */
export function agreedEndPassesAt(endsOn: string, zones: string[]): Date {
  return new Date(
    Math.max(
      ...(zones.length ? zones : ['UTC']).map((zone) =>
        DateTime.fromISO(endsOn, { zone }).plus({ days: 1 }).startOf('day').toMillis(),
      ),
    ),
  );
}

/** The wanted rhythm reminder of an active mentorship (one per member per gap), or none. */
export function wantedRhythmReminders(props: {
  mentorship: Pick<
    Mentorship,
    '_id' | 'mentorId' | 'menteeId' | 'status' | 'startedAt' | 'lastMeetingAt' | 'agreement'
  >;
  names: Map<string, string>;
}): NotificationPlan[] {
  const m = props.mentorship;
  if (m.status !== 'active') return [];
  const id = String(m._id);
  const from = m.lastMeetingAt ?? m.startedAt;
  const gapDays = meetingGapDays[m.agreement?.meetingFrequency ?? 'none'];
  const weeks = Math.round(gapDays / 7);
  return [m.mentorId, m.menteeId].map((userId) => {
    const other = String(userId) === String(m.mentorId) ? m.menteeId : m.mentorId;
    return {
      key: `mentoring-meeting-due:${id}:${String(userId)}:${from.toISOString()}`,
      userId,
      kind: 'mentoring-meeting-due' as const,
      about: { type: 'mentorship' as const, id },
      sendAt: new Date(from.getTime() + gapDays * dayMs),
      template: 'mentoring-meeting-due',
      subject: `No mentoring meeting logged for ${weeks} weeks`,
      data: {
        mentorshipId: id,
        from: from.toISOString(),
        weeks,
        frequency: m.agreement?.meetingFrequency ?? null,
        otherName: props.names.get(String(other)) ?? 'your partner',
        link: `/mentorships/${id}`,
      },
    };
  });
}

/** The wanted "ends in 14 days" notices (09:00 in each reader's zone), or none. */
export function wantedEndingNotices(props: {
  mentorship: Pick<Mentorship, '_id' | 'mentorId' | 'menteeId' | 'status' | 'agreement'>;
  people: Map<string, { name: string; timezone: string }>;
  now: Date;
}): NotificationPlan[] {
  const m = props.mentorship;
  const endsOn = m.agreement?.endsOn;
  if (m.status !== 'active' || !endsOn) return [];
  const id = String(m._id);
  const plans: NotificationPlan[] = [];
  for (const userId of [m.mentorId, m.menteeId]) {
    const zone = props.people.get(String(userId))?.timezone ?? 'UTC';
    const end = DateTime.fromISO(endsOn, { zone }).startOf('day');
    if (end.toMillis() <= props.now.getTime()) continue;
    const at = end.minus({ days: endingNoticeDays }).set({ hour: sendHour });
    const other = String(userId) === String(m.mentorId) ? m.menteeId : m.mentorId;
    plans.push({
      key: `mentorship-ending:${id}:${endsOn}:${String(userId)}`,
      userId,
      kind: 'mentorship-ending',
      about: { type: 'mentorship', id },
      // Agreed with less than 14 days to go: told now rather than never.
      sendAt: new Date(Math.max(at.toMillis(), props.now.getTime())),
      eventAt: end.toJSDate(),
      template: 'mentorship-ending',
      subject: `Your mentorship with ${props.people.get(String(other))?.name ?? 'your partner'} ends on ${end.toFormat('d LLLL yyyy')}`,
      data: {
        mentorshipId: id,
        endsOn,
        otherName: props.people.get(String(other))?.name ?? 'your partner',
        link: `/mentorships/${id}`,
      },
    });
  }
  return plans;
}

/**
 * Re-plans an active mentorship's rhythm and ending reminders against what is true now; drops stale ones. Read again
 * after planning, so two re-plans at once (both members logging a meeting) never leave the older reader's plan.
 */
export async function planMentorshipReminders(props: { mentorshipId: string; now?: Date }): Promise<void> {
  const now = props.now ?? new Date();
  await replanNotifications({
    about: { type: 'mentorship', id: props.mentorshipId },
    kinds: ['mentoring-meeting-due', 'mentorship-ending'],
    wanted: () => wantedMentorshipReminders(props.mentorshipId, now),
  });
}

async function wantedMentorshipReminders(mentorshipId: string, now: Date): Promise<NotificationPlan[] | null> {
  const m = await MentorshipModel.findById(mentorshipId).lean<Mentorship>();
  if (!m) return null;
  const people = await peopleOf([m.mentorId, m.menteeId]);
  const names = new Map([...people].map(([k, v]) => [k, v.name]));
  // No "no meeting logged" once it has ended: a gap that would be told after the agreed end is not a gap.
  const endsOn = m.agreement?.endsOn;
  const over = endsOn
    ? agreedEndPassesAt(
        endsOn,
        [...people.values()].map((p) => p.timezone),
      )
    : null;
  const rhythm = wantedRhythmReminders({ mentorship: m, names }).filter(
    (plan) => !over || plan.sendAt.getTime() < over.getTime(),
  );
  return [...rhythm, ...wantedEndingNotices({ mentorship: m, people, now })];
}

export async function mentorshipStarted(props: { mentorship: Mentorship; now?: Date }): Promise<void> {
  await planMentorshipReminders({ mentorshipId: String(props.mentorship._id), now: props.now });
}

/**
 * Closed: rhythm and ending reminders stop; the mentee is asked about her outcomes 6 months later. `leaving`: the
 * member being erased; a mentee who leaves is asked nothing, and a mentor who leaves is not named in the prompt.
 */
export async function mentorshipClosed(props: {
  mentorship: Mentorship;
  closedAt: Date;
  leaving?: Types.ObjectId;
}): Promise<void> {
  const m = props.mentorship;
  const id = String(m._id);
  await cancelNotifications({
    about: { type: 'mentorship', id },
    kinds: ['mentoring-meeting-due', 'mentorship-ending'],
  });
  const leaving = props.leaving ? String(props.leaving) : null;
  if (leaving === String(m.menteeId)) return;
  const people = await peopleOf([m.menteeId, m.mentorId]);
  const zone = people.get(String(m.menteeId))?.timezone ?? 'UTC';
  const at = DateTime.fromJSDate(props.closedAt, { zone })
    .plus({ months: outcomesPromptMonths })
    .set({ hour: sendHour, minute: 0, second: 0, millisecond: 0 });
  await planNotifications([
    {
      key: `mentoring-outcomes-prompt:${id}`,
      userId: m.menteeId,
      kind: 'mentoring-outcomes-prompt',
      about: { type: 'mentorship', id },
      sendAt: at.toJSDate(),
      template: 'mentoring-outcomes-prompt',
      subject: 'Six months on: what has happened since your mentorship?',
      data: {
        mentorshipId: id,
        mentorName: (leaving !== String(m.mentorId) && people.get(String(m.mentorId))?.name) || 'your mentor',
        link: '/mentoring/outcomes',
      },
    },
  ]);
}

/**
 * A member closed it: the other member is told at once, with the reason given, and the link to the mentorship (else she
 * learns it only by looking). Only for a member's own close: the end-date sweep ends it on a day both agreed, a block's
 * close does not tell the one blocked that she was, and an erasure's close concerns someone who has left.
 */
export async function closedByMember(props: { mentorship: Mentorship; closedBy: string; now: Date }): Promise<void> {
  const m = props.mentorship;
  const id = String(m._id);
  if (props.closedBy !== String(m.mentorId) && props.closedBy !== String(m.menteeId)) {
    // An admin closed it: both members hear, from the programme team (her name is not theirs to know).
    await planNotifications(
      [m.mentorId, m.menteeId].map((userId) => ({
        key: `mentorship-closed:${id}:${String(userId)}`,
        userId,
        kind: 'mentorship-closed' as const,
        about: { type: 'mentorship' as const, id },
        sendAt: props.now,
        template: 'mentorship-closed',
        subject: 'The programme team closed your mentorship',
        data: {
          mentorshipId: id,
          closerName: 'The programme team',
          reason: m.closeReason ?? '',
          link: `/mentorships/${id}`,
        },
      })),
    );
    return;
  }
  const byMentor = props.closedBy === String(m.mentorId);
  const other = byMentor ? m.menteeId : m.mentorId;
  const people = await peopleOf([props.closedBy]);
  const closerName = people.get(props.closedBy)?.name ?? (byMentor ? 'Your mentor' : 'Your mentee');
  await planNotifications([
    {
      key: `mentorship-closed:${id}`,
      userId: other,
      kind: 'mentorship-closed',
      about: { type: 'mentorship', id },
      sendAt: props.now,
      template: 'mentorship-closed',
      subject: `${closerName} closed your mentorship`,
      data: { mentorshipId: id, closerName, reason: m.closeReason ?? '', link: `/mentorships/${id}` },
    },
  ]);
}

const requestNow = (id: string, memo: Memo) =>
  memo.once(`mentoring-request:${id}`, () =>
    // exec(): the memo shares one promise between composers; a mongoose query may be awaited only once.
    MentoringRequestModel.findById(id).select('status expiresAt menteeId mentorId').lean().exec(),
  );
const mentorshipNow = (id: string, memo: Memo) =>
  memo.once(`mentorship:${id}`, () => MentorshipModel.findById(id).lean<Mentorship>().exec());

const stillPending = async (id: string, memo: Memo): Promise<true | string> => {
  const r = await requestNow(id, memo);
  return r?.status === 'pending' ? true : `the request is ${r?.status ?? 'gone'}`;
};
/**
 * The mentor's emails about a request: only while it waits, and not once either of the two blocked the other (he
 * can no longer accept it, and a block keeps the other's name out of her inbox, as for directory messages).
 */
const stillToAnswer = async (id: string, memo: Memo): Promise<true | string> => {
  const pending = await stillPending(id, memo);
  if (pending !== true) return pending;
  const r = (await requestNow(id, memo))!;
  return (await isBlockedBetween(String(r.menteeId), String(r.mentorId))) ? 'One of them blocked the other.' : true;
};
registerNotificationKind('mentoring-request', {
  isStillRelevant: async ({ record, memo }) => stillToAnswer(record.about.id, memo),
});
registerNotificationKind('mentoring-request-reminder', {
  isStillRelevant: async ({ record, memo }) => stillToAnswer(record.about.id, memo),
});
registerNotificationKind('mentoring-request-answered', {
  // His decline's reason is his words to her: a block made since it was planned (her daily digest may carry it the
  // next morning) keeps them out of the email, as it keeps his messages out.
  compose: async ({ record, memo }) => {
    const data = { ...(record.data ?? {}) };
    if (data.reason) {
      const r = await requestNow(record.about.id, memo);
      if (!r || (await isBlockedBetween(String(r.menteeId), String(r.mentorId)))) data.reason = null;
    }
    return {
      subject: record.subject || 'An answer to your mentoring request',
      template: record.template || 'mentoring-request-answered',
      data,
    };
  },
});
registerNotificationKind('mentoring-request-expired', {
  // The expiry itself may not have been swept yet: the notice makes it so (the same conditional write), then tells.
  isStillRelevant: async ({ record, memo, now }) => {
    const r = await requestNow(record.about.id, memo);
    if (!r) return 'the request is gone';
    if (r.status === 'pending' && r.expiresAt.getTime() <= now.getTime()) {
      await expireRequest(r);
      return true;
    }
    return r.status === 'expired' ? true : `the request is ${r.status}`;
  },
});
registerNotificationKind('mentoring-meeting-due', {
  isStillRelevant: async ({ record, memo }) => {
    const m = await mentorshipNow(record.about.id, memo);
    if (!m || m.status !== 'active') return 'the mentorship is closed';
    const from = (m.lastMeetingAt ?? m.startedAt).toISOString();
    return from === record.data?.from ? true : 'a meeting was logged since';
  },
});
registerNotificationKind('mentorship-ending', {
  isStillRelevant: async ({ record, memo }) => {
    const m = await mentorshipNow(record.about.id, memo);
    if (!m || m.status !== 'active') return 'the mentorship is closed';
    return m.agreement?.endsOn === record.data?.endsOn ? true : 'the end date changed';
  },
});
registerNotificationKind('mentorship-closed', {
  // A block made since the close keeps the other's name and words out of her inbox, as for his messages.
  isStillRelevant: async ({ record, memo }) => {
    const m = await mentorshipNow(record.about.id, memo);
    if (!m) return 'the mentorship is gone';
    return (await isBlockedBetween(String(m.menteeId), String(m.mentorId))) ? 'One of them blocked the other.' : true;
  },
});
registerNotificationKind('mentoring-outcomes-prompt', {
  // Six months on, a block between the two (the one that ended it, or one made since) keeps his name out of her
  // inbox: the prompt still asks for her outcomes, naming no one.
  compose: async ({ record, memo }) => {
    const data = { ...(record.data ?? {}) };
    const m = await mentorshipNow(record.about.id, memo);
    if (!m || (await isBlockedBetween(String(m.menteeId), String(m.mentorId)))) data.mentorName = 'your mentor';
    return {
      subject: record.subject || 'Six months on: what has happened since your mentorship?',
      template: record.template || 'mentoring-outcomes-prompt',
      data,
    };
  },
});
