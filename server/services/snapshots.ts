import { Types } from 'mongoose';
import { AttendanceRecordModel, attendanceRecordId } from '../../models/AttendanceRecord.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { CohortSnapshotModel } from '../../models/CohortSnapshot.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { UserModel } from '../../models/User.ts';

/** An active participant as the roster keeps her (name copied for registers and reports). */
export type RosterMember = { userId: string; enrolledAt: Date | null; name: string; email: string };
/** A session as the schedule keeps it. */
export type ScheduledSession = { sessionId: string; title: string; startsAt: Date; durationMinutes: number; status: string };

type Id = string | Types.ObjectId;

async function loadRoster(cohortId: Id): Promise<RosterMember[]> {
  const enrolments = await EnrolmentModel.find({ cohortId, status: 'active' }, { userId: 1, enrolledAt: 1 }).lean();
  // Point reads by _id (indexed on FerretDB) rather than one $in, which would scan every user.
  const users = await Promise.all(enrolments.map((e) => UserModel.findById(e.userId, { name: 1, email: 1 }).lean()));
  const byId = new Map(users.filter((u) => !!u).map((u) => [String(u._id), u]));
  return enrolments
    .map((e) => ({ userId: String(e.userId), enrolledAt: e.enrolledAt ?? null, name: byId.get(String(e.userId))?.name ?? '', email: byId.get(String(e.userId))?.email ?? '' }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
}

async function loadSchedule(cohortId: Id): Promise<ScheduledSession[]> {
  const sessions = await CohortSessionModel.find({ cohortId }, { title: 1, startsAt: 1, durationMinutes: 1, status: 1 }).sort({ startsAt: 1 }).lean();
  return sessions.map((s) => ({ sessionId: String(s._id), title: s.title, startsAt: s.startsAt, durationMinutes: s.durationMinutes, status: s.status }));
}

const fingerprint = (items: unknown[]) => JSON.stringify(items);

/**
 * Rebuilds a snapshot from its source and writes it whole. FerretDB updates are not atomic, so a rebuild that raced
 * another could write an older picture over a newer one; each rebuild therefore reads the source again after
 * writing and writes again until what it wrote is what the source says. The last writer always ends in agreement.
 */
async function rebuild<T>(kind: 'roster' | 'schedule' | 'memberships' | 'marks', ownerId: Id, load: (id: Id) => Promise<T[]>): Promise<T[]> {
  const _id = `${kind}:${String(ownerId)}`;
  let items = await load(ownerId);
  for (let round = 0; round < 10; round += 1) {
    const set = { $set: { ownerId: new Types.ObjectId(String(ownerId)), kind, items, builtAt: new Date() } };
    try {
      await CohortSnapshotModel.updateOne({ _id }, set, { upsert: true });
    } catch {
      // Two first builds at once: one insert loses to the primary key; write as an update instead.
      await CohortSnapshotModel.updateOne({ _id }, set);
    }
    const again = await load(ownerId);
    if (fingerprint(again) === fingerprint(items)) return items;
    items = again;
  }
  return items;
}

/** A person's cohorts: enrolled (active) or waiting. */
export type Membership = { cohortId: string; status: 'active' | 'waitlisted' };

async function loadMemberships(userId: Id): Promise<Membership[]> {
  const rows = await EnrolmentModel.find({ userId, status: { $in: ['active', 'waitlisted'] } }, { cohortId: 1, status: 1 }).lean();
  return rows.map((r) => ({ cohortId: String(r.cohortId), status: r.status as Membership['status'] })).sort((a, b) => a.cohortId.localeCompare(b.cohortId));
}

export const rebuildRoster = (cohortId: Id) => rebuild('roster', cohortId, loadRoster);
export const rebuildMemberships = (userId: Id) => rebuild('memberships', userId, loadMemberships);

/** Her cohorts (dashboard, calendar feed): one read by _id. */
export async function membershipsOf(userId: Id): Promise<Membership[]> {
  const snapshot = await CohortSnapshotModel.findById(`memberships:${String(userId)}`).lean();
  return snapshot ? (snapshot.items as Membership[]) : rebuildMemberships(userId);
}
export const rebuildSchedule = (cohortId: Id) => rebuild('schedule', cohortId, loadSchedule);

/** Active participants of a cohort, by name: one read by _id. */
export async function rosterOf(cohortId: Id): Promise<RosterMember[]> {
  const snapshot = await CohortSnapshotModel.findById(`roster:${String(cohortId)}`).lean();
  const items = snapshot ? (snapshot.items as RosterMember[]) : await rebuildRoster(cohortId);
  return items.map((m) => ({ ...m, enrolledAt: m.enrolledAt ? new Date(m.enrolledAt) : null }));
}

/** A cohort's sessions in time order (cancelled ones included): one read by _id. */
export async function scheduleOf(cohortId: Id): Promise<ScheduledSession[]> {
  const snapshot = await CohortSnapshotModel.findById(`schedule:${String(cohortId)}`).lean();
  const items = snapshot ? (snapshot.items as ScheduledSession[]) : await rebuildSchedule(cohortId);
  return items.map((s) => ({ ...s, startsAt: new Date(s.startsAt) }));
}

/**
 * A session's marks, as the attendance report counts them: one entry per member of the roster when it was built
 * (status null when unmarked). The report reads one of these per session instead of one record per person and
 * session. Rebuilt after every write to the session's register (recordAttendance, checkIn) and whenever its
 * register page finds it out of date; a member who joined since is not in it, and the report reads her records.
 */
export type SessionMark = { userId: string; status: string | null };

async function loadMarks(session: { _id: Id; cohortId: Id }): Promise<SessionMark[]> {
  const roster = await rosterOf(session.cohortId);
  const records = await Promise.all(roster.map((m) => AttendanceRecordModel.findById(attendanceRecordId(session._id, m.userId), { status: 1 }).lean()));
  return roster.map((m, i) => ({ userId: m.userId, status: records[i]?.status ?? null }));
}

export const rebuildMarks = (session: { _id: Id; cohortId: Id }) => rebuild('marks', session._id, () => loadMarks(session));

/** The marks of these sessions of a cohort, by session id, then by participant id: one read by _id per session. */
export async function marksOf(cohortId: Id, sessionIds: string[]): Promise<Map<string, Map<string, string | null>>> {
  const snapshots = await Promise.all(
    sessionIds.map(async (sessionId) => {
      const snapshot = await CohortSnapshotModel.findById(`marks:${sessionId}`).lean();
      const items = snapshot ? (snapshot.items as SessionMark[]) : await rebuildMarks({ _id: sessionId, cohortId });
      return [sessionId, new Map(items.map((m) => [m.userId, m.status]))] as const;
    }),
  );
  return new Map(snapshots);
}

/** Rewrites a session's marks when they differ from the register just read from the records (self-repair). */
export async function refreshMarksIfStale(session: { _id: Id; cohortId: Id }, fromRecords: SessionMark[]): Promise<void> {
  const snapshot = await CohortSnapshotModel.findById(`marks:${String(session._id)}`).lean();
  if (!snapshot || fingerprint(snapshot.items) !== fingerprint(fromRecords)) await rebuildMarks(session);
}
