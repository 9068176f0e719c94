import { auditAdminAction } from '../audit/events.ts';
import { Types } from 'mongoose';
import {
  AttendanceRecordModel,
  attendanceRecordId,
  attendanceStatuses,
  type AttendanceRecord,
  type AttendanceStatus,
} from '../../../models/AttendanceRecord.ts';
import type { Cohort } from '../../../models/Cohort.ts';
import type { CohortSession, SessionMark } from '../../../models/CohortSession.ts';
import { CheckInFailureModel } from '../../../models/CheckInFailure.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { isObjectId } from '../../ids.ts';
import { ConflictError, ForbiddenError, RateLimitedError, ValidationError, type FieldError } from '../../errors.ts';
import { formatDateTime } from '../../time.ts';
import { optionalTextAsStored, writtenTextProblem } from '../../visibleText.ts';
import { canReadAttendanceOf } from '../../policies/cohorts.ts';
import { loadCohort, loadVisibleCohort, namesOf } from './cohorts.ts';
import { activeAmong, activeEnrolmentsIn, isActivelyEnrolled, rosterFrom, rosterOf } from './enrolment.ts';
import { participantNamesOf } from './participantNames.ts';
import {
  heldSessionsOf,
  marksOfRegistered,
  marksOfSessions,
  registerChanged,
  type ReportMark,
} from './sessionRegisters.ts';
import {
  checkInIsOpen,
  checkInWindow,
  loadRunSession,
  loadVisibleSession,
  markedFromNowOn,
  registerOpensAt,
} from './sessions.ts';
import { toCsv } from '../../csv.ts';

const messages = {
  notEnrolled: 'is not actively enrolled in this cohort',
  duplicate: 'appears more than once in this register',
  noteTooLong: (length: number) =>
    `the note must be at most ${registerNoteMaxLength} characters (it has ${length}); nothing was cut`,
  cancelled: 'This session was cancelled, so it has no register.',
  registerNotYet: (opensAt: Date, zone: string) =>
    `Nothing was saved: this session has not started yet. Its register opens at ${formatDateTime(opensAt, zone)}, 15 minutes before the start, as check-in does.`,
  refused: (n: number) => `Nothing was saved: ${n} ${n === 1 ? 'row needs' : 'rows need'} correcting.`,
  markedMeanwhile: (n: number, othersSaved: boolean) =>
    `${
      othersSaved
        ? `${n === 1 ? 'One row was' : `${n} rows were`} marked by someone else as you saved, so your choice there was not saved; your other rows were saved.`
        : `Nothing was saved: ${n === 1 ? 'one row was' : `${n} rows were`} marked by someone else after you opened the register.`
    } Your choices are below, with what was saved meanwhile at each such row: save again to replace it with yours.`,
  rowMarkedMeanwhile: (what: string, shown: string | null) =>
    `${what} after you opened the register (it showed ${shown ? `“${shown}”` : 'no mark'}); your choice was not saved`,
  checkInNotYet: (opensAt: Date, zone: string) =>
    `Check-in for this session is not open yet. It opens at ${formatDateTime(opensAt, zone)}.`,
  checkInClosed: (closedAt: Date, zone: string) =>
    `Check-in for this session closed at ${formatDateTime(closedAt, zone)}. Ask your facilitator to mark you on the register.`,
  checkInCancelled: 'This session was cancelled, so there is nothing to check in to.',
  checkInBusy: 'Your attendance is being recorded at this moment. Look at the session again in a moment.',
  sessionChangedMeanwhile:
    'Nothing was saved: this session was being moved or cancelled at the same moment. Look at it again and try again.',
  checkInNotEnrolled: 'Only participants enrolled in this cohort can check in.',
  wrongCode: 'That code is not right. Check it with your facilitator and try again.',
  tooManyCodes:
    'Too many wrong codes for this session. Wait a few minutes, or ask your facilitator to mark you on the register.',
};

/** Wrong check-in codes allowed per person and session in each window. */
export const checkInFailureLimit = 5;
export const checkInFailureWindowMs = 10 * 60 * 1000;

export type RegisterRow = {
  userId: string;
  name: string;
  status: AttendanceStatus | null;
  note: string;
  markedBy: string | null;
  markedByName: string | null;
  markedAt: Date | null;
  source: string | null;
};

/**
 * One row per active participant, by name, with her mark if she has one: the cohort's active enrolments, which name
 * them (./participantNames.ts; cohortId leads their index), and the session's register, its records' copy kept in the
 * session (./sessionRegisters.ts; read with the session, or by `_id` after a save). Whoever marked them is named too:
 * a participant who checked herself in by her enrolment, the reader by her session, and anyone else (another
 * facilitator, an admin) by one read of their accounts.
 */
async function buildRegister(
  session: Pick<CohortSession, '_id' | 'cohortId' | 'registerMarks'>,
  reader: { id: string; name: string },
  /** The session was read with its register (loadSession's `withRegister`); else its register is read now. */
  registerRead: boolean,
): Promise<{ rows: RegisterRow[]; formerMarks: Pick<RegisterRow, 'status'>[] }> {
  const [enrolments, registers] = await Promise.all([
    activeEnrolmentsIn(session.cohortId),
    registerRead ? marksOfRegistered([session], [session._id]) : marksOfSessions([session._id]),
  ]);
  const records = registers.get(String(session._id)) ?? [];
  const byUser = new Map(records.map((r) => [String(r.userId), r]));
  const names = await participantNamesOf(enrolments);
  names.set(reader.id, reader.name);
  const otherMarkers = enrolments.flatMap((e) => {
    const r = byUser.get(String(e.userId));
    return r && !names.has(String(r.markedBy)) ? [r.markedBy] : [];
  });
  for (const [id, person] of await namesOf(otherMarkers)) names.set(id, person.name);
  const active = new Set(enrolments.map((e) => String(e.userId)));
  const formerMarks = records.flatMap((r) =>
    active.has(String(r.userId)) ? [] : [{ status: r.status as AttendanceStatus }],
  );
  const rows = rosterFrom(enrolments, names).map((m) => {
    const r = byUser.get(m.userId);
    return {
      userId: m.userId,
      name: m.name,
      status: (r?.status as AttendanceStatus | undefined) ?? null,
      note: r?.note ?? '',
      markedBy: r ? String(r.markedBy) : null,
      markedByName: r ? (names.get(String(r.markedBy)) ?? null) : null,
      markedAt: r?.markedAt ?? null,
      source: r?.source ?? null,
    };
  });
  return { rows, formerMarks };
}

/** The register of a session (those who run its cohort): the session read with its register. */
export async function getRegister(props: { actor: Express.User; sessionId: string }) {
  return registerForLoaded(await loadVisibleSession({ ...props, withRegister: true }), props.actor, true);
}

/**
 * getRegister, for a session already loaded (loadVisibleSession): 403 when she does not run its cohort. `withRegister`
 * says whether it was loaded with its register; if not, the register is read now.
 */
export async function registerForLoaded(
  loaded: { session: CohortSession; cohort: Cohort; runs: boolean },
  actor: Express.User,
  withRegister: boolean,
) {
  if (!loaded.runs) throw new ForbiddenError();
  const { rows, formerMarks } = await buildRegister(loaded.session, actor, withRegister);
  const { registerMarks, ...session } = loaded.session;
  void registerMarks;
  return {
    session,
    cohort: loaded.cohort,
    rows,
    counts: countsOf(rows, formerMarks),
    formerlyEnrolled: formerMarks.length,
  };
}

export function presentRegister(rows: RegisterRow[]) {
  return {
    records: rows.map((r) => ({
      userId: r.userId,
      name: r.name,
      status: r.status,
      note: r.note,
      markedBy: r.markedBy,
      markedAt: r.markedAt?.toISOString() ?? null,
    })),
  };
}

/**
 * Writes one record on its own: an upsert by its _id (sessionId:userId). Two first writes at once race to insert,
 * on MongoDB too; the loser's duplicate-key error (which FerretDB may report as a generic error from an update) is
 * answered by writing again as a plain update.
 */
async function writeRecord(
  session: Pick<CohortSession, '_id' | 'cohortId'>,
  userId: string,
  set: Record<string, unknown>,
) {
  const _id = attendanceRecordId(session._id, userId);
  try {
    await AttendanceRecordModel.updateOne({ _id }, recordUpsert(session, userId, set), { upsert: true });
  } catch (error) {
    if (!isDuplicateKeyError(error) && !(await AttendanceRecordModel.exists({ _id }))) throw error;
    await AttendanceRecordModel.updateOne({ _id }, { $set: set });
  }
}

const recordUpsert = (
  session: Pick<CohortSession, '_id' | 'cohortId'>,
  userId: string,
  set: Record<string, unknown>,
) => ({
  $set: set,
  $setOnInsert: {
    sessionId: session._id,
    cohortId: session.cohortId,
    userId: new Types.ObjectId(userId),
    firstMarkedAt: set.markedAt,
  },
});

/**
 * Writes a register's records in one command: each is still its own single-document upsert (one per person, so
 * rows others mark at the same moment are kept), sent together rather than one round trip each. Should any fail
 * (two first writes racing to insert one record), every record is written again on its own, as `writeRecord`
 * does; the writes set the same values, so writing one twice changes nothing.
 */
async function writeRecords(
  session: Pick<CohortSession, '_id' | 'cohortId'>,
  writes: { userId: string; set: Record<string, unknown> }[],
) {
  try {
    await AttendanceRecordModel.bulkWrite(
      writes.map(({ userId, set }) => ({
        updateOne: {
          filter: { _id: attendanceRecordId(session._id, userId) },
          update: recordUpsert(session, userId, set),
          upsert: true,
        },
      })),
      { ordered: false },
    );
  } catch {
    await Promise.all(writes.map(({ userId, set }) => writeRecord(session, userId, set)));
  }
}

/** The mark a register page showed for a row (none: `status` null), which a row sent from it may only replace. */
export type ShownMark = { status: string | null; note: string };

/**
 * One row as a caller sent it: `status` is checked here with the rest of the row (see recordAttendance). `shown`:
 * the mark her page showed (the web register); without it (the API, as API.md has it) the last write wins.
 */
export type RecordInput = { userId: string; status: string; note?: string; shown?: ShownMark };

type StoredMark = Pick<AttendanceRecord, 'status' | 'note' | 'markedBy' | 'markedAt' | 'source'>;

/**
 * A row's note as stored: by optionalText's rule, so a note of only spaces or invisible characters (a pasted
 * zero-width space) is no note, and two notes that differ only in those are the same note.
 */
export const registerNoteAsStored = (note: string | undefined): string => optionalTextAsStored(note ?? '');

const sameMark = (a: ShownMark, b: StoredMark | undefined) =>
  (a.status ?? null) === (b?.status ?? null) && registerNoteAsStored(a.note) === registerNoteAsStored(b?.note);

/**
 * A row sent from a page that showed another mark than the one stored now (a colleague's, her own check-in, her own
 * save in another tab), and which would change what is stored: writing it would undo that mark unseen.
 */
const overwritesUnseen = (r: RecordInput, stored: StoredMark | undefined) =>
  !!r.shown && !sameMark(r.shown, stored) && !sameMark({ status: r.status, note: r.note ?? '' }, stored);

/** The marks stored now for these people (one read by `_id`). */
async function storedMarks(sessionId: unknown, userIds: string[]): Promise<Map<string, StoredMark>> {
  if (!userIds.length) return new Map();
  const found = await AttendanceRecordModel.find(
    { _id: { $in: userIds.map((userId) => attendanceRecordId(sessionId, userId)) } },
    { userId: 1, status: 1, note: 1, markedBy: 1, markedAt: 1, source: 1 },
  ).lean<(StoredMark & { userId: Types.ObjectId })[]>();
  return new Map(found.map((r) => [String(r.userId), r]));
}

/**
 * The refusal of rows marked by someone else since her page showed them: a 409 naming each row, at its index in
 * `records`, with what was saved meanwhile and by whom.
 */
async function markedMeanwhileError(props: {
  actor: Express.User;
  records: RecordInput[];
  indexes: number[];
  stored: Map<string, StoredMark>;
  othersSaved: boolean;
}): Promise<ConflictError> {
  const markers = await namesOf(
    props.indexes.flatMap((i) => props.stored.get(props.records[i]!.userId)?.markedBy ?? []),
  );
  const errors = props.indexes.map((i) => {
    const r = props.records[i]!;
    const current = props.stored.get(r.userId);
    const by =
      String(current?.markedBy) === props.actor.id
        ? 'you'
        : (markers.get(String(current?.markedBy))?.name ?? 'someone else');
    const what = !current
      ? 'Her mark was removed'
      : current.source === 'check-in'
        ? `She checked herself in (“${current.status}”)`
        : current.status === r.shown!.status
          ? `Her note was changed by ${by}`
          : `Marked “${current.status}” by ${by}`;
    return { path: `records.${i}.status`, message: messages.rowMarkedMeanwhile(what, r.shown!.status) };
  });
  return new ConflictError(messages.markedMeanwhile(errors.length, props.othersSaved), errors);
}

/**
 * Writes a row sent from a page only over the mark that page showed, read as `stored` (one conditional write: an
 * insert where there was none, else an update filtered on the record as read), so a mark saved between the read and
 * this write is never undone unseen. False when one was.
 */
async function writeOverShown(
  session: Pick<CohortSession, '_id' | 'cohortId'>,
  userId: string,
  stored: StoredMark | undefined,
  set: Record<string, unknown>,
): Promise<boolean> {
  const _id = attendanceRecordId(session._id, userId);
  if (stored) {
    const written = await AttendanceRecordModel.updateOne(
      { _id, status: stored.status, markedAt: stored.markedAt },
      { $set: set },
    );
    return written.matchedCount === 1;
  }
  try {
    await AttendanceRecordModel.create({
      _id,
      sessionId: session._id,
      cohortId: session.cohortId,
      userId: new Types.ObjectId(userId),
      firstMarkedAt: set.markedAt as Date,
      ...set,
    });
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/** The longest note a register row keeps (the form's field says so; a longer one is refused, never cut). */
export const registerNoteMaxLength = 500;

/**
 * Records attendance (those who run the cohort). Every record is checked first: if any is invalid (someone not
 * actively enrolled, a person twice) nothing is written and the failing rows are named. Then each record is
 * written on its own, so the rows others mark at the same moment are kept. A record sent with the mark her page
 * `shown` is written only over that mark: when another was saved since, nothing is written and a 409 names those
 * rows (as the app's other "saved meanwhile" forms); one saved in the instant between that look and the write
 * leaves the rows already written, and the 409 names the rows it kept from being written.
 */
export async function recordAttendance(props: {
  actor: Express.User;
  sessionId: string;
  records: RecordInput[];
  now?: Date;
}): Promise<RegisterRow[]> {
  return recordAttendanceOnce(props, sessionChangedRetries);
}

/** How many times a register or a check-in is judged again when its session moved while it was being judged. */
const sessionChangedRetries = 3;

async function recordAttendanceOnce(
  props: Parameters<typeof recordAttendance>[0],
  triesLeft: number,
): Promise<RegisterRow[]> {
  const { session } = await loadRunSession(props);
  if (session.status === 'cancelled') throw new ConflictError(messages.cancelled);
  const now = props.now ?? new Date();
  const opensAt = registerOpensAt(session);
  if (now < opensAt) throw new ConflictError(messages.registerNotYet(opensAt, props.actor.timezone));
  const active = await activeAmong({ cohortId: session.cohortId, userIds: props.records.map((r) => r.userId) });
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  props.records.forEach((r, i) => {
    if (!active.has(r.userId)) problems.push({ path: `records.${i}.userId`, message: messages.notEnrolled });
    else if (seen.has(r.userId)) problems.push({ path: `records.${i}.userId`, message: messages.duplicate });
    if (!(attendanceStatuses as readonly string[]).includes(r.status))
      problems.push({ path: `records.${i}.status`, message: `must be one of ${attendanceStatuses.join(', ')}` });
    const noteProblem = writtenTextProblem(r.note ?? '');
    if (noteProblem) problems.push({ path: `records.${i}.note`, message: noteProblem });
    else if ((r.note ?? '').trim().length > registerNoteMaxLength)
      problems.push({ path: `records.${i}.note`, message: messages.noteTooLong((r.note ?? '').trim().length) });
    seen.add(r.userId);
  });
  if (problems.length)
    throw new ValidationError(messages.refused(new Set(problems.map((p) => p.path.split('.')[1])).size), problems);
  const stored = await storedMarks(
    session._id,
    props.records.map((r) => r.userId),
  );
  const unseen = props.records.flatMap((r, i) => (overwritesUnseen(r, stored.get(r.userId)) ? [i] : []));
  if (unseen.length) throw await markedMeanwhileError({ ...props, indexes: unseen, stored, othersSaved: false });
  const setOf = (r: RecordInput) => ({
    status: r.status,
    note: registerNoteAsStored(r.note),
    markedBy: new Types.ObjectId(props.actor.id),
    markedAt: now,
    source: 'register',
  });
  // A row whose choice is already what is stored (a colleague saved the same meanwhile, or the same register sent
  // again: API.md calls the PUT idempotent) needs no write, so the mark keeps who made it and when.
  const asStored = (r: RecordInput) => sameMark({ status: r.status, note: r.note ?? '' }, stored.get(r.userId));
  const unguarded = props.records.filter((r) => !r.shown && !asStored(r));
  // Moved or cancelled since it was read: judged again as it is now (not yet open, cancelled, or open at its new time).
  if (props.records.some((r) => !asStored(r)) && !(await markedFromNowOn(session))) {
    if (triesLeft > 1) return recordAttendanceOnce(props, triesLeft - 1);
    throw new ConflictError(messages.sessionChangedMeanwhile);
  }
  if (unguarded.length)
    await writeRecords(
      session,
      unguarded.map((r) => ({ userId: r.userId, set: setOf(r) })),
    );
  const outcomes = await Promise.all(
    props.records.map(async (r) => {
      if (asStored(r)) return 'as stored';
      if (!r.shown) return 'written';
      return (await writeOverShown(session, r.userId, stored.get(r.userId), setOf(r))) ? 'written' : 'lost';
    }),
  );
  const lost = outcomes.flatMap((o, i) => (o === 'lost' ? [i] : []));
  const written = props.records.filter((_, i) => outcomes[i] === 'written');
  if (written.length) {
    await registerChanged(session._id);
    await auditAdminAction({
      actor: props.actor,
      action: 'attendance-recorded',
      target: { type: 'session', id: session._id },
      subjectUserIds: written.map((r) => r.userId),
      detail: `${written.length} ${written.length === 1 ? 'person' : 'people'} marked`,
    });
  }
  if (lost.length) {
    const current = await storedMarks(
      session._id,
      lost.map((i) => props.records[i]!.userId),
    );
    throw await markedMeanwhileError({ ...props, indexes: lost, stored: current, othersSaved: written.length > 0 });
  }
  return (await buildRegister(session, props.actor, false)).rows;
}

/** Her mark for one session, if she has one: one read by the record's `_id` (`<sessionId>:<userId>`). */
export async function markOf(props: { sessionId: unknown; userId: string }) {
  return AttendanceRecordModel.findById(attendanceRecordId(props.sessionId, props.userId), {
    status: 1,
    markedAt: 1,
    source: 1,
  }).lean<Pick<AttendanceRecord, 'status' | 'markedAt' | 'source'>>();
}

/** Her marks for several sessions, by session id: one read by the records' `_id`s (`<sessionId>:<userId>`). */
export async function marksOfSessionsFor(props: { sessionIds: unknown[]; userId: string }) {
  if (!props.sessionIds.length) return new Map<string, Pick<AttendanceRecord, 'status' | 'source'>>();
  const records = await AttendanceRecordModel.find(
    { _id: { $in: props.sessionIds.map((id) => attendanceRecordId(id, props.userId)) } },
    { sessionId: 1, status: 1, source: 1 },
  ).lean<Pick<AttendanceRecord, 'sessionId' | 'status' | 'source'>[]>();
  return new Map(records.map((r) => [String(r.sessionId), r]));
}

/**
 * Whether she is offered check-in for a session (the session page's form, the home page's "Check in now"): while its
 * window is open and she has no mark yet, or "absent" (checkIn turns a facilitator's "absent" into hers; any other
 * mark stands, so offering it again would only tell her she had not checked in).
 */
export const checkInOffered = (
  session: Parameters<typeof checkInIsOpen>[0],
  mark: { status: string } | null | undefined,
  now: Date,
): boolean => checkInIsOpen(session, now) && (!mark || mark.status === 'absent');

/**
 * Counts by status for one session: its active participants' rows (unmarked: no record yet) and the marks of those
 * marked for it who have left the cohort since (withdrawn, moved), so a session held says what happened at it
 * whoever is on the cohort today.
 */
export function countsOf(rows: Pick<RegisterRow, 'status'>[], formerMarks: Pick<RegisterRow, 'status'>[] = []) {
  const counts = { present: 0, late: 0, excused: 0, absent: 0, unmarked: 0 };
  for (const r of [...rows, ...formerMarks]) counts[r.status ?? 'unmarked'] += 1;
  return counts;
}

/**
 * Self check-in with the code the facilitator shows. Open from 15 minutes before the start to the end; after the
 * cohort's grace period she is marked late. Wrong codes are limited per person and session (the attempts are rows
 * numbered under a unique index, taken before a code is judged, so the limit holds under concurrent guesses).
 */
export async function checkIn(props: {
  actor: Express.User;
  sessionId: string;
  code: string;
  now?: Date;
}): Promise<{ status: AttendanceStatus }> {
  return checkInOnce(props, sessionChangedRetries);
}

async function checkInOnce(
  props: Parameters<typeof checkIn>[0],
  triesLeft: number,
): Promise<{ status: AttendanceStatus }> {
  const now = props.now ?? new Date();
  const { session, cohort } = await loadVisibleSession(props);
  const zone = props.actor.timezone;
  if (session.status === 'cancelled') throw new ConflictError(messages.checkInCancelled);
  // Her enrolment as it is now (one indexed read), so a withdrawal takes effect at once on every process.
  if (!(await isActivelyEnrolled({ cohortId: cohort._id, userId: props.actor.id })))
    throw new ForbiddenError(messages.checkInNotEnrolled);
  const { opensAt, closesAt } = checkInWindow(session);
  if (now < opensAt) throw new ConflictError(messages.checkInNotYet(opensAt, zone));
  if (now > closesAt) throw new ConflictError(messages.checkInClosed(closesAt, zone));

  const window = Math.floor(now.getTime() / checkInFailureWindowMs) * checkInFailureWindowMs;
  const failures = { sessionId: session._id, userId: new Types.ObjectId(props.actor.id), window };
  const retryAfter = Math.ceil((window + checkInFailureWindowMs - now.getTime()) / 1000);
  if ((await CheckInFailureModel.countDocuments(failures)) >= checkInFailureLimit)
    throw new RateLimitedError(messages.tooManyCodes, retryAfter);

  // Every code takes one of the window's numbered attempts BEFORE it is judged, so however many guesses arrive at
  // once (on any number of processes), at most `checkInFailureLimit` are judged per window; a right code gives its
  // attempt back, a wrong one keeps it as a failure.
  let attempt = 0;
  for (let n = 1; n <= checkInFailureLimit && !attempt; n += 1) {
    try {
      await CheckInFailureModel.create({ ...failures, attempt: n });
      attempt = n;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  if (!attempt) throw new RateLimitedError(messages.tooManyCodes, retryAfter);
  const expected = (session.checkInCode ?? '').toUpperCase();
  if (!expected || props.code.trim().toUpperCase().replace(/\s+/g, '') !== expected)
    throw new ValidationError(messages.wrongCode, [{ path: 'code', message: messages.wrongCode }]);
  await CheckInFailureModel.deleteOne({ ...failures, attempt });
  // Moved or cancelled since it was read: judged again as it is now (see recordAttendance).
  if (!(await markedFromNowOn(session))) {
    if (triesLeft > 1) return checkInOnce(props, triesLeft - 1);
    throw new ConflictError(messages.sessionChangedMeanwhile);
  }

  const status: AttendanceStatus =
    now.getTime() > session.startsAt.getTime() + (cohort.lateAfterMinutes ?? 10) * 60_000 ? 'late' : 'present';
  const _id = attendanceRecordId(session._id, props.actor.id);
  const set = { status, markedBy: new Types.ObjectId(props.actor.id), markedAt: now, source: 'check-in' as const };
  // Only an unmarked or "absent" record becomes hers, by a write conditional on the record as read: a facilitator's
  // mark written meanwhile (another process) stands, and the loop reads it.
  for (let round = 0; round < 5; round += 1) {
    const existing = await AttendanceRecordModel.findById(_id).lean();
    // A second check-in keeps the first time; a facilitator's "excused" stands. Sent again, it writes the register's
    // copy again too, in case the first writer stopped before it.
    if (existing && existing.status !== 'absent') {
      await registerChanged(session._id);
      return { status: existing.status as AttendanceStatus };
    }
    if (existing) {
      const moved = await AttendanceRecordModel.updateOne(
        { _id, status: 'absent', markedAt: existing.markedAt, note: existing.note },
        { $set: set },
      );
      if (moved.matchedCount === 1) {
        await registerChanged(session._id);
        return { status };
      }
      continue;
    }
    try {
      await AttendanceRecordModel.create({
        _id,
        sessionId: session._id,
        cohortId: session.cohortId,
        userId: new Types.ObjectId(props.actor.id),
        note: '',
        firstMarkedAt: now,
        ...set,
      });
      await registerChanged(session._id);
      return { status };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  throw new ConflictError(messages.checkInBusy);
}

/**
 * The attendance rate, the one definition every report, export and page uses: sessions attended (present or late)
 * over the sessions counted, those marked present, late or absent; excused and unmarked sessions count neither way.
 * `rate` is between 0 and 1 (three decimals), null until one session counts.
 */
export function attendanceRate(counts: { present: number; late: number; absent: number }) {
  const attended = counts.present + counts.late;
  const counted = attended + counts.absent;
  return { attended, counted, rate: counted ? Math.round((attended / counted) * 1000) / 1000 : null };
}

export type ParticipantReport = {
  userId: string;
  name: string;
  email: string;
  sessions: number;
  present: number;
  late: number;
  excused: number;
  absent: number;
  unmarked: number;
  /** attendanceRate: (present + late) / (present + late + absent), between 0 and 1; null until one such session. */
  rate: number | null;
  flags: ('low-rate' | 'missed-two-in-a-row')[];
};

/**
 * Attendance across a cohort, per participant and per session, from two indexed queries: its sessions held so far
 * with their registers, the copies of their attendance records kept in each session (cohortId leads the sessions'
 * index; ./sessionRegisters.ts), and its active enrolments, which name them (cohortId leads theirs).
 * A session counts once it has started (and was not cancelled), and for a participant only from when she enrolled
 * (or, enrolled again after a withdrawal, where she was marked during her earlier enrolment).
 * Rate: attendanceRate (attended over sessions marked present, late or absent). Flags: a rate under the cohort's threshold after at least 3 such sessions, or the
 * last two marked sessions missed (absent).
 * @param now sessions starting after this are not counted yet
 */
export async function cohortAttendanceReport(props: {
  cohortId: string;
  now: Date;
  /**
   * The cohort, when the caller has loaded it (to check who may see it: one read fewer), or is loading it now (a
   * promise: the report's reads, keyed by `cohortId`, then go out with it rather than after it; a refusal it throws
   * is the report's).
   */
  cohort?: Cohort | Promise<Cohort>;
  /** With each participant's email address (an export): one read of their accounts more. */
  emails?: boolean;
}) {
  const cohortRead = props.cohort ?? loadCohort(props.cohortId);
  // An id that is none is the cohort's 404, never a cast error of the reads below.
  if (!isObjectId(props.cohortId)) await cohortRead;
  const cohortId = new Types.ObjectId(props.cohortId);
  const [cohort, held, roster] = await Promise.all([
    Promise.resolve(cohortRead).then((c) => {
      if (!c._id.equals(cohortId)) throw new Error(`The cohort handed over is not ${props.cohortId}.`);
      return c;
    }),
    // The sessions held so far with their marks, from their registers (./sessionRegisters.ts).
    heldSessionsOf(cohortId, props.now),
    rosterOf(cohortId, { emails: props.emails }),
  ]);
  const sessions = held.map((s) => ({
    sessionId: String(s._id),
    title: s.title,
    startsAt: s.startsAt,
    durationMinutes: s.durationMinutes,
  }));
  // Each session's marks by participant, each id turned into text once (a report looks every pair up twice).
  const marksByParticipant = async (read: typeof held) => {
    const marks = await marksOfRegistered(
      read,
      held.map((s) => s._id),
    );
    return new Map(
      sessions.map((s) => [
        s.sessionId,
        new Map((marks.get(s.sessionId) ?? []).map((m) => [m.userId.toHexString(), m])),
      ]),
    );
  };
  // A session counts for her from when she (last) enrolled. One held before she first enrolled counts when she was
  // marked for it: her class list is often loaded after the first session, and its register taken then (a register
  // saved for her and left out of every count, with nothing said, misled her facilitator). One held while she was
  // withdrawn counts when she was marked for it before she enrolled again, i.e. in her earlier enrolment: she keeps
  // the marks she had, and a session held while she was away is not hers. A mark of her earlier enrolment corrected
  // since (a doctor's note turning "absent" into "excused") is still of that enrolment: it is dated by when it was
  // first made, not last changed, or the correction would take the session out of her report.
  type Member = { userId: string; enrolledAt: Date | null; firstEnrolledAt: Date | null };
  /** Held before she last enrolled but not before she first did: whether it is hers depends on when she was marked. */
  const hersByMarkDate = (m: Member, s: { startsAt: Date }) =>
    !!m.enrolledAt && s.startsAt < m.enrolledAt && !(m.firstEnrolledAt && s.startsAt < m.firstEnrolledAt);
  let marksBy = await marksByParticipant(held);
  // Marks are read without their dates; only such a session needs them, and when someone was marked at one the
  // held sessions' registers are read again with their dates (the same sessions: held by the same `now`).
  if (roster.some((m) => sessions.some((s) => hersByMarkDate(m, s) && marksBy.get(s.sessionId)?.has(m.userId))))
    marksBy = await marksByParticipant(await heldSessionsOf(cohortId, props.now, { withDates: true }));
  /** Whether the session counts for her, given her mark at it (if any). */
  const eligible = (m: Member, s: { startsAt: Date }, mark: ReportMark | SessionMark | undefined) => {
    if (!m.enrolledAt || s.startsAt >= m.enrolledAt) return true;
    if (!mark) return false;
    if (!hersByMarkDate(m, s)) return true;
    const firstMarkedAt = mark.firstMarkedAt ?? mark.markedAt;
    return !!firstMarkedAt && firstMarkedAt < m.enrolledAt;
  };
  const threshold = cohort.attendanceThreshold ?? 75;

  const perSession = sessions.map((s) => ({
    sessionId: s.sessionId,
    title: s.title,
    startsAt: s.startsAt,
    endsAt: new Date(s.startsAt.getTime() + s.durationMinutes * 60_000),
    present: 0,
    late: 0,
    excused: 0,
    absent: 0,
    unmarked: 0,
  }));
  const marksOfSession = sessions.map((s) => marksBy.get(s.sessionId) ?? new Map<string, ReportMark | SessionMark>());
  const rows: ParticipantReport[] = roster.map((m) => {
    const row: ParticipantReport = {
      userId: m.userId,
      name: m.name,
      email: m.email,
      sessions: 0,
      present: 0,
      late: 0,
      excused: 0,
      absent: 0,
      unmarked: 0,
      rate: null,
      flags: [],
    };
    const marks: AttendanceStatus[] = [];
    sessions.forEach((s, i) => {
      // Her mark is looked up once per session (a report of a cohort looks up every pair).
      const mark = marksOfSession[i]!.get(m.userId);
      if (!eligible(m, s, mark)) return;
      const status = mark?.status as AttendanceStatus | undefined;
      row.sessions += 1;
      row[status ?? 'unmarked'] += 1;
      perSession[i]![status ?? 'unmarked'] += 1;
      if (status && status !== 'excused') marks.push(status);
    });
    const { counted, rate } = attendanceRate(row);
    row.rate = rate;
    if (row.rate !== null && counted >= 3 && row.rate * 100 < threshold) row.flags.push('low-rate');
    if (marks.length >= 2 && marks.at(-1) === 'absent' && marks.at(-2) === 'absent')
      row.flags.push('missed-two-in-a-row');
    return row;
  });
  // A session's totals say what happened at it: the marks of those who have left the cohort since (withdrawn, moved)
  // count as they did when taken; the rows above, and the unmarked, are today's participants only.
  const onRoster = new Set(roster.map((m) => m.userId));
  sessions.forEach((s, i) => {
    for (const [userId, mark] of marksBy.get(s.sessionId) ?? [])
      if (!onRoster.has(userId)) perSession[i]![mark.status as AttendanceStatus] += 1;
  });
  return { cohort, threshold, sessions: perSession, rows, flagged: rows.filter((r) => r.flags.length) };
}

export const flagLabels: Record<ParticipantReport['flags'][number], string> = {
  'low-rate': 'Attendance under threshold',
  'missed-two-in-a-row': 'Missed the last two sessions',
};

/**
 * The per-participant report as the actor may read it: every row for those who run the cohort; for someone enrolled
 * in it (any status), her own row, if she is on the report (canReadAttendanceOf). Someone who cannot see the cohort
 * gets the 404 of an unknown id; someone who sees it (open to join) but is not in it, 403.
 * @param now sessions starting after this are not counted yet
 */
export async function readableAttendance(props: {
  actor: Express.User;
  cohortId: string;
  now: Date;
  /** With email addresses (the CSV export). */
  emails?: boolean;
}) {
  const { cohort, enrolment, runs } = await loadVisibleCohort(props);
  if (!runs && !enrolment) throw new ForbiddenError();
  const report = await cohortAttendanceReport({
    cohortId: String(cohort._id),
    cohort,
    now: props.now,
    emails: props.emails,
  });
  return { cohort, rows: report.rows.filter((r) => canReadAttendanceOf(props.actor, cohort, r.userId)) };
}

/** The cohort report as CSV, one line per participant. */
export function attendanceCsv(report: { rows: ParticipantReport[] }): string {
  const header = [
    'Name',
    'Email',
    'Sessions',
    'Present',
    'Late',
    'Excused',
    'Absent',
    'Unmarked',
    'Attendance rate (%)',
    'Flags',
  ];
  return toCsv({
    header,
    rows: report.rows.map((r) => [
      r.name,
      r.email,
      r.sessions,
      r.present,
      r.late,
      r.excused,
      r.absent,
      r.unmarked,
      r.rate === null ? '' : Math.round(r.rate * 100),
      r.flags.map((f) => flagLabels[f]).join('; '),
    ]),
  });
}

export function presentReportRow(r: ParticipantReport) {
  return {
    userId: r.userId,
    name: r.name,
    sessions: r.sessions,
    present: r.present,
    late: r.late,
    excused: r.excused,
    absent: r.absent,
    unmarked: r.unmarked,
    rate: r.rate,
    flags: r.flags,
  };
}

/**
 * Her own attendance in a cohort (the participant's view): her report row, with the sessions she attended and those
 * counted towards her rate (attendanceRate), so a page states the rate's numbers as the report computes them.
 */
export async function myAttendance(props: { actor: Express.User; cohort: Cohort; now: Date }) {
  const report = await cohortAttendanceReport({
    cohortId: String(props.cohort._id),
    cohort: props.cohort,
    now: props.now,
  });
  const row = report.rows.find((r) => r.userId === props.actor.id);
  if (!row) return null;
  const { attended, counted } = attendanceRate(row);
  return { ...row, attended, counted };
}

/** Removes stale check-in failure rows (called by maintenance; there are no TTL indexes on FerretDB). */
export async function purgeCheckInFailures(now: Date): Promise<number> {
  const result = await CheckInFailureModel.deleteMany({ window: { $lt: now.getTime() - 24 * 60 * 60 * 1000 } });
  return result.deletedCount;
}

export { checkInIsOpen };
