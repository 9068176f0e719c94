import { expect } from 'chai';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { UserModel } from '../../models/User.ts';
import { cohortFormChoices } from '../../server/services/cohorts/cohorts.ts';
import { enrolParticipant, withdrawParticipant } from '../../server/services/cohorts/enrolment.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { testApp } from '../support/app.ts';
import { buildCohort, buildProgramme } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';

describe('cohorts: an erased account is gone from the cohort form and enrolment', () => {
  useTestDatabase();

  it('an erased facilitator is not offered on the cohort form, and naming her id is a 422 at facilitatorIds that saves nothing', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [kept, erased] = [
      await buildUser({ roles: ['facilitator'], name: 'Kept Facilitator' }),
      await buildUser({ roles: ['facilitator'], name: 'Gone Facilitator' }),
    ];
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: erased.id, bySelf: false });
    const offered = (await cohortFormChoices()).facilitators.map((f) => f.id);
    expect(offered).to.include(kept.id);
    expect(offered).not.to.include(erased.id);

    const programme = await buildProgramme();
    const res = await supertest(testApp())
      .post('/api/v1/cohorts')
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({
        programmeId: String(programme._id),
        name: 'Spring cohort with an erased facilitator',
        capacity: 5,
        timezone: 'Europe/London',
        startsOn: '2027-01-01',
        endsOn: '2027-02-01',
        facilitatorIds: [kept.id, erased.id],
      })
      .expect(422);
    expect(res.type).to.equal('application/problem+json');
    expect(JSON.stringify(res.body)).to.include('facilitatorIds');
    expect(await CohortModel.countDocuments({ name: 'Spring cohort with an erased facilitator' })).to.equal(0);
  });

  it('an admin enrolling an erased account by id gets the 404 of an unknown person, and no seat is taken', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const erased = await buildUser();
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: erased.id, bySelf: false });
    const cohort = await buildCohort({ capacity: 1 });
    await supertest(testApp())
      .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({ userId: erased.id })
      .expect(404);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id })).to.equal(0);
  });

  it('a place freed goes to the first person on the waitlist who can take it: an erased one has left the queue, a disabled one is passed over and keeps her turn', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const actor = { ...admin, roles: ['admin' as const] };
    const [holder, erased, disabled, next, last] = [
      await buildUser({ name: 'Holder' }),
      await buildUser({ name: 'Erased' }),
      await buildUser({ name: 'Disabled' }),
      await buildUser({ name: 'Next' }),
      await buildUser({ name: 'Last' }),
    ];
    const cohort = await buildCohort({ capacity: 1 });
    const cohortId = String(cohort._id);
    for (const person of [holder, erased, disabled, next, last])
      await enrolParticipant({ actor, cohortId, userId: person.id });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: erased.id, bySelf: false });
    expect((await EnrolmentModel.findOne({ cohortId, userId: erased.id }).lean())!.status).to.equal('withdrawn');
    await UserModel.updateOne({ _id: disabled.id }, { $set: { status: 'disabled' } });
    await withdrawParticipant({ actor, cohortId, userId: holder.id });
    const statusOf = async (id: string) => (await EnrolmentModel.findOne({ cohortId, userId: id }).lean())!.status;
    expect(await statusOf(next.id)).to.equal('active');
    expect(await statusOf(disabled.id)).to.equal('waitlisted');
    expect(await statusOf(last.id)).to.equal('waitlisted');
    // Enabled again, she is first in the queue for the next place.
    await UserModel.updateOne({ _id: disabled.id }, { $set: { status: 'active' } });
    await withdrawParticipant({ actor, cohortId, userId: next.id });
    expect(await statusOf(disabled.id)).to.equal('active');
    expect(await statusOf(last.id)).to.equal('waitlisted');
  });
});
