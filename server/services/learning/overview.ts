import { Types } from 'mongoose';
import { ProgrammeModel, type Programme } from '../../../models/Programme.ts';
import { certificateStatus } from './certificates.ts';
import { activeEnrolmentsOf, type ActiveEnrolments } from '../cohorts/enrolment.ts';
import { learnerEnrolments } from './learners.ts';
import type { OutlineEntry } from './outline.ts';

/**
 * What a learner sees of a programme: each current module done, available or locked (and by which modules),
 * the next one to do, and her progress. A fixed number of indexed queries for all her enrolments together: her
 * enrolments with their cohorts, then at once her completions and certificates (learners.ts) and the cohorts'
 * programmes with their outlines (outline.ts: the modules as lists show them, so no module is read here).
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
  // The cohorts name the programmes, so programmes are read alongside her completions, not after them.
  const programmeIds = [...new Set(ownActive.cohorts.map((c) => String(c.programmeId)))].map(
    (id) => new Types.ObjectId(id),
  );
  const [enrolments, programmes] = await Promise.all([
    learnerEnrolments({ userId, active: ownActive }),
    ProgrammeModel.find({ _id: { $in: programmeIds } }, { title: 1, track: 1, outline: 1 }).lean<Programme[]>(),
  ]);
  if (!enrolments.length) return [];
  const programmeById = new Map(programmes.map((p) => [String(p._id), p]));
  return enrolments.flatMap((e) => {
    const programme = programmeById.get(String(e.programmeId));
    if (!programme) return [];
    const statuses = moduleStatuses((programme.outline ?? []) as OutlineEntry[], e.completed);
    const completed = statuses.filter((s) => s.status === 'done').length;
    return [
      {
        programme: { id: String(programme._id), title: programme.title, track: programme.track },
        cohortId: String(e.cohortId),
        cohortName: e.cohortName,
        completedModules: completed,
        totalModules: statuses.length,
        percent: statuses.length ? Math.floor((completed / statuses.length) * 100) : 0,
        modules: statuses,
        next: statuses.find((s) => s.status === 'available') ?? null,
        certificate: e.certificate
          ? {
              id: e.certificate.id,
              status: certificateStatus({ expiresAt: e.certificate.expiresAt }, now),
              expiresAt: e.certificate.expiresAt,
            }
          : null,
      },
    ];
  });
}
