import type { Module } from '../../../models/Module.ts';
import { catalogue } from './catalogue.ts';
import { certificateStatus } from './certificates.ts';
import { learnerRecord } from './records.ts';

/**
 * What a learner sees of a programme: each current module done, available or locked (and by which modules),
 * the next one to do, and her progress. One query for all her enrolments together (her record by primary key; programmes and modules
 * come from the in-process catalogue).
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
  const record = await learnerRecord(userId);
  if (!record.enrolments.length) return [];
  const enrolments = [...record.enrolments].sort((a, b) => (b.enrolledAt?.getTime() ?? 0) - (a.enrolledAt?.getTime() ?? 0));
  const { programmeById, modules: all } = await catalogue();
  const modules = all.filter((m) => !m.archived);
  return enrolments.flatMap((e) => {
    const programme = programmeById.get(String(e.programmeId));
    if (!programme) return [];
    const own = modules.filter((m) => String(m.programmeId) === String(programme._id));
    const statuses = moduleStatuses(own, new Set(e.completed.map(String)));
    const completed = statuses.filter((s) => s.status === 'done').length;
    return [{
      programme: { id: String(programme._id), title: programme.title, track: programme.track },
      cohortId: String(e.cohortId),
      cohortName: e.cohortName,
      completedModules: completed,
      totalModules: statuses.length,
      percent: statuses.length ? Math.floor((completed / statuses.length) * 100) : 0,
      modules: statuses,
      next: statuses.find((s) => s.status === 'available') ?? null,
      certificate: e.certificateId ? { id: String(e.certificateId), status: certificateStatus({ expiresAt: e.certificateExpiresAt }, now), expiresAt: e.certificateExpiresAt ?? null } : null,
    }];
  });
}
