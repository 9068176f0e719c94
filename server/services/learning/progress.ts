import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import type { LearnerRecord } from '../../../models/LearningRecord.ts';
import type { Track } from '../../../models/Programme.ts';
import { NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../http/validate.ts';
import { catalogue, catalogueModules } from './catalogue.ts';
import { cohortRecord, learnerRecord } from './records.ts';

/**
 * Progress is counted per enrolment (a participant in a cohort) over the programme's CURRENT, non-archived
 * modules: a completion of a module later archived is kept but no longer counts, and a module added later
 * counts as not yet done. Reads come from the progress records (records.ts): one primary-key lookup per person or
 * cohort, plus the small programme and module collections — never one query per participant.
 */
export type Progress = { completedModules: number; totalModules: number; percent: number };

export const percentOf = (done: number, total: number): number => (total === 0 ? 0 : Math.floor((done / total) * 100));

/** Current module ids per programme, in order. */
export async function currentModuleIds(programmeIds: (string | Types.ObjectId)[]): Promise<Map<string, string[]>> {
  const { modules } = await catalogue();
  const byProgramme = new Map<string, string[]>(programmeIds.map((id) => [String(id), []]));
  for (const m of modules) if (!m.archived) byProgramme.get(String(m.programmeId))?.push(String(m._id));
  return byProgramme;
}

const countCurrent = (completed: Types.ObjectId[], current: string[] | undefined) => {
  const done = new Set(completed.map(String));
  return (current ?? []).filter((id) => done.has(id)).length;
};

function progressOf(record: LearnerRecord, current: Map<string, string[]>) {
  return record.enrolments.map((e) => {
    const total = current.get(String(e.programmeId))?.length ?? 0;
    const done = countCurrent(e.completed, current.get(String(e.programmeId)));
    return { cohortId: String(e.cohortId), programmeId: String(e.programmeId), completedModules: done, totalModules: total, percent: percentOf(done, total) };
  });
}

/** Her progress per active enrolment. */
export async function myProgress({ userId }: { userId: string }): Promise<(Progress & { cohortId: string; programmeId: string })[]> {
  const record = await learnerRecord(userId);
  if (!record.enrolments.length) return [];
  const current = await currentModuleIds([...new Set(record.enrolments.map((e) => String(e.programmeId)))]);
  return progressOf(record, current);
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
 * active enrolment in that track are absent from the map. Three queries plus one primary-key read per person
 * (records missing because nobody has read them yet are built once).
 */
export async function trackProgressForUsers({ userIds, track }: { userIds: (string | Types.ObjectId)[]; track: Track }): Promise<Map<string, Progress & { cohortId: string; programmeId: string }>> {
  const result = new Map<string, Progress & { cohortId: string; programmeId: string }>();
  const ids = [...new Set(userIds.map(String))];
  if (!ids.length) return result;
  const programmeIds = (await catalogue()).programmes.filter((p) => p.track === track).map((p) => String(p._id));
  if (!programmeIds.length) return result;
  // Primary-key reads in parallel: on FerretDB 1.x a `$in` on _id scans the whole collection, so for the handful
  // of people on a panel, one lookup each stays flat as the data grows where a single `$in` query would not.
  const [records, current] = await Promise.all([Promise.all(ids.map((id) => learnerRecord(id))), currentModuleIds(programmeIds)]);
  for (const record of records) {
    for (const row of progressOf(record, current)) {
      if (!programmeIds.includes(row.programmeId)) continue;
      const before = result.get(String(record._id));
      if (!before || row.percent > before.percent || (row.percent === before.percent && row.completedModules > before.completedModules)) result.set(String(record._id), row);
    }
  }
  return result;
}

export type CohortProgressRow = Progress & { userId: string; name: string; lastActivityAt: Date | null };

/** One row per active participant of a cohort (modules completed, percent, last activity), and completions per module for the chart. */
export async function cohortProgress(cohortId: string, known?: { _id: Types.ObjectId; name: string; programmeId: Types.ObjectId }): Promise<{
  cohort: { id: string; name: string; programmeId: string };
  totalModules: number;
  rows: CohortProgressRow[];
  modules: { moduleId: string; title: string; completed: number }[];
  sharedReflections: { userId: string; name: string; moduleId: string; module: string; reflection: string; completedAt: Date }[];
}> {
  if (!isObjectId(cohortId)) throw new NotFoundError('We could not find that cohort.');
  const [cohort, record] = await Promise.all([known ?? CohortModel.findById(cohortId, { name: 1, programmeId: 1 }).lean(), cohortRecord(cohortId)]);
  if (!cohort || !record) throw new NotFoundError('We could not find that cohort.');
  const modules = await catalogueModules(String(cohort.programmeId), { includeArchived: true });
  const current = modules.filter((m) => !m.archived).map((m) => String(m._id));
  const titles = new Map(modules.map((m) => [String(m._id), m.title]));
  const rows = record.members.map((m) => {
    const done = countCurrent(m.completed, current);
    return { userId: String(m.userId), name: m.name, completedModules: done, totalModules: current.length, percent: percentOf(done, current.length), lastActivityAt: m.lastActivityAt ?? null };
  });
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const counts = new Map<string, number>();
  for (const m of record.members) for (const id of new Set(m.completed.map(String))) counts.set(id, (counts.get(id) ?? 0) + 1);
  const names = new Map(record.members.map((m) => [String(m.userId), m.name]));
  return {
    cohort: { id: String(cohort._id), name: cohort.name, programmeId: String(cohort.programmeId) },
    totalModules: current.length,
    rows,
    modules: current.map((id) => ({ moduleId: id, title: titles.get(id) ?? '', completed: counts.get(id) ?? 0 })),
    sharedReflections: record.sharedReflections
      .filter((r) => names.has(String(r.userId)))
      .map((r) => ({ userId: String(r.userId), name: names.get(String(r.userId)) ?? 'Unknown', moduleId: String(r.moduleId), module: titles.get(String(r.moduleId)) ?? 'A module', reflection: r.reflection, completedAt: r.completedAt }))
      .sort((a, b) => b.completedAt.getTime() - a.completedAt.getTime()),
  };
}
