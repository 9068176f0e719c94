import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import { Types } from 'mongoose';
import { CohortModel, type Cohort } from '../../../models/Cohort.ts';
import { CohortSessionModel, type CohortSession } from '../../../models/CohortSession.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { NotificationModel } from '../../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../../models/NotificationDelivery.ts';
import { UserModel, type Role } from '../../../models/User.ts';
import { canRunCohort } from '../../policies/cohorts.ts';
import { absoluteUrl } from '../../settings.ts';
import { sessionUid } from '../cohorts/calendar.ts';
import { registerNotificationKind, type ComposeContext, type Memo, type PlannedNotification } from './compose.ts';
import { planChangeNotices } from './changeNotices.ts';
import { cancelNotifications, planNotifications, type NotificationPlan } from './plan.ts';
import { howSoon, minutesBefore } from './time.ts';
import { calendarName, calendarOrganizer, icsFile, parameterValue } from '../../icsText.ts';
import { fileNameOf } from '../../fileNames.ts';

/**
 * Session reminders (by default 24 h and 1 h before, per cohort), change notices and cancellation notices.
 * Keys name the occurrence (the start time), so a rescheduled session gets fresh reminders for its new time
 * while those for the old time are cancelled, and one already sent is never sent again.
 */
const sessionKinds = ['session-reminder', 'session-changed', 'session-cancelled'];

type Id = string | Types.ObjectId;
type Audience = { session: CohortSession; cohort: Cohort; userIds: string[] };

/**
 * Participants with an active place, and the cohort's facilitators who still run it (named on a cohort, a person whose
 * facilitator role an admin took away no longer runs it, nor opens its sessions: canRunCohort, as for the digest).
 */
async function audienceOf(sessions: CohortSession[]): Promise<Audience[]> {
  const cohortIds = [...new Set(sessions.map((s) => String(s.cohortId)))].map((id) => new Types.ObjectId(id));
  const [cohorts, enrolments] = await Promise.all([
    CohortModel.find({ _id: { $in: cohortIds } }).lean<Cohort[]>(),
    EnrolmentModel.collection
      .find({ cohortId: { $in: cohortIds }, status: 'active' }, { projection: { cohortId: 1, userId: 1 } })
      .toArray(),
  ]);
  const facilitatorIds = [...new Set(cohorts.flatMap((c) => (c.facilitatorIds ?? []).map(String)))];
  const rolesOf = new Map(
    (
      await UserModel.collection
        .find({ _id: { $in: facilitatorIds.map((id) => new Types.ObjectId(id)) } }, { projection: { roles: 1 } })
        .toArray()
    ).map((u) => [String(u._id), (u.roles as Role[] | undefined) ?? []]),
  );
  const cohortById = new Map(cohorts.map((c) => [String(c._id), c]));
  const members = new Map<string, Set<string>>();
  for (const e of enrolments)
    members.set(String(e.cohortId), (members.get(String(e.cohortId)) ?? new Set()).add(String(e.userId)));
  return sessions.flatMap((session) => {
    const cohort = cohortById.get(String(session.cohortId));
    if (!cohort) return [];
    const running = (cohort.facilitatorIds ?? [])
      .map(String)
      .filter((id) => canRunCohort({ id, roles: rolesOf.get(id) ?? [] }, cohort));
    const userIds = new Set([...(members.get(String(cohort._id)) ?? []), ...running]);
    return [{ session, cohort, userIds: [...userIds] }];
  });
}

const offsetsOf = (cohort: Cohort): number[] =>
  cohort.reminderOffsetsMinutes?.length ? cohort.reminderOffsetsMinutes : [1440, 60];

/**
 * A reminder due now while the next one, closer to the session, goes within half an hour (a session set 63 minutes
 * ahead: the day-before reminder is already due, the hour-before one three minutes later): it is left to that one,
 * so two emails about the same session do not arrive minutes apart.
 */
function closerReminderSoon(props: { offsets: readonly number[]; offset: number; startsAt: Date; now: Date }) {
  const closer = props.offsets.filter((o) => o < props.offset);
  if (!closer.length) return false;
  const next = props.startsAt.getTime() - Math.max(...closer) * 60_000;
  return next > props.now.getTime() && next - props.now.getTime() <= 30 * 60_000;
}

function reminderPlans({ session, cohort, userIds }: Audience, only?: Set<string>): NotificationPlan[] {
  const offsets = offsetsOf(cohort);
  const sessionId = String(session._id);
  const startsAt = session.startsAt.toISOString();
  return userIds
    .filter((userId) => !only || only.has(userId))
    .flatMap((userId) =>
      offsets.map((offset) => ({
        key: `session-reminder:${sessionId}:${userId}:${startsAt}:${offset}`,
        userId,
        kind: 'session-reminder' as const,
        about: { type: 'session' as const, id: sessionId },
        series: `session-reminder:${sessionId}:${userId}:${startsAt}`,
        sendAt: minutesBefore(session.startsAt, offset),
        eventAt: session.startsAt,
        subject: `Reminder: ${session.title}`,
        data: { offsetMinutes: offset },
      })),
    );
}

/**
 * Plans (or re-plans) the reminders of these sessions, or of every upcoming one, and cancels those that no
 * longer match (an old start time, an offset removed, a participant who left). Batch-friendly: a few queries in all.
 */
export async function planSessionReminders(
  props: { sessionIds?: Id[]; cohortId?: Id; now?: Date; onlyUserId?: Id } = {},
): Promise<{ planned: number }> {
  const now = props.now ?? new Date();
  const filter: Record<string, unknown> = { status: 'scheduled', startsAt: { $gt: now } };
  if (props.sessionIds) filter._id = { $in: props.sessionIds.map((id) => new Types.ObjectId(String(id))) };
  if (props.cohortId) filter.cohortId = new Types.ObjectId(String(props.cohortId));
  const sessions = await CohortSessionModel.find(filter).lean<CohortSession[]>();
  const audiences = await audienceOf(sessions);
  const only = props.onlyUserId ? new Set([String(props.onlyUserId)]) : undefined;
  const plans = audiences.flatMap((a) => reminderPlans(a, only));
  if (!props.onlyUserId && sessions.length) {
    // One query for all of them (one round trip, not one per session), then cancel what is no longer wanted.
    const wanted = new Set(plans.map((p) => p.key));
    const existing = await NotificationModel.collection
      .find(
        { kind: 'session-reminder', status: 'scheduled', 'about.id': { $in: sessions.map((s) => String(s._id)) } },
        { projection: { key: 1 } },
      )
      .toArray();
    const stale = existing.filter((e) => !wanted.has(e.key as string)).map((e) => e._id);
    if (stale.length)
      await NotificationModel.updateMany(
        { _id: { $in: stale }, status: 'scheduled' },
        { $set: { status: 'cancelled' } },
      );
  }
  await planNotifications(plans);
  return { planned: plans.length };
}

/**
 * After a reschedule: reminders move to the new time, and each reader gets ONE change notice however many edits
 * follow within ten minutes: the notice waits ten minutes (or less when the session is close) and is written
 * when it is sent, so it tells the latest state; a later edit while it still waits plans nothing new.
 */
export async function sessionRescheduled(props: { sessionId: Id; now?: Date }): Promise<void> {
  const now = props.now ?? new Date();
  const session = await CohortSessionModel.findById(props.sessionId).lean<CohortSession>();
  if (!session || session.status !== 'scheduled') return;
  await planSessionReminders({
    sessionIds: [session._id],
    now: new Date(Math.min(now.getTime(), session.startsAt.getTime() - 1)),
  });
  const [audience] = await audienceOf([session]);
  if (!audience) return;
  const firstChange = [...(session.history ?? [])].reverse().find((h) => h.previousStartsAt);
  await planChangeNotices({
    kind: 'session-changed',
    about: { type: 'session', id: String(session._id) },
    readers: audience.userIds,
    eventAt: session.startsAt,
    subject: `Changed: ${session.title}`,
    data: {
      previousStartsAt: firstChange?.previousStartsAt?.toISOString() ?? null,
      previousDurationMinutes: firstChange?.previousDurationMinutes ?? null,
      previousPlace: firstChange?.previousMode
        ? placeOf(firstChange.previousMode, firstChange.previousJoinUrl, firstChange.previousLocation)
        : null,
    },
    now,
  });
}

/** Where a session takes place, as one comparable string (a history entry gives its `previous*` values). */
function placeOf(mode?: string | null, joinUrl?: string | null, location?: string | null): string {
  return mode === 'online' ? `online ${joinUrl ?? ''}` : `in person ${location ?? ''}`;
}

/** A place as placeOf writes it, in the words of a change notice: "online (https://…)", "in person at Room 4". */
function placeInWords(place: string): string {
  const online = place.startsWith('online ');
  const where = place.slice(online ? 'online '.length : 'in person '.length).trim();
  if (online) return where ? `online (${where})` : 'online';
  return where ? `in person at ${where}` : 'in person';
}

/** A cancelled session: its reminders and change notices are cancelled, and each reader gets one cancellation notice. */
export async function sessionCancelled(props: { sessionId: Id; now?: Date }): Promise<void> {
  const now = props.now ?? new Date();
  const session = await CohortSessionModel.findById(props.sessionId).lean<CohortSession>();
  if (!session) return;
  await cancelNotifications({
    about: { type: 'session', id: session._id },
    kinds: ['session-reminder', 'session-changed'],
  });
  if (session.startsAt <= now) return;
  const [audience] = await audienceOf([session]);
  if (!audience) return;
  const sessionId = String(session._id);
  await planNotifications(
    audience.userIds.map((userId) => ({
      key: `session-cancelled:${sessionId}:${userId}`,
      userId,
      kind: 'session-cancelled' as const,
      about: { type: 'session' as const, id: sessionId },
      sendAt: now,
      eventAt: session.startsAt,
      subject: `Cancelled: ${session.title}`,
    })),
  );
}

/** She left a cohort: nothing more about its sessions. */
export async function cancelSessionNotificationsOf(props: { cohortId: Id; userId: Id }): Promise<void> {
  const sessions = await CohortSessionModel.find({ cohortId: props.cohortId }).select({ _id: 1 }).lean();
  for (const s of sessions)
    await cancelNotifications({ about: { type: 'session', id: s._id }, userId: props.userId, kinds: sessionKinds });
}

// ---- At send time ----

type SessionState = { session: CohortSession; cohort: Cohort; members: Set<string> } | null;

async function prepareSessions(records: PlannedNotification[], memo: Memo): Promise<void> {
  const ids = [...new Set(records.map((r) => r.about.id))].filter((id) => memo.get(`session:${id}`) === undefined);
  if (!ids.length) return;
  const sessions = await CohortSessionModel.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }).lean<
    CohortSession[]
  >();
  const audiences = await audienceOf(sessions);
  for (const id of ids) memo.set(`session:${id}`, null);
  for (const a of audiences)
    memo.set(`session:${String(a.session._id)}`, {
      session: a.session,
      cohort: a.cohort,
      members: new Set(a.userIds),
    } satisfies SessionState);
}

async function stateOf(ctx: ComposeContext): Promise<SessionState> {
  const key = `session:${ctx.record.about.id}`;
  if (ctx.memo.get(key) === undefined) await prepareSessions([ctx.record], ctx.memo);
  return ctx.memo.get<SessionState>(key) ?? null;
}

/**
 * The .ics of one session (same UID and SEQUENCE as the calendar feed, so calendar apps update one event). A
 * cancellation names its reader as the ATTENDEE whose event it cancels (RFC 5546 3.2.5: a CANCEL lists the
 * attendees it cancels for; without one, some calendar apps leave the event in place).
 */
export function sessionCalendar(
  session: CohortSession,
  cohort: Cohort,
  attendee?: { name: string; email: string },
): string {
  const calendar = ical({
    name: calendarName(session.title),
    prodId: { company: 'Pathways', product: 'Pathways sessions', language: 'EN' },
    method: session.status === 'cancelled' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH,
  });
  const where = session.mode === 'online' ? (session.joinUrl ?? '') : (session.location ?? '');
  calendar.createEvent({
    id: sessionUid(session._id),
    sequence: session.sequence ?? 0,
    start: session.startsAt,
    end: new Date(session.startsAt.getTime() + session.durationMinutes * 60_000),
    summary: `${session.title} (${cohort.name})`,
    description: `${session.mode === 'online' ? `Join online: ${where}` : `In person: ${where}`}\n\nDetails: ${absoluteUrl(`/sessions/${String(session._id)}`)}`,
    location: where || null,
    url: absoluteUrl(`/sessions/${String(session._id)}`),
    status: session.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    stamp: session.updatedAt ?? new Date(),
    organizer: calendarOrganizer(),
    attendees:
      session.status === 'cancelled' && attendee
        ? [{ name: parameterValue(attendee.name), email: attendee.email }]
        : [],
  });
  return icsFile(calendar);
}

function sessionData(session: CohortSession, cohort: Cohort) {
  return {
    title: session.title,
    cohortName: cohort.name,
    startsAt: session.startsAt.toISOString(),
    durationMinutes: session.durationMinutes,
    mode: session.mode,
    joinUrl: session.joinUrl ?? '',
    location: session.location ?? '',
    sessionUrl: absoluteUrl(`/sessions/${String(session._id)}`),
  };
}

const icsMemo = new WeakMap<object, string>();
function icsAttachment(session: CohortSession, cohort: Cohort, reader?: { name: string; email: string }) {
  // One file for every reader, but a cancellation's names its reader (sessionCalendar).
  const cancelled = session.status === 'cancelled' && reader;
  let content = cancelled ? sessionCalendar(session, cohort, reader) : icsMemo.get(session);
  if (!content) icsMemo.set(session, (content = sessionCalendar(session, cohort)));
  return [
    {
      filename: fileNameOf(session.title, 'ics', 'session'),
      content,
      contentType: `text/calendar; charset=utf-8; method=${session.status === 'cancelled' ? 'CANCEL' : 'PUBLISH'}`,
    },
  ];
}

/**
 * Whether she was already reminded, this far ahead, of this session at an earlier time of it: a reminder of the same
 * offset sent no more than half that offset before this one's own time (or after it). A session moved a little
 * (tomorrow 10:00 to 10:15, earlier or later) plans its reminders again under the new time: sent, they would repeat
 * what she was told minutes before, and the change notice tells her the new time. Moved further (to next week, or
 * hours later the same day), the new reminder falls well after the sent one and goes.
 */
async function remindedBeforeTheMove(record: PlannedNotification, session: CohortSession): Promise<boolean> {
  // Only a session that moved has reminders planned under another time: the rest (nearly all) read nothing more.
  if (!(session.history ?? []).some((h) => h.previousStartsAt)) return false;
  const earlier = await NotificationModel.find(
    {
      userId: record.userId,
      kind: 'session-reminder',
      'about.id': record.about.id,
      'data.offsetMinutes': record.data?.offsetMinutes,
      _id: { $ne: record._id },
    },
    { _id: 1 },
  ).lean();
  if (!earlier.length) return false;
  // Whether one went is the delivery journal's to say: a record's own status is brought in line with it later
  // (settleNotifications), and the move may already have marked the earlier one cancelled.
  const offsetMs = Number(record.data?.offsetMinutes ?? 0) * 60_000;
  const sent = await NotificationDeliveryModel.exists({
    notificationId: { $in: earlier.map((e) => e._id) },
    phase: 'result',
    outcome: 'sent',
    at: { $gte: new Date(record.sendAt.getTime() - offsetMs / 2) },
  });
  return sent !== null;
}

registerNotificationKind('session-reminder', {
  prepare: prepareSessions,
  isStillRelevant: async (ctx) => {
    const state = await stateOf(ctx);
    if (!state || state.session.status !== 'scheduled') return 'The session was cancelled.';
    if (ctx.record.eventAt && state.session.startsAt.getTime() !== ctx.record.eventAt.getTime())
      return 'The session moved to another time.';
    if (!state.members.has(String(ctx.record.userId))) return 'She is no longer in the cohort.';
    if (await remindedBeforeTheMove(ctx.record, state.session))
      return 'She was reminded of this session at its earlier time, after this reminder was due; the change notice tells her the new time.';
    const offset = Number(ctx.record.data?.offsetMinutes);
    if (
      closerReminderSoon({ offsets: offsetsOf(state.cohort), offset, startsAt: state.session.startsAt, now: ctx.now })
    )
      return 'A reminder closer to the session goes within half an hour.';
    return true;
  },
  compose: async (ctx) => {
    const { session, cohort } = (await stateOf(ctx))!;
    return {
      subject: `Reminder: ${session.title}, ${howSoon(session.startsAt, ctx.record.data?.offsetMinutes, ctx.now)}`,
      template: 'session-reminder',
      data: sessionData(session, cohort),
      attachments: icsAttachment(session, cohort),
    };
  },
});

registerNotificationKind('session-changed', {
  prepare: prepareSessions,
  isStillRelevant: async (ctx) => {
    const state = await stateOf(ctx);
    if (!state || state.session.status !== 'scheduled')
      return 'The session was cancelled (a cancellation notice is sent instead).';
    const previous = ctx.record.data?.previousStartsAt as string | null | undefined;
    const previousDuration = ctx.record.data?.previousDurationMinutes as number | null | undefined;
    // A notice planned before places were recorded has none: only its time is compared, as then.
    const previousPlace = ctx.record.data?.previousPlace as string | null | undefined;
    if (
      previous &&
      new Date(previous).getTime() === state.session.startsAt.getTime() &&
      (previousDuration ?? state.session.durationMinutes) === state.session.durationMinutes &&
      (!previousPlace || previousPlace === placeOf(state.session.mode, state.session.joinUrl, state.session.location))
    )
      return 'Its time, length and place are as they were before the change (a new title shows in her calendar).';
    return state.members.has(String(ctx.record.userId)) ? true : 'She is no longer in the cohort.';
  },
  compose: async (ctx) => {
    const { session, cohort } = (await stateOf(ctx))!;
    const previous = ctx.record.data?.previousStartsAt as string | null | undefined;
    const previousPlace = ctx.record.data?.previousPlace as string | null | undefined;
    const place = placeOf(session.mode, session.joinUrl, session.location);
    return {
      subject: `Changed: ${session.title}`,
      template: 'session-changed',
      data: {
        ...sessionData(session, cohort),
        // "It was planned for …" only when its time did change (a new room or link keeps the time).
        previousStartsAt: previous && new Date(previous).getTime() !== session.startsAt.getTime() ? previous : null,
        // "It was in person at Room 4; it is now online" only when its place did change.
        previousPlace: previousPlace && previousPlace !== place ? placeInWords(previousPlace) : null,
        place: placeInWords(place),
      },
      attachments: icsAttachment(session, cohort),
    };
  },
});

registerNotificationKind('session-cancelled', {
  prepare: prepareSessions,
  isStillRelevant: async (ctx) =>
    (await stateOf(ctx))?.session.status === 'cancelled' ? true : 'The session is no longer cancelled.',
  compose: async (ctx) => {
    const { session, cohort } = (await stateOf(ctx))!;
    return {
      subject: `Cancelled: ${session.title}`,
      template: 'session-cancelled',
      data: sessionData(session, cohort),
      attachments: icsAttachment(session, cohort, ctx.recipient),
    };
  },
});
