import { Types } from 'mongoose';
import { AttendanceRecordModel } from '../../../models/AttendanceRecord.ts';
import { CohortSessionModel, type CohortSession, type SessionMark } from '../../../models/CohortSession.ts';
import { writeCopyOverVersion } from '../../derivedCopies.ts';
import { oid } from '../../ids.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/**
 * A session's register (`registerMarks` on models/CohortSession.ts): a copy of its attendance records, kept in the
 * session, so the register page reads the session with its marks in one document and a cohort's attendance report its
 * held sessions with their marks in one read. Measured (README "Derived records"): the records were the costliest
 * read of both pages, a row per person (and per session, for the report); a register of its own beside the session
 * then cost both pages a read more than the session alone.
 *
 * Correct with several processes (server/derivedCopies.ts), on the session's `registerVersion`:
 * - whoever writes a session's records (a register saved, a self check-in, an erasure clearing notes) writes them
 *   first, then moves the version on and writes the copy again (registerChanged);
 * - the copy is computed after reading the version and written only over it, so one computed before a write that
 *   returned meanwhile matches nothing and is computed again: the copy stored is never older than the last write of
 *   records whose writer has returned;
 * - writing it again is idempotent, so the hourly repair (showAllRegisters, jobs/cohorts.ts, also at start) heals a
 *   copy left behind by a process that stopped in between, and writes the copy of a session stored before it existed;
 *   until then a reader reads those sessions' records instead (marksOfRegistered).
 * Each of these writes is one update of the session's register fields alone, so it never undoes a change to the
 * session (a move, a cancellation), and it leaves `updatedAt` as it was: a register taken is not a change of the
 * session. Who may check in, and whether a check-in may replace a mark, are decided from the records themselves.
 */
type Id = Types.ObjectId | string;

type MarkRecord = SessionMark & { sessionId: Types.ObjectId; createdAt?: Date | null };

const markFields = {
  sessionId: 1,
  userId: 1,
  status: 1,
  note: 1,
  markedBy: 1,
  markedAt: 1,
  firstMarkedAt: 1,
  createdAt: 1,
  source: 1,
} as const;

const asMark = (r: MarkRecord): SessionMark => ({
  userId: r.userId,
  status: r.status,
  note: r.note ?? '',
  markedBy: r.markedBy,
  markedAt: r.markedAt,
  // A record stored before firstMarkedAt was first marked when it was made.
  firstMarkedAt: r.firstMarkedAt ?? r.createdAt ?? r.markedAt,
  source: r.source,
});

/** Writes the session's register again from its records, over the version it was computed at. */
export async function showRegister(sessionId: Id): Promise<void> {
  const _id = oid(sessionId);
  await writeCopyOverVersion({
    readVersion: async () => {
      const session = await CohortSessionModel.findById(_id, { registerVersion: 1 }).lean();
      return session ? (session.registerVersion ?? null) : undefined;
    },
    compute: async () =>
      (await AttendanceRecordModel.find({ sessionId: _id }, markFields).batchSize(10_000).lean<MarkRecord[]>()).map(
        asMark,
      ),
    writeOver: async (version, marks) =>
      (
        await CohortSessionModel.updateOne(
          { _id, registerVersion: version },
          { $set: { registerMarks: marks } },
          { timestamps: false },
        )
      ).matchedCount === 1,
  });
}

/** After the session's records were written: moves its register's version on, then writes the register again. */
export async function registerChanged(sessionId: Id): Promise<void> {
  await CohortSessionModel.updateOne({ _id: oid(sessionId) }, { $inc: { registerVersion: 1 } }, { timestamps: false });
  await showRegister(sessionId);
}

/**
 * The marks of each session given (by session id): from its register, or, for a session whose register is not
 * written yet, from its records (one read for all of those).
 */
export async function marksOfSessions(sessionIds: Id[]): Promise<Map<string, SessionMark[]>> {
  const ids = sessionIds.map(oid);
  if (!ids.length) return new Map();
  const registers = await readWithoutCursor(
    CohortSessionModel.find({ _id: { $in: ids } }, { registerMarks: 1 }).lean<Registered[]>(),
  );
  return marksOfRegistered(registers, ids);
}

/**
 * What a cohort's attendance report reads of each mark: who and what, and when it was first made and last changed only
 * when it asks (`heldSessionsOf`); notes and markers stay unread.
 */
export type ReportMark = Pick<SessionMark, 'userId' | 'status'> &
  Partial<Pick<SessionMark, 'markedAt' | 'firstMarkedAt'>>;

/** A session as read with its register (absent until first written). */
type Registered<M extends ReportMark = SessionMark> = { _id: Types.ObjectId; registerMarks?: M[] | null };

/**
 * A cohort's sessions held by `now` (started, not cancelled), in time order, each with its register: one read, on
 * the sessions' index (cohortId, startsAt). Of each mark only what the report reads: decoding the rest (a note, its
 * marker's id, its source) was most of the page's reply from the database. Its dates only `withDates`: a report needs
 * them only for someone marked at a session held before she enrolled, and leaving them out took two of the four
 * values of every mark off the page's reply.
 */
export async function heldSessionsOf(
  cohortId: Id,
  now: Date,
  options: { withDates?: boolean } = {},
): Promise<(Registered<ReportMark> & Pick<CohortSession, 'title' | 'startsAt' | 'durationMinutes'>)[]> {
  const dates = options.withDates ? { 'registerMarks.markedAt': 1, 'registerMarks.firstMarkedAt': 1 } : {};
  return readWithoutCursor(
    CohortSessionModel.find(
      { cohortId: oid(cohortId), status: 'scheduled', startsAt: { $lte: now } },
      { title: 1, startsAt: 1, durationMinutes: 1, 'registerMarks.userId': 1, 'registerMarks.status': 1, ...dates },
    )
      .sort({ startsAt: 1 })
      .lean(),
  );
}

/**
 * The marks of each session given, from the sessions read with their registers; a session whose register is not
 * written yet is read from its records (one read for all of those).
 */
export async function marksOfRegistered<M extends ReportMark>(
  sessions: Registered<M>[],
  sessionIds: Id[],
): Promise<Map<string, (M | SessionMark)[]>> {
  const wanted = new Set(sessionIds.map(String));
  const marks = new Map<string, (M | SessionMark)[]>();
  for (const s of sessions)
    if (wanted.has(String(s._id)) && Array.isArray(s.registerMarks)) marks.set(String(s._id), s.registerMarks);
  const missing = sessionIds.map(oid).filter((id) => !marks.has(String(id)));
  if (!missing.length) return marks;
  for (const id of missing) marks.set(String(id), []);
  const records = await AttendanceRecordModel.find({ sessionId: { $in: missing } }, markFields)
    .batchSize(10_000)
    .lean<MarkRecord[]>();
  for (const r of records) marks.get(String(r.sessionId))!.push(asMark(r));
  return marks;
}

const sameMarks = (a: SessionMark[], b: SessionMark[]) => {
  const key = (m: SessionMark) =>
    [m.userId, m.status, m.note ?? '', m.markedBy, m.markedAt?.getTime(), m.firstMarkedAt?.getTime(), m.source]
      .map(String)
      .join('|');
  const sorted = (marks: SessionMark[]) => marks.map(key).sort().join('\n');
  return a.length === b.length && sorted(a) === sorted(b);
};

/**
 * Every session's register written again from the records where it differs (the hourly `cohorts:repair-copies` job,
 * and at start), a cohort at a time: two reads a cohort (its sessions' registers and versions before the records),
 * and a write only for a register missing or out of date, each over the version read with it (one that misses is
 * left to the writer that moved it on).
 */
export async function showAllRegisters(): Promise<number> {
  const cohortIds: Types.ObjectId[] = await CohortSessionModel.distinct('cohortId');
  let written = 0;
  for (const cohortId of cohortIds) {
    // The versions first, then the records they are computed from (./derivedCopies.ts): a register saved after the
    // records were read has moved its version on since, so the write over the version read misses, and the older
    // marks are not written over the newer. Read at once, the versions could come after such a save.
    const sessions = await CohortSessionModel.find({ cohortId }, { registerVersion: 1, registerMarks: 1 }).lean();
    const records = await AttendanceRecordModel.find({ cohortId }, markFields).batchSize(10_000).lean<MarkRecord[]>();
    const recordsOf = new Map<string, SessionMark[]>(sessions.map((s) => [String(s._id), []]));
    for (const r of records) recordsOf.get(String(r.sessionId))?.push(asMark(r));
    for (const session of sessions) {
      const marks = recordsOf.get(String(session._id))!;
      if (Array.isArray(session.registerMarks) && sameMarks(session.registerMarks, marks)) continue;
      const result = await CohortSessionModel.updateOne(
        { _id: session._id, registerVersion: session.registerVersion ?? null },
        { $set: { registerMarks: marks } },
        { timestamps: false },
      );
      written += result.modifiedCount;
    }
  }
  return written;
}
