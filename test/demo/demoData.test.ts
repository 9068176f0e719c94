import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { accountsDemo } from './accounts.ts';
import { boardsDemo } from './boards.ts';
import { cohortsDemo } from './cohorts.ts';
import { directoryDemo } from './directory.ts';
import { ltiDemo } from './lti.ts';
import { mentoringDemo } from './mentoring.ts';
import { networksDemo } from './networks.ts';
import { participantDashboardDemo } from './participantDashboard.ts';
import { researchDemo } from './research.ts';

/**
 * What a newcomer sees after the README's first command, area by area (one file each in this folder), read from one
 * demo load: a load costs 12 s of a quiet machine and about 30 s of a busy run, and each area's file loaded its own.
 * The areas only read (and sign in): none changes what another reads. Tests that change the demo, or start the app
 * with it, load their own (test/e2e/accessibility.test.ts, test/server/demoLoad.test.ts and others).
 */
describe('demo data, as the first start loads it', function () {
  useTestDatabase();
  before(async function () {
    this.timeout(180_000);
    await seedDemoDataIfEmpty();
  });

  accountsDemo();
  boardsDemo();
  cohortsDemo();
  directoryDemo();
  ltiDemo();
  mentoringDemo();
  networksDemo();
  researchDemo();
  participantDashboardDemo();
});
