import { Types } from 'mongoose';
import { UserModel } from '../../models/User.ts';
import { expect } from 'chai';
import supertest from 'supertest';
import { CompletionModel } from '../../models/Completion.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { emitDomainEvent } from '../../server/events.ts';
import { ForbiddenError, NotFoundError } from '../../server/errors.ts';
import {
  cohortProgressFor,
  progressInCohort,
  programmeEnrolmentsProgress,
} from '../../server/services/learning/progress.ts';
import { withdrawParticipant } from '../../server/services/cohorts/enrolment.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol, moveCohort } from '../support/learningFactories.ts';

const secret =
  'My private worry is that the chair of governors does not trust me yet, and I have not told anyone at school about it. I will raise it at our next meeting calmly and with evidence of what has gone well.';

describe('learning: progress, the facilitator view and privacy', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let programme: Awaited<ReturnType<typeof buildProgramme>>;
  let modules: { id: string }[];
  let cohort: { id: string };
  let facilitator: TestUser;
  let alice: TestUser;
  let bea: TestUser;
  const auth = async (u: TestUser) => ({ Authorization: `Bearer ${await tokenFor(u)}` });

  before(async () => {
    app = testApp();
    programme = await buildProgramme({ track: 'governing-board' });
    modules = [
      await buildModule(programme.id, { title: 'Why it matters' }),
      await buildModule(programme.id, { title: 'Your reflection', completion: { type: 'reflection' } }),
      await buildModule(programme.id, { title: 'Last one' }),
    ];
    facilitator = await buildUser({ roles: ['facilitator'] });
    cohort = await buildCohort(programme.id, { facilitatorIds: [facilitator.id], name: 'Spring panel' });
    alice = await buildUser({ name: 'Alice Adams' });
    bea = await buildUser({ name: '=HYPERLINK("http://evil.example","Bea")' });
    for (const u of [alice, bea]) await enrol(u.id, cohort.id, programme.id);
    await supertest(app)
      .post(`/api/v1/modules/${modules[0]!.id}/completion`)
      .set(await auth(alice))
      .send({})
      .expect(200);
    await supertest(app)
      .post(`/api/v1/modules/${modules[1]!.id}/completion`)
      .set(await auth(alice))
      .send({ reflection: secret })
      .expect(200);
    await supertest(app)
      .post(`/api/v1/modules/${modules[0]!.id}/completion`)
      .set(await auth(bea))
      .send({})
      .expect(200);
  });

  it('her progress and the programme functions agree: percent over current modules', async () => {
    const mine = await supertest(app)
      .get('/api/v1/me/progress')
      .set(await auth(alice))
      .expect(200);
    expect(mine.body).to.deep.equal([
      { cohortId: cohort.id, programmeId: programme.id, completedModules: 2, totalModules: 3, percent: 66 },
    ]);
    expect(await progressInCohort({ userId: alice.id, cohortId: cohort.id, programmeId: programme.id })).to.include({
      completedModules: 2,
      percent: 66,
    });
    const outsider = await buildUser();
    const map = await programmeEnrolmentsProgress({
      userIds: [alice.id, bea.id, outsider.id],
      programmeIds: [programme.id],
    });
    expect(map.get(alice.id)?.map((e) => e.percent)).to.deep.equal([66]);
    expect(map.get(bea.id)?.map((e) => e.percent)).to.deep.equal([33]);
    expect(map.has(outsider.id)).to.equal(false);
  });

  it('the cohort’s facilitator gets one row per participant through the API', async () => {
    const res = await supertest(app)
      .get(`/api/v1/cohorts/${cohort.id}/progress`)
      .set(await auth(facilitator))
      .expect(200);
    const alices = res.body.items.find((r: { userId: string }) => r.userId === alice.id);
    expect(alices).to.include({ name: 'Alice Adams', completedModules: 2, totalModules: 3, percent: 66 });
    expect(alices.lastActivityAt).to.be.a('string');
    expect(res.body.items).to.have.length(2);
  });

  it('a participant cannot read her cohort’s progress (API and web: 403); another facilitator, who cannot see the cohort, gets the 404 of an unknown id', async () => {
    await supertest(app)
      .get(`/api/v1/cohorts/${cohort.id}/progress`)
      .set(await auth(bea))
      .expect(403);
    const outsider = await buildUser({ roles: ['facilitator'] });
    const hidden = await supertest(app)
      .get(`/api/v1/cohorts/${cohort.id}/progress`)
      .set(await auth(outsider))
      .expect(404);
    const unknown = await supertest(app)
      .get(`/api/v1/cohorts/${new Types.ObjectId().toString()}/progress`)
      .set(await auth(outsider))
      .expect(404);
    expect(hidden.body).to.deep.equal(unknown.body);
    const agent = await signIn(app, bea.email, testPassword);
    await agent.get(`/cohorts/${cohort.id}/progress`).expect(403);
    await agent.get(`/cohorts/${cohort.id}/progress.csv`).expect(403);
    const outsiderAgent = await signIn(app, outsider.email, testPassword);
    await outsiderAgent.get(`/cohorts/${cohort.id}/progress`).expect(404);
    await outsiderAgent.get(`/cohorts/${cohort.id}/progress.csv`).expect(404);
    await supertest(app)
      .get('/api/v1/cohorts/nope/progress')
      .set(await auth(facilitator))
      .expect(404);
  });

  it('a facilitator whose role an admin took away no longer sees the progress or shared reflections of a cohort she is still named on', async () => {
    const former = await buildUser({ roles: ['facilitator'] });
    const admin = await buildUser({ roles: ['admin'] });
    const named = await buildCohort(programme.id, { facilitatorIds: [facilitator.id, former.id], name: 'Named' });
    const carla = await buildUser({ name: 'Carla Cole' });
    await enrol(carla.id, named.id, programme.id);
    await supertest(app)
      .post(`/api/v1/modules/${modules[1]!.id}/completion`)
      .set(await auth(carla))
      .send({ reflection: secret, shareWithFacilitators: true })
      .expect(200);
    const agent = await signIn(app, former.email, testPassword);
    const before = await agent.get(`/cohorts/${named.id}/progress`).expect(200);
    expect(before.text).to.include('Carla Cole').and.include('private worry');
    await supertest(app)
      .patch(`/api/v1/users/${former.id}`)
      .set(await auth(admin))
      .send({ roles: ['participant'] })
      .expect(200);
    const refused = await supertest(app)
      .get(`/api/v1/cohorts/${named.id}/progress`)
      .set(await auth(former))
      .expect(404);
    expect(JSON.stringify(refused.body)).to.not.include('Carla');
    // Her other sessions ended with the change of roles? Either way, a fresh sign-in sees what she may see now.
    const again = await signIn(app, former.email, testPassword);
    for (const path of [`/cohorts/${named.id}/progress`, `/cohorts/${named.id}/progress.csv`]) {
      const page = await again.get(path).expect(404);
      expect(page.text).to.not.include('Carla').and.not.include('private worry');
    }
  });

  it('a reflection shared before the cohort was moved to another programme is shown under its module’s title', async () => {
    const moved = await buildCohort(programme.id, { facilitatorIds: [facilitator.id], name: 'Moved' });
    const erin = await buildUser({ name: 'Erin Moves' });
    await enrol(erin.id, moved.id, programme.id);
    await supertest(app)
      .post(`/api/v1/modules/${modules[1]!.id}/completion`)
      .set(await auth(erin))
      .send({ reflection: 'I learnt a lot about panels', shareWithFacilitators: true })
      .expect(200);
    const next = await buildProgramme({ title: 'Moved to' });
    await buildModule(next.id, { title: 'First of the new' });
    await moveCohort(moved.id, next.id);
    const agent = await signIn(app, facilitator.email, testPassword);
    const page = (await agent.get(`/cohorts/${moved.id}/progress`).expect(200)).text;
    expect(page).to.include('<h3>Erin Moves · Your reflection</h3>').and.include('I learnt a lot about panels');
  });

  it('the progress page shows the newest 50 shared reflections, newest first, and every one behind a link', async () => {
    const busy = await buildCohort(programme.id, { facilitatorIds: [facilitator.id], name: 'Busy cohort' });
    const people = await Promise.all(
      Array.from({ length: 17 }, (_, i) => buildUser({ name: `Writer ${String(i).padStart(2, '0')}` })),
    );
    for (const p of people) await enrol(p.id, busy.id, programme.id);
    // 17 people × 3 modules = 51 shared reflections, one a minute; the oldest is number 0.
    const start = Date.parse('2026-11-01T08:00:00Z');
    await CompletionModel.insertMany(
      people.flatMap((p, i) =>
        modules.map((m, j) => ({
          userId: p.id,
          moduleId: m.id,
          cohortId: busy.id,
          programmeId: programme.id,
          completedAt: new Date(start + (i * 3 + j) * 60_000),
          reflection: `Reflection number ${i * 3 + j}.`,
          reflectionShared: true,
        })),
      ),
    );
    const agent = await signIn(app, facilitator.email, testPassword);
    const numbers = (html: string) => [...html.matchAll(/Reflection number (\d+)\./g)].map((m) => Number(m[1]));
    const newest = (await agent.get(`/cohorts/${busy.id}/progress`).expect(200)).text;
    expect(numbers(newest)).to.deep.equal(Array.from({ length: 50 }, (_, k) => 50 - k));
    expect(newest).to.include(`/cohorts/${busy.id}/progress?sort=name&amp;dir=asc&amp;reflections=all#reflections`);
    const all = (await agent.get(`/cohorts/${busy.id}/progress?sort=percent&dir=desc&reflections=all`).expect(200))
      .text;
    expect(numbers(all)).to.deep.equal(Array.from({ length: 51 }, (_, k) => 50 - k));
    expect(all).to.include('All 51, newest first.');
    // Sorting the table keeps every reflection shown.
    expect(all).to.include(`/cohorts/${busy.id}/progress?sort=name&amp;dir=asc&amp;reflections=all`);
  });

  it('a facilitator whose role an admin took away no longer finds a cohort she is still named on in her cohort lists', async () => {
    const former = await buildUser({ roles: ['facilitator'] });
    const named = await buildCohort(programme.id, { facilitatorIds: [former.id], name: 'Named Only Cohort' });
    const listed = async () => {
      const api = await supertest(app)
        .get('/api/v1/cohorts')
        .set(await auth(former))
        .expect(200);
      const page = await (await signIn(app, former.email, testPassword)).get('/cohorts').expect(200);
      return { api: JSON.stringify(api.body).includes(named.id), page: page.text.includes('Named Only Cohort') };
    };
    expect(await listed()).to.deep.equal({ api: true, page: true });
    await UserModel.updateOne({ _id: former.id }, { $set: { roles: ['participant'] } });
    expect(await listed()).to.deep.equal({ api: false, page: false });
  });

  it('her progress is hers: /me/progress of another participant shows only her own enrolments', async () => {
    const res = await supertest(app)
      .get('/api/v1/me/progress')
      .set(await auth(bea))
      .expect(200);
    expect(res.body).to.deep.equal([
      { cohortId: cohort.id, programmeId: programme.id, completedModules: 1, totalModules: 3, percent: 33 },
    ]);
  });

  it('a reflection is private: not in another participant’s view, not on the facilitator page until she shares it', async () => {
    const beaAgent = await signIn(app, bea.email, testPassword);
    const beaPage = await beaAgent.get(`/modules/${modules[1]!.id}`).expect(200);
    expect(beaPage.text).to.not.include('private worry');
    const beaApi = await supertest(app)
      .get(`/api/v1/modules/${modules[1]!.id}`)
      .set(await auth(bea))
      .expect(200);
    expect(JSON.stringify(beaApi.body)).to.not.include('private worry');
    const facAgent = await signIn(app, facilitator.email, testPassword);
    expect((await facAgent.get(`/cohorts/${cohort.id}/progress`).expect(200)).text).to.not.include('private worry');

    const aliceAgent = await signIn(app, alice.email, testPassword);
    const own = await aliceAgent.get(`/modules/${modules[1]!.id}`).expect(200);
    expect(own.text).to.include('private worry');
    await aliceAgent
      .post(`/modules/${modules[1]!.id}/sharing`)
      .type('form')
      .send({ _csrf: await csrfOf(aliceAgent, `/modules/${modules[1]!.id}`), shared: 'yes' })
      .expect(303);
    expect((await facAgent.get(`/cohorts/${cohort.id}/progress`).expect(200)).text).to.include('private worry');
    expect((await beaAgent.get(`/modules/${modules[1]!.id}`).expect(200)).text).to.not.include('private worry');
    // Shared with the cohort's facilitators, not with an admin who does not run it: she sees the progress, not that.
    const admin = await buildUser({ roles: ['admin'] });
    const adminPage = await (
      await signIn(app, admin.email, testPassword)
    )
      .get(`/cohorts/${cohort.id}/progress`)
      .expect(200);
    expect(adminPage.text).to.include('Alice Adams').and.not.include('private worry');
    expect(adminPage.text).to.include('facilitators only, so they are not shown to you');
  });

  it('a participant cannot change another’s reflection sharing or record for her: the sharing form acts on her own only', async () => {
    const beaAgent = await signIn(app, bea.email, testPassword);
    await beaAgent
      .post(`/modules/${modules[1]!.id}/sharing`)
      .type('form')
      .send({ _csrf: await csrfOf(beaAgent, `/modules/${modules[1]!.id}`), shared: 'no', userId: alice.id })
      .expect(404);
    expect(
      (await CompletionModel.findOne({ userId: alice.id, moduleId: modules[1]!.id }).lean())!.reflectionShared,
    ).to.equal(true);
  });

  it('a reflection she shared stays hers to make private after she renews in a later cohort, and after its module is retired', async () => {
    const p = await buildProgramme({ title: 'Renewed programme' });
    const reflect = await buildModule(p.id, { title: 'Reflect again', completion: { type: 'reflection' } });
    const first = await buildCohort(p.id, { facilitatorIds: [facilitator.id], name: 'First run' });
    const later = await buildCohort(p.id, { name: 'Later run' });
    const dana = await buildUser({ name: 'Dana Renews' });
    await enrol(dana.id, first.id, p.id, new Date('2026-01-01T00:00:00Z'));
    await supertest(app)
      .post(`/api/v1/modules/${reflect.id}/completion`)
      .set(await auth(dana))
      .send({ reflection: 'my renewal worry', shareWithFacilitators: true })
      .expect(200);
    await enrol(dana.id, later.id, p.id, new Date());
    const agent = await signIn(app, dana.email, testPassword);
    const page = await agent.get(`/modules/${reflect.id}`).expect(200);
    expect(page.text).to.include('an earlier cohort').and.include('Make it private again');
    await agent
      .post(`/modules/${reflect.id}/sharing`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/modules/${reflect.id}`), shared: 'no' })
      .expect(303);
    const facAgent = await signIn(app, facilitator.email, testPassword);
    expect((await facAgent.get(`/cohorts/${first.id}/progress`).expect(200)).text).to.not.include('my renewal worry');

    // Shared again in the first run, then the module retired: withdrawing still reaches it.
    await CompletionModel.updateOne({ userId: dana.id, moduleId: reflect.id }, { $set: { reflectionShared: true } });
    const admin = await buildUser({ roles: ['admin'] });
    await supertest(app)
      .patch(`/api/v1/modules/${reflect.id}`)
      .set(await auth(admin))
      .send({ archived: true })
      .expect(200);
    await agent
      .post(`/modules/${reflect.id}/sharing`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account'), shared: 'no' })
      .expect(303);
    expect(
      (await CompletionModel.findOne({ userId: dana.id, moduleId: reflect.id }).lean())!.reflectionShared,
    ).to.equal(false);
  });

  it('made private after she left the cohort of a draft programme, her reflection lands her on her data page with the message, not on "Not found"; while she may open the module she goes back to it', async () => {
    const p = await buildProgramme({ title: 'Draft programme', status: 'draft' });
    const reflect = await buildModule(p.id, { title: 'Reflect here', completion: { type: 'reflection' } });
    const run = await buildCohort(p.id, { facilitatorIds: [facilitator.id], name: 'Draft run' });
    const erin = await buildUser({ name: 'Erin Leaves' });
    await enrol(erin.id, run.id, p.id);
    await supertest(app)
      .post(`/api/v1/modules/${reflect.id}/completion`)
      .set(await auth(erin))
      .send({ reflection: 'my leaving worry', shareWithFacilitators: true })
      .expect(200);
    const agent = await signIn(app, erin.email, testPassword);
    const share = async (shared: 'yes' | 'no') =>
      agent
        .post(`/modules/${reflect.id}/sharing`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, '/account'), shared })
        .expect(303);
    expect((await share('no')).headers.location).to.equal(`/modules/${reflect.id}`);
    expect((await share('yes')).headers.location).to.equal(`/modules/${reflect.id}`);

    await withdrawParticipant({ actor: 'system', cohortId: run.id, userId: erin.id });
    await agent.get(`/modules/${reflect.id}`).expect(404);
    const made = await share('no');
    expect(made.headers.location).to.equal('/account/data');
    const landed = await agent.get('/account/data').expect(200);
    expect(landed.text).to.include('Your reflection is now private to you.').and.not.include('Not found');
    expect(
      (await CompletionModel.findOne({ userId: erin.id, moduleId: reflect.id }).lean())!.reflectionShared,
    ).to.equal(false);
  });

  it('the progress page is a sortable table with a chart that reads without colour', async () => {
    const agent = await signIn(app, facilitator.email, testPassword);
    const page = await agent.get(`/cohorts/${cohort.id}/progress?sort=percent&dir=desc`).expect(200);
    expect(page.text).to.include('aria-sort="descending"');
    expect(page.text.indexOf('Alice Adams')).to.be.lessThan(page.text.indexOf('HYPERLINK'));
    expect(page.text).to.include('<svg').and.include('role="img"').and.include('Why it matters: 2 of 2');
    expect(page.text).to.include('1 of 2');
    const asc = await agent.get(`/cohorts/${cohort.id}/progress?sort=percent&dir=asc`).expect(200);
    expect(asc.text.indexOf('Alice Adams')).to.be.greaterThan(asc.text.indexOf('HYPERLINK'));
  });

  it('the CSV download is safe for spreadsheets: formula-like cells start with a quote', async () => {
    const agent = await signIn(app, facilitator.email, testPassword);
    const csv = await agent.get(`/cohorts/${cohort.id}/progress.csv`).expect(200);
    expect(csv.headers['content-type']).to.match(/text\/csv/);
    expect(csv.text).to.include(`"'=HYPERLINK(""http://evil.example"",""Bea"")"`);
    expect(csv.text).to.include('Alice Adams,2,3,66,');
  });

  it('the dashboard shows her programme with an accessible progress bar, the next module, and locked modules with the reason', async () => {
    const p2 = await buildProgramme({ title: 'Stepping up' });
    const first = await buildModule(p2.id, { title: 'Step one' });
    await buildModule(p2.id, { title: 'Step two', prerequisites: [first.id] });
    const c2 = await buildCohort(p2.id);
    await enrol(alice.id, c2.id, p2.id);
    const agent = await signIn(app, alice.email, testPassword);
    const page = await agent.get('/').expect(200);
    expect(page.text).to.include('Stepping up');
    expect(page.text).to.match(/<progress[^>]*aria-valuenow="66"/);
    expect(page.text).to.include('2 of 3 modules completed (66%)');
    expect(page.text).to.include('Next: <a href="/modules/' + first.id + '">Step one</a>');
    expect(page.text).to.include('Step two: opens after Step one');
  });

  it('when many participants of one cohort complete at the same moment, the facilitator view counts every one', async () => {
    const p = await buildProgramme();
    const m = await buildModule(p.id);
    const c = await buildCohort(p.id, { facilitatorIds: [facilitator.id] });
    const people = await Promise.all(Array.from({ length: 8 }, () => buildUser()));
    for (const u of people) await enrol(u.id, c.id, p.id);
    const tokens = await Promise.all(people.map((u) => auth(u)));
    await Promise.all(
      tokens.map((t) => supertest(app).post(`/api/v1/modules/${m.id}/completion`).set(t).send({}).expect(200)),
    );
    const res = await supertest(app)
      .get(`/api/v1/cohorts/${c.id}/progress`)
      .set(await auth(facilitator))
      .expect(200);
    expect(res.body.items.map((r: { percent: number }) => r.percent)).to.deep.equal(Array(8).fill(100));
  });

  it('a withdrawn participant leaves the cohort view and her dashboard (the cohorts area announces it)', async () => {
    const p = await buildProgramme({ title: 'Leaving soon' });
    await buildModule(p.id);
    const c = await buildCohort(p.id, { facilitatorIds: [facilitator.id] });
    const u = await buildUser();
    await enrol(u.id, c.id, p.id);
    expect(
      (
        await supertest(app)
          .get('/api/v1/me/progress')
          .set(await auth(u))
      ).body,
    ).to.have.length(1);
    await EnrolmentModel.updateOne({ userId: u.id, cohortId: c.id }, { $set: { status: 'withdrawn' } });
    await emitDomainEvent('enrolment.withdrawn', { cohortId: c.id, userId: u.id });
    expect(
      (
        await supertest(app)
          .get('/api/v1/me/progress')
          .set(await auth(u))
      ).body,
    ).to.deep.equal([]);
    expect(
      (
        await supertest(app)
          .get(`/api/v1/cohorts/${c.id}/progress`)
          .set(await auth(facilitator))
      ).body.items,
    ).to.deep.equal([]);
  });

  it('the cohort progress service refuses participants (403) and unknown cohorts (404), and sorts rows as asked, ties by name', async () => {
    let refused: unknown;
    await cohortProgressFor({ actor: alice, cohortId: cohort.id }).catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(ForbiddenError);
    let unknown: unknown;
    await cohortProgressFor({ actor: facilitator, cohortId: '0123456789abcdef01234567' }).catch(
      (e: unknown) => (unknown = e),
    );
    expect(unknown).to.be.instanceOf(NotFoundError);
    const byPercent = await cohortProgressFor({
      actor: facilitator,
      cohortId: cohort.id,
      sort: { key: 'percent', dir: 'desc' },
    });
    expect(byPercent.rows.map((r) => r.userId)).to.deep.equal([alice.id, bea.id]);
    const byName = await cohortProgressFor({ actor: facilitator, cohortId: cohort.id });
    expect(byName.rows.map((r) => r.name)).to.deep.equal(
      [...byName.rows.map((r) => r.name)].sort((a, b) => a.localeCompare(b)),
    );
    expect(byName.programme.title).to.equal(programme.title);
  });
});
