import { expect } from 'chai';
import { Types } from 'mongoose';
import { CompletionModel } from '../../models/Completion.ts';
import { LtiLaunchModel } from '../../models/LtiLaunch.ts';
import { LtiScoreModel } from '../../models/LtiScore.ts';
import { queueScores } from '../../server/services/lti/scores.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';

describe('lti: the score a cohort’s gradebook gets', () => {
  useTestDatabase();

  it('is her progress in that cohort: a renewal cohort’s line item shows what she did there, not the cohort she finished before', async () => {
    const programme = await buildProgramme();
    const modules = [await buildModule(programme.id), await buildModule(programme.id)];
    const [finished, renewal] = [await buildCohort(programme.id), await buildCohort(programme.id)];
    const her = await buildUser();
    await enrol(her.id, finished.id, programme.id);
    await enrol(her.id, renewal.id, programme.id);
    // Every module done in the cohort she finished long ago (her enrolment there stays active); one in the renewal.
    await CompletionModel.insertMany([
      ...modules.map((m) => ({
        userId: her.id,
        moduleId: m.id,
        cohortId: finished.id,
        programmeId: programme.id,
        completedAt: new Date(),
      })),
      {
        userId: her.id,
        moduleId: modules[0]!.id,
        cohortId: renewal.id,
        programmeId: programme.id,
        completedAt: new Date(),
      },
    ]);
    // The LMS course the renewal cohort is placed in grades it.
    await LtiLaunchModel.create({
      platformId: new Types.ObjectId(),
      sub: 'lms-user-1',
      userId: her.id,
      messageType: 'LtiResourceLinkRequest',
      deploymentId: 'deployment-1',
      cohortId: renewal.id,
      lineItemUrl: 'https://lms.example.org/lineitems/renewal',
      canPostScores: true,
      launchedAt: new Date(),
    });
    expect(await queueScores({ userId: her.id, cohortId: renewal.id })).to.be.greaterThan(0);
    const score = await LtiScoreModel.findOne({ lineItemUrl: 'https://lms.example.org/lineitems/renewal' }).lean();
    expect(score).to.include({ scoreGiven: 1, scoreMaximum: 2, activityProgress: 'InProgress' });
  });
});
