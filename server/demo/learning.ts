import { Types } from 'mongoose';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ModuleModel, type Module } from '../../models/Module.ts';
import { ProgrammeModel, type Track } from '../../models/Programme.ts';
import { UserModel, type Role } from '../../models/User.ts';
import { DomainError } from '../errors.ts';
import { completeModule } from '../services/learning/completion.ts';
import { ensureCoreProgrammes } from '../services/learning/coreProgrammes.ts';
import type { DemoContext } from './index.ts';

/**
 * Learning demo data, in two steps around the cohorts seeder:
 * - `seedLearningProgrammes` (first): the three core programmes, so cohorts can be created for them;
 * - `seedLearningProgress` (after the cohorts seeder): progress for people the cohorts seeder enrolled, through the
 *   same domain function the app uses (so certificates and events follow). With no cohorts, it does nothing.
 */
export async function seedLearningProgrammes(): Promise<void> {
  await ensureCoreProgrammes();
}

const demoReflection =
  'I lead by three values: every child deserves ambitious teaching, staff deserve honesty and support, and families deserve to be heard. ' +
  'I acted on the first when I rewrote our reading curriculum even though it meant a difficult year for my team. ' +
  'My inner critic says I am not ready for headship, but the evidence of the last two years says otherwise, and I intend to listen to the evidence.';

/** How far each demo person gets, by track: 'all' completes the programme (and issues the certificate). */
const plan: { email: string; track: Track; modules: number | 'all'; daysAgo: number }[] = [
  { email: 'participant@pathways.test', track: 'aspiring-leader', modules: 2, daysAgo: 20 },
  { email: 'participant@pathways.test', track: 'new-head', modules: 1, daysAgo: 9 },
  { email: 'participant@pathways.test', track: 'governing-board', modules: 'all', daysAgo: 5 },
  { email: 'governor@pathways.test', track: 'governing-board', modules: 'all', daysAgo: 6 },
  { email: 'governor2@pathways.test', track: 'governing-board', modules: 2, daysAgo: 4 },
  { email: 'participant2@pathways.test', track: 'aspiring-leader', modules: 5, daysAgo: 25 },
  { email: 'participant3@pathways.test', track: 'aspiring-leader', modules: 3, daysAgo: 12 },
  { email: 'participant4@pathways.test', track: 'aspiring-leader', modules: 1, daysAgo: 20 },
  { email: 'participant5@pathways.test', track: 'aspiring-leader', modules: 4, daysAgo: 8 },
  { email: 'participant12@pathways.test', track: 'new-head', modules: 2, daysAgo: 7 },
  { email: 'participant14@pathways.test', track: 'new-head', modules: 'all', daysAgo: 3 },
];

function inputFor(module: Module) {
  const rule = module.completion ?? { type: 'view' };
  if (rule.type === 'reflection') return { reflection: demoReflection, shareWithFacilitators: true };
  if (rule.type === 'quiz') return { answers: (rule.questions ?? []).map((q) => [...q.correct]) };
  return {};
}

export async function seedLearningProgress(ctx: DemoContext): Promise<void> {
  for (const step of plan) {
    const userId = ctx.people.get(step.email);
    if (!userId) continue;
    const programmes = await ProgrammeModel.find({ track: step.track, status: 'published' }, { _id: 1 }).lean();
    const cohorts = await CohortModel.find({ programmeId: { $in: programmes.map((p) => p._id) } }, { _id: 1 }).lean();
    const enrolment = await EnrolmentModel.findOne({
      userId: new Types.ObjectId(userId),
      cohortId: { $in: cohorts.map((c) => c._id) },
      status: 'active',
    }).lean();
    if (!enrolment) continue;
    const user = await UserModel.findById(userId).lean();
    if (!user) continue;
    const actor = {
      id: userId,
      email: user.email,
      name: user.name,
      roles: user.roles as Role[],
      timezone: user.timezone,
    };
    const modules = await ModuleModel.find({ programmeId: enrolment.programmeId, archived: false })
      .sort({ position: 1 })
      .lean<Module[]>();
    const count = step.modules === 'all' ? modules.length : Math.min(step.modules, modules.length);
    // One module a day from daysAgo on; a plan with more modules than days starts earlier, so that the last one
    // (and the certificate it issues) is at least a day old, never dated after the load.
    const firstDaysAgo = Math.max(step.daysAgo, count);
    for (const [i, module] of modules.slice(0, count).entries()) {
      const now = new Date(Date.now() - (firstDaysAgo - i) * 24 * 60 * 60 * 1000);
      try {
        await completeModule({ actor, moduleId: String(module._id), input: inputFor(module), now });
      } catch (error) {
        // A prerequisite the plan skipped, or a module another seeder completed: leave that module as it is.
        if (!(error instanceof DomainError)) throw error;
      }
    }
  }
}
