import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { SeatModel } from '../../models/Seat.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { UserModel } from '../../models/User.ts';
import { WaitlistTicketModel } from '../../models/WaitlistTicket.ts';
import { onDomainEvent } from '../../server/events.ts';
import { enrolParticipant, importEnrolments, withdrawParticipant } from '../../server/services/cohorts/enrolment.ts';
import {
  enrolmentsFollowCohorts,
  enrolmentsFollowProgramme,
  updateCohort,
} from '../../server/services/cohorts/settings.ts';
import { formatDate } from '../../server/time.ts';
import { csrfFrom, csrfOf, errorSummaryOf, signIn, testApp, versionFrom } from '../support/app.ts';
import { buildCohort, buildProgramme } from '../support/cohortFactories.ts';
import { confirmationPage, dialogOf } from '../support/confirmation.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

const promotions: string[] = [];
/** A page without its per-request form tokens, to compare two answers. */
const withoutTokens = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '');
onDomainEvent('enrolment.activated', async (e) => {
  if (e.promotedFromWaitlist) promotions.push(String(e.userId));
});

describe('cohorts: enrolment, capacity and the waitlist', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let facilitator: Awaited<ReturnType<typeof buildUser>>;
  let auth: { Authorization: string };
  before(async () => {
    app = testApp();
    facilitator = await buildUser({ roles: ['facilitator'] });
    auth = { Authorization: `Bearer ${await tokenFor(facilitator)}` };
  });

  it('an import stopped half-way has planned the invitation of everyone it added (a later import calls them already enrolled and invites nobody)', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const emails = ['first', 'second', 'third'].map((n) => `import-${n}-${String(cohort._id)}@example.org`);
    // The third row's lookup waits, as a process stopped there would: what the first two rows did must already be kept.
    const third = holdNextCall(UserModel, 'findOne', {
      lean: true,
      when: (args) => (args[0] as { email?: string } | undefined)?.email === emails[2],
    });
    const importing = importEnrolments({
      actor: { ...facilitator },
      cohortId: String(cohort._id),
      csv: emails.join('\n'),
    });
    try {
      await third.reached;
      const added = await UserModel.find({ email: { $in: emails } })
        .select({ _id: 1 })
        .lean();
      expect(added).to.have.length(2);
      const planned = await NotificationModel.find({
        kind: 'invitation',
        userId: { $in: added.map((u) => u._id) },
      }).lean();
      expect(planned.map((n) => String(n.userId)).sort()).to.deep.equal(added.map((u) => String(u._id)).sort());
    } finally {
      third.restore();
      third.release();
    }
    await importing;
    const invited = await UserModel.find({ email: { $in: emails } })
      .select({ _id: 1 })
      .lean();
    expect(
      await NotificationModel.countDocuments({ kind: 'invitation', userId: { $in: invited.map((u) => u._id) } }),
    ).to.equal(3);
  });

  it('when 20 people ask at once for the last 3 places, exactly 3 are enrolled and 17 are waitlisted in order', async function () {
    this.timeout(120_000);
    const cohort = await buildCohort({ capacity: 10, facilitatorIds: [facilitator.id] });
    for (let i = 0; i < 7; i += 1)
      await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: (await buildUser()).id });
    const people = await Promise.all(Array.from({ length: 20 }, () => buildUser()));
    const answers = await Promise.all(
      people.map((p) =>
        supertest(app)
          .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
          .set(auth)
          .send({ userId: p.id }),
      ),
    );
    expect(answers.map((a) => a.status)).to.deep.equal(Array(20).fill(201));
    const active = answers.filter((a) => a.body.status === 'active');
    const waiting = answers.filter((a) => a.body.status === 'waitlisted');
    expect(active).to.have.length(3);
    expect(waiting).to.have.length(17);
    expect(await SeatModel.countDocuments({ cohortId: cohort._id })).to.equal(10);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, status: 'active' })).to.equal(10);
    expect(waiting.map((a) => a.body.position).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 17 }, (_, i) => i + 1),
    );
    const list = await supertest(app)
      .get(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
      .set(auth)
      .expect(200);
    const waitlist = list.body.items.filter((i: { status: string }) => i.status === 'waitlisted');
    expect(waitlist.map((i: { position: number }) => i.position)).to.deep.equal(
      Array.from({ length: 17 }, (_, i) => i + 1),
    );
    // Each person was told the position the list shows for her.
    const told = new Map(answers.map((a, i) => [people[i]!.id, a.body.position]));
    for (const item of waitlist) expect(told.get(item.userId)).to.equal(item.position);
  });

  it('each of 12 people enrolled twice at once on a full cohort (a request sent again, two processes): one enrolment, one 409, and her waitlist ticket kept, so she is promoted in turn', async function () {
    this.timeout(120_000);
    const cohort = await buildCohort({ capacity: 1, facilitatorIds: [facilitator.id] });
    const first = await buildUser();
    await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: first.id });
    const people = await Promise.all(Array.from({ length: 12 }, () => buildUser()));
    const answers = await Promise.all(
      people.flatMap((p) =>
        [0, 1].map(() =>
          supertest(app)
            .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
            .set(auth)
            .send({ userId: p.id }),
        ),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).to.have.length(12);
    expect(statuses.filter((s) => s === 409)).to.have.length(12);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, status: 'waitlisted' })).to.equal(12);
    expect(await WaitlistTicketModel.countDocuments({ cohortId: cohort._id })).to.equal(12);
    const told = answers.filter((a) => a.status === 201).map((a) => a.body.position as number);
    expect(told.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    // The place freed goes to the first in line.
    const firstInLine = (await WaitlistTicketModel.findOne({ cohortId: cohort._id }).sort({ number: 1 }).lean())!;
    await withdrawParticipant({ actor: 'system', cohortId: String(cohort._id), userId: first.id });
    const promoted = await EnrolmentModel.findOne({ cohortId: cohort._id, status: 'active' }).lean();
    expect(String(promoted!.userId)).to.equal(String(firstInLine.userId));
  });

  it('when the cohort form raises the capacity, waitlisted people move up in order at once, and the page says so', async () => {
    const cohort = await buildCohort({ capacity: 1, facilitatorIds: [facilitator.id] });
    const id = String(cohort._id);
    const [a, b, c] = await Promise.all(Array.from({ length: 3 }, () => buildUser()));
    for (const [i, p] of [a, b, c].entries())
      await enrolParticipant({
        actor: 'system',
        cohortId: id,
        userId: p!.id,
        now: new Date(Date.UTC(2027, 0, 1, 9, 0, i)),
      });
    const agent = await signIn(app, facilitator.email, testPassword);
    const csrf = await csrfOf(agent, `/cohorts/${id}/edit`);
    const saved = await agent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({
        _csrf: csrf,
        name: cohort.name,
        capacity: '2',
        timezone: cohort.timezone,
        startsOn: cohort.startsOn,
        endsOn: cohort.endsOn,
      })
      .expect(303);
    expect(saved.headers.location).to.equal(`/cohorts/${id}`);
    expect((await EnrolmentModel.findOne({ cohortId: id, userId: b!.id }).lean())!.status).to.equal('active');
    expect((await EnrolmentModel.findOne({ cohortId: id, userId: c!.id }).lean())!.status).to.equal('waitlisted');
    expect((await agent.get(`/cohorts/${id}`).expect(200)).text).to.include('1 person moved up from the waitlist');
  });

  describe('when the capacity is lowered', () => {
    const inputOf = (cohort: Awaited<ReturnType<typeof buildCohort>>, capacity: number) => ({
      programmeId: String(cohort.programmeId),
      name: cohort.name,
      capacity,
      timezone: cohort.timezone,
      startsOn: cohort.startsOn,
      endsOn: cohort.endsOn,
      facilitatorIds: cohort.facilitatorIds.map(String),
    });
    const activeIn = (cohort: Awaited<ReturnType<typeof buildCohort>>) =>
      EnrolmentModel.countDocuments({ cohortId: cohort._id, status: 'active' });

    it('after people withdrew, newcomers never take more places than the new capacity', async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const cohort = await buildCohort({ capacity: 4 });
      const id = String(cohort._id);
      const people = await Promise.all(Array.from({ length: 6 }, () => buildUser()));
      for (const p of people.slice(0, 4)) await enrolParticipant({ actor: 'system', cohortId: id, userId: p.id });
      // The places numbered 1 and 2 are freed; 3 and 4 stay taken.
      for (const p of people.slice(0, 2)) await withdrawParticipant({ actor: 'system', cohortId: id, userId: p.id });
      await updateCohort({ actor: admin as unknown as Express.User, cohortId: id, input: inputOf(cohort, 2) });
      const results = [];
      for (const p of people.slice(4))
        results.push(await enrolParticipant({ actor: 'system', cohortId: id, userId: p.id }));
      expect(results.map((r) => r.status)).to.deep.equal(['waitlisted', 'waitlisted']);
      expect(await activeIn(cohort)).to.equal(2);
      expect(await SeatModel.countDocuments({ cohortId: cohort._id, number: { $gt: 2 } })).to.equal(0);
    });

    it('while people enrol at the same moment, the cohort never ends with more people than places', async function () {
      this.timeout(120_000);
      const admin = await buildUser({ roles: ['admin'] });
      for (let round = 0; round < 3; round++) {
        const cohort = await buildCohort({ capacity: 10 });
        const id = String(cohort._id);
        for (let i = 0; i < 8; i++)
          await enrolParticipant({ actor: 'system', cohortId: id, userId: (await buildUser()).id });
        const newcomers = await Promise.all(Array.from({ length: 3 }, () => buildUser()));
        const lowered = await Promise.allSettled([
          updateCohort({ actor: admin as unknown as Express.User, cohortId: id, input: inputOf(cohort, 8) }),
          ...newcomers.map((p) => enrolParticipant({ actor: 'system', cohortId: id, userId: p.id })),
        ]);
        expect(lowered.slice(1).every((r) => r.status === 'fulfilled')).to.equal(true);
        const { capacity } = (await CohortModel.findById(id).lean())!;
        expect(await activeIn(cohort)).to.be.at.most(capacity);
        expect(await SeatModel.countDocuments({ cohortId: cohort._id })).to.be.at.most(capacity);
      }
    });
  });

  it('a facilitator saving the settings while an admin re-assigns the facilitators (another process) keeps the admin’s choice', async () => {
    const admin = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    for (let round = 0; round < 3; round++) {
      const runner = await buildUser({ roles: ['facilitator'] });
      const added = await buildUser({ roles: ['facilitator'] });
      const cohort = await buildCohort({ capacity: 5, facilitatorIds: [runner.id] });
      const id = String(cohort._id);
      const form = {
        programmeId: String(cohort.programmeId),
        name: cohort.name,
        timezone: cohort.timezone,
        startsOn: cohort.startsOn,
        endsOn: cohort.endsOn,
      };
      await Promise.all([
        updateCohort({
          actor: admin,
          cohortId: id,
          input: { ...form, capacity: 5, facilitatorIds: [runner.id, added.id] },
        }),
        updateCohort({
          actor: runner as unknown as Express.User,
          cohortId: id,
          input: { ...form, capacity: 6, facilitatorIds: [runner.id] },
        }),
      ]);
      const stored = (await CohortModel.findById(id).lean())!;
      expect(stored.facilitatorIds.map(String)).to.have.members([runner.id, added.id]);
    }
  });

  it('on the settings form, an admin who unticks every facilitator removes them; a facilitator’s own save keeps them', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const runner = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ capacity: 5, facilitatorIds: [runner.id] });
    const page = `/cohorts/${String(cohort._id)}/edit`;
    const fields = {
      programmeId: String(cohort.programmeId),
      name: cohort.name,
      capacity: '5',
      timezone: cohort.timezone,
      startsOn: cohort.startsOn,
      endsOn: cohort.endsOn,
      attendanceThreshold: '75',
      lateAfterMinutes: '10',
    };
    // The runner saves her form (it has no facilitator boxes): the facilitators stay.
    const runnerAgent = await signIn(app, runner.email, testPassword);
    await runnerAgent
      .post(page)
      .type('form')
      .send({ _csrf: await csrfOf(runnerAgent, page), ...fields, capacity: '6' })
      .expect(303);
    expect((await CohortModel.findById(cohort._id).lean())!.facilitatorIds.map(String)).to.deep.equal([runner.id]);
    // The admin's form shows the boxes; with none ticked, the browser sends no facilitatorIds at all.
    const adminAgent = await signIn(app, admin.email, testPassword);
    expect((await adminAgent.get(page).expect(200)).text).to.include(
      `name="facilitatorIds" value="${runner.id}" checked`,
    );
    await adminAgent
      .post(page)
      .type('form')
      .send({ _csrf: await csrfOf(adminAgent, page), ...fields })
      .expect(303);
    const saved = (await CohortModel.findById(cohort._id).lean())!;
    expect(saved.facilitatorIds).to.deep.equal([]);
    expect(saved.capacity).to.equal(5);
  });

  it('when an admin moves a cohort to another programme, its enrolments follow (Enrolment.programmeId)', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const cohort = await buildCohort({ capacity: 3 });
    const id = String(cohort._id);
    const [a, b] = await Promise.all([buildUser(), buildUser()]);
    await enrolParticipant({ actor: 'system', cohortId: id, userId: a!.id });
    await enrolParticipant({ actor: 'system', cohortId: id, userId: b!.id });
    await withdrawParticipant({ actor: 'system', cohortId: id, userId: b!.id });
    const other = await buildProgramme({ title: 'Another programme' });
    const agent = await signIn(app, admin.email, testPassword);
    const csrf = await csrfOf(agent, `/cohorts/${id}/edit`);
    await agent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({
        _csrf: csrf,
        programmeId: String(other._id),
        name: cohort.name,
        capacity: '3',
        timezone: cohort.timezone,
        startsOn: cohort.startsOn,
        endsOn: cohort.endsOn,
      })
      .expect(303);
    const rows = await EnrolmentModel.find({ cohortId: id }).lean();
    expect(rows.map((r) => String(r.programmeId))).to.deep.equal([String(other._id), String(other._id)]);
  });

  it('an enrolment written from a cohort read before a move names the new programme, and a move whose process stopped before its enrolments is finished by the hourly repair', async () => {
    const cohort = await buildCohort({ capacity: 5 });
    const id = String(cohort._id);
    const [early, late] = await Promise.all([buildUser(), buildUser()]);
    await enrolParticipant({ actor: 'system', cohortId: id, userId: early!.id });
    const other = await buildProgramme({ title: 'Moved to' });
    const moved: string[] = [];
    onDomainEvent('cohort.moved', async ({ cohortId }) => void moved.push(String(cohortId)));
    // Her enrolment has read the cohort; the move (its cohort write and its enrolments' write) lands before her row.
    const held = holdNextCall(EnrolmentModel, 'create', { before: true });
    try {
      const enrolling = enrolParticipant({ actor: 'system', cohortId: id, userId: late!.id });
      await held.reached;
      await CohortModel.updateOne({ _id: id }, { $set: { programmeId: other._id } });
      await enrolmentsFollowProgramme({ _id: cohort._id, programmeId: other._id });
      held.release();
      await enrolling;
    } finally {
      held.restore();
    }
    const programmesOf = async () =>
      (await EnrolmentModel.find({ cohortId: id }).lean()).map((r) => String(r.programmeId));
    expect(await programmesOf()).to.deep.equal([String(other._id), String(other._id)]);

    // Moved back, by a process that stopped after the cohort's write.
    await CohortModel.updateOne({ _id: id }, { $set: { programmeId: cohort.programmeId } });
    expect(await programmesOf()).to.deep.equal([String(other._id), String(other._id)]);
    expect(await enrolmentsFollowCohorts()).to.equal(1);
    expect(await programmesOf()).to.deep.equal([String(cohort.programmeId), String(cohort.programmeId)]);
    expect(moved).to.deep.equal([id]);
    expect(await enrolmentsFollowCohorts()).to.equal(0);
  });

  it('a cohort whose programme was archived keeps it on the admin’s settings form (marked archived) and its settings save; no cohort is made on, or moved to, an archived programme', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const cohort = await buildCohort({ capacity: 1 });
    const id = String(cohort._id);
    const [seated, waiting] = await Promise.all([buildUser(), buildUser()]);
    await enrolParticipant({ actor: 'system', cohortId: id, userId: seated!.id });
    await enrolParticipant({ actor: 'system', cohortId: id, userId: waiting!.id });
    await ProgrammeModel.updateOne({ _id: cohort.programmeId }, { $set: { status: 'archived' } });
    const otherArchived = await buildProgramme({ title: 'Retired programme' });
    await ProgrammeModel.updateOne({ _id: otherArchived._id }, { $set: { status: 'archived' } });
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get(`/cohorts/${id}/edit`).expect(200);
    // Its own programme is chosen, named as archived; another archived one is not offered.
    const chosen = /<option value="([^"]*)" selected>([^<]*)<\/option>/.exec(page.text);
    expect(chosen?.slice(1)).to.deep.equal([String(cohort.programmeId), 'Aspiring leaders (archived)']);
    expect(page.text).not.to.include(String(otherArchived._id));
    // The form as the browser sends it, with only the capacity raised, is saved and moves the waitlist up.
    const fields = {
      _csrf: csrfFrom(page.text),
      version: versionFrom(page.text),
      programmeId: chosen![1],
      name: cohort.name,
      capacity: '2',
      timezone: cohort.timezone,
      startsOn: cohort.startsOn,
      endsOn: cohort.endsOn,
    };
    await agent.post(`/cohorts/${id}/edit`).type('form').send(fields).expect(303);
    const saved = (await CohortModel.findById(id).lean())!;
    expect(saved).to.include({ capacity: 2 });
    expect(String(saved.programmeId)).to.equal(String(cohort.programmeId));
    expect(await EnrolmentModel.countDocuments({ cohortId: id, status: 'active' })).to.equal(2);
    // Moved to another archived programme: refused at the field, nothing written.
    const again = await agent.get(`/cohorts/${id}/edit`).expect(200);
    const moved = await agent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({
        ...fields,
        _csrf: csrfFrom(again.text),
        version: versionFrom(again.text),
        programmeId: String(otherArchived._id),
      })
      .expect(422);
    expect(errorSummaryOf(moved.text).targets).to.deep.equal(['field-programmeId']);
    expect(moved.text).to.include('That programme is archived');
    expect(String((await CohortModel.findById(id).lean())!.programmeId)).to.equal(String(cohort.programmeId));
    // A new cohort on an archived programme: refused on the API as on the web.
    const refused = await supertest(app)
      .post('/api/v1/cohorts')
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({
        programmeId: String(cohort.programmeId),
        name: 'Another round',
        capacity: 5,
        timezone: 'Europe/London',
        startsOn: '2027-01-01',
        endsOn: '2027-06-30',
        facilitatorIds: [],
      })
      .expect(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['programmeId']);
    expect(await CohortModel.countDocuments({ programmeId: cohort.programmeId })).to.equal(1);
  });

  it('when an enrolled person withdraws, the first waitlisted person takes her place and is announced, in waitlist order', async () => {
    const cohort = await buildCohort({ capacity: 2, facilitatorIds: [facilitator.id] });
    const id = String(cohort._id);
    const [a, b, c, d, e] = await Promise.all(Array.from({ length: 5 }, () => buildUser()));
    const t = (s: number) => new Date(Date.UTC(2027, 0, 1, 9, 0, s));
    for (const [i, p] of [a, b, c, d, e].entries())
      await enrolParticipant({ actor: 'system', cohortId: id, userId: p!.id, now: t(i) });
    expect((await EnrolmentModel.findOne({ userId: c!.id }).lean())!.status).to.equal('waitlisted');
    await supertest(app).delete(`/api/v1/cohorts/${id}/enrolments/${a!.id}`).set(auth).expect(204);
    expect((await EnrolmentModel.findOne({ userId: c!.id }).lean())!.status).to.equal('active');
    expect(promotions).to.include(c!.id);
    await withdrawParticipant({ actor: 'system', cohortId: id, userId: b!.id });
    expect((await EnrolmentModel.findOne({ userId: d!.id }).lean())!.status).to.equal('active');
    const list = await supertest(app).get(`/api/v1/cohorts/${id}/enrolments`).set(auth).expect(200);
    expect(list.body.items.find((i: { userId: string }) => i.userId === e!.id)).to.include({
      status: 'waitlisted',
      position: 1,
    });
    expect(await SeatModel.countDocuments({ cohortId: cohort._id })).to.equal(2);
  });

  describe('leaving and withdrawing on the web ask first (without JavaScript, a page; with it, the same words in a dialog)', () => {
    const statusOf = async (cohortId: string, userId: string) =>
      (await EnrolmentModel.findOne({ cohortId, userId }).lean())!.status;

    it('when she leaves, a post without confirming shows the question and changes nothing; saying yes frees her place for the waitlist', async () => {
      const cohort = await buildCohort({ name: 'Autumn heads', capacity: 1 });
      const id = String(cohort._id);
      const [her, next] = [await buildUser(), await buildUser()];
      await enrolParticipant({ actor: 'system', cohortId: id, userId: her.id });
      await enrolParticipant({ actor: 'system', cohortId: id, userId: next.id });
      const agent = await signIn(app, her.email, testPassword);
      const cohortPage = await agent.get(`/cohorts/${id}`).expect(200);
      const _csrf = csrfFrom(cohortPage.text);
      const asked = await agent.post(`/cohorts/${id}/leave`).type('form').send({ _csrf, confirmed: '' }).expect(200);
      const page = confirmationPage(asked.text);
      expect(page).to.deep.include({
        question: 'Leave the cohort “Autumn heads”?',
        consequences: [
          'Your place goes to the next person on the waitlist, if there is one, and the cohort’s reminders stop.',
        ],
        action: `/cohorts/${id}/leave`,
        fields: { _csrf, confirmed: 'yes' },
        yes: 'Yes, leave the cohort',
        back: `/cohorts/${id}`,
      });
      expect(dialogOf(cohortPage.text, `/cohorts/${id}/leave`)).to.equal(
        [page.question, ...page.consequences].join(' '),
      );
      expect(await statusOf(id, her.id)).to.equal('active');
      expect(await statusOf(id, next.id)).to.equal('waitlisted');

      await agent.post(page.action).type('form').send(page.fields).expect(303).expect('Location', '/cohorts');
      expect(await statusOf(id, her.id)).to.equal('withdrawn');
      expect(await statusOf(id, next.id)).to.equal('active');
    });

    it('when those who run the cohort withdraw someone or take her off the waitlist, they are asked first, by name, and only yes acts', async () => {
      const cohort = await buildCohort({ name: 'Autumn heads', capacity: 1, facilitatorIds: [facilitator.id] });
      const id = String(cohort._id);
      const ada = await buildUser({ name: 'Ada O’Neill' });
      const grace = await buildUser({ name: 'Grace Hopper' });
      await enrolParticipant({ actor: 'system', cohortId: id, userId: ada.id });
      await enrolParticipant({ actor: 'system', cohortId: id, userId: grace.id });
      const agent = await signIn(app, facilitator.email, testPassword);
      const people = await agent.get(`/cohorts/${id}/people`).expect(200);
      const _csrf = csrfFrom(people.text);

      const removePath = `/cohorts/${id}/people/${grace.id}/withdraw`;
      const removal = confirmationPage((await agent.post(removePath).type('form').send({ _csrf }).expect(200)).text);
      expect(removal).to.deep.include({
        question: 'Remove Grace Hopper from the waitlist of “Autumn heads”?',
        consequences: ['She loses her place in the queue.'],
        action: removePath,
        fields: { _csrf, confirmed: 'yes' },
        yes: 'Yes, remove Grace Hopper',
        back: `/cohorts/${id}/people`,
      });
      expect(dialogOf(people.text, removePath)).to.equal([removal.question, ...removal.consequences].join(' '));

      const withdrawPath = `/cohorts/${id}/people/${ada.id}/withdraw`;
      const asked = await agent.post(withdrawPath).type('form').send({ _csrf, confirmed: 'no' }).expect(200);
      const page = confirmationPage(asked.text);
      expect(page).to.deep.include({
        question: 'Withdraw Ada O’Neill from “Autumn heads”?',
        consequences: [
          'Her place goes to the next person on the waitlist, if there is one, and the cohort’s reminders to her stop.',
        ],
        action: withdrawPath,
        fields: { _csrf, confirmed: 'yes' },
        yes: 'Yes, withdraw Ada O’Neill',
        back: `/cohorts/${id}/people`,
      });
      expect(dialogOf(people.text, withdrawPath)).to.equal([page.question, ...page.consequences].join(' '));
      expect(await statusOf(id, ada.id)).to.equal('active');
      expect(await statusOf(id, grace.id)).to.equal('waitlisted');

      await agent.post(page.action).type('form').send(page.fields).expect(303);
      expect(await statusOf(id, ada.id)).to.equal('withdrawn');
      expect(await statusOf(id, grace.id)).to.equal('active');
      // Not enrolled any more: nothing to ask, and the answer is the usual 404.
      await agent.post(withdrawPath).type('form').send({ _csrf }).expect(404);
    });

    it('someone who may not withdraw a person is refused (404 or 403) before any question naming her is shown', async () => {
      const hidden = await buildCohort({ facilitatorIds: [facilitator.id] });
      const open = await buildCohort({ facilitatorIds: [facilitator.id], selfEnrolment: true });
      const p = await buildUser({ name: 'Private Person' });
      for (const c of [hidden, open])
        await enrolParticipant({ actor: 'system', cohortId: String(c._id), userId: p.id });
      const other = await buildUser({ roles: ['facilitator'] });
      const agent = await signIn(app, other.email, testPassword);
      const _csrf = await csrfOf(agent, '/cohorts');
      const post = (c: typeof hidden) =>
        agent
          .post(`/cohorts/${String(c._id)}/people/${p.id}/withdraw`)
          .type('form')
          .send({ _csrf });
      const answers = [await post(hidden), await post(open)];
      expect(answers.map((a) => a.status)).to.deep.equal([404, 403]);
      for (const a of answers) expect(a.text).not.to.include('Private Person');
      expect(await EnrolmentModel.countDocuments({ userId: p.id, status: 'active' })).to.equal(2);
    });
  });

  it('when a person is enrolled twice, the second answer is 409 and one enrolment exists', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const p = await buildUser();
    const [one, two] = await Promise.all(
      [0, 1].map(() =>
        supertest(app)
          .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
          .set(auth)
          .send({ userId: p.id }),
      ),
    );
    expect([one!.status, two!.status].sort()).to.deep.equal([201, 409]);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, userId: p.id })).to.equal(1);
  });

  it('a cohort is for participants (and governors in governing-board ones): mentors, admins and researchers are refused at the field, by id, email and import, and nobody is written', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const mentor = await buildUser({ name: 'Margo Mentor', roles: ['mentor'] });
    const admin = await buildUser({ name: 'Ada Admin', roles: ['admin'] });
    const researcher = await buildUser({ name: 'Rhea Researcher', roles: ['researcher'] });
    const governor = await buildUser({ name: 'Gwen Governor', roles: ['governor'] });
    for (const person of [mentor, admin, researcher, governor]) {
      const res = await supertest(app)
        .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
        .set(auth)
        .send({ userId: person.id })
        .expect(422);
      expect(res.headers['content-type']).to.match(/problem\+json/);
      expect(res.body.errors[0].path).to.equal('userId');
      expect(res.body.errors[0].message).to.include('cannot be enrolled');
    }
    // Nor with an admin's hand: the account needs the role first.
    const adminToken = await tokenFor(await buildUser({ roles: ['admin'] }));
    await supertest(app)
      .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
      .set({ Authorization: `Bearer ${adminToken}` })
      .send({ userId: researcher.id })
      .expect(422);

    const agent = await signIn(app, facilitator.email, testPassword);
    const page = `/cohorts/${String(cohort._id)}/people`;
    const byEmail = await agent
      .post(page)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), email: mentor.email })
      .expect(422);
    expect(byEmail.text).to.include('This account cannot be enrolled');
    expect(byEmail.text).to.match(/id="field-email-error"/);
    const report = await importEnrolments({
      actor: { ...facilitator },
      cohortId: String(cohort._id),
      csv: `${researcher.email}\n${admin.email}`,
    });
    expect(report.rows.map((r) => r.outcome)).to.deep.equal(['invalid', 'invalid']);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id })).to.equal(0);
    expect(await SeatModel.countDocuments({ cohortId: cohort._id })).to.equal(0);

    // A governor is whom a governing-board cohort is for.
    const boardCohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    await ProgrammeModel.updateOne({ _id: boardCohort.programmeId }, { $set: { track: 'governing-board' } });
    await supertest(app)
      .post(`/api/v1/cohorts/${String(boardCohort._id)}/enrolments`)
      .set(auth)
      .send({ userId: governor.id })
      .expect(201);
  });

  it('a facilitator refused a staff account (a researcher, an admin, a mentor) by id, email or import is told in general terms, naming neither the person nor her role; an admin is told whose account and why', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const staff = [
      await buildUser({ name: 'Ruth Adebayo', roles: ['researcher'] }),
      await buildUser({ name: 'Amara Okafor', roles: ['admin'] }),
      await buildUser({ name: 'Mina Mentor', roles: ['mentor'] }),
    ];
    const names = staff.map((p) => p.name);
    /** A refusal names nobody and no role, yet says the account cannot be enrolled and why, in general. */
    const inGeneralTerms = (message: string) => {
      for (const name of names) expect(message).to.not.include(name);
      expect(message).to.not.match(/researcher|mentor|admin account|not a participant/i);
      expect(message).to.include('cannot be enrolled').and.include('a cohort is for participants');
    };
    for (const person of staff) {
      const byId = await supertest(app)
        .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
        .set(auth)
        .send({ userId: person.id })
        .expect(422);
      expect(byId.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['userId']);
      inGeneralTerms(JSON.stringify(byId.body));
    }
    const agent = await signIn(app, facilitator.email, testPassword);
    const page = `/cohorts/${String(cohort._id)}/people`;
    for (const person of staff) {
      const byEmail = await agent
        .post(page)
        .type('form')
        .send({ _csrf: await csrfOf(agent, page), email: person.email })
        .expect(422);
      expect(byEmail.text)
        .to.match(/id="field-email-error"/)
        .and.include('This account cannot be enrolled');
      for (const name of names) expect(byEmail.text).to.not.include(name);
    }
    const imported = await agent
      .post(`${page}/import`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), csv: staff.map((p) => p.email).join('\n') })
      .expect(200);
    expect(imported.text).to.include('This account cannot be enrolled');
    for (const name of names) expect(imported.text).to.not.include(name);
    const report = await importEnrolments({
      actor: { ...facilitator },
      cohortId: String(cohort._id),
      csv: staff.map((p) => p.email).join('\n'),
    });
    expect(report.rows.map((r) => r.outcome)).to.deep.equal(['invalid', 'invalid', 'invalid']);
    for (const row of report.rows) inGeneralTerms(row.message);
    inGeneralTerms(report.toCorrect!.message);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id })).to.equal(0);

    // An admin sees every account: she is told whose it is and what to do.
    const adminToken = await tokenFor(await buildUser({ roles: ['admin'] }));
    const toAdmin = await supertest(app)
      .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
      .set({ Authorization: `Bearer ${adminToken}` })
      .send({ userId: staff[0]!.id })
      .expect(422);
    expect(toAdmin.body.errors[0].message).to.include('Ruth Adebayo has a researcher account');
  });

  it('pressing “Enrol” or “Yes, leave” a second time (a double click, an old tab) lands on the cohort page saying where she stands, not an error page', async () => {
    const cohort = await buildCohort({ name: 'Open heads', selfEnrolment: true, capacity: 1 });
    const id = String(cohort._id);
    const [first, her] = [await buildUser(), await buildUser()];
    await enrolParticipant({ actor: 'system', cohortId: id, userId: first.id });
    const agent = await signIn(app, her.email, testPassword);
    const before = (await agent.get(`/cohorts/${id}`).expect(200)).text;
    // Full: she is told before she asks that she would wait, and the button says so.
    expect(before)
      .to.include('Every place is taken: you can join the waitlist')
      .and.include('>Join the waitlist</button>');
    const _csrf = csrfFrom(before);
    const join = () => agent.post(`/cohorts/${id}/join`).type('form').send({ _csrf });
    await join().expect(303).expect('Location', `/cohorts/${id}`);
    const again = await join().expect(303).expect('Location', `/cohorts/${id}`);
    const page = await agent.get(again.headers.location!).expect(200);
    expect(page.text).to.include('You are already on the waitlist of this cohort.');
    expect(await EnrolmentModel.countDocuments({ cohortId: id, userId: her.id })).to.equal(1);

    await withdrawParticipant({ actor: 'system', cohortId: id, userId: first.id });
    await join().expect(303);
    expect((await agent.get(`/cohorts/${id}`).expect(200)).text).to.include('You are already enrolled in this cohort.');

    const leave = () => agent.post(`/cohorts/${id}/leave`).type('form').send({ _csrf, confirmed: 'yes' });
    await leave().expect(303).expect('Location', '/cohorts');
    const left = await leave().expect(303).expect('Location', '/cohorts');
    expect((await agent.get(left.headers.location!).expect(200)).text).to.include('You have left the cohort.');
    expect((await EnrolmentModel.findOne({ cohortId: id, userId: her.id }).lean())!.status).to.equal('withdrawn');
  });

  it('her cohort page gives her place in the waitlist queue, which moves up as people ahead of her leave it', async () => {
    const cohort = await buildCohort({ capacity: 1 });
    const id = String(cohort._id);
    const [holder, ahead, her] = [await buildUser(), await buildUser(), await buildUser()];
    for (const u of [holder, ahead, her]) await enrolParticipant({ actor: 'system', cohortId: id, userId: u.id });
    const agent = await signIn(app, her.email, testPassword);
    const place = async () =>
      /You are number <strong>(\d+)<\/strong> in the queue\./.exec(
        (await agent.get(`/cohorts/${id}`).expect(200)).text,
      )?.[1];
    expect(await place()).to.equal('2');
    // Her home page says where she waits, not that she is enrolled nowhere.
    const home = (await agent.get('/').expect(200)).text;
    expect(home).to.include(`You are on the waitlist of <a href="/cohorts/${id}">`);
    expect(home).not.to.include('You are not enrolled in a programme yet');
    await withdrawParticipant({ actor: 'system', cohortId: id, userId: ahead.id });
    expect(await place()).to.equal('1');
    // Leaving it, she is told she left the waitlist: she was never in the cohort.
    const _csrf = csrfFrom((await agent.get(`/cohorts/${id}`).expect(200)).text);
    const left = await agent.post(`/cohorts/${id}/leave`).type('form').send({ _csrf, confirmed: 'yes' }).expect(303);
    expect((await agent.get(left.headers.location!).expect(200)).text).to.include('You have left the waitlist.');
  });

  it('a participant enrols herself only when the cohort is open for it: a closed one answers as an unknown id (404), someone else in an open one 403, and nothing is recorded', async () => {
    const closed = await buildCohort();
    const open = await buildCohort({ selfEnrolment: true });
    const p = await buildUser();
    const pAuth = { Authorization: `Bearer ${await tokenFor(p)}` };
    const enrol = (cohortId: unknown, userId: string) =>
      supertest(app)
        .post(`/api/v1/cohorts/${String(cohortId)}/enrolments`)
        .set(pAuth)
        .send({ userId });
    const unknown = await enrol(new Types.ObjectId(), p.id).expect(404);
    const hidden = await enrol(closed._id, p.id).expect(404);
    expect(hidden.body).to.deep.equal(unknown.body);
    const agent = await signIn(app, p.email, testPassword);
    const csrf = await csrfOf(agent, '/');
    const join = (cohortId: unknown) =>
      agent
        .post(`/cohorts/${String(cohortId)}/join`)
        .type('form')
        .send({ _csrf: csrf });
    const unknownPage = await join(new Types.ObjectId()).expect(404);
    const hiddenPage = await join(closed._id).expect(404);
    expect(withoutTokens(hiddenPage.text)).to.equal(withoutTokens(unknownPage.text));
    expect(await EnrolmentModel.countDocuments({ cohortId: closed._id })).to.equal(0);
    const other = await buildUser();
    await enrol(open._id, other.id).expect(403);
    expect(await EnrolmentModel.countDocuments({ cohortId: open._id })).to.equal(0);
    const res = await enrol(open._id, p.id).expect(201);
    expect(res.body).to.deep.equal({ status: 'active' });
  });

  it('a cohort open to join that has ended is no longer offered, and joining it says it ended (409); its facilitator may still enrol someone', async () => {
    const ended = await buildCohort({
      name: 'Spring 2025',
      selfEnrolment: true,
      startsOn: '2025-01-01',
      endsOn: '2025-06-30',
      facilitatorIds: [facilitator.id],
    });
    const p = await buildUser();
    const pAuth = { Authorization: `Bearer ${await tokenFor(p)}` };
    const listed = await supertest(app).get('/api/v1/cohorts').set(pAuth).expect(200);
    expect(listed.body.items.map((c: { id: string }) => c.id)).not.to.include(String(ended._id));
    const refused = await supertest(app)
      .post(`/api/v1/cohorts/${String(ended._id)}/enrolments`)
      .set(pAuth)
      .send({ userId: p.id })
      .expect(409);
    expect(refused.body.detail).to.equal(
      'This cohort ended on 30 June 2025, so it takes no one new. Choose another cohort of its programme.',
    );
    const agent = await signIn(app, p.email, testPassword);
    const page = (await agent.get(`/cohorts/${String(ended._id)}`).expect(200)).text;
    expect(page).not.to.include('Enrol in this cohort');
    expect(await EnrolmentModel.countDocuments({ cohortId: ended._id })).to.equal(0);
    await supertest(app)
      .post(`/api/v1/cohorts/${String(ended._id)}/enrolments`)
      .set(auth)
      .send({ userId: p.id })
      .expect(201);
  });

  it('a facilitator who does not run a cohort she cannot see is answered as for an unknown id (404) when she enrols, lists or withdraws, and nothing changes', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const other = await buildUser({ roles: ['facilitator'] });
    const otherAuth = { Authorization: `Bearer ${await tokenFor(other)}` };
    const p = await buildUser();
    await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: p.id });
    const tries = (cohortId: unknown) => [
      supertest(app)
        .post(`/api/v1/cohorts/${String(cohortId)}/enrolments`)
        .set(otherAuth)
        .send({ userId: other.id }),
      supertest(app)
        .get(`/api/v1/cohorts/${String(cohortId)}/enrolments`)
        .set(otherAuth),
      supertest(app)
        .delete(`/api/v1/cohorts/${String(cohortId)}/enrolments/${p.id}`)
        .set(otherAuth),
    ];
    const unknown = await Promise.all(tries(new Types.ObjectId()));
    const hidden = await Promise.all(tries(cohort._id));
    expect(hidden.map((r) => r.status)).to.deep.equal([404, 404, 404]);
    expect(hidden.map((r) => r.body)).to.deep.equal(unknown.map((r) => r.body));
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, status: 'active' })).to.equal(1);
    expect(await EnrolmentModel.countDocuments({ userId: other.id })).to.equal(0);
  });

  it('a facilitator who sees a cohort (open to join) but does not run it gets 403 when she enrols someone else, lists or withdraws someone, and nothing changes', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id], selfEnrolment: true });
    const other = await buildUser({ roles: ['facilitator'] });
    const otherAuth = { Authorization: `Bearer ${await tokenFor(other)}` };
    const p = await buildUser();
    await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: p.id });
    const answers = await Promise.all([
      supertest(app)
        .post(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
        .set(otherAuth)
        .send({ userId: (await buildUser()).id }),
      supertest(app)
        .get(`/api/v1/cohorts/${String(cohort._id)}/enrolments`)
        .set(otherAuth),
      supertest(app)
        .delete(`/api/v1/cohorts/${String(cohort._id)}/enrolments/${p.id}`)
        .set(otherAuth),
    ]);
    expect(answers.map((r) => r.status)).to.deep.equal([403, 403, 403]);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id })).to.equal(1);
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, userId: p.id, status: 'active' })).to.equal(1);
  });

  it('the people form answers someone who does not run the cohort alike whether or not the email has an account, and enrols nobody', async () => {
    const hidden = await buildCohort({ facilitatorIds: [facilitator.id] });
    const joined = await buildCohort({ facilitatorIds: [facilitator.id] });
    const known = await buildUser({ email: 'has.an.account@example.org' });
    const outsider = await buildUser();
    await enrolParticipant({ actor: 'system', cohortId: String(joined._id), userId: outsider.id });
    const agent = await signIn(app, outsider.email, testPassword);
    const statuses = async (cohortId: string) => {
      const page = `/cohorts/${cohortId}/people`;
      const answers = [];
      for (const email of [known.email, 'no.account.here@example.org']) {
        const res = await agent
          .post(page)
          .type('form')
          .send({ _csrf: await csrfOf(agent, '/'), email });
        expect(res.text).to.not.include('Nobody has the email');
        answers.push(res.status);
      }
      return answers;
    };
    expect(await statuses(String(hidden._id))).to.deep.equal([404, 404]);
    expect(await statuses(String(joined._id))).to.deep.equal([403, 403]);
    expect(await EnrolmentModel.countDocuments({ userId: known.id })).to.equal(0);
  });

  it('the CSV import answers someone who cannot see the cohort as for an unknown id (404) and someone who sees it but does not run it 403, and invites or enrols nobody', async () => {
    const hidden = await buildCohort({ facilitatorIds: [facilitator.id] });
    const joined = await buildCohort({ facilitatorIds: [facilitator.id] });
    const outsider = await buildUser();
    const known = await buildUser();
    await enrolParticipant({ actor: 'system', cohortId: String(joined._id), userId: outsider.id });
    const agent = await signIn(app, outsider.email, testPassword);
    const csv = `${known.email}\nnever.invited@example.org,Nia`;
    const csrf = await csrfOf(agent, '/');
    const importInto = (cohortId: unknown) =>
      agent
        .post(`/cohorts/${String(cohortId)}/people/import`)
        .type('form')
        .send({ _csrf: csrf, csv });
    const unknown = await importInto(new Types.ObjectId()).expect(404);
    const refused = await importInto(hidden._id).expect(404);
    expect(withoutTokens(refused.text)).to.equal(withoutTokens(unknown.text));
    expect(refused.text).to.include('We could not find that cohort.');
    await importInto(joined._id).expect(403);
    expect(await UserModel.countDocuments({ email: 'never.invited@example.org' })).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: 'never.invited@example.org' })).to.equal(0);
    expect(await EnrolmentModel.countDocuments({ userId: known.id })).to.equal(0);
    expect(await EnrolmentModel.countDocuments({ cohortId: hidden._id })).to.equal(0);
  });

  it('a list of addresses pasted as one line (from a mail client, with commas or semicolons) is refused with the count, inviting nobody; each account an import makes is audited as made by who imported', async () => {
    const cohort = await buildCohort({ capacity: 5, facilitatorIds: [facilitator.id] });
    const csv = [
      'zed@paste.example.org, yan@paste.example.org, xia@paste.example.org',
      'amy@paste.example.org,Amy Lee; bea@paste.example.org',
      'cara@paste.example.org,Cara Nwosu',
    ].join('\r\n');
    const { rows } = await importEnrolments({
      actor: { ...facilitator },
      cohortId: String(cohort._id),
      csv,
      ip: '203.0.113.9',
    });
    expect(rows.map((r) => [r.line, r.outcome, r.message ?? ''])).to.deep.equal([
      [
        1,
        'invalid',
        'This line holds 3 email addresses: put one person on each line (her email address, then her name).',
      ],
      [
        2,
        'invalid',
        'This line holds 2 email addresses: put one person on each line (her email address, then her name).',
      ],
      [3, 'invited-and-enrolled', 'Invited by email and enrolled.'],
    ]);
    for (const nobody of ['zed', 'yan', 'xia', 'amy', 'bea'])
      expect(await UserModel.exists({ email: `${nobody}@paste.example.org` })).to.equal(null);
    const cara = await UserModel.findOne({ email: 'cara@paste.example.org' }).lean();
    const created = await AuditEventModel.find({ action: 'user-created', targetId: String(cara!._id) }).lean();
    expect(created).to.have.length(1);
    expect(String(created[0]!.actorId)).to.equal(facilitator.id);
    expect(created[0]!.ip).to.equal('203.0.113.9');
  });

  it('a CSV of emails enrols known people, invites unknown ones in the cohort’s time zone and reports every row', async () => {
    const cohort = await buildCohort({ capacity: 2, facilitatorIds: [facilitator.id], timezone: 'America/Toronto' });
    const known = await buildUser({ email: 'known.person@example.org' });
    const csv =
      'email,name\nKnown.Person@example.org\nnew.person@example.org,"Nia, Jones"\nnot-an-email\nknown.person@example.org\nthird@example.org,Third';
    const { rows } = await importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv });
    expect(rows.map((r) => [r.line, r.outcome])).to.deep.equal([
      [2, 'enrolled'],
      [3, 'invited-and-enrolled'],
      [4, 'invalid'],
      [5, 'invalid'],
      [6, 'invited-and-waitlisted'],
    ]);
    const invited = await UserModel.findOne({ email: 'new.person@example.org' }).lean();
    expect(invited).to.include({ name: 'Nia, Jones', status: 'invited', timezone: 'America/Toronto' });
    // Someone who already has an account keeps her own zone.
    expect(await UserModel.findById(known.id).lean()).to.include({ timezone: known.timezone });
    expect(await OutboxMessageModel.countDocuments({ to: 'new.person@example.org' })).to.equal(1);
    // Her invitation says where she stands: in the cohort, or in its queue.
    const invitation = (who: string) => OutboxMessageModel.findOne({ to: who }).lean();
    expect((await invitation('new.person@example.org'))!.text).to.include(
      `You are enrolled in \u2068${cohort.name}\u2069, which runs`,
    );
    expect((await invitation('third@example.org'))!.text).to.include(
      `\u2068${cohort.name}\u2069 (from ${formatDate(cohort.startsOn)} to ${formatDate(cohort.endsOn)} (${cohort.timezone} dates)) is full, so you are on its waitlist, number 1`,
    );
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, userId: known.id, status: 'active' })).to.equal(
      1,
    );
  });

  it('the web page enrols by email and shows the CSV report row by row', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const p = await buildUser({ name: 'Ada Web' });
    const agent = await signIn(app, facilitator.email, testPassword);
    const page = `/cohorts/${String(cohort._id)}/people`;
    await agent
      .post(page)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), email: p.email })
      .expect(303);
    const bad = await agent
      .post(page)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), email: 'nobody@example.org' })
      .expect(422);
    expect(bad.text).to.include('Nobody has the email nobody@example.org');
    const imported = await agent
      .post(`${page}/import`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), csv: 'x@example.org\nnope' })
      .expect(200);
    expect(imported.text).to.include('Import results').and.to.include('Not an email address');
    const after = await agent.get(page).expect(200);
    expect(after.text).to.include('Ada Web');
  });

  it('after an import, the refused lines (and only those) stay in the box as typed, under the header, with their reasons at the field; corrected, they import', async () => {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const agent = await signIn(app, facilitator.email, testPassword);
    const page = `/cohorts/${String(cohort._id)}/people`;
    const box = (html: string) =>
      /<textarea id="field-csv"[^>]*>([\s\S]*?)<\/textarea>/
        .exec(html)![1]!
        .replace(/&#34;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
    const csv = [
      'Name,Email',
      'Ada Good,ada.good@example.org',
      'Nia Typo,nia.typo@example',
      '',
      // An empty spreadsheet row pasted: a blank line, not a refused row.
      '\t',
      'Ada Again,ada.good@example.org',
      '"Two',
      'Lines",not-an-email',
      'Bea Good,bea.good@example.org',
    ].join('\r\n');
    const imported = await agent
      .post(`${page}/import`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), csv })
      .expect(200);
    expect(imported.text).to.include('Import results');
    expect(box(imported.text)).to.equal(
      ['Name,Email', 'Nia Typo,nia.typo@example', 'Ada Again,ada.good@example.org', '"Two', 'Lines",not-an-email'].join(
        '\n',
      ),
    );
    const atField = /<p class="error-message" id="field-csv-error">([\s\S]*?)<\/p>/.exec(imported.text)?.[1];
    expect(atField)
      .to.include('These 3 lines were not enrolled')
      .and.to.include(
        'Line 2 (nia.typo@example; line 3 of what you imported): Not an email address: it must have a domain after the @',
      )
      .and.to.include(
        'Line 3 (ada.good@example.org; line 6 of what you imported): This email is also on line 2 of what you imported, which was read first.',
      )
      .and.to.include('Line 4 (not-an-email; line 8 of what you imported): Not an email address.');
    // The results table numbers the rows as the file did (a row by the line it ends on), as the message's second
    // numbers say.
    const resultLines = [...imported.text.matchAll(/<tr><td>(\d+)<\/td><td>([^<]*)<\/td>/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(resultLines).to.include.members(['3 nia.typo@example', '6 ada.good@example.org', '8 not-an-email']);
    expect(imported.text).to.match(/<textarea id="field-csv"[^>]*aria-invalid="true"/);
    expect(imported.text).to.include('<title>Error:').and.to.include('href="#field-csv"');

    // An address typed alone on its line under the header is read as her email (no name: her account is named
    // after the address's first part, as for a list without names).
    await agent
      .post(`${page}/import`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), csv: 'Name,Email\nlone.cell@example.org' })
      .expect(200);
    expect(await UserModel.findOne({ email: 'lone.cell@example.org' }).lean()).to.include({ name: 'lone.cell' });

    // She corrects the typo, deletes the rest, and imports the box again: its header still names the columns.
    const corrected = await agent
      .post(`${page}/import`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, page), csv: 'Name,Email\nNia Typo,nia.typo@example.org' })
      .expect(200);
    expect(box(corrected.text)).to.equal('');
    expect(corrected.text).to.not.include('field-csv-error');
    expect(await UserModel.findOne({ email: 'nia.typo@example.org' }).lean()).to.include({ name: 'Nia Typo' });
    expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, status: 'active' })).to.equal(4);
  });

  describe('who may enrol herself (canSelfEnrol)', () => {
    /** An open cohort of a programme on the given track, with a name no other test uses. */
    async function openCohort(track: 'governing-board' | 'aspiring-leader') {
      const cohort = await buildCohort({
        name: `${track} open ${new Types.ObjectId().toHexString()}`,
        facilitatorIds: [facilitator.id],
        selfEnrolment: true,
      });
      await ProgrammeModel.updateOne({ _id: cohort.programmeId }, { $set: { track } });
      return cohort;
    }
    /** The "You" cell of a cohort's row on /cohorts, or null when the cohort is not listed. */
    const youCell = (html: string, name: string) => {
      const row = html.split('<tr>').find((r) => r.includes(`>${name}</a>`));
      return row ? (/<td>([^<]*)<\/td>\s*<\/tr>/.exec(row)?.[1] ?? '') : null;
    };

    it('a governor is offered, shown and allowed to join an open governing-board cohort alike on the list, the page, the web form and the API', async () => {
      const board = await openCohort('governing-board');
      const grace = await buildUser({ roles: ['governor'] });
      const agent = await signIn(app, grace.email, testPassword);
      expect(youCell((await agent.get('/cohorts').expect(200)).text, board.name)).to.equal('Open to join');
      const page = await agent.get(`/cohorts/${String(board._id)}`).expect(200);
      expect(page.text).to.include('Enrol in this cohort');
      await agent
        .post(`/cohorts/${String(board._id)}/join`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, `/cohorts/${String(board._id)}`) })
        .expect(303);
      expect(await EnrolmentModel.countDocuments({ cohortId: board._id, userId: grace.id, status: 'active' })).to.equal(
        1,
      );
      expect(youCell((await agent.get('/cohorts').expect(200)).text, board.name)).to.equal('Enrolled');

      const ruth = await buildUser({ roles: ['governor'] });
      const ruthAuth = { Authorization: `Bearer ${await tokenFor(ruth)}` };
      const listed = await supertest(app).get('/api/v1/cohorts').set(ruthAuth).expect(200);
      expect(listed.body.items.find((c: { id: string }) => c.id === String(board._id))).to.include({
        mayJoin: true,
        myStatus: null,
      });
      const joined = await supertest(app)
        .post(`/api/v1/cohorts/${String(board._id)}/enrolments`)
        .set(ruthAuth)
        .send({ userId: ruth.id })
        .expect(201);
      expect(joined.body).to.deep.equal({ status: 'active' });
    });

    it('a governor is neither offered nor allowed an open cohort of another track (403, nothing recorded), while a participant still is', async () => {
      const leaders = await openCohort('aspiring-leader');
      const governor = await buildUser({ roles: ['governor'] });
      const agent = await signIn(app, governor.email, testPassword);
      expect(youCell((await agent.get('/cohorts').expect(200)).text, leaders.name)).to.equal(null);
      const page = await agent.get(`/cohorts/${String(leaders._id)}`).expect(200);
      expect(page.text).to.not.include('Enrol in this cohort');
      await agent
        .post(`/cohorts/${String(leaders._id)}/join`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, `/cohorts/${String(leaders._id)}`) })
        .expect(403);
      const gAuth = { Authorization: `Bearer ${await tokenFor(governor)}` };
      const listed = await supertest(app).get('/api/v1/cohorts').set(gAuth).expect(200);
      expect(listed.body.items.map((c: { id: string }) => c.id)).to.not.include(String(leaders._id));
      await supertest(app)
        .post(`/api/v1/cohorts/${String(leaders._id)}/enrolments`)
        .set(gAuth)
        .send({ userId: governor.id })
        .expect(403);
      expect(await EnrolmentModel.countDocuments({ cohortId: leaders._id })).to.equal(0);

      // A facilitator who does not run it is not told she may join either (she may not).
      const other = await buildUser({ roles: ['facilitator'] });
      const otherAgent = await signIn(app, other.email, testPassword);
      expect(youCell((await otherAgent.get('/cohorts').expect(200)).text, leaders.name)).to.equal(null);

      const participant = await buildUser();
      const pAgent = await signIn(app, participant.email, testPassword);
      expect(youCell((await pAgent.get('/cohorts').expect(200)).text, leaders.name)).to.equal('Open to join');
      expect((await pAgent.get(`/cohorts/${String(leaders._id)}`).expect(200)).text).to.include('Enrol in this cohort');
    });
  });

  describe('the CSV import and quotation marks', () => {
    it('takes a quotation mark inside an unquoted name as written, and imports every row', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const csv =
        'first.row@example.org, First Row\nada.countess@example.org, Ada "Countess" Lovelace\n\nlast.row@example.org';
      const { rows } = await importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv });
      expect(rows.map((r) => [r.line, r.email, r.outcome])).to.deep.equal([
        [1, 'first.row@example.org', 'invited-and-enrolled'],
        [2, 'ada.countess@example.org', 'invited-and-enrolled'],
        [4, 'last.row@example.org', 'invited-and-enrolled'],
      ]);
      expect(await UserModel.findOne({ email: 'ada.countess@example.org' }).lean()).to.include({
        name: 'Ada "Countess" Lovelace',
      });
    });

    it('stores names in any script composed (NFC), and reports a name too long on its row, naming what is wrong', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const csv = [
        `mai.csv@example.org,${'Nguyễn Thị Mai'.normalize('NFD')}`,
        'zainab.csv@example.org,زينب الهاشمي',
        'siobhan.csv@example.org,Siobhán Ní Bhriain',
        `long.csv@example.org,${'Ngāti '.repeat(21)}`,
      ].join('\n');
      const { rows } = await importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv });
      expect(rows.map((r) => [r.email, r.outcome, r.message])).to.deep.equal([
        ['mai.csv@example.org', 'invited-and-enrolled', rows[0]!.message],
        ['zainab.csv@example.org', 'invited-and-enrolled', rows[1]!.message],
        ['siobhan.csv@example.org', 'invited-and-enrolled', rows[2]!.message],
        ['long.csv@example.org', 'invalid', 'The name must be at most 120 characters.'],
      ]);
      expect((await UserModel.findOne({ email: 'mai.csv@example.org' }).lean())!.name).to.equal(
        'Nguyễn Thị Mai'.normalize('NFC'),
      );
      expect((await UserModel.findOne({ email: 'zainab.csv@example.org' }).lean())!.name).to.equal('زينب الهاشمي');
      expect(await UserModel.exists({ email: 'long.csv@example.org' })).to.equal(null);
    });

    it('reads a file whose header row puts the name first (Name, Email; Full name, E-mail; First name, Last name, Email address)', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const files = [
        'Name,Email\nName First,name.first@example.org\n',
        'Full name;E-mail\r\n"Full, Name";full.name@example.org\r\n',
        'First name\tLast name\tEmail address\nGiven\tFamily\tgiven.family@example.org\n',
        'E-Mail-Adresse,Name\nadresse@example.org,Adresse Name\n',
        // A header naming only the email: the name is still the column after it.
        'Email addresses\nonly.email@example.org,Only Email\n',
      ];
      const reports = [];
      for (const csv of files)
        reports.push((await importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv })).rows);
      expect(reports.map((rows) => rows.map((r) => [r.line, r.email, r.outcome]))).to.deep.equal([
        [[2, 'name.first@example.org', 'invited-and-enrolled']],
        [[2, 'full.name@example.org', 'invited-and-enrolled']],
        [[2, 'given.family@example.org', 'invited-and-enrolled']],
        [[2, 'adresse@example.org', 'invited-and-enrolled']],
        [[2, 'only.email@example.org', 'invited-and-enrolled']],
      ]);
      const names = await UserModel.find({ email: { $in: reports.flat().map((r) => r.email) } })
        .sort({ email: 1 })
        .lean();
      expect(names.map((u) => u.name)).to.deep.equal([
        'Adresse Name',
        'Full, Name',
        'Given Family',
        'Name First',
        'Only Email',
      ]);
    });

    it('reads two columns pasted from a spreadsheet (tab between them) and a CSV saved with semicolons, with Windows line ends', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const csv =
        '\uFEFFEmail\tName\r\npasted.one@example.org\tPasted One\r\npasted.two@example.org\tPasted Two\r\n' +
        'semi.colon@example.org;Semi Colon\r\n';
      const { rows } = await importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv });
      expect(rows.map((r) => [r.line, r.email, r.outcome])).to.deep.equal([
        [2, 'pasted.one@example.org', 'invited-and-enrolled'],
        [3, 'pasted.two@example.org', 'invited-and-enrolled'],
        [4, 'semi.colon@example.org', 'invited-and-enrolled'],
      ]);
      expect(await UserModel.findOne({ email: 'pasted.two@example.org' }).lean()).to.include({ name: 'Pasted Two' });
      expect(await UserModel.findOne({ email: 'semi.colon@example.org' }).lean()).to.include({ name: 'Semi Colon' });
    });

    it('a name written "Surname, Given" without quotes is kept whole, not cut at its comma; with more headed columns after the name, they are not taken for it', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const importing = (csv: string) =>
        importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv });
      await importing('kiri@example.nz, Ngata, Kiri\n');
      await importing('Email,Name\nrangi@example.nz,Parata, Rangi\n');
      await importing('Email,Name,Role\nhemi@example.nz,Hēmi Walker,Deputy head\n');
      const nameOf = async (email: string) => (await UserModel.findOne({ email }).lean())!.name;
      expect(await nameOf('kiri@example.nz')).to.equal('Ngata, Kiri');
      expect(await nameOf('rangi@example.nz')).to.equal('Parata, Rangi');
      expect(await nameOf('hemi@example.nz')).to.equal('Hēmi Walker');
    });

    it('an address pasted with invisible characters (zero-width space, direction marks) is the account it names, not a new one', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const known = await buildUser({ email: 'known.invisible@example.org' });
      const csv = 'known.invisible@example.org\u200b, Known\n\u200enew.invisible@exam\u00adple.org\u200f\n';
      const { rows } = await importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv });
      expect(rows.map((r) => [r.line, r.email, r.outcome])).to.deep.equal([
        [1, 'known.invisible@example.org', 'enrolled'],
        [2, 'new.invisible@example.org', 'invited-and-enrolled'],
      ]);
      expect(await EnrolmentModel.exists({ cohortId: cohort._id, userId: known.id, status: 'active' })).to.not.equal(
        null,
      );
      expect(await UserModel.countDocuments({ email: /invisible/ })).to.equal(2);
      expect(await UserModel.exists({ email: 'new.invisible@example.org' })).to.not.equal(null);
    });

    it('takes at most 500 people, counted after the header row: 501 rows without a header are refused and nothing is written, 500 under a header are read', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const cohortId = String(cohort._id);
      const emails = Array.from({ length: 501 }, (_, i) => `limit.${i}@example.org`);
      try {
        await importEnrolments({ actor: { ...facilitator }, cohortId, csv: emails.join('\n') });
        expect.fail('501 rows should be refused');
      } catch (error) {
        expect((error as Error).message).to.equal('Import at most 500 rows at a time.');
      }
      expect(await UserModel.countDocuments({ email: { $in: emails } })).to.equal(0);
      expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id })).to.equal(0);
      // 500 rows that are not addresses, under a header: read, each refused on its row, nobody written.
      const { rows } = await importEnrolments({
        actor: { ...facilitator },
        cohortId,
        csv: ['Email,Name', ...Array.from({ length: 500 }, (_, i) => `nobody ${i},Ada`)].join('\n'),
      });
      expect(rows).to.have.length(500);
    });

    it('refuses a file with a line it cannot read, naming the line and what is wrong, and writes nothing at all', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const emails = ['before.bad@example.org', 'unclosed@example.org', 'after.bad@example.org'];
      const unclosed = `${emails[0]}, Before\n\n${emails[1]}, "Ada Lovelace\n${emails[2]}, After`;
      try {
        await importEnrolments({ actor: { ...facilitator }, cohortId: String(cohort._id), csv: unclosed });
        expect.fail('the import should be refused');
      } catch (error) {
        expect((error as Error).message)
          .to.include('line 3')
          .and.to.include('a quotation mark (") opens a value that is never closed')
          .and.to.include('Nothing was imported');
      }
      const agent = await signIn(app, facilitator.email, testPassword);
      const page = `/cohorts/${String(cohort._id)}/people`;
      const refused = await agent
        .post(`${page}/import`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, page), csv: `${emails[0]}\n${emails[1]}, "Ada" Lovelace\n${emails[2]}` })
        .expect(422);
      expect(refused.text)
        .to.include('line 2 could not be read')
        .and.to.include('text follows the closing quotation mark');
      expect(await UserModel.countDocuments({ email: { $in: emails } })).to.equal(0);
      expect(await OutboxMessageModel.countDocuments({ to: { $in: emails } })).to.equal(0);
      expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id })).to.equal(0);
    });
  });
});
