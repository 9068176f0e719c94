import { expect } from 'chai';
import supertest from 'supertest';
import { CertificateModel } from '../../models/Certificate.ts';
import { CompletionModel } from '../../models/Completion.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { updateCohort } from '../../server/services/cohorts/index.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';

/** Changes a cohort as its edit form does (the cohorts area's domain function), only the given fields. */
async function editCohort(admin: TestUser, cohortId: string, changes: { programmeId?: string; name?: string }) {
  const app = testApp();
  const current = (
    await supertest(app)
      .get(`/api/v1/cohorts/${cohortId}`)
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .expect(200)
  ).body;
  const { programmeId, name, capacity, timezone, startsOn, endsOn, facilitatorIds } = current;
  await updateCohort({
    actor: admin,
    cohortId,
    input: { programmeId, name, capacity, timezone, startsOn, endsOn, facilitatorIds, ...changes },
  });
}

/** Progress comes from the source collections, so it holds with many writers and follows changes to cohorts. */
describe('learning: progress read from completions and enrolments', () => {
  useTestDatabase();

  it('when one learner completes ten modules at once through two app instances, progress counts all ten and one certificate is issued', async function () {
    this.timeout(60_000);
    const apps = [testApp(), testApp()];
    const programme = await buildProgramme({ track: 'governing-board' });
    const modules = [];
    for (let i = 0; i < 10; i++) modules.push(await buildModule(programme.id));
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort(programme.id, { facilitatorIds: [facilitator.id] });
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, cohort.id, programme.id);
    const auth = { Authorization: `Bearer ${await tokenFor(learner)}` };

    const results = await Promise.all(
      modules.map((m, i) =>
        supertest(apps[i % 2]!)
          .post(`/api/v1/modules/${m.id}/completion`)
          .set(auth)
          .send({}),
      ),
    );
    expect(results.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    expect(await CompletionModel.countDocuments({ userId: learner.id, cohortId: cohort.id })).to.equal(10);
    expect(await CertificateModel.countDocuments({ userId: learner.id, cohortId: cohort.id })).to.equal(1);
    expect(results.filter((r) => r.body.certificate).length).to.be.at.most(1);

    const mine = await supertest(apps[0]!).get('/api/v1/me/progress').set(auth).expect(200);
    expect(mine.body).to.deep.equal([
      { cohortId: cohort.id, programmeId: programme.id, completedModules: 10, totalModules: 10, percent: 100 },
    ]);
    const theirs = await supertest(apps[1]!)
      .get(`/api/v1/cohorts/${cohort.id}/progress`)
      .set({ Authorization: `Bearer ${await tokenFor(facilitator)}` })
      .expect(200);
    expect(theirs.body.items[0]).to.include({ userId: learner.id, completedModules: 10, percent: 100 });
    expect((await supertest(apps[0]!).get('/api/v1/me/certificates').set(auth).expect(200)).body).to.have.length(1);
  });

  it('when a cohort is moved to another programme, its enrolments follow and her progress and dashboard show the new programme', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const from = await buildProgramme({ title: 'Old programme' });
    const to = await buildProgramme({ title: 'New programme' });
    await buildModule(from.id);
    const target = await buildModule(to.id, { title: 'A module of the new programme' });
    const cohort = await buildCohort(from.id);
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, cohort.id, from.id);
    await editCohort(admin, cohort.id, { programmeId: to.id });

    expect(
      String((await EnrolmentModel.findOne({ userId: learner.id, cohortId: cohort.id }).lean())!.programmeId),
    ).to.equal(to.id);
    const auth = { Authorization: `Bearer ${await tokenFor(learner)}` };
    expect((await supertest(app).get('/api/v1/me/progress').set(auth).expect(200)).body).to.deep.equal([
      { cohortId: cohort.id, programmeId: to.id, completedModules: 0, totalModules: 1, percent: 0 },
    ]);
    await supertest(app).post(`/api/v1/modules/${target.id}/completion`).set(auth).send({}).expect(200);
    const agent = await signIn(app, learner.email, testPassword);
    const dashboard = await agent.get('/').expect(200);
    expect(dashboard.text).to.include('New programme').and.not.include('Old programme');
  });

  it('when a cohort is renamed, dashboards show its new name', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const programme = await buildProgramme({ title: 'Renaming test' });
    await buildModule(programme.id);
    const cohort = await buildCohort(programme.id, { name: 'Spring 2027' });
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, cohort.id, programme.id);
    const agent = await signIn(app, learner.email, testPassword);
    expect((await agent.get('/').expect(200)).text).to.include('cohort Spring 2027');

    await editCohort(admin, cohort.id, { name: 'Summer 2027' });
    const after = (await agent.get('/').expect(200)).text;
    expect(after).to.include('cohort Summer 2027').and.not.include('Spring 2027');
  });
});
