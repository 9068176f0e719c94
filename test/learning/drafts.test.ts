import { expect } from 'chai';
import supertest from 'supertest';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

describe('learning: a programme created through the API, as API.md describes', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  /** Admin creates a programme (a draft by default) with two modules, opens a cohort and enrols a participant — all through /api/v1. */
  async function apiFlow() {
    const admin = await buildUser({ roles: ['admin'] });
    const learner = await buildUser({ roles: ['participant'] });
    const outsider = await buildUser({ roles: ['participant'] });
    const auth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    const programme = await supertest(app)
      .post('/api/v1/programmes')
      .set(auth)
      .send({ title: 'Leading through change', track: 'new-head', summary: 'For new heads.' })
      .expect(201);
    const first = await supertest(app)
      .post(`/api/v1/programmes/${programme.body.id}/modules`)
      .set(auth)
      .send({ title: 'Your first term', body: 'Read this.', estimatedMinutes: 15, completion: { type: 'view' } })
      .expect(201);
    const second = await supertest(app)
      .post(`/api/v1/programmes/${programme.body.id}/modules`)
      .set(auth)
      .send({
        title: 'Your budget',
        body: 'Then this.',
        estimatedMinutes: 20,
        prerequisites: [first.body.id],
        completion: { type: 'view' },
      })
      .expect(201);
    const cohort = await supertest(app)
      .post('/api/v1/cohorts')
      .set(auth)
      .send({
        programmeId: programme.body.id,
        name: 'New heads 2027',
        capacity: 10,
        timezone: 'Europe/London',
        startsOn: '2027-01-10',
        endsOn: '2027-07-10',
        facilitatorIds: [],
      })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/cohorts/${cohort.body.id}/enrolments`)
      .set(auth)
      .send({ userId: learner.id })
      .expect(201);
    return {
      programme: programme.body,
      modules: [first.body, second.body],
      learner,
      outsider,
      auth,
      learnerAuth: { Authorization: `Bearer ${await tokenFor(learner)}` },
    };
  }

  it('an enrolled participant opens her draft programme and its modules, in the API and on the page, and is told it is a draft', async () => {
    const flow = await apiFlow();
    expect(flow.programme.status).to.equal('draft');
    const answer = await supertest(app)
      .get(`/api/v1/programmes/${flow.programme.id}`)
      .set(flow.learnerAuth)
      .expect(200);
    expect(answer.body).to.include({ id: flow.programme.id, status: 'draft' });
    expect(answer.body.modules.map((m: { id: string }) => m.id)).to.deep.equal(flow.modules.map((m) => m.id));
    await supertest(app).get(`/api/v1/modules/${flow.modules[0].id}`).set(flow.learnerAuth).expect(200);
    const listed = await supertest(app).get('/api/v1/programmes').set(flow.learnerAuth).expect(200);
    expect(listed.body.items.map((p: { id: string }) => p.id)).to.include(flow.programme.id);

    const agent = await signIn(app, flow.learner.email, testPassword);
    const page = await agent.get(`/programmes/${flow.programme.id}`).expect(200);
    expect(page.text).to.include('Leading through change').and.include('Your first term').and.include('draft');
    await agent.get(`/modules/${flow.modules[0].id}`).expect(200);
    await supertest(app)
      .post(`/api/v1/modules/${flow.modules[0].id}/completion`)
      .set(flow.learnerAuth)
      .send({})
      .expect(200);
  });

  it('someone with no enrolment in it still gets 404 for the draft', async () => {
    const flow = await apiFlow();
    const outsider = { Authorization: `Bearer ${await tokenFor(flow.outsider)}` };
    await supertest(app).get(`/api/v1/programmes/${flow.programme.id}`).set(outsider).expect(404);
    const listed = await supertest(app).get('/api/v1/programmes').set(outsider).expect(200);
    expect(listed.body.items.map((p: { id: string }) => p.id)).to.not.include(flow.programme.id);
    const agent = await signIn(app, flow.outsider.email, testPassword);
    await agent.get(`/programmes/${flow.programme.id}`).expect(404);
  });

  it('admins are told what publishing changes, and the cohort form marks draft programmes', async () => {
    const flow = await apiFlow();
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get(`/programmes/${flow.programme.id}`).expect(200);
    expect(page.text).to.include('Publishing it');
    const form = await agent.get(`/programmes/${flow.programme.id}/edit`).expect(200);
    expect(form.text).to.include('Publishing it');
    const cohortForm = await agent.get('/cohorts/new').expect(200);
    expect(cohortForm.text).to.match(/Leading through change \(draft\)/);
  });
});
