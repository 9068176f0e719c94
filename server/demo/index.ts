import { UserModel } from '../../models/User.ts';
import { isDuplicateKeyError } from '../db.ts';
import { seedAccountStatuses } from './accountStatuses.ts';
import { logger } from '../logger.ts';
import { seedAccounts } from './accounts.ts';
import { seedBoards } from './boards.ts';
import { seedCohorts } from './cohorts.ts';
import { seedDirectory } from './directory.ts';
import { seedLearningProgrammes, seedLearningProgress } from './learning.ts';
import { seedMentoring } from './mentoring.ts';

import { seedNetworks } from './networks.ts';

import { seedLti } from './lti.ts';
import { seedPeople } from './people.ts';
import { seedPledge } from './pledge.ts';
import { seedReminders } from './reminders.ts';
import { seedResearch } from './research.ts';
import { refreshAllCohortFigures } from '../services/research/cohortFigures.ts';

/**
 * Demo data, loaded into an empty database on start (DEMO_DATA, default on outside production).
 * Each area adds a seeder here; a seeder receives the ids of the demo people by email.
 */
export type DemoContext = { people: Map<string, string> };
const seeders: { name: string; seed: (ctx: DemoContext) => Promise<void> }[] = [
  // Learning's programmes come first (cohorts are created for them) ...
  { name: 'learning-programmes', seed: () => seedLearningProgrammes() },
  { name: 'cohorts', seed: (ctx) => seedCohorts(ctx) },
  { name: 'pledge', seed: (ctx) => seedPledge(ctx) },
  // ... and learning's progress comes last, once the cohorts seeder has enrolled people.
  { name: 'learning-progress', seed: (ctx) => seedLearningProgress(ctx) },
  // Boards last: its panel's readiness reads the certificates and progress seeded above.
  { name: 'boards', seed: (ctx) => seedBoards(ctx) },
  // Research after cohorts and boards: its figures read enrolments, certificates and rounds.
  { name: 'research', seed: (ctx) => seedResearch(ctx) },

  // Mentoring: profiles, mentorships, meetings and outcomes (its reminders are planned by its own domain functions).
  { name: 'mentoring', seed: (ctx) => seedMentoring(ctx) },

  { name: 'networks', seed: (ctx) => seedNetworks(ctx) },
  // The directory and a network event, after the networks demo (issue 14).
  { name: 'directory', seed: (ctx) => seedDirectory(ctx) },
  // Reminders after everything they remind of (sessions, due dates, certificates, panels).
  { name: 'reminders', seed: (ctx) => seedReminders(ctx) },
  // Accounts (issue 13): one person with two-step sign-in, and the admin's audit trail.
  { name: 'accounts', seed: (ctx) => seedAccounts(ctx) },
  // Accounts (issue 13): a disabled and an invited person in the admin's list of people.
  { name: 'account-statuses', seed: (ctx) => seedAccountStatuses(ctx) },

  // LTI: a registered demo Moodle, the participant's Moodle identity and her cohort's class-list sync.
  { name: 'lti', seed: (ctx) => seedLti(ctx) },
  // Research figures last: the per-cohort records read everything seeded above (as the job does every 15 minutes).
  { name: 'research-figures', seed: async () => void (await refreshAllCohortFigures()) },
];

export async function seedDemoDataIfEmpty(): Promise<boolean> {
  if ((await UserModel.estimatedDocumentCount()) > 0) return false;
  let people: Map<string, string>;
  try {
    people = await seedPeople();
  } catch (error) {
    // Several processes starting at once all find no users, and each creates the demo people in the same order: the
    // unique email of the first decides which one loads the demo; the others start beside it instead of failing.
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
  const ctx: DemoContext = { people };
  for (const seeder of seeders) {
    logger.info({ seeder: seeder.name }, 'loading demo data');
    await seeder.seed(ctx);
  }
  return true;
}
