import { Types } from 'mongoose';
import { ProgrammeModel, type Programme } from '../../../models/Programme.ts';
import { certificateStatus } from './certificates.ts';
import { activeEnrolmentsOf, type ActiveEnrolments } from '../cohorts/enrolment.ts';
import type { OutlineEntry } from './outline.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/**
 * What a learner sees of a programme: each current module done, available or locked (and by which modules),
 * the next one to do, and her progress. Three indexed reads for all her enrolments together: her enrolments, carrying
 * her progress in each (enrolmentProgress.ts: what she completed there and her certificate), their cohorts, then the
 * cohorts' programmes with their outlines (outline.ts: the modules as lists show them). So neither her completions,
 * her certificates nor the modules are read here; what must be exact (may she complete a module, is her certificate
 * due) reads them (completion.ts, certificates.ts).
 */
export type ModuleStatus = {
  id: string;
  title: string;
  estimatedMinutes: number;
  type: string;
  status: 'done' | 'available' | 'locked';
  missing: string[];
};
export type LearnerProgramme = {
  programme: { id: string; title: string; track: string };
  cohortId: string;
  cohortName: string;
  completedModules: number;
  totalModules: number;
  percent: number;
  modules: ModuleStatus[];
  next: ModuleStatus | null;
  certificate: { id: string; status: 'valid' | 'expired'; expiresAt: Date | null } | null;
};

/** Each current module of the outline done, available or locked (archived ones are not listed). */
export function moduleStatuses(outline: OutlineEntry[], done: Set<string>): ModuleStatus[] {
  const modules = outline.filter((m) => !m.archived);
  const titles = new Map(modules.map((m) => [String(m._id), m.title]));
  return modules.map((m) => {
    const missing = m.prerequisites
      .map(String)
      .filter((id) => titles.has(id) && !done.has(id))
      .map((id) => titles.get(id)!);
    const status = done.has(String(m._id)) ? 'done' : missing.length ? 'locked' : 'available';
    return {
      id: String(m._id),
      title: m.title,
      estimatedMinutes: m.estimatedMinutes,
      type: m.completionType,
      status,
      missing,
    };
  });
}

export async function learnerOverview({
  userId,
  now = new Date(),
  active,
}: {
  userId: string;
  now?: Date;
  /** Her active enrolments and their cohorts, when the page has read them already. */
  active?: ActiveEnrolments;
}): Promise<LearnerProgramme[]> {
  const ownActive = active ?? (await activeEnrolmentsOf(userId));
  if (!ownActive.cohorts.length) return [];
  // The cohorts name the programmes (an enrolment's own programmeId is only a copy).
  const programmeIds = [...new Set(ownActive.cohorts.map((c) => String(c.programmeId)))].map(
    (id) => new Types.ObjectId(id),
  );
  const programmes = await readWithoutCursor(
    ProgrammeModel.find({ _id: { $in: programmeIds } }, { title: 1, track: 1, outline: 1 }).lean<Programme[]>(),
  );
  const programmeById = new Map(programmes.map((p) => [String(p._id), p]));
  const cohortById = new Map(ownActive.cohorts.map((c) => [String(c._id), c]));
  // Most recent first; an enrolment whose cohort is gone is not shown.
  const enrolments = ownActive.enrolments
    .filter((e) => cohortById.has(String(e.cohortId)))
    .sort((a, b) => (b.enrolledAt?.getTime() ?? 0) - (a.enrolledAt?.getTime() ?? 0));
  return enrolments.flatMap((e) => {
    const cohort = cohortById.get(String(e.cohortId))!;
    const programme = programmeById.get(String(cohort.programmeId));
    if (!programme) return [];
    const completed = new Set((e.completedModuleIds ?? []).map(String));
    const statuses = moduleStatuses((programme.outline ?? []) as OutlineEntry[], completed);
    const done = statuses.filter((s) => s.status === 'done').length;
    return [
      {
        programme: { id: String(programme._id), title: programme.title, track: programme.track },
        cohortId: String(e.cohortId),
        cohortName: cohort.name,
        completedModules: done,
        totalModules: statuses.length,
        percent: statuses.length ? Math.floor((done / statuses.length) * 100) : 0,
        modules: statuses,
        next: statuses.find((s) => s.status === 'available') ?? null,
        certificate: e.certificate
          ? {
              id: String(e.certificate.certificateId),
              status: certificateStatus({ expiresAt: e.certificate.expiresAt }, now),
              expiresAt: e.certificate.expiresAt,
            }
          : null,
      },
    ];
  });
}
