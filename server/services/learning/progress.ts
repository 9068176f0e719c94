import { Types } from 'mongoose';
import { CohortModel, type Cohort } from '../../../models/Cohort.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ModuleModel } from '../../../models/Module.ts';
import { ProgrammeModel, type Programme } from '../../../models/Programme.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { canSeeCohortProgress, readsSharedReflections } from '../../policies/learning.ts';
import { participantNamesOf } from '../cohorts/participantNames.ts';
import { progressKey, shownProgressOf } from './enrolmentProgress.ts';
import { learnerEnrolments, type LearnerEnrolment } from './learners.ts';
import { outlineFromModules, type OutlineEntry } from './outline.ts';
import { loadProgramme } from './programmes.ts';
import { loadVisibleCohort } from '../cohorts/cohorts.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/**
 * Progress is counted per enrolment (a participant in a cohort) over the programme's CURRENT, non-archived
 * modules: a completion of a module later archived is kept but no longer counts, and a module added later
 * counts as not yet done. Her own progress and a board's view read the source collections (enrolments, cohorts,
 * completions, modules); a cohort's progress view reads the copies on the enrolments and the programme (see
 * cohortProgress). Always a fixed number of indexed queries, never one query per participant.
 */
export type Progress = { completedModules: number; totalModules: number; percent: number };

export const percentOf = (done: number, total: number): number => (total === 0 ? 0 : Math.floor((done / total) * 100));

/** Current module ids per programme, in order (one query on `{programmeId, archived, position}`). */
export async function currentModuleIds(programmeIds: (string | Types.ObjectId)[]): Promise<Map<string, string[]>> {
  const byProgramme = new Map<string, string[]>(programmeIds.map((id) => [String(id), []]));
  if (!programmeIds.length) return byProgramme;
  const modules = await ModuleModel.find(
    { programmeId: { $in: [...byProgramme.keys()].map((id) => new Types.ObjectId(id)) }, archived: false },
    { programmeId: 1 },
  )
    .sort({ position: 1, _id: 1 })
    .lean();
  for (const m of modules) byProgramme.get(String(m.programmeId))?.push(String(m._id));
  return byProgramme;
}

const countCurrent = (completed: Set<string>, current: string[] | undefined) =>
  (current ?? []).filter((id) => completed.has(id)).length;

function progressOf(enrolments: LearnerEnrolment[], current: Map<string, string[]>) {
  return enrolments.map((e) => {
    const total = current.get(String(e.programmeId))?.length ?? 0;
    const done = countCurrent(e.completed, current.get(String(e.programmeId)));
    return {
      cohortId: String(e.cohortId),
      programmeId: String(e.programmeId),
      completedModules: done,
      totalModules: total,
      percent: percentOf(done, total),
    };
  });
}

/** Her progress per active enrolment. */
export async function myProgress({
  userId,
}: {
  userId: string;
}): Promise<(Progress & { cohortId: string; programmeId: string })[]> {
  const enrolments = await learnerEnrolments({ userId });
  if (!enrolments.length) return [];
  const current = await currentModuleIds([...new Set(enrolments.map((e) => String(e.programmeId)))]);
  return progressOf(enrolments, current);
}

/**
 * Her progress in one cohort (its LMS gradebook's line: lti/scores.ts): her completions there over its programme's
 * current modules, whatever she did in another cohort of the programme (all zeros when not actively enrolled there).
 */
export async function progressInCohort({
  userId,
  cohortId,
  programmeId,
}: {
  userId: string;
  cohortId: string;
  programmeId: string;
}): Promise<Progress> {
  const [enrolments, current] = await Promise.all([
    learnerEnrolments({ userId, programmeIds: [programmeId] }),
    currentModuleIds([programmeId]),
  ]);
  const here = progressOf(enrolments, current).find((p) => p.cohortId === cohortId);
  return here
    ? { completedModules: here.completedModules, totalModules: here.totalModules, percent: here.percent }
    : { completedModules: 0, totalModules: current.get(programmeId)?.length ?? 0, percent: 0 };
}

export type EnrolmentProgress = Progress & { cohortId: string; programmeId: string };

/**
 * For governing boards: each person's progress in every active enrolment of the given programmes (the panels'
 * training), by user. People with no active enrolment in them are absent from the map. Four queries whatever the
 * number of people.
 */
export async function programmeEnrolmentsProgress({
  userIds,
  programmeIds,
}: {
  userIds: (string | Types.ObjectId)[];
  programmeIds: (string | Types.ObjectId)[];
}): Promise<Map<string, EnrolmentProgress[]>> {
  const result = new Map<string, EnrolmentProgress[]>();
  const ids = [...new Set(userIds.map(String))].map((id) => new Types.ObjectId(id));
  if (!ids.length || !programmeIds.length) return result;
  const programmes = programmeIds.map((id) => new Types.ObjectId(String(id)));
  const enrolments = await EnrolmentModel.find(
    { userId: { $in: ids }, status: 'active' },
    { userId: 1, cohortId: 1 },
  ).lean();
  if (!enrolments.length) return result;
  const cohorts = await CohortModel.find(
    {
      _id: { $in: [...new Set(enrolments.map((e) => String(e.cohortId)))].map((id) => new Types.ObjectId(id)) },
      programmeId: { $in: programmes },
    },
    { programmeId: 1 },
  ).lean();
  if (!cohorts.length) return result;
  const [completions, current] = await Promise.all([
    CompletionModel.find(
      { userId: { $in: ids }, cohortId: { $in: cohorts.map((c) => c._id) } },
      { userId: 1, cohortId: 1, moduleId: 1 },
    ).lean(),
    currentModuleIds(programmes),
  ]);
  const programmeOf = new Map(cohorts.map((c) => [String(c._id), String(c.programmeId)]));
  const key = (userId: unknown, cohortId: unknown) => `${String(userId)}:${String(cohortId)}`;
  const done = new Map<string, Set<string>>();
  for (const c of completions) {
    const k = key(c.userId, c.cohortId);
    if (!done.has(k)) done.set(k, new Set());
    done.get(k)!.add(String(c.moduleId));
  }
  for (const e of enrolments) {
    const programmeId = programmeOf.get(String(e.cohortId));
    if (!programmeId) continue;
    const modules = current.get(programmeId) ?? [];
    const completed = countCurrent(done.get(key(e.userId, e.cohortId)) ?? new Set(), modules);
    const rows = result.get(String(e.userId)) ?? [];
    rows.push({
      cohortId: String(e.cohortId),
      programmeId,
      completedModules: completed,
      totalModules: modules.length,
      percent: percentOf(completed, modules.length),
    });
    result.set(String(e.userId), rows);
  }
  return result;
}

export type CohortProgressRow = Progress & { userId: string; name: string; lastActivityAt: Date | null };

/**
 * One row per active participant of a cohort (modules completed, percent, last activity), completions per module for
 * the chart, and the reflections shared with facilitators. Reads the cohort's active enrolments, which carry each
 * participant's name (cohorts/participantNames.ts) and progress (enrolmentProgress.ts), the programme's outline
 * (outline.ts) and the shared reflections alone: not every completion, quiz attempt, module or account. A row whose
 * copy is not written yet (stored before it existed, or its writer stopped) is computed from the sources instead.
 */
export async function cohortProgress(
  cohortId: string,
  known?: { _id: Types.ObjectId; name: string; programmeId: Types.ObjectId },
  programmeKnown?: ProgrammeKnown,
  /** Which shared reflections to read: the newest (sharedReflectionsShown), all of them, or none (she may not read them). */
  reflections: 'newest' | 'all' | 'none' = 'newest',
): Promise<{
  cohort: { id: string; name: string; programmeId: string };
  totalModules: number;
  rows: CohortProgressRow[];
  modules: { moduleId: string; title: string; completed: number }[];
  sharedReflections: {
    userId: string;
    name: string;
    moduleId: string;
    module: string;
    reflection: string;
    completedAt: Date;
  }[];
  /** More reflections are shared than the newest shown. */
  moreReflections: boolean;
}> {
  if (!isObjectId(cohortId)) throw new NotFoundError('We could not find that cohort.');
  const cohort = known ?? (await CohortModel.findById(cohortId, { name: 1, programmeId: 1 }).lean());
  if (!cohort) throw new NotFoundError('We could not find that cohort.');
  const [enrolments, shared, outline] = await Promise.all([
    readWithoutCursor(
      EnrolmentModel.find(
        { cohortId: cohort._id, status: 'active' },
        { userId: 1, cohortId: 1, programmeId: 1, participantName: 1, completedModuleIds: 1, lastActivityAt: 1 },
      ).lean(),
    ),
    sharedReflections(cohort._id, reflections),
    programmeOutline(cohort.programmeId, programmeKnown),
  ]);
  const [names, progress] = await Promise.all([participantNamesOf(enrolments), shownProgressOf(enrolments)]);
  const current = outline.filter((m) => !m.archived).map((m) => String(m._id));
  const titles = new Map(outline.map((m) => [String(m._id), m.title]));
  const members = new Map(
    enrolments.map((e) => {
      const shown = progress.get(progressKey(e))!;
      return [
        String(e.userId),
        { completed: new Set(shown.completedModuleIds.map(String)), last: shown.lastActivityAt },
      ];
    }),
  );
  const rows = [...members].map(([userId, m]) => {
    const done = countCurrent(m.completed, current);
    return {
      userId,
      name: names.get(userId) ?? 'Unknown',
      completedModules: done,
      totalModules: current.length,
      percent: percentOf(done, current.length),
      lastActivityAt: m.last,
    };
  });
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const counts = new Map<string, number>();
  for (const m of members.values()) for (const id of m.completed) counts.set(id, (counts.get(id) ?? 0) + 1);
  const shownReflections = shared
    .slice(0, reflections === 'newest' ? sharedReflectionsShown : undefined)
    .filter((r) => members.has(String(r.userId)) && r.reflection);
  // A reflection shared before the cohort was moved to another programme is about a module of the first: its title
  // is read by id, for those alone (none, unless the cohort was moved).
  const missing = [...new Set(shownReflections.map((r) => String(r.moduleId)))].filter((id) => !titles.has(id));
  const earlierModules = missing.length
    ? await ModuleModel.find({ _id: { $in: missing.map((id) => new Types.ObjectId(id)) } }, { title: 1 }).lean()
    : [];
  for (const m of earlierModules) titles.set(String(m._id), m.title);
  return {
    cohort: { id: String(cohort._id), name: cohort.name, programmeId: String(cohort.programmeId) },
    totalModules: current.length,
    rows,
    modules: current.map((id) => ({ moduleId: id, title: titles.get(id) ?? '', completed: counts.get(id) ?? 0 })),
    moreReflections: reflections === 'newest' && shared.length > sharedReflectionsShown,
    sharedReflections: shownReflections.map((r) => ({
      userId: String(r.userId),
      name: names.get(String(r.userId)) ?? 'Unknown',
      moduleId: String(r.moduleId),
      module: titles.get(String(r.moduleId)) ?? 'A module',
      reflection: r.reflection ?? '',
      completedAt: r.completedAt,
    })),
  };
}

/** How many shared reflections a progress view shows before "all of them". */
export const sharedReflectionsShown = 50;

/**
 * Reflections shared with the cohort's facilitators, newest first: the newest (one more than shown, to know whether
 * there are more) read in order from the index `{cohortId, reflectionShared, completedAt}`, which stops at the limit.
 */
async function sharedReflections(cohortId: Types.ObjectId, which: 'newest' | 'all' | 'none') {
  if (which === 'none') return [];
  const query = CompletionModel.find(
    { cohortId, reflectionShared: true },
    { userId: 1, moduleId: 1, completedAt: 1, reflection: 1 },
  ).sort({ completedAt: -1 });
  if (which === 'newest') query.limit(sharedReflectionsShown + 1);
  return readWithoutCursor(query.lean());
}

/** What a progress view reads of each module in the programme's outline. */
type OutlineShown = Pick<OutlineEntry, '_id' | 'title' | 'archived'>;

/**
 * What a cohort's progress view reads of its programme: its title, and of each module in its outline (outline.ts) the
 * id, title and whether it is archived, not its prerequisites and the rest, which the database then need not decode.
 */
const programmeShownWithProgress = (programmeId: Types.ObjectId) =>
  loadProgramme<Pick<Programme, '_id' | 'title'> & { outline?: OutlineShown[] }>(programmeId, {
    title: 1,
    'outline._id': 1,
    'outline.title': 1,
    'outline.archived': 1,
  });

/**
 * The cohort's programme when the caller has it, or is reading it at the same time (a promise: its reads then go out
 * together instead of one after the other).
 */
type ProgrammeKnown =
  | (Pick<Programme, '_id'> & { outline?: unknown })
  | Promise<(Pick<Programme, '_id'> & { outline?: unknown }) | undefined>;

/** The programme's outline (outline.ts), or its modules when it has none written yet. */
async function programmeOutline(programmeId: Types.ObjectId, knownOrComing?: ProgrammeKnown): Promise<OutlineShown[]> {
  const known = await knownOrComing;
  const programme =
    known && String(known._id) === String(programmeId)
      ? known
      : await ProgrammeModel.findById(programmeId, { outline: 1 }).lean();
  return (programme?.outline as OutlineShown[] | undefined) ?? outlineFromModules(programmeId);
}

export const progressSortKeys = ['name', 'completed', 'percent', 'last'] as const;
export type ProgressSort = { key: (typeof progressSortKeys)[number]; dir: 'asc' | 'desc' };

/** Rows in the order asked for; ties (and the default) by name. */
export function sortProgressRows(rows: CohortProgressRow[], { key, dir }: ProgressSort): CohortProgressRow[] {
  const value = (r: CohortProgressRow) =>
    key === 'name'
      ? r.name.toLowerCase()
      : key === 'completed'
        ? r.completedModules
        : key === 'percent'
          ? r.percent
          : (r.lastActivityAt?.getTime() ?? 0);
  const sorted = [...rows].sort((a, b) =>
    value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : a.name.localeCompare(b.name),
  );
  return dir === 'desc' ? sorted.reverse() : sorted;
}

const progressMessages = {
  cohortNotFound: 'We could not find that cohort.',
  notAllowed: 'Only the cohort’s facilitators and admins can see its progress.',
};

/**
 * A cohort's progress for someone allowed to see it (its facilitators, admins): the cohort, its programme and
 * one row per active participant in the order asked for. A participant of the cohort gets 403; an unknown id, or a
 * cohort she cannot see, 404.
 */
export async function cohortProgressFor(props: {
  actor: Express.User;
  cohortId: string;
  /** Row order (default: by name, A to Z). */
  sort?: ProgressSort;
  /** Every shared reflection, not only the newest (the page's "all" link); none for the CSV and the API. */
  reflections?: 'newest' | 'all' | 'none';
}) {
  if (!isObjectId(props.cohortId)) throw new NotFoundError(progressMessages.cohortNotFound);
  const cohort = await readWithoutCursor(CohortModel.findById(props.cohortId).lean<Cohort>());
  if (!cohort) throw new NotFoundError(progressMessages.cohortNotFound);
  if (!canSeeCohortProgress(props.actor, cohort)) {
    // Someone who cannot even see the cohort is told what an unknown id gets: it exists only for those it concerns.
    await loadVisibleCohort({ actor: props.actor, cohortId: props.cohortId });
    throw new ForbiddenError(progressMessages.notAllowed);
  }
  const readsReflections = readsSharedReflections(props.actor, cohort);
  // The programme is read alongside the enrolments and reflections (one round trip fewer): its outline is awaited
  // only where the rows need it.
  const programmeRead = programmeShownWithProgress(cohort.programmeId);
  const [programme, progress] = await Promise.all([
    programmeRead,
    cohortProgress(
      String(cohort._id),
      cohort,
      programmeRead,
      readsReflections ? (props.reflections ?? 'newest') : 'none',
    ),
  ]);
  return {
    cohort,
    programme,
    progress,
    readsReflections,
    rows: sortProgressRows(progress.rows, props.sort ?? { key: 'name', dir: 'asc' }),
  };
}
