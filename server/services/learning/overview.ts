import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ModuleModel, type Module } from '../../../models/Module.ts';
import { ProgrammeModel, type Programme } from '../../../models/Programme.ts';
import { certificateStatus } from './certificates.ts';

/**
 * What a learner sees of a programme: each current module done, available or locked (and by which modules),
 * the next one to do, and her progress. Five queries for all her enrolments together.
 */
export type ModuleStatus = { id: string; title: string; estimatedMinutes: number; type: string; status: 'done' | 'available' | 'locked'; missing: string[] };
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

export function moduleStatuses(modules: Module[], done: Set<string>): ModuleStatus[] {
  const titles = new Map(modules.map((m) => [String(m._id), m.title]));
  return modules.map((m) => {
    const missing = m.prerequisites.map(String).filter((id) => titles.has(id) && !done.has(id)).map((id) => titles.get(id)!);
    const status = done.has(String(m._id)) ? 'done' : missing.length ? 'locked' : 'available';
    return { id: String(m._id), title: m.title, estimatedMinutes: m.estimatedMinutes, type: m.completion?.type ?? 'view', status, missing };
  });
}

export async function learnerOverview({ userId, now = new Date() }: { userId: string; now?: Date }): Promise<LearnerProgramme[]> {
  const user = new Types.ObjectId(userId);
  const enrolments = await EnrolmentModel.find({ userId: user, status: 'active' }, { cohortId: 1, programmeId: 1, enrolledAt: 1 }).sort({ enrolledAt: -1, _id: -1 }).lean();
  if (!enrolments.length) return [];
  const programmeIds = [...new Set(enrolments.map((e) => String(e.programmeId)))].map((id) => new Types.ObjectId(id));
  const [programmes, cohorts, modules, completions, certificates] = await Promise.all([
    ProgrammeModel.find({ _id: { $in: programmeIds } }).lean<Programme[]>(),
    CohortModel.find({ _id: { $in: enrolments.map((e) => e.cohortId) } }, { name: 1 }).lean(),
    ModuleModel.find({ programmeId: { $in: programmeIds }, archived: false }).sort({ position: 1, _id: 1 }).lean<Module[]>(),
    CompletionModel.find({ userId: user, programmeId: { $in: programmeIds } }, { cohortId: 1, moduleId: 1 }).lean(),
    CertificateModel.find({ userId: user }, { cohortId: 1, expiresAt: 1 }).lean(),
  ]);
  const programmeById = new Map(programmes.map((p) => [String(p._id), p]));
  const cohortName = new Map(cohorts.map((c) => [String(c._id), c.name]));
  return enrolments.flatMap((e) => {
    const programme = programmeById.get(String(e.programmeId));
    if (!programme) return [];
    const own = modules.filter((m) => String(m.programmeId) === String(programme._id));
    const done = new Set(completions.filter((c) => String(c.cohortId) === String(e.cohortId)).map((c) => String(c.moduleId)));
    const statuses = moduleStatuses(own, done);
    const completed = statuses.filter((s) => s.status === 'done').length;
    const certificate = certificates.find((c) => String(c.cohortId) === String(e.cohortId));
    return [{
      programme: { id: String(programme._id), title: programme.title, track: programme.track },
      cohortId: String(e.cohortId),
      cohortName: cohortName.get(String(e.cohortId)) ?? '',
      completedModules: completed,
      totalModules: statuses.length,
      percent: statuses.length ? Math.floor((completed / statuses.length) * 100) : 0,
      modules: statuses,
      next: statuses.find((s) => s.status === 'available') ?? null,
      certificate: certificate ? { id: String(certificate._id), status: certificateStatus(certificate, now), expiresAt: certificate.expiresAt ?? null } : null,
    }];
  });
}
