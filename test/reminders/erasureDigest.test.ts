import { expect } from 'chai';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { planFacilitatorDigests, runDueNotifications } from '../../server/services/reminders/index.ts';
import { testApp } from '../support/app.ts';
import { buildCohort, enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';
import { buildModule } from '../support/learningFactories.ts';
import { buildMentee, buildMentor } from '../support/mentoringFactories.ts';

describe('erasure: her name leaves the daily digests other people were sent', () => {
  useTestDatabase();

  it('a mentor who reads a daily digest: the outbox copy of the digest that carried her request names her no more', async () => {
    const app = testApp();
    const name = 'Dorothea Digestly';
    const her = await buildMentee({}, { name });
    const mentor = await buildMentor();
    await UserModel.updateOne({ _id: mentor.id }, { $set: { emailDigest: 'daily' } });
    const admin = await buildUser({ roles: ['admin'] });
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set({ Authorization: `Bearer ${await tokenFor(her)}` })
      .send({ mentorId: mentor.id, message: 'Could we talk about interviews?' })
      .expect(201);
    const now = Date.now();
    expect((await runDueNotifications({ now: new Date(now) })).bundled).to.be.at.least(1);
    await runDueNotifications({ now: new Date(now + 26 * 60 * 60 * 1000) });
    const toMentor = async () => JSON.stringify(await OutboxMessageModel.find({ to: mentor.email }).lean());
    expect(await toMentor()).to.include(name);

    await supertest(app)
      .delete(`/api/v1/users/${her.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .expect(202);

    const after = await toMentor();
    expect(after).to.not.include(name);
    expect(after).to.include('Former member');
  });
});

describe('erasure: her name leaves the facilitators’ weekly digests', () => {
  useTestDatabase();

  it('the outbox copy of a weekly digest that listed her as behind names her no more; the others stay named', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const her = await buildUser({ name: 'Winifred Weekly' });
    const other = await buildUser({ name: 'Beatrix Behind' });
    const cohort = await buildCohort({
      facilitatorIds: [facilitator.id],
      startsOn: '2026-01-01',
      endsOn: '2027-12-31',
    });
    const module = await buildModule(String(cohort.programmeId));
    await CohortModel.updateOne(
      { _id: cohort._id },
      { $set: { moduleDueDates: [{ moduleId: module.id, dueOn: '2026-02-01' }] } },
    );
    await enrolDirectly(cohort, her.id);
    await enrolDirectly(cohort, other.id);
    await planFacilitatorDigests({ now: new Date() });
    const digest = (await NotificationModel.findOne({ userId: facilitator.id, kind: 'facilitator-digest' }).lean())!;
    await runDueNotifications({ now: digest.sendAt });
    const toFacilitator = async () => JSON.stringify(await OutboxMessageModel.find({ to: facilitator.email }).lean());
    expect(await toFacilitator()).to.include('Winifred Weekly');

    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: her.id, bySelf: false });

    const after = await toFacilitator();
    expect(after).to.not.include('Winifred');
    expect(after).to.include('Beatrix Behind');
  });
});
