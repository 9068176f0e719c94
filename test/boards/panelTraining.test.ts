import { expect } from 'chai';
import { DateTime } from 'luxon';
import supertest from 'supertest';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { planRoundReminders, replanOpenRounds } from '../../server/services/boards/roundReminders.ts';
import '../../server/subscriptions.ts';
import { enrolPanelLackingTraining, roundOverview } from '../../server/services/boards/rounds.ts';
import { enrolParticipant } from '../../server/services/cohorts/enrolment.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import { coreProgrammeId, ensureCoreProgrammes } from '../../server/services/learning/coreProgrammes.ts';
import { markPanelTrainingOnUpgrade } from '../../server/services/learning/panelTraining.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { asActor, buildBoard, buildGoverningProgramme, buildRound } from '../support/boardsFactories.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const inDays = (days: number) => DateTime.now().setZone('Europe/London').plus({ days }).toISODate()!;

async function openCohort(programmeId: string, name: string): Promise<string> {
  const c = await CohortModel.create({
    programmeId,
    name,
    capacity: 30,
    timezone: 'Europe/London',
    startsOn: inDays(-30),
    endsOn: inDays(300),
  });
  return String(c._id);
}

/** She completes every module of a programme in a cohort of it (the real completion, which issues the certificate). */
async function finish(person: TestUser, programme: { id: string; moduleIds: string[] }, cohortId: string) {
  await enrolParticipant({ actor: 'system', cohortId, userId: person.id });
  for (const moduleId of programme.moduleIds)
    await completeModule({ actor: asActor(person), moduleId, input: {}, now: new Date() });
}

describe('boards: the interview panels’ unconscious-bias training is the programme an admin marks', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let chair: TestUser;
  let board: { id: string };

  beforeEach(async () => {
    await clearDatabase();
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    chair = await buildUser({ roles: ['governor'], name: 'Cara Chair' });
    board = await buildBoard([{ user: chair, role: 'chair' }]);
  });

  const api = (token: string) => ({
    get: (path: string) => supertest(app).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object) =>
      supertest(app).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      supertest(app).patch(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  });

  it('a governor induction’s certificate or enrolment does not make a panel member ready or enrolled; the marked training’s certificate does', async () => {
    const bias = await buildGoverningProgramme(1, { title: 'Fair headteacher recruitment' });
    const induction = await buildGoverningProgramme(1, { title: 'Governor induction 2027', panelTraining: false });
    const ada = await buildUser({ roles: ['governor'], name: 'Ada Adviser' });
    const bea = await buildUser({ roles: ['governor'], name: 'Bea Board' });
    const inductionCohort = await openCohort(induction.id, 'Induction');
    await finish(ada, induction, inductionCohort);
    expect(await CertificateModel.countDocuments({ userId: ada.id, track: 'governing-board' })).to.equal(1);
    await enrolParticipant({ actor: 'system', cohortId: inductionCohort, userId: bea.id });
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [ada, bea] });

    const readiness = await api(await tokenFor(chair))
      .get(`/rounds/${round.id}/readiness`)
      .expect(200);
    expect(readiness.body.ready).to.equal(false);
    expect(readiness.body.members).to.deep.equal([
      { userId: ada.id, status: 'not-started', percent: 0 },
      { userId: bea.id, status: 'not-started', percent: 0 },
    ]);
    const page = await (await signIn(app, chair.email, testPassword)).get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.not.include('Valid on the interview day');
    expect(page.text).to.include('Not trained and not enrolled: Ada Adviser, Bea Board.');

    await finish(ada, bias, await openCohort(bias.id, 'Bias training'));
    const after = await roundOverview({ actor: asActor(chair), roundId: round.id });
    expect(after.members.map((m) => [m.userId, m.status])).to.deep.equal([
      [ada.id, 'valid'],
      [bea.id, 'not-started'],
    ]);
    expect(after.lacking.map((m) => m.userId)).to.deep.equal([bea.id]);
  });

  it('“Enrol the untrained” enrols in the marked published programme (of several, the first created), even when another governing-board programme was edited later', async () => {
    const bias = await buildGoverningProgramme(1, { title: 'Fair headteacher recruitment' });
    const induction = await buildGoverningProgramme(1, { title: 'Governor induction 2027', panelTraining: false });
    const newVersion = await buildGoverningProgramme(1, { title: 'Fair recruitment, 2028 edition' });
    await ProgrammeModel.updateOne({ _id: newVersion.id }, { $set: { status: 'draft' } });
    const adminToken = await tokenFor(admin);
    // Typos fixed after: the old rule took whichever was edited last.
    await api(adminToken).patch(`/programmes/${induction.id}`, { title: 'Governor induction (2027)' }).expect(200);
    await api(adminToken).patch(`/programmes/${newVersion.id}`, { status: 'published' }).expect(200);
    const member = await buildUser({ roles: ['governor'] });
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [member] });

    const page = await (await signIn(app, chair.email, testPassword)).get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.include('They are enrolled in “Fair headteacher recruitment”');
    const result = await api(await tokenFor(chair))
      .post(`/rounds/${round.id}/enrol-panel`, {})
      .expect(200);
    expect(result.body.enrolled).to.deep.equal([member.id]);
    const enrolments = await EnrolmentModel.find({ userId: member.id }).lean();
    expect(enrolments.map((e) => String(e.programmeId))).to.deep.equal([bias.id]);

    // The first version archived, the new one takes over.
    await api(adminToken).patch(`/programmes/${bias.id}`, { status: 'archived' }).expect(200);
    const next = await buildUser({ roles: ['governor'] });
    const second = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [next] });
    await enrolPanelLackingTraining({ actor: asActor(chair), roundId: second.id });
    const theirs = await EnrolmentModel.find({ userId: next.id }).lean();
    expect(theirs.map((e) => String(e.programmeId))).to.deep.equal([newVersion.id]);
  });

  it('marking another programme as the panels’ training re-plans every open round at once: members trained only in the old one are reminded', async () => {
    const old = await buildGoverningProgramme(1, { title: 'Bias training 2024' });
    const member = await buildUser({ roles: ['governor'], name: 'Mia Member' });
    await finish(member, old, await openCohort(old.id, 'Old cohort'));
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [member] });
    await planRoundReminders({ roundId: round.id });
    expect(await NotificationModel.countDocuments({ 'about.id': round.id, status: 'scheduled' })).to.equal(0);

    const current = await buildGoverningProgramme(1, { title: 'Bias training 2027', panelTraining: false });
    const adminToken = await tokenFor(admin);
    await api(adminToken).patch(`/programmes/${current.id}`, { panelTraining: true }).expect(200);
    await api(adminToken).patch(`/programmes/${old.id}`, { panelTraining: false }).expect(200);
    const planned = await NotificationModel.find({ 'about.id': round.id, status: 'scheduled' }).lean();
    expect(planned.filter((n) => String(n.userId) === member.id).map((n) => n.kind)).to.include('panel-training-due');
    expect(planned.filter((n) => String(n.userId) === chair.id).map((n) => n.kind)).to.include('panel-not-ready');
  });

  it('the hourly re-plan restores an open round’s reminders lost between a change and its re-plan, and plans nothing for a closed round or one whose interviews are over', async () => {
    const member = await buildUser({ roles: ['governor'] });
    const open = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [member] });
    const past = await buildRound(board.id, { interviewDates: [inDays(-10)], panel: [member] });
    const closed = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [member] });
    await RecruitmentRoundModel.updateOne({ _id: closed.id }, { $set: { status: 'closed' } });
    // As if the process stopped after the round was written and before its reminders were planned.
    await NotificationModel.deleteMany({});
    expect(await replanOpenRounds()).to.equal(1);
    expect(await NotificationModel.countDocuments({ 'about.id': open.id, status: 'scheduled' })).to.equal(6);
    expect(await NotificationModel.countDocuments({ 'about.id': { $in: [past.id, closed.id] } })).to.equal(0);
    // Again: nothing changes (one record per key).
    await replanOpenRounds();
    expect(await NotificationModel.countDocuments({})).to.equal(6);
  });

  it('admins mark the training on the programme (API field and settings form); only a governing-board programme can be it', async () => {
    const adminToken = await tokenFor(admin);
    const refused = await api(adminToken)
      .post('/programmes', {
        title: 'Aspiring',
        track: 'aspiring-leader',
        summary: 'For deputies.',
        panelTraining: true,
      })
      .expect(422);
    expect(refused.body.errors).to.deep.equal([
      { path: 'panelTraining', message: 'can be set only on a programme of the governing-board track' },
    ]);
    const created = await api(adminToken)
      .post('/programmes', { title: 'Bias training', track: 'governing-board', summary: 'Fair.', panelTraining: true })
      .expect(201);
    expect(created.body).to.include({ panelTraining: true });
    const induction = await api(adminToken)
      .post('/programmes', { title: 'Induction', track: 'governing-board', summary: 'Welcome.' })
      .expect(201);
    expect(induction.body).to.include({ panelTraining: false });

    const agent = await signIn(app, admin.email, testPassword);
    const form = await agent.get(`/programmes/${induction.body.id}/edit`).expect(200);
    expect(form.text)
      .to.include('name="panelTraining"')
      .and.to.not.match(/name="panelTraining" value="yes"[^>]*checked/);
    await agent
      .post(`/programmes/${induction.body.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        version: '0',
        title: 'Induction',
        summary: 'Welcome.',
        status: 'draft',
        certificateValidityMonths: '',
        panelTraining: 'yes',
      })
      .expect(303);
    expect((await ProgrammeModel.findById(induction.body.id).lean())!.panelTraining).to.equal(true);
    const unmarked = await api(adminToken)
      .patch(`/programmes/${induction.body.id}`, { panelTraining: false })
      .expect(200);
    expect(unmarked.body).to.include({ panelTraining: false });
    const newForm = await agent.get('/programmes/new').expect(200);
    const wrongTrack = await agent
      .post('/programmes')
      .type('form')
      .send({
        _csrf: csrfFrom(newForm.text),
        title: 'New heads',
        track: 'new-head',
        summary: 'x',
        status: 'draft',
        panelTraining: 'yes',
      })
      .expect(422);
    expect(wrongTrack.text).to.include('can be set only on a programme of the governing-board track');
  });

  it('with no marked programme the round page asks for one (admins: where to mark it) and enrolling says why it cannot', async () => {
    await buildGoverningProgramme(1, { title: 'Governor induction 2027', panelTraining: false });
    const member = await buildUser({ roles: ['governor'] });
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [member] });
    const chairPage = await (await signIn(app, chair.email, testPassword)).get(`/rounds/${round.id}`).expect(200);
    expect(chairPage.text).to.include('No programme is marked as the interview panels’ unconscious-bias training yet');
    expect(chairPage.text).to.include('Ask an admin of Pathways to mark it');
    expect(chairPage.text).to.not.include('/enrol-panel');
    const adminPage = await (await signIn(app, admin.email, testPassword)).get(`/rounds/${round.id}`).expect(200);
    expect(adminPage.text).to.include('tick “This is the interview panels’ unconscious-bias training”');
    const refused = await api(await tokenFor(chair))
      .post(`/rounds/${round.id}/enrol-panel`, {})
      .expect(409);
    expect(refused.body.detail).to.include('No published programme is marked');
  });

  describe('a database stored before the mark (the start-up step)', () => {
    const insertRaw = (docs: Record<string, unknown>[]) =>
      ProgrammeModel.collection.insertMany(
        docs.map((d) => ({ summary: 's', version: 0, createdAt: new Date(), updatedAt: new Date(), ...d })),
      );
    const marked = async () => (await ProgrammeModel.find({ panelTraining: true }).lean()).map((p) => p.title).sort();

    it('marks the core bias training beside a governor induction, and only it; runs once, so an admin’s unmarking stays', async () => {
      await insertRaw([
        {
          _id: coreProgrammeId('governing-board'),
          title: 'Fair recruitment',
          track: 'governing-board',
          status: 'published',
        },
        { title: 'Governor induction', track: 'governing-board', status: 'published' },
        { title: 'Aspiring', track: 'aspiring-leader', status: 'published' },
      ]);
      expect(await markPanelTrainingOnUpgrade()).to.deep.equal({
        marked: 'Fair recruitment',
        unmarked: ['Governor induction'],
      });
      expect(await marked()).to.deep.equal(['Fair recruitment']);
      expect(await ProgrammeModel.countDocuments({ panelTraining: false })).to.equal(2);
      await ProgrammeModel.updateMany({}, { $set: { panelTraining: false } });
      expect(await markPanelTrainingOnUpgrade()).to.equal(null);
      expect(await marked()).to.deep.equal([]);
    });

    it('marks the only published governing-board programme; with two of its own and no core one, marks none', async () => {
      await insertRaw([
        { title: 'Our bias training', track: 'governing-board', status: 'published' },
        { title: 'Old version', track: 'governing-board', status: 'archived' },
      ]);
      expect((await markPanelTrainingOnUpgrade())?.marked).to.equal('Our bias training');
      expect(await marked()).to.deep.equal(['Our bias training']);

      await clearDatabase();
      await insertRaw([
        { title: 'Bias A', track: 'governing-board', status: 'published' },
        { title: 'Induction B', track: 'governing-board', status: 'published' },
      ]);
      expect(await markPanelTrainingOnUpgrade()).to.deep.equal({ marked: null, unmarked: ['Bias A', 'Induction B'] });
      expect(await marked()).to.deep.equal([]);
    });

    it('a fresh install marks the core bias training when it creates it, and the step then has nothing to do', async () => {
      await ensureCoreProgrammes();
      expect(await marked()).to.deep.equal([
        'Fair headteacher recruitment: unconscious bias training for governing boards',
      ]);
      expect(await markPanelTrainingOnUpgrade()).to.equal(null);
    });
  });

  describe('an adviser seated by email', () => {
    const invitationOf = async (email: string) => (await OutboxMessageModel.findOne({ to: email }).lean())!.text;
    const linkIn = (text: string) => /http:\/\/pathways\.test(\/invitations\/[A-Za-z0-9_-]+)/.exec(text)![1]!;

    async function seatAdviser(round: { id: string }, email: string) {
      const agent = await signIn(app, chair.email, testPassword);
      const page = await agent.get(`/rounds/${round.id}`).expect(200);
      await agent
        .post(`/rounds/${round.id}/panel/adviser`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), name: 'Ada Adviser', email })
        .expect(303);
      return agent;
    }

    async function acceptInvitation(text: string) {
      const agent = supertest.agent(app);
      const link = linkIn(text);
      const form = await agent.get(link).expect(200);
      await agent
        .post(link)
        .type('form')
        .send({
          _csrf: csrfFrom(form.text),
          name: 'Ada Adviser',
          timezone: 'Europe/London',
          password: 'ada chooses a long phrase',
          confirm: 'ada chooses a long phrase',
        })
        .expect(303);
      return agent;
    }

    it('is enrolled in the panels’ training at once: her invitation says so, her dashboard leads to it and her cohorts list it', async () => {
      const bias = await buildGoverningProgramme(1, { title: 'Fair headteacher recruitment' });
      await buildGoverningProgramme(1, { title: 'Governor induction 2027', panelTraining: false });
      const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
      const chairAgent = await seatAdviser(round, 'ada.adviser@la.example.org');
      const flashPage = await chairAgent.get(`/rounds/${round.id}`).expect(200);
      expect(flashPage.text).to.include('Ada Adviser is enrolled in the panels’ unconscious-bias training.');

      const invitation = await invitationOf('ada.adviser@la.example.org');
      expect(invitation).to.include('“Fair headteacher recruitment”');
      expect(invitation).to.include('You are enrolled in it: it is on your dashboard once you have set your password.');
      const ada = await ProgrammeModel.db.collection('users').findOne({ email: 'ada.adviser@la.example.org' });
      const enrolments = await EnrolmentModel.find({ userId: ada!._id }).lean();
      expect(enrolments.map((e) => [String(e.programmeId), e.status])).to.deep.equal([[bias.id, 'active']]);

      const her = await acceptInvitation(invitation);
      const home = await her.get('/').expect(200);
      expect(home.text).to.include('Go to the training: your cohorts');
      expect(home.text).to.not.include('You are not enrolled in the training yet');
      const cohorts = await her.get('/cohorts').expect(200);
      expect(cohorts.text).to.include('Fair headteacher recruitment (self-paced)');
      expect(cohorts.text).to.not.include('There are no cohorts for you yet');
    });

    it('with no training to enrol her in, her invitation and dashboard say she is not enrolled yet and that the chair enrols the panel (no link to an empty page)', async () => {
      await buildGoverningProgramme(1, { title: 'Governor induction 2027', panelTraining: false });
      const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
      await seatAdviser(round, 'bea.adviser@la.example.org');
      const invitation = await invitationOf('bea.adviser@la.example.org');
      expect(invitation).to.include('You are not enrolled in it yet');
      expect(invitation).to.not.include('which is on your dashboard');
      const her = await acceptInvitation(invitation);
      const home = await her.get('/').expect(200);
      expect(home.text).to.include(
        'You are not enrolled in the training yet: your board’s chair enrols the interview panel',
      );
      expect(home.text).to.not.include('Go to the training');
    });
  });
});
