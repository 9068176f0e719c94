import { expect } from 'chai';
import { LtiRosterSyncModel } from '../../models/LtiRosterSync.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { signIn, testApp } from '../support/app.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

describe('LTI: erasure and the class list', () => {
  useTestDatabase();

  it('an erased woman who had left the LMS course is no longer named on the cohort’s class-list page; the others who left still are', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const her = await buildUser({ name: 'Rowena Leftcourse' });
    const other = await buildUser({ name: 'Odette Alsoleft' });
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    await LtiRosterSyncModel.create({
      _id: String(cohort._id),
      syncedAt: new Date(),
      kept: 3,
      departed: [
        { userId: her.id, name: her.name },
        { userId: other.id, name: other.name },
      ],
    });
    const app = testApp();
    const agent = await signIn(app, facilitator.email, testPassword);
    expect((await agent.get(`/cohorts/${String(cohort._id)}/lms`).expect(200)).text).to.include('Rowena Leftcourse');

    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: her.id, bySelf: false });

    const page = (await agent.get(`/cohorts/${String(cohort._id)}/lms`).expect(200)).text;
    expect(page).to.not.include('Rowena');
    expect(page).to.include('Odette Alsoleft');
    const stored = (await LtiRosterSyncModel.findById(String(cohort._id)).lean())!;
    expect(stored.departed.map((d) => String(d.userId))).to.deep.equal([other.id]);
    expect(stored.kept).to.equal(3);
  });
});
