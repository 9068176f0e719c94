import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { CertificateModel } from '../../models/Certificate.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { ResearchConsentModel } from '../../models/ResearchConsent.ts';
import { SurveyModel } from '../../models/Survey.ts';
import { SurveyResponseModel } from '../../models/SurveyResponse.ts';
import { UserModel } from '../../models/User.ts';
import { emitDomainEvent } from '../../server/events.ts';
import { closeMailer, configureMailer } from '../../server/mailer.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { checkAnswers, planSurveyInvitations } from '../../server/services/research/surveys.ts';
import { csrfOf, errorSummaryOf, signIn, testApp } from '../support/app.ts';
import { buildCohort, buildProgramme, enrolDirectly } from '../support/cohortFactories.ts';
import { moveCohort } from '../support/learningFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { startSmtpSink } from '../support/smtp.ts';

const days = (n: number) => n * 24 * 60 * 60 * 1000;

describe('research: consent and surveys', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let researcher: TestUser;
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;

  before(async () => {
    app = testApp();
    sink = await startSmtpSink();
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
    researcher = await buildUser({ roles: ['researcher'] });
  });
  after(async () => {
    closeMailer();
    await sink.stop();
  });

  describe('consent', () => {
    it('is off by default; each change is a record with the text version; setting it twice records once', async () => {
      const her = await buildUser();
      const auth = await bearer(her);
      const before = await supertest(app).get('/api/v1/me/research-consent').set('Authorization', auth).expect(200);
      expect(before.body).to.deep.equal({ consented: false, textVersion: null, at: null });
      const on = await supertest(app)
        .put('/api/v1/me/research-consent')
        .set('Authorization', auth)
        .send({ consented: true })
        .expect(200);
      expect(on.body.consented).to.equal(true);
      expect(on.body.textVersion).to.be.a('string').with.length.greaterThan(0);
      const again = await supertest(app)
        .put('/api/v1/me/research-consent')
        .set('Authorization', auth)
        .send({ consented: true })
        .expect(200);
      expect(again.body.at).to.equal(on.body.at);
      await supertest(app)
        .put('/api/v1/me/research-consent')
        .set('Authorization', auth)
        .send({ consented: false })
        .expect(200);
      expect(await ResearchConsentModel.countDocuments({ userId: her.id })).to.equal(2);
    });

    it('when she clicks twice at once, one change is recorded and both clicks answer it', async () => {
      const her = await buildUser();
      const auth = await bearer(her);
      const put = (consented: boolean) =>
        supertest(app).put('/api/v1/me/research-consent').set('Authorization', auth).send({ consented });
      for (const [round, consented] of [true, false, true, false].entries()) {
        const answers = await Promise.all([put(consented), put(consented)]);
        expect(answers.map((a) => a.status)).to.deep.equal([200, 200]);
        expect(answers[0]!.body).to.deep.equal(answers[1]!.body);
        expect(answers[0]!.body.consented).to.equal(consented);
        const history = await ResearchConsentModel.find({ userId: her.id }).sort({ at: 1 }).lean();
        expect(history.map((c) => c.consented)).to.deep.equal([true, false, true, false].slice(0, round + 1));
      }
    });

    it('when the body is not a boolean, it answers 422 and records nothing', async () => {
      const her = await buildUser();
      const res = await supertest(app)
        .put('/api/v1/me/research-consent')
        .set('Authorization', await bearer(her))
        .send({ consented: { $ne: null } })
        .expect(422);
      expect(res.body.errors[0].path).to.equal('consented');
      // It names the values JSON has for it, not a word the API would refuse.
      const yes = await supertest(app)
        .put('/api/v1/me/research-consent')
        .set('Authorization', await bearer(her))
        .send({ consented: 'yes' })
        .expect(422);
      expect(yes.body.errors[0].message).to.equal('must be true or false');
      expect(await ResearchConsentModel.countDocuments({ userId: her.id })).to.equal(0);
    });

    it('is one click on her research page, which shows the text', async () => {
      const her = await buildUser();
      const agent = await signIn(app, her.email, testPassword);
      const page = await agent.get('/account/research').expect(200);
      expect(page.text).to.include('Use of my records for research');
      expect(page.text).to.include('You do not agree');
      await agent
        .post('/account/research')
        .type('form')
        .send({ consented: 'yes', _csrf: await csrfOf(agent, '/account/research') })
        .expect(303);
      expect((await agent.get('/account/research')).text).to.include('Withdraw my consent');
    });
  });

  describe('surveys', () => {
    const questions = [
      { id: 'confidence', prompt: 'How confident are you to apply for headship?', type: 'likert5' },
      { id: 'role', prompt: 'Your current role', type: 'choice', choices: ['Deputy head', 'Assistant head'] },
      { id: 'notes', prompt: 'Anything else?', type: 'text' },
    ];

    /** The researcher's survey of the cohort's programme, for the given moment (201). */
    const surveyOf = async (cohort: { programmeId: unknown }, title: string, moment = 'start') =>
      (
        await supertest(app)
          .post('/api/v1/surveys')
          .set('Authorization', await bearer(researcher))
          .send({ title, programmeId: String(cohort.programmeId), moment, questions })
          .expect(201)
      ).body as { id: string };

    it('when a question is malformed, it answers 422 naming the field; a participant gets 403', async () => {
      const cohort = await buildCohort();
      const bad = await supertest(app)
        .post('/api/v1/surveys')
        .set('Authorization', await bearer(researcher))
        .send({
          title: 'Start',
          programmeId: String(cohort.programmeId),
          moment: 'start',
          questions: [{ id: 'role', prompt: 'Role', type: 'choice' }],
        })
        .expect(422);
      expect(bad.body.errors.map((e: { path: string }) => e.path)).to.include('questions.0.choices');
      const participant = await buildUser();
      await supertest(app)
        .post('/api/v1/surveys')
        .set('Authorization', await bearer(participant))
        .send({ title: 'Start', programmeId: String(cohort.programmeId), moment: 'start', questions })
        .expect(403);
    });

    it('a revision asking a known question id as another type (Likert as free text) is a 422 at that type; the same type is taken', async () => {
      const cohort = await buildCohort();
      await surveyOf(cohort, 'Start');
      const before = await SurveyModel.countDocuments({ programmeId: cohort.programmeId });
      const refused = await supertest(app)
        .post('/api/v1/surveys')
        .set('Authorization', await bearer(researcher))
        .send({
          title: 'Start (revised)',
          programmeId: String(cohort.programmeId),
          moment: 'start',
          questions: [{ id: 'confidence', prompt: 'Tell us about your confidence', type: 'text' }],
        })
        .expect(422);
      expect(refused.body.errors).to.deep.equal([
        {
          path: 'questions.0.type',
          message:
            'the question id "confidence" is a Likert (1–5) question in "Start"; give a question of another type another id',
        },
      ]);
      expect(await SurveyModel.countDocuments({ programmeId: cohort.programmeId })).to.equal(before);
      await surveyOf(cohort, 'End', 'end');
    });

    it('two surveys created at the same moment, asking one new question id as two types, never both stay', async () => {
      const auth = await bearer(researcher);
      for (let round = 0; round < 5; round++) {
        const cohort = await buildCohort();
        const create = (type: string) =>
          supertest(app)
            .post('/api/v1/surveys')
            .set('Authorization', auth)
            .send({
              title: `As ${type}`,
              programmeId: String(cohort.programmeId),
              moment: 'start',
              questions: [{ id: 'raced', prompt: 'A question asked twice at once', type }],
            });
        const answers = await Promise.all([create('likert5'), create('text')]);
        expect(answers.map((a) => a.status)).to.not.deep.equal([201, 201]);
        const stored = await SurveyModel.find({ programmeId: cohort.programmeId }).lean();
        const types = new Set(stored.flatMap((survey) => survey.questions.map((q) => q.type)));
        expect(types.size, `round ${round}`).to.be.at.most(1);
        expect(stored).to.have.length(answers.filter((a) => a.status === 201).length);
        for (const refused of answers.filter((a) => a.status !== 201)) {
          expect(refused.status).to.equal(422);
          expect(refused.body.errors[0].path).to.equal('questions.0.type');
        }
      }
    });

    it('a choice question offering the same choice twice (ignoring case and spaces) is a 422 naming it; nothing is stored', async () => {
      const cohort = await buildCohort();
      const bad = await supertest(app)
        .post('/api/v1/surveys')
        .set('Authorization', await bearer(researcher))
        .send({
          title: 'Twice',
          programmeId: String(cohort.programmeId),
          moment: 'start',
          questions: [{ id: 'role', prompt: 'Role', type: 'choice', choices: ['Deputy head', 'deputy  head'] }],
        })
        .expect(422);
      expect(bad.body.errors).to.deep.equal([
        { path: 'questions.0.choices', message: 'lists "deputy  head" twice: each choice must read differently' },
      ]);
      expect(await SurveyModel.countDocuments({ title: 'Twice' })).to.equal(0);
    });

    it('invites each participant once at the start of her enrolment, in her zone and by her preferences; running the job twice sends once', async () => {
      sink.received.length = 0;
      const cohort = await buildCohort({ startsOn: '2026-11-01', endsOn: '2027-06-30' });
      const her = await buildUser({ timezone: 'America/Toronto' });
      const muted = await buildUser();
      await UserModel.updateOne({ _id: muted.id }, { $set: { mutedKinds: ['survey-invitation'] } });
      const now = Date.now();
      await enrolDirectly(cohort, her.id, new Date(now - days(3)));
      await enrolDirectly(cohort, muted.id, new Date(now - days(3)));
      const created = await surveyOf(cohort, 'Starting out');
      const surveyId = created.id as string;
      await planSurveyInvitations();
      await planSurveyInvitations({ surveyIds: [surveyId] });
      expect(await NotificationModel.countDocuments({ kind: 'survey-invitation', 'about.id': surveyId })).to.equal(2);

      await runDueNotifications({ now: new Date() });
      await runDueNotifications({ now: new Date() });
      const toHer = sink.received.filter((m) => m.to.includes(her.email));
      expect(toHer).to.have.length(1);
      expect(toHer[0]!.subject).to.include('Starting out');
      expect(toHer[0]!.raw).to.include('America/Toronto');
      expect(sink.received.filter((m) => m.to.includes(muted.email))).to.have.length(0);

      // Muted emails or not, the survey waits for both of them on their page.
      for (const person of [her, muted]) {
        const waiting = await supertest(app)
          .get('/api/v1/me/surveys')
          .set('Authorization', await bearer(person));
        expect(waiting.body.items.map((s: { id: string }) => s.id)).to.deep.equal([surveyId]);
      }
    });

    it('takes her answers once (409 the second time) and checks each answer', async () => {
      const cohort = await buildCohort();
      const her = await buildUser();
      await enrolDirectly(cohort, her.id, new Date(Date.now() - days(1)));
      const survey = await surveyOf(cohort, 'Start');
      const auth = await bearer(her);
      const path = `/api/v1/surveys/${survey.id}/responses`;
      const bad = await supertest(app)
        .post(path)
        .set('Authorization', auth)
        .send({ answers: { confidence: 7, role: 'Head', extra: 1 } })
        .expect(422);
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).to.deep.equal([
        'answers.confidence',
        'answers.extra',
        'answers.role',
      ]);
      await supertest(app)
        .post(path)
        .set('Authorization', auth)
        .send({ answers: { confidence: 3, role: 'Deputy head', notes: 'Thanks' } })
        .expect(201);
      await supertest(app)
        .post(path)
        .set('Authorization', auth)
        .send({ answers: { confidence: 4, role: 'Deputy head' } })
        .expect(409);
      expect(await SurveyResponseModel.countDocuments({ surveyId: survey.id })).to.equal(1);
    });

    it('an optional question whose id is also a name every object has (constructor) may be left unanswered', () => {
      const questions = [
        { id: 'a', type: 'likert5' },
        { id: 'constructor', type: 'text' },
      ];
      expect(checkAnswers(questions, { a: 4 })).to.deep.equal({ errors: [], clean: { a: 4 } });
      expect(checkAnswers(questions, { a: 4, constructor: 'Thanks' }).clean).to.deep.equal({
        a: 4,
        constructor: 'Thanks',
      });
    });

    it('when an answer is an object or a list, it answers 422 in plain words naming the answer, and records nothing', async () => {
      const cohort = await buildCohort();
      const her = await buildUser();
      await enrolDirectly(cohort, her.id, new Date(Date.now() - days(1)));
      const survey = await surveyOf(cohort, 'Start');
      const path = `/api/v1/surveys/${survey.id}/responses`;
      const res = await supertest(app)
        .post(path)
        .set('Authorization', await bearer(her))
        .send({ answers: { confidence: { $gt: 0 }, role: ['Head'] } })
        .expect(422);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
      expect(res.body.errors).to.deep.include.members([
        { path: 'answers.confidence', message: 'must be a number or text' },
        { path: 'answers.role', message: 'must be a number or text' },
      ]);
      expect(JSON.stringify(res.body)).to.not.include('Invalid input');
      expect(await SurveyResponseModel.countDocuments({ surveyId: survey.id })).to.equal(0);
    });

    it('someone not invited to a survey is answered as for an unknown one (404, web and API) and nothing is recorded', async () => {
      const cohort = await buildCohort();
      const her = await buildUser();
      await enrolDirectly(cohort, her.id, new Date(Date.now() - days(1)));
      const survey = await surveyOf(cohort, 'Invited only');
      const outsider = await buildUser();
      const auth = await bearer(outsider);
      const answer = (surveyId: string) =>
        supertest(app)
          .post(`/api/v1/surveys/${surveyId}/responses`)
          .set('Authorization', auth)
          .send({ answers: { confidence: 4, role: 'Deputy head' } });
      const unknown = await answer(String(new Types.ObjectId())).expect(404);
      const notInvited = await answer(survey.id).expect(404);
      expect(notInvited.body).to.deep.equal(unknown.body);
      expect((await answer('not-an-id').expect(404)).body).to.deep.equal(unknown.body);
      const agent = await signIn(app, outsider.email, testPassword);
      const withoutTokens = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '');
      const unknownPage = await agent.get(`/surveys/${String(new Types.ObjectId())}`).expect(404);
      const page = await agent.get(`/surveys/${survey.id}`).expect(404);
      expect(withoutTokens(page.text)).to.equal(withoutTokens(unknownPage.text));
      const csrf = await csrfOf(agent, '/surveys');
      const post = (surveyId: string) =>
        agent
          .post(`/surveys/${surveyId}`)
          .type('form')
          .send({ _csrf: csrf, 'answer-confidence': '4', 'answer-role': 'Deputy head' })
          .expect(404);
      // A refused form's page says "Error:" in its title; the two refusals are still one page.
      const posted = await post(survey.id);
      expect(withoutTokens(posted.text)).to.equal(withoutTokens((await post(String(new Types.ObjectId()))).text));
      expect(await SurveyResponseModel.countDocuments({ surveyId: survey.id })).to.equal(0);
    });

    it('an end survey is planned for 09:00 her zone on the cohort’s last day, and a completion moves it forward', async () => {
      const cohort = await buildCohort({ startsOn: '2026-01-01', endsOn: '2027-03-31' });
      const her = await buildUser({ timezone: 'Asia/Tokyo' });
      await enrolDirectly(cohort, her.id, new Date(Date.now() - days(10)));
      const survey = await surveyOf(cohort, 'End', 'end');
      const invitation = await NotificationModel.findOne({ 'about.id': survey.id, userId: her.id }).lean();
      expect(invitation!.sendAt.toISOString()).to.equal('2027-03-31T00:00:00.000Z');
      const issuedAt = new Date(Date.now() + days(2));
      const certificate = await CertificateModel.create({
        userId: her.id,
        programmeId: cohort.programmeId,
        cohortId: cohort._id,
        track: 'aspiring-leader',
        holderName: her.name,
        programmeTitle: 'Aspiring leaders',
        issuedAt,
        verificationCode: `T${Date.now()}`,
      });
      await emitDomainEvent('certificate.issued', { certificateId: certificate._id, userId: her.id });
      const moved = await NotificationModel.findOne({ 'about.id': survey.id, userId: her.id }).lean();
      expect(moved!.sendAt.toISOString()).to.equal(issuedAt.toISOString());
      expect(await NotificationModel.countDocuments({ 'about.id': survey.id, userId: her.id })).to.equal(1);
    });

    it('in a cohort moved to another programme, the first programme’s certificate does not bring the new one’s end survey forward', async () => {
      const cohort = await buildCohort({ startsOn: '2026-01-01', endsOn: '2027-03-31' });
      const her = await buildUser({ timezone: 'Asia/Tokyo' });
      await enrolDirectly(cohort, her.id, new Date(Date.now() - days(10)));
      await CertificateModel.create({
        userId: her.id,
        programmeId: cohort.programmeId,
        cohortId: cohort._id,
        track: 'aspiring-leader',
        holderName: her.name,
        programmeTitle: 'Aspiring leaders',
        issuedAt: new Date(Date.now() - days(2)),
        verificationCode: `T${Date.now()}`,
      });
      const next = await buildProgramme({ title: 'Moved to' });
      await moveCohort(String(cohort._id), String(next._id));
      const survey = await surveyOf({ programmeId: next._id }, 'End of the new programme', 'end');
      const invitation = await NotificationModel.findOne({ 'about.id': survey.id, userId: her.id }).lean();
      expect(invitation!.sendAt.toISOString()).to.equal('2027-03-31T00:00:00.000Z');
    });

    it('the survey builder works without JavaScript: a choice question without choices is shown as an error, then saved', async () => {
      const cohort = await buildCohort();
      const agent = await signIn(app, researcher.email, testPassword);
      const csrf = await csrfOf(agent, '/surveys/new');
      const fields = {
        _csrf: csrf,
        title: 'Built on the page',
        programmeId: String(cohort.programmeId),
        moment: 'end',
        'q0-id': 'confidence',
        'q0-prompt': 'How confident are you?',
        'q0-type': 'likert5',
        'q1-id': 'role',
        'q1-prompt': 'Your role',
        'q1-type': 'choice',
      };
      const bad = await agent.post('/surveys').type('form').send(fields).expect(422);
      expect(bad.text).to.include('give at least two choices');
      expect(bad.text).to.include('Built on the page');
      await agent
        .post('/surveys')
        .type('form')
        .send({ ...fields, 'q1-choices': 'Deputy head\nAssistant head' })
        .expect(303);
      const saved = await SurveyModel.findOne({ title: 'Built on the page' }).lean();
      expect(saved!.questions.map((q) => q.id)).to.deep.equal(['confidence', 'role']);
      expect(saved!.questions[1]!.choices).to.deep.equal(['Deputy head', 'Assistant head']);
      const participant = await signIn(app, (await buildUser()).email, testPassword);
      await participant.get('/surveys/new').expect(403);
    });

    it('when the survey form is double-clicked, one survey is stored and each participant is invited once', async () => {
      const cohort = await buildCohort({ startsOn: '2026-11-01', endsOn: '2027-06-30' });
      const people = [await buildUser(), await buildUser()];
      for (const person of people) await enrolDirectly(cohort, person.id, new Date(Date.now() - days(2)));
      const agent = await signIn(app, researcher.email, testPassword);
      const page = (await agent.get('/surveys/new').expect(200)).text;
      const form = {
        _csrf: await csrfOf(agent, '/surveys/new'),
        _submission: /name="_submission" value="([^"]+)"/.exec(page)?.[1] ?? '',
        title: 'Clicked twice',
        programmeId: String(cohort.programmeId),
        moment: 'start',
        'q0-id': 'confidence',
        'q0-prompt': 'How confident are you?',
        'q0-type': 'likert5',
      };
      const answers = await Promise.all([1, 2].map(() => agent.post('/surveys').type('form').send(form)));
      expect(answers.map((a) => a.status)).to.deep.equal([303, 303]);
      const surveys = await SurveyModel.find({ title: 'Clicked twice' }).lean();
      expect(surveys).to.have.length(1);
      const invited = await NotificationModel.find({ kind: 'survey-invitation', 'about.id': String(surveys[0]!._id) })
        .select({ userId: 1 })
        .lean();
      expect(invited.map((n) => String(n.userId)).sort()).to.deep.equal(people.map((p) => p.id).sort());
      expect(
        await NotificationModel.countDocuments({ kind: 'survey-invitation', userId: { $in: people.map((p) => p.id) } }),
      ).to.equal(2);

      // The API's create sent twice at once with one Idempotency-Key is one survey, answered 201 with it twice.
      const auth = await bearer(researcher);
      const questions = [{ id: 'confidence', prompt: 'How confident are you?', type: 'likert5' }];
      const body = { title: 'Retried', programmeId: String(cohort.programmeId), moment: 'start', questions };
      const sent = await Promise.all(
        [1, 2].map(() =>
          supertest(app)
            .post('/api/v1/surveys')
            .set('Authorization', auth)
            .set('Idempotency-Key', 'survey-key-01')
            .send(body),
        ),
      );
      expect(sent.map((a) => a.status)).to.deep.equal([201, 201]);
      expect(sent[0]!.body.id).to.equal(sent[1]!.body.id);
      expect(await SurveyModel.countDocuments({ title: 'Retried' })).to.equal(1);
    });

    it('in the survey builder, an error lands on the row she typed it in, past a blank row, and a half-filled row is an error, not dropped', async () => {
      const cohort = await buildCohort();
      const agent = await signIn(app, researcher.email, testPassword);
      const csrf = await csrfOf(agent, '/surveys/new');
      const base = { _csrf: csrf, title: 'Rows', programmeId: String(cohort.programmeId), moment: 'start' };
      const q1 = { 'q0-id': 'conf', 'q0-prompt': 'Confidence', 'q0-type': 'likert5' };
      // Question 2 blank; question 3 a choice question with one choice.
      const past = await agent
        .post('/surveys')
        .type('form')
        .send({
          ...base,
          ...q1,
          'q1-type': 'likert5',
          'q2-id': 'role',
          'q2-prompt': 'Role',
          'q2-type': 'choice',
          'q2-choices': 'Head',
        })
        .expect(422);
      expect(past.text).to.include('href="#field-questions-2-choices"');
      expect(past.text).to.include('id="field-questions-2-choices-error"');
      expect(past.text).to.not.include('field-questions-1-choices-error');
      // Question 2 has an id and no prompt; question 3 a prompt and no id: each is an error on its own row.
      const half = await agent
        .post('/surveys')
        .type('form')
        .send({ ...base, ...q1, 'q1-id': 'bb', 'q1-type': 'likert5', 'q2-prompt': 'Third', 'q2-type': 'likert5' })
        .expect(422);
      expect(half.text).to.include('id="field-questions-1-prompt-error"');
      expect(half.text).to.include('id="field-questions-2-id-error"');
      expect(half.text).to.not.include('id="field-questions-1-id-error"');
      expect(half.text).to.include('href="#field-questions-1-prompt"');
      expect(half.text).to.include('href="#field-questions-2-id"');
      // No question at all: said at the first question, whose first field the summary's link reaches.
      const none = await agent.post('/surveys').type('form').send(base).expect(422);
      expect(none.text).to.match(/<a href="#field-questions-0-id">[^<]*Question 1[^<]*: /);
      expect(none.text).to.include('<fieldset id="field-questions" aria-describedby="field-questions-error">');
      expect(await SurveyModel.countDocuments({ title: 'Rows' })).to.equal(0);
    });

    it("the survey builder's error summary names the question of each error: 'Question 2 id', 'Question 3 prompt'", async () => {
      const cohort = await buildCohort();
      const agent = await signIn(app, researcher.email, testPassword);
      const page = await agent
        .post('/surveys')
        .type('form')
        .send({
          _csrf: await csrfOf(agent, '/surveys/new'),
          title: 'Confidence check',
          programmeId: String(cohort.programmeId),
          moment: 'start',
          'q0-id': 'confidence',
          'q0-prompt': 'How confident are you?',
          'q1-id': 'Next Step',
          'q1-prompt': 'What is your next step?',
          'q2-id': 'barriers',
          'q3-id': 'role',
          'q3-prompt': 'Your role',
          'q3-type': 'choice',
        })
        .expect(422);
      const summary = errorSummaryOf(page.text)
        .text.replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ');
      expect(summary).to.include('Question 2 id: must be').and.to.include('Question 3 prompt: is required');
      expect(summary).to.include('Question 4 choices: ');
      // Within its question the page labels the fields as before.
      expect(page.text).to.include('<label for="field-questions-1-id">Question id</label>');
    });

    it('the answer form works without JavaScript: Likert as a radio group with a legend, errors shown on the form', async () => {
      const cohort = await buildCohort();
      const her = await buildUser();
      await enrolDirectly(cohort, her.id, new Date(Date.now() - days(1)));
      const survey = await surveyOf(cohort, 'Form start');
      const agent = await signIn(app, her.email, testPassword);
      const page = await agent.get(`/surveys/${survey.id}`).expect(200);
      expect(page.text).to.match(/<legend>How confident are you to apply for headship\?<\/legend>/);
      expect(page.text).to.include('type="radio"');
      const csrf = await csrfOf(agent, `/surveys/${survey.id}`);
      const missing = await agent
        .post(`/surveys/${survey.id}`)
        .type('form')
        .send({ _csrf: csrf, 'answer-role': 'Deputy head' })
        .expect(422);
      expect(missing.text).to.include('choose a number from 1 to 5');
      await agent
        .post(`/surveys/${survey.id}`)
        .type('form')
        .send({ _csrf: csrf, 'answer-confidence': '4', 'answer-role': 'Deputy head' })
        .expect(303);
      const stored = await SurveyResponseModel.findOne({ surveyId: survey.id }).lean();
      expect(stored!.answers).to.deep.equal({ confidence: 4, role: 'Deputy head' });
    });
  });
});
