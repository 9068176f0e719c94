import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { AttendanceRecordModel, attendanceRecordId, type AttendanceRecord } from '../../models/AttendanceRecord.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { CohortSnapshotModel } from '../../models/CohortSnapshot.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { SnapshotRepairModel } from '../../models/SnapshotRepair.ts';
import { isDuplicateKeyError } from '../db.ts';
import { namesOf } from './cohorts.ts';
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

type Kind = 'roster' | 'schedule' | 'memberships' | 'marks' | 'attendance';

/** A snapshot's items (dates as ISO strings: readers revive them), or null when it was never built. */
async function readSnapshot<T>(kind: Kind, ownerId: Id): Promise<T[] | null> {
  const snapshot = await CohortSnapshotModel.findById(`${kind}:${String(ownerId)}`, { payload: 1 }).lean();
  // A document of an older shape (items stored as values, no payload) counts as never built.
  return typeof snapshot?.payload === 'string' ? (JSON.parse(snapshot.payload) as T[]) : null;
}

/**
 * Rebuilds a snapshot from its source and writes it whole. FerretDB updates are not atomic, so a rebuild that raced
 * another could write an older picture over a newer one; each rebuild therefore reads the source again after
 * writing and writes again until what it wrote is what the source says. The last writer always ends in agreement.
 */
async function rebuild<T>(kind: Kind, ownerId: Id, load: (id: Id) => Promise<T[]>): Promise<T[]> {
  const _id = `${kind}:${String(ownerId)}`;
  let items = await load(ownerId);
  for (let round = 0; round < 10; round += 1) {
    const set = { $set: { ownerId: new Types.ObjectId(String(ownerId)), kind, payload: fingerprint(items), builtAt: new Date() } };
    try {
      await CohortSnapshotModel.updateOne({ _id }, set, { upsert: true });
    } catch (error) {
      // Two first builds at once: one insert loses to the primary key; write as an update instead.
      if (!isDuplicateKeyError(error)) throw error;
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
  return (await readSnapshot<Membership>('memberships', userId)) ?? rebuildMemberships(userId);
}
export const rebuildSchedule = (cohortId: Id) => rebuild('schedule', cohortId, loadSchedule);

/** Active participants of a cohort, by name: one read by _id. */
export async function rosterOf(cohortId: Id): Promise<RosterMember[]> {
  const items = (await readSnapshot<RosterMember>('roster', cohortId)) ?? (await rebuildRoster(cohortId));
  return items.map((m) => ({ ...m, enrolledAt: m.enrolledAt ? new Date(m.enrolledAt) : null }));
}

/** A cohort's sessions in time order (cancelled ones included): one read by _id. */
export async function scheduleOf(cohortId: Id): Promise<ScheduledSession[]> {
  const items = (await readSnapshot<ScheduledSession>('schedule', cohortId)) ?? (await rebuildSchedule(cohortId));
  return items.map((s) => ({ ...s, startsAt: new Date(s.startsAt) }));
}

/**
 * A session's register as its page reads it (and the cohort's attendance snapshot copies it): one entry per member
 * of the roster when it was built (status null when unmarked), with who marked it. One read by _id instead of one
 * record per person. Rebuilt after every write to the session's register (recordAttendance, checkIn), and by a
 * reader that finds a member it does not hold (she joined since).
 */
export type SessionMark = { userId: string; status: string | null; note: string; markedBy: string | null; markedByName: string | null; markedAt: Date | null; source: string | null };

/**
 * Records of these people at these sessions, read by _id (the indexed path on FerretDB): one point read per pair,
 * in parallel, so the cost follows the register's size and not the number of records stored.
 */
export async function attendanceRecordsFor(pairs: { sessionId: string; userId: string }[]) {
  const found = await Promise.all(pairs.map((p) => AttendanceRecordModel.findById(attendanceRecordId(p.sessionId, p.userId), { status: 1, note: 1, markedBy: 1, markedAt: 1, source: 1 }).lean<AttendanceRecord>()));
  return new Map(found.filter((r): r is AttendanceRecord => !!r).map((r) => [String(r._id), r]));
}

async function loadMarks(session: { _id: Id; cohortId: Id }): Promise<SessionMark[]> {
  const roster = await rosterOf(session.cohortId);
  const sessionId = String(session._id);
  const records = await attendanceRecordsFor(roster.map((m) => ({ sessionId, userId: m.userId })));
  const markers = await namesOf([...records.values()].map((r) => String(r.markedBy)));
  return roster.map((m) => {
    const r = records.get(attendanceRecordId(sessionId, m.userId));
    return { userId: m.userId, status: r?.status ?? null, note: r?.note ?? '', markedBy: r ? String(r.markedBy) : null, markedByName: r ? (markers.get(String(r.markedBy))?.name ?? null) : null, markedAt: r?.markedAt ?? null, source: r?.source ?? null };
  });
}

export const rebuildMarks = (session: { _id: Id; cohortId: Id }) => rebuild('marks', session._id, () => loadMarks(session));

/** The marks of one session of a cohort, by participant id: one read by _id. */
export async function marksOfSession(cohortId: Id, sessionId: Id): Promise<Map<string, SessionMark>> {
  const items = (await readSnapshot<SessionMark>('marks', sessionId)) ?? (await rebuildMarks({ _id: sessionId, cohortId }));
  return new Map(items.map((m) => [m.userId, { ...m, markedAt: m.markedAt ? new Date(m.markedAt) : null }]));
}

/**
 * A cohort's attendance at a glance, for its report: each session's statuses by participant, copied from the
 * sessions' marks snapshots into one document, so the report reads one document instead of one per session.
 * Rebuilt after each marks rebuild, and by its reader when it is missing or lacks a session scheduled since.
 */
export type SessionStatuses = { sessionId: string; statuses: string[] };
// '<userId>=<status>' ('' when unmarked): FerretDB 1.x stores no arrays inside arrays, and strings are its cheapest.
const encodeStatus = (userId: string, status: string | null) => `${userId}=${status ?? ''}`;
const decodeStatus = (entry: string): [string, string | null] => {
  const [userId, status] = entry.split('=') as [string, string];
  return [userId, status || null];
};

async function loadAttendance(cohortId: Id): Promise<SessionStatuses[]> {
  const schedule = await scheduleOf(cohortId);
  return Promise.all(
    schedule.map(async (s) => ({ sessionId: s.sessionId, statuses: [...(await marksOfSession(cohortId, s.sessionId)).values()].map((m) => encodeStatus(m.userId, m.status)) })),
  );
}

export const rebuildAttendance = (cohortId: Id) => rebuild('attendance', cohortId, loadAttendance);

/** The statuses of these sessions of a cohort, by session id, then by participant id: one read by _id. */
export async function attendanceStatusesOf(cohortId: Id, sessionIds: string[]): Promise<Map<string, Map<string, string | null>>> {
  let items = await readSnapshot<SessionStatuses>('attendance', cohortId);
  // Missing, or a session scheduled since it was built: build it now, for this reader and the next.
  if (!items || sessionIds.some((id) => !items!.some((s) => s.sessionId === id))) items = await rebuildAttendance(cohortId);
  const held = new Map(items.map((s) => [s.sessionId, new Map(s.statuses.map(decodeStatus))]));
  const missing = sessionIds.filter((id) => !held.has(id));
  for (const [id, marks] of await Promise.all(missing.map(async (id) => [id, await marksOfSession(cohortId, id)] as const))) {
    held.set(id, new Map([...marks.values()].map((m) => [m.userId, m.status])));
  }
  return new Map(sessionIds.map((id) => [id, held.get(id)!]));
}

// ---- crash safety ------------------------------------------------------------------------------------------------

export type SnapshotTarget = { kind: 'roster' | 'schedule' | 'memberships' | 'attendance'; ownerId: Id } | { kind: 'marks'; ownerId: Id; cohortId: Id };

const rebuilders = { roster: rebuildRoster, schedule: rebuildSchedule, memberships: rebuildMemberships, attendance: rebuildAttendance } as const;

function rebuildTarget(t: { kind: SnapshotTarget['kind']; ownerId: Id; cohortId?: Id | null }): Promise<unknown> {
  return t.kind === 'marks' ? rebuildMarks({ _id: t.ownerId, cohortId: t.cohortId! }) : rebuilders[t.kind](t.ownerId);
}

/** Rebuilds snapshots, a cohort's attendance last: it is copied from its sessions' marks. */
async function rebuildTargets(targets: { kind: SnapshotTarget['kind']; ownerId: Id; cohortId?: Id | null }[]): Promise<void> {
  await Promise.all(targets.filter((t) => t.kind !== 'attendance').map(rebuildTarget));
  await Promise.all(targets.filter((t) => t.kind === 'attendance').map(rebuildTarget));
}

/**
 * Call before changing the source of these snapshots; once the change is written, call the function it returns:
 * it rebuilds them and removes the repair rows. A crash (or an error) in between leaves the rows, and
 * `repairSnapshots` rebuilds the snapshots later (see models/SnapshotRepair.ts).
 */
export async function beforeChanging(targets: SnapshotTarget[]): Promise<() => Promise<void>> {
  const ids = targets.map((t) => `${t.kind}:${String(t.ownerId)}:${randomUUID()}`);
  await SnapshotRepairModel.insertMany(targets.map((t, i) => ({ _id: ids[i], kind: t.kind, ownerId: t.ownerId, cohortId: 'cohortId' in t ? t.cohortId : undefined, createdAt: new Date() })));
  return async () => {
    await rebuildTargets(targets);
    // One delete by _id each: the only filter FerretDB 1.x answers from an index.
    await Promise.all(ids.map((_id) => SnapshotRepairModel.deleteOne({ _id })));
  };
}

/** Rebuilds the snapshots whose change began over `graceMs` ago and never finished; returns how many. */
export async function repairSnapshots(now: Date, graceMs = 60_000): Promise<number> {
  const left = await SnapshotRepairModel.find({ createdAt: { $lt: new Date(now.getTime() - graceMs) } }).lean();
  await rebuildTargets(left);
  await Promise.all(left.map((row) => SnapshotRepairModel.deleteOne({ _id: row._id })));
  return left.length;
}
