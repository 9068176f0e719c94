import { Types } from 'mongoose';
import { AttendanceRecordModel } from '../../../models/AttendanceRecord.ts';
import { CohortSessionModel } from '../../../models/CohortSession.ts';
import { SessionRegisterModel, type SessionMark } from '../../../models/SessionRegister.ts';
import { writeCopyOverVersion } from '../../derivedCopies.ts';
import { oid } from '../../ids.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/**
 * A session's register (models/SessionRegister.ts): a copy of its attendance records, so the register page reads one
 * document and a cohort's attendance report one per session. Measured (README "Derived records"): the records were
 * the costliest read of both pages, a row per person (and per session, for the report).
 *
 * Correct with several processes (server/derivedCopies.ts), on the register's `version`:
 * - whoever writes a session's records (a register saved, a self check-in, an erasure clearing notes) writes them
 *   first, then moves the version on and writes the copy again (registerChanged);
 * - the copy is computed after reading the version and written only over it, so one computed before a write that
 *   returned meanwhile matches nothing and is computed again: the copy stored is never older than the last write of
 *   records whose writer has returned;
 * - writing it again is idempotent, so the hourly repair (showAllRegisters, jobs/cohorts.ts, also at start) heals a
 *   copy left behind by a process that stopped in between, and writes the copy of a session stored before it existed;
 *   until then a reader reads those sessions' records instead (marksOfSessions).
 * Who may check in, and whether a check-in may replace a mark, are decided from the records themselves.
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
export async function showRegister(sessionId: Id, cohortId: Id): Promise<void> {
  const _id = oid(sessionId);
  await writeCopyOverVersion({
    readVersion: async () => {
      const register = await SessionRegisterModel.findById(_id, { version: 1 }).lean();
      return register ? (register.version ?? null) : undefined;
    },
    compute: async () =>
      (await AttendanceRecordModel.find({ sessionId: _id }, markFields).batchSize(10_000).lean<MarkRecord[]>()).map(
        asMark,
      ),
    writeOver: async (version, marks) =>
      (await SessionRegisterModel.updateOne({ _id, version }, { $set: { marks, cohortId: oid(cohortId) } }))
        .matchedCount === 1,
  });
}

/**
 * After the session's records were written: moves its register's version on (making the register if it has none),
 * then writes it again.
 */
export async function registerChanged(sessionId: Id, cohortId: Id): Promise<void> {
  await SessionRegisterModel.updateOne(
    { _id: oid(sessionId) },
    { $inc: { version: 1 }, $setOnInsert: { cohortId: oid(cohortId) } },
    { upsert: true },
  );
  await showRegister(sessionId, cohortId);
}

/**
 * The marks of each session given (by session id): from its register, or, for a session whose register is not
 * written yet, from its records (one read for all of those).
 */
export async function marksOfSessions(sessionIds: Id[]): Promise<Map<string, SessionMark[]>> {
  const ids = sessionIds.map(oid);
  if (!ids.length) return new Map();
  const registers = await readWithoutCursor(SessionRegisterModel.find({ _id: { $in: ids } }, { marks: 1 }).lean());
  return marksOfRegistered(registers, ids);
}

/**
 * What a cohort's attendance report reads of each mark: who and what, and when it was first made and last changed only
 * when it asks (`registersOfCohort`); notes and markers stay unread.
 */
export type ReportMark = Pick<SessionMark, 'userId' | 'status'> &
  Partial<Pick<SessionMark, 'markedAt' | 'firstMarkedAt'>>;

/**
 * The registers of a cohort's sessions (one read on cohortId), for marksOfRegistered, with only what the report reads
 * of each mark: decoding the rest (a note, its marker's id, its source) was most of the page's reply from the database.
 * Its dates only `withDates`: a report needs them only for someone marked at a session held before she enrolled, and
 * leaving them out took two of the four values of every mark off the page's reply.
 */
export async function registersOfCohort(
  cohortId: Id,
  options: { withDates?: boolean } = {},
): Promise<StoredRegister<ReportMark>[]> {
  const dates = options.withDates ? { 'marks.markedAt': 1, 'marks.firstMarkedAt': 1 } : {};
  return readWithoutCursor(
    SessionRegisterModel.find({ cohortId: oid(cohortId) }, { 'marks.userId': 1, 'marks.status': 1, ...dates }).lean<
      StoredRegister<ReportMark>[]
    >(),
  );
}

type StoredRegister<M extends ReportMark = SessionMark> = { _id: Types.ObjectId; marks?: M[] | null };

/**
 * The marks of each session given, from the registers read; a session whose register is not written yet is read from
 * its records (one read for all of those).
 */
export async function marksOfRegistered<M extends ReportMark>(
  registers: StoredRegister<M>[],
  sessionIds: Id[],
): Promise<Map<string, (M | SessionMark)[]>> {
  const wanted = new Set(sessionIds.map(String));
  const marks = new Map<string, (M | SessionMark)[]>();
  for (const r of registers) if (wanted.has(String(r._id)) && Array.isArray(r.marks)) marks.set(String(r._id), r.marks);
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
 * and at start), a cohort at a time: three reads a cohort (its registers' versions before the records), and a write
 * only for a register missing or out of date, each over the version read with it (one that misses is left to the
 * writer that moved it on).
 */
export async function showAllRegisters(): Promise<number> {
  const cohortIds: Types.ObjectId[] = await CohortSessionModel.distinct('cohortId');
  let written = 0;
  for (const cohortId of cohortIds) {
    // The versions first, then the records they are computed from (./derivedCopies.ts): a register saved after the
    // records were read has moved its version on since, so the write over the version read misses, and the older
    // marks are not written over the newer. Read at once, the versions could come after such a save.
    const registers = await SessionRegisterModel.find({ cohortId }, { version: 1, marks: 1 }).lean();
    const [sessions, records] = await Promise.all([
      CohortSessionModel.find({ cohortId }, { _id: 1 }).lean(),
      AttendanceRecordModel.find({ cohortId }, markFields).batchSize(10_000).lean<MarkRecord[]>(),
    ]);
    const registerOf = new Map(registers.map((r) => [String(r._id), r]));
    const recordsOf = new Map<string, SessionMark[]>(sessions.map((s) => [String(s._id), []]));
    for (const r of records) recordsOf.get(String(r.sessionId))?.push(asMark(r));
    for (const session of sessions) {
      const register = registerOf.get(String(session._id));
      const marks = recordsOf.get(String(session._id))!;
      if (!register) {
        await registerChanged(session._id, cohortId);
        written += 1;
      } else if (!Array.isArray(register.marks) || !sameMarks(register.marks, marks)) {
        const result = await SessionRegisterModel.updateOne(
          { _id: session._id, version: register.version ?? null },
          { $set: { marks } },
        );
        written += result.modifiedCount;
      }
    }
  }
  return written;
}
