import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ModuleModel } from '../../../models/Module.ts';
import { ProgrammeModel, type Track } from '../../../models/Programme.ts';
import { QuizAttemptModel } from '../../../models/QuizAttempt.ts';
import { UserModel } from '../../../models/User.ts';
import { NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../http/validate.ts';

/**
 * Progress is counted per enrolment (a participant in a cohort) over the programme's CURRENT, non-archived
 * modules: a completion of a module later archived is kept but no longer counts, and a module added later
 * counts as not yet done. Every function here runs a fixed number of indexed queries, never one per person.
 */
export type Progress = { completedModules: number; totalModules: number; percent: number };

const percentOf = (done: number, total: number): number => (total === 0 ? 0 : Math.floor((done / total) * 100));
const oid = (id: string | Types.ObjectId) => (typeof id === 'string' ? new Types.ObjectId(id) : id);

/** Current module ids per programme, in order. */
export async function currentModuleIds(programmeIds: (string | Types.ObjectId)[]): Promise<Map<string, string[]>> {
  const modules = await ModuleModel.find({ programmeId: { $in: programmeIds.map(oid) }, archived: false }, { programmeId: 1, position: 1 }).sort({ position: 1, _id: 1 }).lean();
  const byProgramme = new Map<string, string[]>(programmeIds.map((id) => [String(id), []]));
  for (const m of modules) byProgramme.get(String(m.programmeId))?.push(String(m._id));
  return byProgramme;
}

/** Completed current modules per "userId:cohortId". */
function countByEnrolment(completions: { userId: Types.ObjectId; cohortId: Types.ObjectId; moduleId: Types.ObjectId; programmeId: Types.ObjectId }[], current: Map<string, string[]>) {
  const sets = new Map<string, Set<string>>();
  for (const c of completions) {
    if (!current.get(String(c.programmeId))?.includes(String(c.moduleId))) continue;
    const key = `${String(c.userId)}:${String(c.cohortId)}`;
    if (!sets.has(key)) sets.set(key, new Set());
    sets.get(key)!.add(String(c.moduleId));
  }
  return sets;
}

/** Her progress per active enrolment. */
export async function myProgress({ userId }: { userId: string }): Promise<(Progress & { cohortId: string; programmeId: string })[]> {
  const enrolments = await EnrolmentModel.find({ userId: oid(userId), status: 'active' }, { cohortId: 1, programmeId: 1, enrolledAt: 1 }).lean();
  if (!enrolments.length) return [];
  const programmeIds = [...new Set(enrolments.map((e) => String(e.programmeId)))];
  const [current, completions] = await Promise.all([
    currentModuleIds(programmeIds),
    CompletionModel.find({ userId: oid(userId), programmeId: { $in: programmeIds.map(oid) } }, { userId: 1, cohortId: 1, moduleId: 1, programmeId: 1 }).lean(),
  ]);
  const counts = countByEnrolment(completions, current);
  return enrolments.map((e) => {
    const total = current.get(String(e.programmeId))?.length ?? 0;
    const done = counts.get(`${userId}:${String(e.cohortId)}`)?.size ?? 0;
    return { cohortId: String(e.cohortId), programmeId: String(e.programmeId), completedModules: done, totalModules: total, percent: percentOf(done, total) };
  });
}

/** Her progress in a programme: the most advanced of her active enrolments in it (all zeros when not enrolled). */
export async function programmeProgress({ userId, programmeId }: { userId: string; programmeId: string }): Promise<Progress & { cohortId: string | null }> {
  const rows = (await myProgress({ userId })).filter((r) => r.programmeId === String(programmeId));
  const best = rows.sort((a, b) => b.percent - a.percent || b.completedModules - a.completedModules)[0];
  if (!best) {
    const total = (await currentModuleIds([programmeId])).get(String(programmeId))?.length ?? 0;
    return { completedModules: 0, totalModules: total, percent: 0, cohortId: null };
  }
  return { completedModules: best.completedModules, totalModules: best.totalModules, percent: best.percent, cohortId: best.cohortId };
}

/**
 * For governing boards: each person's progress in her most advanced active enrolment of a track. People with no
 * active enrolment in that track are absent from the map. Four queries, whatever the number of people.
 */
export async function trackProgressForUsers({ userIds, track }: { userIds: (string | Types.ObjectId)[]; track: Track }): Promise<Map<string, Progress & { cohortId: string; programmeId: string }>> {
  const result = new Map<string, Progress & { cohortId: string; programmeId: string }>();
  if (!userIds.length) return result;
  const programmeIds = (await ProgrammeModel.find({ track }, { _id: 1 }).lean()).map((p) => p._id);
  if (!programmeIds.length) return result;
  const users = userIds.map(oid);
  const [enrolments, current, completions] = await Promise.all([
    EnrolmentModel.find({ programmeId: { $in: programmeIds }, userId: { $in: users }, status: 'active' }, { userId: 1, cohortId: 1, programmeId: 1 }).lean(),
    currentModuleIds(programmeIds),
    CompletionModel.find({ userId: { $in: users }, programmeId: { $in: programmeIds } }, { userId: 1, cohortId: 1, moduleId: 1, programmeId: 1 }).lean(),
  ]);
  const counts = countByEnrolment(completions, current);
  for (const e of enrolments) {
    const userId = String(e.userId);
    const total = current.get(String(e.programmeId))?.length ?? 0;
    const done = counts.get(`${userId}:${String(e.cohortId)}`)?.size ?? 0;
    const row = { completedModules: done, totalModules: total, percent: percentOf(done, total), cohortId: String(e.cohortId), programmeId: String(e.programmeId) };
    const before = result.get(userId);
    if (!before || row.percent > before.percent || (row.percent === before.percent && row.completedModules > before.completedModules)) result.set(userId, row);
  }
  return result;
}

export type CohortProgressRow = Progress & { userId: string; name: string; lastActivityAt: Date | null };

/** One row per active participant of a cohort: modules completed, percent, last activity (completion or quiz attempt). */
export async function cohortProgress(cohortId: string): Promise<{ cohort: { id: string; name: string; programmeId: string }; totalModules: number; rows: CohortProgressRow[] }> {
  if (!isObjectId(cohortId)) throw new NotFoundError('We could not find that cohort.');
  const cohort = await CohortModel.findById(cohortId, { name: 1, programmeId: 1 }).lean();
  if (!cohort) throw new NotFoundError('We could not find that cohort.');
  const [enrolments, current, completions, attempts] = await Promise.all([
    EnrolmentModel.find({ cohortId: cohort._id, status: 'active' }, { userId: 1 }).lean(),
    currentModuleIds([cohort.programmeId]),
    CompletionModel.find({ cohortId: cohort._id }, { userId: 1, cohortId: 1, moduleId: 1, programmeId: 1, completedAt: 1 }).lean(),
    QuizAttemptModel.find({ cohortId: cohort._id }, { userId: 1, attemptedAt: 1 }).lean(),
  ]);
  const users = await UserModel.find({ _id: { $in: enrolments.map((e) => e.userId) } }, { name: 1 }).lean();
  const names = new Map(users.map((u) => [String(u._id), u.name]));
  const counts = countByEnrolment(completions, current);
  const last = new Map<string, Date>();
  const touch = (userId: Types.ObjectId, at: Date) => {
    const before = last.get(String(userId));
    if (!before || at > before) last.set(String(userId), at);
  };
  for (const c of completions) touch(c.userId, c.completedAt);
  for (const a of attempts) touch(a.userId, a.attemptedAt);
  const total = current.get(String(cohort.programmeId))?.length ?? 0;
  const rows = enrolments.map((e) => {
    const userId = String(e.userId);
    const done = counts.get(`${userId}:${String(cohort._id)}`)?.size ?? 0;
    return { userId, name: names.get(userId) ?? 'Unknown', completedModules: done, totalModules: total, percent: percentOf(done, total), lastActivityAt: last.get(userId) ?? null };
  });
  rows.sort((a, b) => a.name.localeCompare(b.name));
  return { cohort: { id: String(cohort._id), name: cohort.name, programmeId: String(cohort.programmeId) }, totalModules: total, rows };
}

/** How many of the cohort's participants have completed each current module (for the chart). */
export async function cohortModuleCounts(cohortId: string): Promise<{ moduleId: string; title: string; completed: number }[]> {
  const cohort = await CohortModel.findById(cohortId, { programmeId: 1 }).lean();
  if (!cohort) return [];
  const [modules, enrolled, completions] = await Promise.all([
    ModuleModel.find({ programmeId: cohort.programmeId, archived: false }, { title: 1 }).sort({ position: 1, _id: 1 }).lean(),
    EnrolmentModel.find({ cohortId: cohort._id, status: 'active' }, { userId: 1 }).lean(),
    CompletionModel.find({ cohortId: cohort._id }, { userId: 1, moduleId: 1 }).lean(),
  ]);
  const active = new Set(enrolled.map((e) => String(e.userId)));
  const counts = new Map<string, number>();
  for (const c of completions) if (active.has(String(c.userId))) counts.set(String(c.moduleId), (counts.get(String(c.moduleId)) ?? 0) + 1);
  return modules.map((m) => ({ moduleId: String(m._id), title: m.title, completed: counts.get(String(m._id)) ?? 0 }));
}
