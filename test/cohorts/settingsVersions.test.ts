import { expect } from 'chai';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { joinCohortFromLms } from '../../server/services/lti/people.ts';
import { csrfFrom, versionFrom, signIn, testApp } from '../support/app.ts';
import { buildCohort, buildSession } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

/** The settings version a form was opened at (its hidden field). */

describe('cohorts: a colleague’s settings save is never silently undone', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a facilitator saving a settings form opened before an admin’s save gets a 409 with her changes kept, saved only when sent again', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const runner = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ name: 'Spring cohort', capacity: 10, facilitatorIds: [runner.id] });
    const id = String(cohort._id);
    const fields = {
      name: cohort.name,
      capacity: '10',
      timezone: cohort.timezone,
      startsOn: cohort.startsOn,
      endsOn: cohort.endsOn,
      attendanceThreshold: '75',
      lateAfterMinutes: '10',
    };
    // Both open the settings form.
    const adminAgent = await signIn(app, admin.email, testPassword);
    const adminPage = await adminAgent.get(`/cohorts/${id}/edit`).expect(200);
    const runnerAgent = await signIn(app, runner.email, testPassword);
    const runnerPage = await runnerAgent.get(`/cohorts/${id}/edit`).expect(200);
    // The admin renames the cohort and moves its dates.
    await adminAgent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({
        _csrf: csrfFrom(adminPage.text),
        version: versionFrom(adminPage.text),
        ...fields,
        programmeId: String(cohort.programmeId),
        facilitatorIds: runner.id,
        name: 'Spring cohort (Leeds)',
        endsOn: '2027-11-30',
      })
      .expect(303);
    // The facilitator, from the form she opened before, raises the capacity: her form still shows the old name and
    // dates, which would silently undo the admin's save.
    const mine = { _csrf: csrfFrom(runnerPage.text), version: versionFrom(runnerPage.text), ...fields, capacity: '12' };
    const conflict = await runnerAgent.post(`/cohorts/${id}/edit`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('This cohort was saved again after you opened it');
    expect(conflict.text).to.match(/name="capacity"[^>]*value="12"|value="12"[^>]*name="capacity"/);
    const kept = (await CohortModel.findById(id).lean())!;
    expect(kept).to.include({ name: 'Spring cohort (Leeds)', endsOn: '2027-11-30', capacity: 10 });
    // Sent again from that page, knowing, it is saved.
    await runnerAgent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
      .expect(303);
    expect((await CohortModel.findById(id).lean())!).to.include({ name: 'Spring cohort', capacity: 12 });
  });

  it('an instructor named by an LMS launch after an admin opened the settings form is not dropped by her save (409)', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const instructor = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ name: 'Launched cohort' });
    const id = String(cohort._id);
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get(`/cohorts/${id}/edit`).expect(200);
    expect(await joinCohortFromLms({ cohortId: id, userId: instructor.id, instructor: true })).to.equal('facilitator');
    // Her form ticked no facilitator: saved as it stands it would take the instructor off the cohort unseen.
    await agent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        version: versionFrom(page.text),
        programmeId: String(cohort.programmeId),
        name: 'Launched cohort (renamed)',
        capacity: '20',
        timezone: cohort.timezone,
        startsOn: cohort.startsOn,
        endsOn: cohort.endsOn,
      })
      .expect(409);
    const stored = (await CohortModel.findById(id).lean())!;
    expect(stored.facilitatorIds.map(String)).to.deep.equal([instructor.id]);
    // A launch of an instructor already named changes nothing, so it makes no open form stale.
    const again = await agent.get(`/cohorts/${id}/edit`).expect(200);
    await joinCohortFromLms({ cohortId: id, userId: instructor.id, instructor: true });
    expect(versionFrom(again.text)).to.equal(String((await CohortModel.findById(id).lean())!.version));
  });

  it('a refused settings form keeps the version it was opened at, so a save by someone else meanwhile is still noticed', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const cohort = await buildCohort({ name: 'Autumn cohort' });
    const id = String(cohort._id);
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get(`/cohorts/${id}/edit`).expect(200);
    const mine = {
      _csrf: csrfFrom(page.text),
      version: versionFrom(page.text),
      programmeId: String(cohort.programmeId),
      name: 'Autumn cohort (Paris)',
      capacity: 'many',
      timezone: cohort.timezone,
      startsOn: cohort.startsOn,
      endsOn: cohort.endsOn,
    };
    const refused = await agent.post(`/cohorts/${id}/edit`).type('form').send(mine).expect(422);
    expect(versionFrom(refused.text)).to.equal(mine.version);
    // Meanwhile a colleague changes the time zone.
    await CohortModel.updateOne({ _id: id }, { $set: { timezone: 'Europe/Paris' }, $inc: { version: 1 } });
    await agent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({ ...mine, capacity: '20' })
      .expect(409);
    expect((await CohortModel.findById(id).lean())!).to.include({ name: 'Autumn cohort', timezone: 'Europe/Paris' });
  });

  it('a session form opened before a colleague moved the session is a 409 with her changes kept, and does not put the old place back', async () => {
    const one = await buildUser({ roles: ['facilitator'] });
    const two = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ facilitatorIds: [one.id, two.id] });
    const session = await buildSession(cohort._id, { title: 'Workshop', startsAt: new Date('2027-03-02T09:30:00Z') });
    const id = String(session._id);
    const oneAgent = await signIn(app, one.email, testPassword);
    const onePage = await oneAgent.get(`/sessions/${id}/edit`).expect(200);
    const twoAgent = await signIn(app, two.email, testPassword);
    const twoPage = await twoAgent.get(`/sessions/${id}/edit`).expect(200);
    const form = {
      title: 'Workshop',
      startsAt: '2027-03-02T09:30',
      durationMinutes: '60',
      mode: 'online',
      joinUrl: 'https://meet.example.org/x',
    };
    // The first moves it to a new link.
    await oneAgent
      .post(`/sessions/${id}/edit`)
      .type('form')
      .send({
        _csrf: csrfFrom(onePage.text),
        version: versionFrom(onePage.text),
        ...form,
        joinUrl: 'https://meet.example.org/new',
      })
      .expect(303);
    // The second, from the form she opened before, renames it: her form still holds the old link.
    const mine = {
      _csrf: csrfFrom(twoPage.text),
      version: versionFrom(twoPage.text),
      ...form,
      title: 'Interview practice',
    };
    const conflict = await twoAgent.post(`/sessions/${id}/edit`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('This session was saved again after you opened it');
    expect(conflict.text).to.include('value="Interview practice"');
    expect((await CohortSessionModel.findById(id).lean())!).to.include({
      title: 'Workshop',
      joinUrl: 'https://meet.example.org/new',
      sequence: 1,
    });
    // Sent again from that page, knowing, it is saved.
    await twoAgent
      .post(`/sessions/${id}/edit`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
      .expect(303);
    expect((await CohortSessionModel.findById(id).lean())!).to.include({ title: 'Interview practice', sequence: 2 });
  });

  it('the session API: a PATCH naming the sequence it read is a 409 problem when someone changed it since; without one, the last write wins', async () => {
    const runner = await buildUser({ roles: ['facilitator'] });
    const auth = { Authorization: `Bearer ${await tokenFor(runner)}` };
    const cohort = await buildCohort({ facilitatorIds: [runner.id] });
    const session = await buildSession(cohort._id, { title: 'Workshop' });
    const id = String(session._id);
    const read = await supertest(app).get(`/api/v1/sessions/${id}`).set(auth).expect(200);
    await supertest(app).patch(`/api/v1/sessions/${id}`).set(auth).send({ durationMinutes: 90 }).expect(200);
    const stale = await supertest(app)
      .patch(`/api/v1/sessions/${id}`)
      .set(auth)
      .send({ title: 'Renamed', sequence: read.body.sequence })
      .expect(409);
    expect(stale.type).to.equal('application/problem+json');
    expect((await CohortSessionModel.findById(id).lean())!).to.include({ title: 'Workshop', durationMinutes: 90 });
    const fresh = await supertest(app)
      .patch(`/api/v1/sessions/${id}`)
      .set(auth)
      .send({ title: 'Renamed', sequence: 1 })
      .expect(200);
    expect(fresh.body).to.include({ title: 'Renamed', durationMinutes: 90, sequence: 2 });
    await supertest(app).patch(`/api/v1/sessions/${id}`).set(auth).send({ title: 'Again' }).expect(200);
    await supertest(app).patch(`/api/v1/sessions/${id}`).set(auth).send({ sequence: -1 }).expect(422);
  });
});
