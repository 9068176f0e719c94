import { randomInt } from 'node:crypto';
import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import type { Cohort } from '../../../models/Cohort.ts';
import { AttendanceRecordModel } from '../../../models/AttendanceRecord.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { CohortSessionModel, type CohortSession } from '../../../models/CohortSession.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../errors.ts';
import { createOnce, newSubmissionKey, submissionKey } from '../../submissions.ts';
import { emitDomainEvent } from '../../events.ts';
import { finishEach, interruptedBefore } from '../../interruptedWork.ts';
import { isObjectId } from '../../ids.ts';
import { canJoinSessions, canRunCohort, canViewCohort } from '../../policies/cohorts.ts';
import { parseIsoInstant, readWallClock, toWallClock } from '../../time.ts';
import { movedOn, savedMeanwhileMessage, type ExpectedVersion } from '../../versions.ts';
import { loadCohort, loadRunCohort, loadVisibleCohort } from './cohorts.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

const messages = {
  notFound: 'We could not find that session.',
  startInvalid: 'must be a date and time such as 2027-03-02T09:30',
  startMissing: (local: string, zone: string) =>
    `${local} does not exist in ${zone} (the clocks go forward then); choose another time.`,
  // Its days are on its own calendar: 09:00 on its first day in Auckland is the day before in London.
  outsideCohort: (from: string, to: string, zone: string) =>
    `must fall within the cohort's dates, ${from} to ${to} in its time zone (${zone})`,
  sessionsOutside: (count: number, side: 'before' | 'after', session: { title: string; day: string }) =>
    `${count === 1 ? '1 scheduled session falls' : `${count} scheduled sessions fall`} ${side} this date ` +
    `(${side === 'before' ? 'the first' : 'the last'}: “${session.title}” on ${session.day}); ` +
    'move or cancel them first, or choose a date that keeps them',
  joinUrl: 'an online session needs a join link (https://…)',
  location: 'an in-person session needs a location',
  cancelled: 'This session is cancelled; it cannot be changed any more.',
  changedMeanwhile: 'Someone else changed this session at the same moment. Reload it and try again.',
  markedNotMoved: (marks: number) =>
    `${marks ? `This session's register already holds ${marks === 1 ? '1 mark' : `${marks} marks`}` : "This session's register has been taken"}, ` +
    'so it cannot move to a time still to come: participants would read their marks for a session not yet held. ' +
    'Cancel it and schedule a new session instead (its marks stay with this one).',
  savedMeanwhile: savedMeanwhileMessage('session'),
};

/** Self check-in opens this long before a session starts, and closes when it ends. */
export const checkInOpensBeforeMs = 15 * 60 * 1000;
/** Unambiguous characters (no 0/O, 1/I/L) for codes read aloud or from a screen. */
const codeAlphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export type SessionInput = {
  title: string;
  /** A wall-clock time in the cohort's zone ("2027-03-02T09:30"), or an instant with an offset. */
  startsAt: string;
  durationMinutes: number;
  mode: 'online' | 'in-person';
  joinUrl?: string;
  location?: string;
};

export const sessionEnd = (s: Pick<CohortSession, 'startsAt' | 'durationMinutes'>): Date =>
  new Date(s.startsAt.getTime() + s.durationMinutes * 60_000);

/** Self check-in window: from 15 minutes before the start to the end. */
export function checkInWindow(s: Pick<CohortSession, 'startsAt' | 'durationMinutes'>) {
  return { opensAt: new Date(s.startsAt.getTime() - checkInOpensBeforeMs), closesAt: sessionEnd(s) };
}
export function checkInIsOpen(s: Pick<CohortSession, 'startsAt' | 'durationMinutes' | 'status'>, now: Date): boolean {
  const { opensAt, closesAt } = checkInWindow(s);
  return s.status === 'scheduled' && now >= opensAt && now <= closesAt;
}

/**
 * When a session's register opens: as self check-in does, 15 minutes before the start. A mark made before then is
 * for a session that has not happened (a neighbouring session's register opened by mistake), and it would show the
 * participant "Present" for it and enter her rate; from then on a register stays open, to be taken after the fact.
 */
export function registerOpensAt(s: Pick<CohortSession, 'startsAt' | 'durationMinutes'>): Date {
  return checkInWindow(s).opensAt;
}

/**
 * The start as a UTC instant. A wall-clock time is read in the cohort's zone; a time the clocks skip (the spring
 * change) is refused rather than silently moved an hour, and one they show twice (the autumn change) is the first.
 */
export function resolveStart(startsAt: string, cohort: Pick<Cohort, 'timezone'>): { instant?: Date; problem?: string } {
  const text = startsAt.trim();
  // An offset or Z at the end: an instant (server/time.ts parseIsoInstant says which forms).
  if (/(Z|[+-]\d\d(:?\d\d)?)$/i.test(text) && text.includes('T')) {
    const instant = parseIsoInstant(text);
    return instant ? { instant } : { problem: messages.startInvalid };
  }
  // Otherwise a wall-clock time in the cohort's zone, to the minute (a datetime-local field may add ":00").
  const wallClock = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:00(\.0+)?)?$/.exec(text);
  if (!wallClock) return { problem: messages.startInvalid };
  const local = wallClock[1]!;
  // A time the clocks show twice is the first of the two (server/time.ts readWallClock).
  const reading = readWallClock(local, cohort.timezone);
  if ('instant' in reading) return { instant: reading.instant };
  return {
    problem: reading.problem === 'skipped' ? messages.startMissing(local, cohort.timezone) : messages.startInvalid,
  };
}

/** The day (in the cohort's zone) a session starts on: its cohort's dates are days of that calendar. */
const dayIn = (instant: Date, zone: string) => DateTime.fromJSDate(instant, { zone }).toISODate();

/**
 * `keptStart`: the start the session has now. A session that keeps it is not held to the cohort's dates again, so one
 * left outside them (the dates changed meanwhile by another process) can still be renamed or moved into them.
 */
function checkSessionInput(
  input: SessionInput,
  cohort: Cohort,
  keptStart?: Date,
): { startsAt: Date; set: Record<string, unknown>; unset: Record<string, 1> } {
  const problems: FieldError[] = [];
  const { instant, problem } = resolveStart(input.startsAt, cohort);
  if (problem) problems.push({ path: 'startsAt', message: problem });
  if (instant && instant.getTime() !== keptStart?.getTime()) {
    const day = dayIn(instant, cohort.timezone);
    if (!day || day < cohort.startsOn || day > cohort.endsOn)
      problems.push({
        path: 'startsAt',
        message: messages.outsideCohort(cohort.startsOn, cohort.endsOn, cohort.timezone),
      });
  }
  if (input.mode === 'online' && !input.joinUrl) problems.push({ path: 'joinUrl', message: messages.joinUrl });
  if (input.mode === 'in-person' && !input.location) problems.push({ path: 'location', message: messages.location });
  if (problems.length) throw new ValidationError('The session could not be saved.', problems);
  const place = input.mode === 'online' ? { joinUrl: input.joinUrl } : { location: input.location };
  return {
    startsAt: instant!,
    set: { title: input.title, startsAt: instant, durationMinutes: input.durationMinutes, mode: input.mode, ...place },
    unset: input.mode === 'online' ? { location: 1 } : { joinUrl: 1 },
  };
}

/**
 * Why the cohort's new dates (or zone) would leave scheduled sessions outside them, by field: the first session before
 * `startsOn`, the last after `endsOn`, each on its day in the (new) zone. Empty when they all still fit. Cancelled
 * sessions are history, not held to the dates.
 */
export async function sessionsOutsideDates(props: {
  cohortId: Types.ObjectId;
  startsOn: string;
  endsOn: string;
  timezone: string;
}): Promise<FieldError[]> {
  const sessions = await CohortSessionModel.find({ cohortId: props.cohortId, status: 'scheduled' })
    .select({ title: 1, startsAt: 1 })
    .sort({ startsAt: 1 })
    .lean();
  const days = sessions.map((s) => ({ title: s.title, day: dayIn(s.startsAt, props.timezone) ?? '' }));
  const before = days.filter((s) => s.day < props.startsOn);
  const after = days.filter((s) => s.day > props.endsOn);
  const problems: FieldError[] = [];
  if (before.length)
    problems.push({ path: 'startsOn', message: messages.sessionsOutside(before.length, 'before', before[0]!) });
  if (after.length)
    problems.push({ path: 'endsOn', message: messages.sessionsOutside(after.length, 'after', after.at(-1)!) });
  return problems;
}

/** The public shape of a session (API). Times are UTC instants; views format them per reader. */
export function presentSession(s: CohortSession) {
  return {
    id: String(s._id),
    cohortId: String(s.cohortId),
    title: s.title,
    startsAt: s.startsAt.toISOString(),
    endsAt: sessionEnd(s).toISOString(),
    durationMinutes: s.durationMinutes,
    mode: s.mode,
    ...(s.joinUrl ? { joinUrl: s.joinUrl } : {}),
    ...(s.location ? { location: s.location } : {}),
    status: s.status,
    sequence: s.sequence,
    history: (s.history ?? []).map((h) => ({
      at: h.at?.toISOString(),
      change: h.change,
      previousStartsAt: h.previousStartsAt?.toISOString(),
      previousDurationMinutes: h.previousDurationMinutes,
    })),
  };
}

/**
 * Schedules a session (those who run the cohort: 404 to someone who cannot see it, 403 to someone who sees it). It
 * may lie in the past, to record a register afterwards.
 */
export async function scheduleSession(props: {
  actor: Express.User;
  cohortId: string;
  input: SessionInput;
  /** The form's `_submission` or the API's `Idempotency-Key`: the same key schedules one session (server/submissions.ts). */
  submissionKey?: string;
}) {
  const cohort = await loadRunCohort({ actor: props.actor, cohortId: props.cohortId });
  const { set } = checkSessionInput(props.input, cohort);
  // Only a key the client sent makes a repeat: two sessions alike in title and time may both be meant (one cancelled
  // by mistake and scheduled again), so there is no fallback on the content. Scoped to the cohort, not the author.
  const key = props.submissionKey
    ? submissionKey({ scope: ['session', String(cohort._id)], clientKey: props.submissionKey, content: [] })
    : newSubmissionKey();
  const inserted = await createOnce(CohortSessionModel, key, {
    ...set,
    cohortId: cohort._id,
    status: 'scheduled',
    sequence: 0,
    history: [{ at: new Date(), byUserId: props.actor.id, change: 'scheduled' }],
  });
  if (!inserted.doc) throw new NotFoundError(messages.notFound);
  // Participants hear of it once: a repeat answers with the session the first one scheduled.
  if (inserted.created) await emitDomainEvent('session.scheduled', { sessionId: inserted.doc._id });
  return inserted.doc as CohortSession;
}

/** @param withRegister with its register (`registerMarks`, absent until first written): the register page's marks. */
export async function loadSession(
  sessionId: string,
  withRegister = false,
): Promise<{ session: CohortSession; cohort: Cohort }> {
  if (!isObjectId(sessionId)) throw new NotFoundError(messages.notFound);
  const query = CohortSessionModel.findById(sessionId);
  if (withRegister) query.select('+registerMarks');
  const session = await readWithoutCursor(query.lean<CohortSession>());
  if (!session) throw new NotFoundError(messages.notFound);
  const cohort = await loadCohort(String(session.cohortId));
  return { session, cohort };
}

/** The session as a reader sees it: its join link only when she may join it (canJoinSessions). */
function asSeenBy<S extends Pick<CohortSession, 'joinUrl'>>(session: S, mayJoin: boolean): S {
  if (mayJoin || !session.joinUrl) return session;
  const { joinUrl, ...withoutLink } = session;
  void joinUrl;
  return withoutLink as S;
}

/**
 * A session the actor may see: 404 otherwise. `runs` says whether she runs its cohort. Its join link is left out for
 * someone without an active place (waitlisted, withdrawn, or looking at a cohort open to join): the page, its .ics file
 * and the API all read the session from here.
 */
export async function loadVisibleSession(props: { actor: Express.User; sessionId: string; withRegister?: boolean }) {
  const { session, cohort } = await loadSession(props.sessionId, props.withRegister);
  const runs = canRunCohort(props.actor, cohort);
  // Those who run the cohort need no enrolment lookup: one query fewer on every register.
  const enrolment = runs
    ? null
    : await readWithoutCursor(EnrolmentModel.findOne({ cohortId: cohort._id, userId: props.actor.id }).lean());
  if (!canViewCohort(props.actor, cohort, !!enrolment)) throw new NotFoundError(messages.notFound);
  return { session: asSeenBy(session, canJoinSessions(props.actor, cohort, enrolment)), cohort, enrolment, runs };
}

/** A session whose cohort the actor runs: 404 if she cannot see it, 403 if she sees but does not run it. */
export async function loadRunSession(props: { actor: Express.User; sessionId: string; withRegister?: boolean }) {
  const loaded = await loadVisibleSession(props);
  if (!loaded.runs) throw new ForbiddenError();
  return loaded;
}

/**
 * Whether a typed start is the wall-clock time the session already has (the edit form sends it back as it showed
 * it). Then the stored instant stands: on the night the clocks go back, 01:30 names two instants, and a form saved
 * unchanged must not move a session at the second one to the first.
 */
function sameWallClock(typed: string | undefined, stored: Date, zone: string): boolean {
  const local = typed === undefined ? undefined : /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:00(\.0+)?)?$/.exec(typed.trim())?.[1];
  return local !== undefined && local === toWallClock(stored, zone);
}

/**
 * Changes a session (time, length, place, title), keeping what it was in its history and bumping its SEQUENCE
 * so calendar apps update the event. One conditional update on the sequence read (atomic on MongoDB and on our
 * patched FerretDB): of two simultaneous changes one wins and the other is told to reload. With `expectedSequence`
 * (the SEQUENCE her form was opened at, or an API client read), a change saved by someone else since is a 409 too,
 * never undone by fields she left as they were shown to her (server/versions.ts).
 */
export async function rescheduleSession(props: {
  actor: Express.User;
  sessionId: string;
  input: Partial<SessionInput>;
  expectedSequence?: ExpectedVersion;
  /** When she asks (the clock is a parameter so tests can pin it); defaults to the current time. */
  now?: Date;
}) {
  const { session, cohort } = await loadRunSession(props);
  if (session.status === 'cancelled') throw new ConflictError(messages.cancelled);
  const now = props.now ?? new Date();
  const merged: SessionInput = {
    title: props.input.title ?? session.title,
    startsAt: sameWallClock(props.input.startsAt, session.startsAt, cohort.timezone)
      ? session.startsAt.toISOString()
      : (props.input.startsAt ?? session.startsAt.toISOString()),
    durationMinutes: props.input.durationMinutes ?? session.durationMinutes,
    mode: props.input.mode ?? (session.mode as SessionInput['mode']),
    joinUrl: props.input.joinUrl ?? session.joinUrl ?? undefined,
    location: props.input.location ?? session.location ?? undefined,
  };
  const { set, unset, startsAt } = checkSessionInput(merged, cohort, session.startsAt);
  const timeChanged =
    startsAt.getTime() !== session.startsAt.getTime() || merged.durationMinutes !== session.durationMinutes;
  // A change that changes nothing (an empty PATCH, a sync script sending what is stored, a form saved as it was) is
  // no change: no new SEQUENCE, no history entry, and no "Changed" email to everyone in the cohort.
  const placeChanged =
    merged.mode !== session.mode ||
    (merged.mode === 'online' ? merged.joinUrl !== session.joinUrl : merged.location !== session.location);
  if (!timeChanged && !placeChanged && merged.title === session.title) return session;
  // Changed since she read it: her change, merged with what she saw, would put back what the other change moved.
  if (movedOn(session.sequence, props.expectedSequence)) throw new ConflictError(messages.savedMeanwhile);
  // A register is never taken before it opens (attendance.ts), so no participant reads a mark for a session still to
  // come; a session already marked moved to such a time would show its marks all the same. Its marks say what
  // happened at the time it was held, so they are not moved (nor silently dropped) with it: it is refused.
  // `marked` covers a first mark being written at this very moment (markedFromNowOn); the count, marks written before
  // the flag existed.
  const aheadOfItsMarks = timeChanged && now < registerOpensAt({ startsAt, durationMinutes: merged.durationMinutes });
  const marksOf = () => AttendanceRecordModel.countDocuments({ sessionId: session._id });
  if (aheadOfItsMarks) {
    const marks = await marksOf();
    if (marks || session.marked) throw new ConflictError(messages.markedNotMoved(marks));
  }
  const entry = {
    at: now,
    byUserId: new Types.ObjectId(props.actor.id),
    change: timeChanged ? 'rescheduled' : 'updated',
    previousStartsAt: session.startsAt,
    previousDurationMinutes: session.durationMinutes,
    previousMode: session.mode,
    previousJoinUrl: session.joinUrl ?? undefined,
    previousLocation: session.location ?? undefined,
  };
  const result = await CohortSessionModel.updateOne(
    {
      _id: session._id,
      sequence: session.sequence,
      status: 'scheduled',
      ...(aheadOfItsMarks ? { marked: { $ne: true } } : {}),
    },
    {
      $set: { ...set, sequence: session.sequence + 1, announcePendingSince: now },
      $unset: unset,
      $push: { history: entry },
    },
  );
  if (result.modifiedCount !== 1) {
    const current = await CohortSessionModel.findById(session._id, { marked: 1, sequence: 1 }).lean();
    // Marked since it was read, and nothing else changed: a first mark won the race.
    if (aheadOfItsMarks && current?.marked && current.sequence === session.sequence)
      throw new ConflictError(messages.markedNotMoved(await marksOf()));
    throw new ConflictError(messages.changedMeanwhile);
  }
  await announceSessionChange({ sessionId: session._id, sequence: session.sequence + 1, cancelled: false });
  return (await loadSession(String(session._id))).session;
}

/**
 * Tells the other areas a session changed (its participants' notices, its reminders moved: services/reminders), then
 * marks the change announced, over the `sequence` it wrote: a later change's own announcement clears its own.
 */
async function announceSessionChange(props: { sessionId: Types.ObjectId; sequence: number; cancelled: boolean }) {
  await emitDomainEvent(props.cancelled ? 'session.cancelled' : 'session.rescheduled', { sessionId: props.sessionId });
  await CohortSessionModel.updateOne(
    { _id: props.sessionId, sequence: props.sequence },
    { $unset: { announcePendingSince: 1 } },
  );
}

/**
 * Announces again every session change written more than the grace of interrupted work ago and never announced
 * (`announcePendingSince` still set: its process stopped between the write and the reactions), so its participants
 * still hear of a move or a cancellation. The reactions are keyed (one notice per reader), so running them again
 * after a process that stopped only before the flag was cleared sends nothing twice. Every 5 minutes (jobs/cohorts.ts).
 */
export async function sessionChangesAnnounced(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const before = interruptedBefore({ now: props.now ?? new Date(), graceMs: props.graceMs });
  const pending = await CohortSessionModel.find(
    { announcePendingSince: { $lt: before } },
    { status: 1, sequence: 1 },
  ).lean();
  return finishEach('session changes', pending, (s) =>
    announceSessionChange({ sessionId: s._id, sequence: s.sequence, cancelled: s.status === 'cancelled' }),
  );
}

/**
 * Before a session's first mark is written (a register saved, a check-in): marks it, on condition that it is still at
 * the time and in the state the caller's checks read. A move to a time still to come is written only on condition that
 * the session is unmarked (rescheduleSession), so when a first mark and such a move race (on two processes), one of
 * the two conditional writes fails and a session is never moved ahead of its marks. False: the session changed since
 * it was read, and the caller checks it again as it is now.
 */
export async function markedFromNowOn(
  session: Pick<CohortSession, '_id' | 'startsAt' | 'durationMinutes' | 'marked'>,
): Promise<boolean> {
  if (session.marked) return true;
  const claimed = await CohortSessionModel.updateOne(
    { _id: session._id, startsAt: session.startsAt, durationMinutes: session.durationMinutes, status: 'scheduled' },
    { $set: { marked: true } },
  );
  return claimed.matchedCount === 1;
}

/** Cancels a session: it stays (with its history) so calendars receive STATUS:CANCELLED and reports skip it. */
export async function cancelSession(props: { actor: Express.User; sessionId: string }) {
  const { session } = await loadRunSession(props);
  if (session.status === 'cancelled') return session;
  const now = new Date();
  const entry = {
    at: now,
    byUserId: new Types.ObjectId(props.actor.id),
    change: 'cancelled',
    previousStartsAt: session.startsAt,
    previousDurationMinutes: session.durationMinutes,
  };
  const result = await CohortSessionModel.updateOne(
    { _id: session._id, sequence: session.sequence, status: 'scheduled' },
    {
      $set: { status: 'cancelled', sequence: session.sequence + 1, announcePendingSince: now },
      $unset: { checkInCode: 1 },
      $push: { history: entry },
    },
  );
  if (result.modifiedCount !== 1) throw new ConflictError(messages.changedMeanwhile);
  await announceSessionChange({ sessionId: session._id, sequence: session.sequence + 1, cancelled: true });
  return (await loadSession(String(session._id))).session;
}

/** A cohort's sessions in time order. */
export async function sessionsOf(cohortId: string | Types.ObjectId) {
  return CohortSessionModel.find({ cohortId }).sort({ startsAt: 1 }).lean<CohortSession[]>();
}

/**
 * A cohort's sessions in time order as the actor may see them (404 when she cannot see the cohort): their join links
 * only for those who may join them (canJoinSessions).
 */
export async function visibleSessionsOf(props: { actor: Express.User; cohortId: string }) {
  const { cohort, enrolment } = await loadVisibleCohort(props);
  const mayJoin = canJoinSessions(props.actor, cohort, enrolment);
  return (await sessionsOf(cohort._id)).map((session) => asSeenBy(session, mayJoin));
}

/**
 * Upcoming sessions across several cohorts (dashboards, calendar feeds): one indexed query.
 * @param from sessions ending after this instant (so one under way is still listed)
 */
export async function upcomingSessions(props: { cohortIds: (string | Types.ObjectId)[]; from: Date; limit: number }) {
  if (!props.cohortIds.length) return [];
  const rows = await readWithoutCursor(
    CohortSessionModel.find({
      cohortId: { $in: props.cohortIds },
      status: 'scheduled',
      startsAt: { $gte: new Date(props.from.getTime() - 24 * 60 * 60 * 1000) },
    })
      .sort({ startsAt: 1 })
      .limit(props.limit + 50)
      .lean<CohortSession[]>(),
  );
  return rows.filter((s) => sessionEnd(s) > props.from).slice(0, props.limit);
}

/**
 * The check-in code to show while check-in is open, created on first need. Two facilitators opening the page at
 * once may both create one; the conditional write keeps the first, and both read it back.
 */
export async function checkInCodeFor(props: { actor: Express.User; sessionId: string; now: Date; renew?: boolean }) {
  return checkInCodeForLoaded(await loadRunSession(props), props);
}

/** checkInCodeFor, for a session already loaded (loadVisibleSession): 403 when she does not run its cohort. */
export async function checkInCodeForLoaded(
  loaded: { session: CohortSession; runs: boolean },
  props: { now: Date; renew?: boolean },
) {
  if (!loaded.runs) throw new ForbiddenError();
  const { session } = loaded;
  if (!checkInIsOpen(session, props.now)) return { open: false as const, ...checkInWindow(session) };
  const code = Array.from({ length: 6 }, () => codeAlphabet[randomInt(codeAlphabet.length)]).join('');
  const filter = props.renew ? { _id: session._id } : { _id: session._id, checkInCode: { $in: [null, ''] } };
  await CohortSessionModel.updateOne(filter, { $set: { checkInCode: code } });
  const fresh = await CohortSessionModel.findById(session._id, { checkInCode: 1 }).lean();
  return { open: true as const, code: fresh!.checkInCode!, ...checkInWindow(session) };
}

export async function cohortById(id: Types.ObjectId | string) {
  return CohortModel.findById(id).lean<Cohort>();
}
