import { expect } from 'chai';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { ModuleModel } from '../../models/Module.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { updateCohort } from '../../server/services/cohorts/index.ts';
import { planModuleNudges } from '../../server/services/reminders/index.ts';
import { csrfFrom, errorSummaryOf, signIn, testApp, versionFrom } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';

/** Module due dates (pacing): set by those who run a cohort, shown to its people in their zones, nudged before. */
describe('cohorts: module due dates', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  /** A London cohort (10 January to 10 July 2027) of a two-module programme, its facilitator and one participant. */
  async function pacedCohort() {
    const programme = await buildProgramme({ title: 'Aspiring heads' });
    const first = await buildModule(programme.id, { title: 'Knowing your strengths' });
    const second = await buildModule(programme.id, { title: 'Leading a school budget' });
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort(programme.id, { facilitatorIds: [facilitator.id], name: 'Spring 2027' });
    const participant = await buildUser({ roles: ['participant'], timezone: 'Asia/Kuala_Lumpur' });
    await enrol(participant.id, cohort.id, programme.id);
    return { programme, first, second, facilitator, cohort, participant };
  }
  const nudgesOf = (userId: string, status: 'scheduled' | 'cancelled' = 'scheduled') =>
    NotificationModel.find({ userId, kind: 'module-due', status }).lean();

  it('a facilitator sets them on a form; the cohort page shows each in the cohort’s zone and in hers; participants are nudged', async () => {
    const { first, second, facilitator, cohort, participant } = await pacedCohort();
    const agent = await signIn(app, facilitator.email, testPassword);
    const cohortPage = await agent.get(`/cohorts/${cohort.id}`).expect(200);
    expect(cohortPage.text).to.include(`href="/cohorts/${cohort.id}/due-dates"`);
    const form = await agent.get(`/cohorts/${cohort.id}/due-dates`).expect(200);
    // One labelled date field per module, in the programme's order.
    expect(form.text).to.match(new RegExp(`<label for="field-dueOn-${first.id}">Knowing your strengths</label>`));
    expect(form.text.indexOf(first.id)).to.be.below(form.text.indexOf(second.id));
    await agent
      .post(`/cohorts/${cohort.id}/due-dates`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        version: versionFrom(form.text),
        [`dueOn-${first.id}`]: '2027-03-14',
        [`dueOn-${second.id}`]: '',
      })
      .expect(303)
      .expect('location', `/cohorts/${cohort.id}`);
    const stored = (await CohortModel.findById(cohort.id).lean())!;
    expect(stored.moduleDueDates.map((d) => [String(d.moduleId), d.dueOn])).to.deep.equal([[first.id, '2027-03-14']]);
    // She is nudged about the one module with a date.
    const nudges = await nudgesOf(participant.id);
    expect(nudges.map((n) => n.about?.id)).to.deep.equal([first.id]);

    // She reads it in her own zone: the end of 14 March in London is 07:59 on 15 March in Kuala Lumpur.
    const her = await signIn(app, participant.email, testPassword);
    const page = await her.get(`/cohorts/${cohort.id}`).expect(200);
    expect(page.text).to.include('Module due dates');
    expect(page.text).to.include('Knowing your strengths');
    expect(page.text).not.to.include('Leading a school budget');
    expect(page.text).to.match(/by Monday 15 March 2027, 07:59 [^(]*\(Asia\/Kuala_Lumpur\)/);
    // She may not set them.
    await her.get(`/cohorts/${cohort.id}/due-dates`).expect(403);
  });

  it('a date outside the cohort, or not a date, is shown at its field and nothing is written', async () => {
    const { first, second, facilitator, cohort } = await pacedCohort();
    const agent = await signIn(app, facilitator.email, testPassword);
    const form = await agent.get(`/cohorts/${cohort.id}/due-dates`).expect(200);
    const fields = { _csrf: csrfFrom(form.text), version: versionFrom(form.text) };
    const outside = await agent
      .post(`/cohorts/${cohort.id}/due-dates`)
      .type('form')
      .send({ ...fields, [`dueOn-${first.id}`]: '2027-03-14', [`dueOn-${second.id}`]: '2027-08-01' })
      .expect(422);
    expect(errorSummaryOf(outside.text).targets).to.deep.equal([`field-dueOn-${second.id}`]);
    expect(outside.text).to.include('must fall within the cohort&#39;s dates, 2027-01-10 to 2027-07-10');
    // What she typed comes back.
    expect(outside.text).to.include('value="2027-03-14"');
    const impossible = await agent
      .post(`/cohorts/${cohort.id}/due-dates`)
      .type('form')
      .send({ ...fields, [`dueOn-${first.id}`]: '2027-02-30' })
      .expect(422);
    expect(errorSummaryOf(impossible.text).targets).to.deep.equal([`field-dueOn-${first.id}`]);
    expect((await CohortModel.findById(cohort.id).lean())!.moduleDueDates).to.deep.equal([]);
  });

  it('the API lists them to the cohort’s people and replaces them for those who run it (422 by item, 409 over a newer version)', async () => {
    const { first, second, facilitator, cohort, participant } = await pacedCohort();
    const other = await buildModule((await buildProgramme()).id, { title: 'Another programme’s module' });
    const api = supertest(app);
    const runs = `Bearer ${await tokenFor(facilitator)}`;
    const reads = `Bearer ${await tokenFor(participant)}`;
    const url = `/api/v1/cohorts/${cohort.id}/module-due-dates`;
    const { body: before } = await api.get(url).set('authorization', runs).expect(200);
    expect(before).to.deep.equal({ items: [], version: 0 });
    const { body: saved } = await api
      .put(url)
      .set('authorization', runs)
      .send({
        items: [
          { moduleId: second.id, dueOn: '2027-06-01' },
          { moduleId: first.id, dueOn: '2027-03-14' },
        ],
        version: 0,
      })
      .expect(200);
    // In the programme's order, with the last minute of the day in London (BST on 1 June).
    expect(saved.items).to.deep.equal([
      { moduleId: first.id, title: 'Knowing your strengths', dueOn: '2027-03-14', dueBy: '2027-03-14T23:59:00.000Z' },
      { moduleId: second.id, title: 'Leading a school budget', dueOn: '2027-06-01', dueBy: '2027-06-01T22:59:00.000Z' },
    ]);
    const { body: read } = await api.get(url).set('authorization', reads).expect(200);
    expect(read).to.deep.equal({ items: saved.items, version: 1 });
    await api.put(url).set('authorization', reads).send({ items: [] }).expect(403);
    const refused = await api
      .put(url)
      .set('authorization', runs)
      .send({
        items: [
          { moduleId: first.id, dueOn: '2026-12-31' },
          { moduleId: other.id, dueOn: '2027-03-01' },
        ],
      })
      .expect(422)
      .expect('content-type', /application\/problem\+json/);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).to.deep.equal([
      'items.0.dueOn',
      'items.1.moduleId',
    ]);
    await api.put(url).set('authorization', runs).send({ items: [], version: 0 }).expect(409);
    expect((await CohortModel.findById(cohort.id).lean())!.moduleDueDates).to.have.length(2);
    // Sent with no date, or not sent, a module has none.
    const { body: cleared } = await api
      .put(url)
      .set('authorization', runs)
      .send({ items: [{ moduleId: first.id, dueOn: null }], version: 1 })
      .expect(200);
    expect(cleared.items).to.deep.equal([]);
    expect(await nudgesOf(participant.id)).to.have.length(0);
    // Someone outside the cohort does not learn it exists.
    const stranger = await buildUser({ roles: ['participant'] });
    await api
      .get(url)
      .set('authorization', `Bearer ${await tokenFor(stranger)}`)
      .expect(404);
  });

  it('a save naming no version, written while the cohort’s dates were narrowed (another process), is checked again against the dates as they now are: nothing outside them is stored', async () => {
    const { first, facilitator, cohort } = await pacedCohort();
    const url = `/api/v1/cohorts/${cohort.id}/module-due-dates`;
    const stored = await CohortModel.findById(cohort.id).lean();
    // Its due-dates write waits while the cohort is made to end on 31 May (as updateCohort writes it).
    const held = holdNextCall(CohortModel, 'updateOne', {
      before: true,
      when: (args) => JSON.stringify(args[1] ?? {}).includes('moduleDueDates'),
    });
    let saving: Promise<supertest.Response> | undefined;
    try {
      saving = supertest(app)
        .put(url)
        .set('authorization', `Bearer ${await tokenFor(facilitator)}`)
        .send({ items: [{ moduleId: first.id, dueOn: '2027-06-15' }] })
        .then((res) => res);
      await held.reached;
      held.restore();
      await CohortModel.updateOne({ _id: cohort.id }, { $set: { endsOn: '2027-05-31' }, $inc: { version: 1 } });
    } finally {
      held.release();
      held.restore();
    }
    const answer = await saving!;
    expect(answer.status).to.equal(422);
    expect(answer.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['items.0.dueOn']);
    expect((await CohortModel.findById(cohort.id).lean())!.moduleDueDates).to.deep.equal(stored!.moduleDueDates);
  });

  it('the cohort’s dates cannot move past a current module’s due date (422 at the date, naming the module; nothing saved); a retired module’s date left outside them is dropped', async () => {
    const { first, second, facilitator, cohort, participant } = await pacedCohort();
    const api = supertest(app);
    const runs = `Bearer ${await tokenFor(facilitator)}`;
    const url = `/api/v1/cohorts/${cohort.id}/module-due-dates`;
    await api
      .put(url)
      .set('authorization', runs)
      .send({
        items: [
          { moduleId: first.id, dueOn: '2027-03-14' },
          { moduleId: second.id, dueOn: '2027-06-01' },
        ],
      })
      .expect(200);
    const agent = await signIn(app, facilitator.email, testPassword);
    const settings = async (dates: { startsOn: string; endsOn: string }, status: number) => {
      const form = await agent.get(`/cohorts/${cohort.id}/edit`).expect(200);
      return agent
        .post(`/cohorts/${cohort.id}/edit`)
        .type('form')
        .send({
          _csrf: csrfFrom(form.text),
          version: versionFrom(form.text),
          name: cohort.name,
          capacity: '30',
          timezone: 'Europe/London',
          attendanceThreshold: '75',
          lateAfterMinutes: '10',
          ...dates,
        })
        .expect(status);
    };
    const refused = await settings({ startsOn: '2027-04-01', endsOn: '2027-05-31' }, 422);
    expect(errorSummaryOf(refused.text).targets).to.deep.equal(['field-startsOn', 'field-endsOn']);
    expect(refused.text).to.include(
      '1 module due date falls before this date (the first: “Knowing your strengths” on 2027-03-14)',
    );
    expect(refused.text).to.include(
      '1 module due date falls after this date (the last: “Leading a school budget” on 2027-06-01)',
    );
    const unchanged = (await CohortModel.findById(cohort.id).lean())!;
    expect(unchanged).to.include({ startsOn: '2027-01-10', endsOn: '2027-07-10' });
    expect(unchanged.moduleDueDates).to.have.length(2);
    // Nudged before the cohort ends, never after.
    expect((await nudgesOf(participant.id)).map((n) => n.data?.dueOn).sort()).to.deep.equal([
      '2027-03-14',
      '2027-06-01',
    ]);

    // Retired, a module's date does not hold the cohort's dates, which nothing shows her: it goes with the change, so
    // that, restored, the module is not due after the cohort ended (its due-dates form would refuse every save).
    await ModuleModel.updateOne({ _id: second.id }, { $set: { archived: true } });
    await settings({ startsOn: '2027-01-10', endsOn: '2027-05-31' }, 303);
    const saved = (await CohortModel.findById(cohort.id).lean())!;
    expect(saved.endsOn).to.equal('2027-05-31');
    expect(saved.moduleDueDates.map((d) => [String(d.moduleId), d.dueOn])).to.deep.equal([[first.id, '2027-03-14']]);
    await ModuleModel.updateOne({ _id: second.id }, { $set: { archived: false } });
    const form = await agent.get(`/cohorts/${cohort.id}/due-dates`).expect(200);
    await agent
      .post(`/cohorts/${cohort.id}/due-dates`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        version: versionFrom(form.text),
        [`dueOn-${first.id}`]: '2027-03-14',
        [`dueOn-${second.id}`]: '',
      })
      .expect(303);
  });

  it('a save by the form or the API keeps the due date of a module retired meanwhile, which neither shows; restored, the module has it back', async () => {
    const { first, second, facilitator, cohort } = await pacedCohort();
    const api = supertest(app);
    const runs = `Bearer ${await tokenFor(facilitator)}`;
    const url = `/api/v1/cohorts/${cohort.id}/module-due-dates`;
    await api
      .put(url)
      .set('authorization', runs)
      .send({
        items: [
          { moduleId: first.id, dueOn: '2027-03-10' },
          { moduleId: second.id, dueOn: '2027-03-20' },
        ],
      })
      .expect(200);
    await ModuleModel.updateOne({ _id: first.id }, { $set: { archived: true } });
    const storedDates = async () =>
      Object.fromEntries(
        (await CohortModel.findById(cohort.id).lean())!.moduleDueDates.map((d) => [String(d.moduleId), d.dueOn]),
      );
    // The form shows the current module only; saved with its date changed, the retired one's is kept.
    const agent = await signIn(app, facilitator.email, testPassword);
    const form = await agent.get(`/cohorts/${cohort.id}/due-dates`).expect(200);
    expect(form.text).not.to.include(`dueOn-${first.id}`);
    await agent
      .post(`/cohorts/${cohort.id}/due-dates`)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), version: versionFrom(form.text), [`dueOn-${second.id}`]: '2027-03-25' })
      .expect(303);
    expect(await storedDates()).to.deep.equal({ [first.id]: '2027-03-10', [second.id]: '2027-03-25' });
    // The API lists and replaces the current modules' dates alike.
    const { body: replaced } = await api
      .put(url)
      .set('authorization', runs)
      .send({ items: [{ moduleId: second.id, dueOn: '2027-04-01' }] })
      .expect(200);
    expect(replaced.items.map((d: { moduleId: string }) => d.moduleId)).to.deep.equal([second.id]);
    expect(await storedDates()).to.deep.equal({ [first.id]: '2027-03-10', [second.id]: '2027-04-01' });
    await ModuleModel.updateOne({ _id: first.id }, { $set: { archived: false } });
    const { body: restored } = await api.get(url).set('authorization', runs).expect(200);
    expect(restored.items.map((d: { moduleId: string; dueOn: string }) => [d.moduleId, d.dueOn])).to.deep.equal([
      [first.id, '2027-03-10'],
      [second.id, '2027-04-01'],
    ]);
  });

  it('a date moved re-plans her nudge; a module retired, or the cohort moved to another programme, nudges nobody', async () => {
    const { programme, first, second, facilitator, cohort, participant } = await pacedCohort();
    const api = supertest(app);
    const runs = `Bearer ${await tokenFor(facilitator)}`;
    const url = `/api/v1/cohorts/${cohort.id}/module-due-dates`;
    const put = (items: { moduleId: string; dueOn: string }[]) =>
      api.put(url).set('authorization', runs).send({ items }).expect(200);
    await put([
      { moduleId: first.id, dueOn: '2027-03-14' },
      { moduleId: second.id, dueOn: '2027-05-01' },
    ]);
    await put([
      { moduleId: first.id, dueOn: '2027-03-21' },
      { moduleId: second.id, dueOn: '2027-05-01' },
    ]);
    const planned = await nudgesOf(participant.id);
    expect(planned.map((n) => n.data?.dueOn).sort()).to.deep.equal(['2027-03-21', '2027-05-01']);
    expect((await nudgesOf(participant.id, 'cancelled')).map((n) => n.data?.dueOn)).to.deep.equal(['2027-03-14']);
    // Retired: the sweep drops its nudges.
    await ModuleModel.updateOne({ _id: second.id }, { $set: { archived: true } });
    await planModuleNudges({ cohortId: cohort.id });
    expect((await nudgesOf(participant.id)).map((n) => n.about?.id)).to.deep.equal([first.id]);
    // Moved to another programme by an admin: its due dates were the old programme's.
    const admin = await buildUser({ roles: ['admin'] });
    const target = await buildProgramme({ title: 'New heads' });
    const stored = (await CohortModel.findById(cohort.id).lean())!;
    await updateCohort({
      actor: { ...admin, roles: ['admin'] },
      cohortId: cohort.id,
      input: {
        programmeId: target.id,
        name: stored.name,
        capacity: stored.capacity,
        timezone: stored.timezone,
        startsOn: stored.startsOn,
        endsOn: stored.endsOn,
        facilitatorIds: [facilitator.id],
      },
    });
    expect((await CohortModel.findById(cohort.id).lean())!.moduleDueDates).to.deep.equal([]);
    expect(await nudgesOf(participant.id)).to.have.length(0);
    expect(programme.id).to.not.equal(target.id);
  });
});
