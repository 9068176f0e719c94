import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { DemoLoadModel, demoLoadId } from '../../models/DemoLoad.ts';
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

const beatEveryMs = 2_000;
/**
 * A load whose beat has not moved for this long (on the reader's clock) belongs to a process that is gone. Fifteen
 * beats: a busy 2-core machine (CI, the first start beside a build) can hold a beat's write back for seconds, and a
 * live load taken over is emptied under its loader; a start after a cut load waits this long once.
 */
const ownerGoneAfterMs = 30_000;
/** Collections a load cut short leaves as they are: the load's own record, and agenda's job definitions. */
const keptOnRedo = new Set([DemoLoadModel.collection.collectionName, 'jobs']);

/**
 * Loads the demo into a database that holds no accounts, and finishes a load that was cut short (Ctrl-C or a crash
 * during the first start): answers true when this call loaded it. The load is recorded (models/DemoLoad.ts) before
 * the first account, so a later start tells a cut load from a database with accounts of its own. Of several processes
 * starting at once, one loads and the others wait for it, so each starts with the whole demo; a load whose process is
 * gone is taken over and done again from nothing (the database held no accounts before it, so what it holds is the
 * cut load's), unless accounts other than the demo's have appeared since: then nothing is touched.
 */
export async function seedDemoDataIfEmpty(
  options: {
    /** How long a load's beat must stand still before it is taken over (a test of that path need not wait 30 s). */
    ownerGoneAfterMs?: number;
  } = {},
): Promise<boolean> {
  const goneAfterMs = options.ownerGoneAfterMs ?? ownerGoneAfterMs;
  const me = randomUUID();
  let seen: { owner: string; beat: number; since: number } | undefined;
  let told = false;
  for (;;) {
    const load = await DemoLoadModel.findById(demoLoadId).lean();
    if (load?.finishedAt) return false;
    if (!load) {
      if ((await UserModel.estimatedDocumentCount()) > 0) return false;
      try {
        await DemoLoadModel.create({ _id: demoLoadId, owner: me });
      } catch (error) {
        if (isDuplicateKeyError(error)) continue;
        throw error;
      }
      return loadDemo(me, false);
    }
    if (!load.handedOverAt && (!seen || seen.owner !== load.owner || seen.beat !== load.beat)) {
      seen = { owner: load.owner, beat: load.beat, since: Date.now() };
    } else if (load.handedOverAt || Date.now() - seen!.since > goneAfterMs) {
      const taken = await DemoLoadModel.updateOne(
        { _id: demoLoadId, owner: load.owner, beat: load.beat, finishedAt: null },
        { $set: { owner: me, handedOverAt: null }, $inc: { beat: 1 } },
      );
      if (taken.matchedCount === 1) return loadDemo(me, true);
      continue;
    }
    if (!told) logger.info('demo data is being loaded by another process (or was cut short): waiting for it');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** This process's load under way, and whether a signal asked it to stop (see handOverDemoLoad). */
let underWay: { me: string; stopAsked: boolean; done: Promise<unknown> } | undefined;

class DemoLoadStopped extends Error {
  constructor() {
    super('demo data: the load stopped on a signal between two areas, and was handed over to the next start');
  }
}

/**
 * On a signal during the first start (Ctrl-C), lets the area being loaded finish, loads no more, and marks the load
 * handed over, so the next start takes it over at once (it is done again from nothing, as after a crash) rather than
 * waiting for its beat to stand still for ownerGoneAfterMs. Called by the shutdown before the database closes; a load
 * cut harder (the shutdown's deadline, a kill) is still taken over once its beat stands still.
 */
export async function handOverDemoLoad(): Promise<void> {
  const load = underWay;
  if (!load) return;
  load.stopAsked = true;
  const stoppedBetweenAreas = await load.done.then(
    () => false,
    (error: unknown) => error instanceof DemoLoadStopped,
  );
  if (!stoppedBetweenAreas) return;
  await DemoLoadModel.updateOne(
    { _id: demoLoadId, owner: load.me, finishedAt: null },
    { $set: { handedOverAt: new Date() } },
  );
  logger.info('demo data: the load was stopped between two areas; the next start loads it again at once');
}

function loadDemo(me: string, redo: boolean): Promise<boolean> {
  const load = { me, stopAsked: false, done: Promise.resolve() as Promise<unknown> };
  const done = loadDemoAs(load, redo);
  load.done = done;
  underWay = load;
  return done.finally(() => {
    if (underWay === load) underWay = undefined;
  });
}

async function loadDemoAs(load: { me: string; stopAsked: boolean }, redo: boolean): Promise<boolean> {
  const me = load.me;
  const mine = { _id: demoLoadId, owner: me, finishedAt: null };
  const beating = setInterval(() => {
    DemoLoadModel.updateOne(mine, { $inc: { beat: 1 } }).catch((error: unknown) =>
      logger.warn({ err: error }, 'demo data: could not note the load is alive'),
    );
  }, beatEveryMs);
  try {
    if (redo) {
      if (await UserModel.exists({ email: { $not: /@pathways\.test$/ } })) {
        logger.warn('demo data was cut short on an earlier start, and other accounts exist since: it is left as it is');
        await DemoLoadModel.updateOne(mine, { $set: { finishedAt: new Date(), outcome: 'left-as-found' } });
        return false;
      }
      logger.info('demo data was cut short on an earlier start: loading it again from the beginning');
      for (const collection of await mongoose.connection.db!.collections())
        if (!keptOnRedo.has(collection.collectionName)) await collection.deleteMany({});
    }
    const ctx: DemoContext = { people: await seedPeople() };
    for (const seeder of seeders) {
      if (load.stopAsked) throw new DemoLoadStopped();
      // A process that stalled past ownerGoneAfterMs may have been taken over: it stops rather than load beside.
      if (!(await DemoLoadModel.exists(mine))) throw new Error('demo data: another process took the load over');
      logger.info({ seeder: seeder.name }, 'loading demo data');
      await seeder.seed(ctx);
    }
    const finished = await DemoLoadModel.updateOne(mine, { $set: { finishedAt: new Date(), outcome: 'loaded' } });
    if (finished.matchedCount !== 1) throw new Error('demo data: another process took the load over');
    return true;
  } finally {
    clearInterval(beating);
  }
}
