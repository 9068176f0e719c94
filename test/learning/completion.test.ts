import { expect } from 'chai';
import supertest from 'supertest';
import { CompletionModel } from '../../models/Completion.ts';
import { ModuleModel } from '../../models/Module.ts';
import { QuizAttemptModel } from '../../models/QuizAttempt.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol, sampleQuiz } from '../support/learningFactories.ts';

const reflection =
  'I want to lead a school where every child is taught by someone who believes in them. ' +
  'Last year I changed how my department plans lessons, and results rose. I am nervous about budgets but I will learn them with my mentor this term.';

describe('learning: completing modules (API)', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  async function learnerIn(programmeId: string) {
    const user = await buildUser();
    const cohort = await buildCohort(programmeId);
    await enrol(user.id, cohort.id, programmeId);
    return { user, cohort, auth: { Authorization: `Bearer ${await tokenFor(user)}` } };
  }

  it('a view module is completed with an empty body, and completing it again counts once', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id);
    const { user, auth } = await learnerIn(programme.id);
    const first = await supertest(app).post(`/api/v1/modules/${module.id}/completion`).set(auth).send({}).expect(200);
    expect(first.body).to.include({ completed: true, alreadyCompleted: false });
    const again = await supertest(app).post(`/api/v1/modules/${module.id}/completion`).set(auth).send({}).expect(200);
    expect(again.body).to.include({ completed: true, alreadyCompleted: true });
    expect(await CompletionModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(1);
  });

  it('when the same completion arrives five times at once, one record is written and progress counts it once', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id);
    await buildModule(programme.id);
    const { user, auth } = await learnerIn(programme.id);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        supertest(app).post(`/api/v1/modules/${module.id}/completion`).set(auth).send({}),
      ),
    );
    expect(results.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
    expect(await CompletionModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(1);
    const progress = await supertest(app).get('/api/v1/me/progress').set(auth).expect(200);
    expect(progress.body[0]).to.include({ completedModules: 1, totalModules: 2, percent: 50 });
  });

  it('a reflection must not be empty; it is stored privately unless she shares it', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: { type: 'reflection' } });
    const { user, auth } = await learnerIn(programme.id);
    const blank = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ reflection: '   ' })
      .expect(422);
    expect(blank.body.errors[0].path).to.equal('reflection');
    await supertest(app).post(`/api/v1/modules/${module.id}/completion`).set(auth).send({}).expect(422);
    expect(await CompletionModel.countDocuments({ userId: user.id })).to.equal(0);
    await supertest(app).post(`/api/v1/modules/${module.id}/completion`).set(auth).send({ reflection }).expect(200);
    const saved = await CompletionModel.findOne({ userId: user.id }).lean();
    expect(saved).to.include({ reflection, reflectionShared: false });
  });

  it('a reflection of only spaces or invisible characters, or with a direction override or a NUL, is refused at its field, in the API and on the page, and nothing is recorded or shared', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: { type: 'reflection' } });
    const { user, auth } = await learnerIn(programme.id);
    const complete = (body: object) =>
      supertest(app).post(`/api/v1/modules/${module.id}/completion`).set(auth).send(body).expect(422);
    const invisible = await complete({ reflection: ' \u200b\u2060\u034f ', shareWithFacilitators: true });
    expect(invisible.body.errors).to.deep.equal([
      { path: 'reflection', message: 'is required: it has only spaces or invisible characters' },
    ]);
    expect((await complete({ reflection: '\u202eI grew' })).body.errors[0]).to.deep.include({ path: 'reflection' });
    expect((await complete({ reflection: 'I grew\u0000' })).body.errors[0]).to.deep.include({ path: 'reflection' });
    const agent = await signIn(app, user.email, testPassword);
    const page = await agent.get(`/modules/${module.id}`).expect(200);
    const refused = await agent
      .post(`/modules/${module.id}/completion`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reflection: '\u200b\u200b', shareWithFacilitators: 'yes' })
      .expect(422);
    expect(refused.text).to.include('field-reflection-error').and.include('it has only spaces or invisible characters');
    expect(await CompletionModel.countDocuments({ userId: user.id })).to.equal(0);
  });

  it('a quiz below the pass mark is a 422 with the score, every attempt is recorded, and a pass completes it', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { user, auth } = await learnerIn(programme.id);
    const failed = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[1], [0]] })
      .expect(422);
    expect(failed.body.score).to.equal(50);
    expect(failed.headers['content-type']).to.match(/problem\+json/);
    const passed = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[1], [2, 0]] })
      .expect(200);
    expect(passed.body).to.include({ completed: true, score: 100 });
    const attempts = await QuizAttemptModel.find({ userId: user.id }).sort({ attemptedAt: 1 }).lean();
    expect(attempts.map((a) => [a.score, a.passed])).to.deep.equal([
      [50, false],
      [100, true],
    ]);
  });

  it('a quiz passes only at its pass mark: 2 of 3 right is 66, which does not pass a mark of 67, and passes one of 66', async () => {
    const programme = await buildProgramme();
    const question = { prompt: 'Which?', choices: ['a', 'b'], correct: [0] };
    const quizAt = (passMark: number) =>
      buildModule(programme.id, { completion: { type: 'quiz', passMark, questions: [question, question, question] } });
    const [strict, lenient] = [await quizAt(67), await quizAt(66)];
    const { auth } = await learnerIn(programme.id);
    const twoOfThree = { answers: [[0], [0], [1]] };
    const refused = await supertest(app)
      .post(`/api/v1/modules/${strict.id}/completion`)
      .set(auth)
      .send(twoOfThree)
      .expect(422);
    expect(refused.body).to.include({ score: 66, passMark: 67 });
    const passed = await supertest(app)
      .post(`/api/v1/modules/${lenient.id}/completion`)
      .set(auth)
      .send(twoOfThree)
      .expect(200);
    expect(passed.body).to.include({ completed: true, score: 66 });
  });

  it('a quiz with the wrong number of answers, or a choice that does not exist, is a 422 and is not counted as an attempt', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { user, auth } = await learnerIn(programme.id);
    await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[1]] })
      .expect(422);
    await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[7], [0]] })
      .expect(422);
    await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: { $ne: 1 } })
      .expect(422);
    expect(await QuizAttemptModel.countDocuments({ userId: user.id })).to.equal(0);
  });

  it('quiz answers that list a choice twice are a 422 naming that answer, and are not counted as an attempt', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { user, auth } = await learnerIn(programme.id);
    const res = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[1], [0, 0, 2]] })
      .expect(422);
    expect(res.headers['content-type']).to.match(/problem\+json/);
    expect(res.body.errors).to.deep.equal([{ path: 'answers.1', message: 'lists a choice twice' }]);
    expect(await QuizAttemptModel.countDocuments({ userId: user.id })).to.equal(0);
    expect(await CompletionModel.countDocuments({ userId: user.id })).to.equal(0);
  });

  it('once a module is completed, a body that does not fit it is still a 422; a valid repeat is the same 200', async () => {
    const programme = await buildProgramme();
    const view = await buildModule(programme.id);
    const quiz = await buildModule(programme.id, { completion: sampleQuiz });
    const { user, auth } = await learnerIn(programme.id);
    const post = (id: string, body: object) =>
      supertest(app).post(`/api/v1/modules/${id}/completion`).set(auth).send(body);
    await post(view.id, {}).expect(200);
    await post(quiz.id, { answers: [[1], [0, 2]] }).expect(200);
    const wrongKind = await post(view.id, { reflection }).expect(422);
    expect(wrongKind.body.errors[0].path).to.equal('reflection');
    expect((await post(quiz.id, {}).expect(422)).body.errors[0].path).to.equal('answers');
    expect((await post(quiz.id, { answers: [[7], [0]] }).expect(422)).body.errors[0].path).to.equal('answers.0');
    expect((await post(quiz.id, { answers: [[1, 1], [0]] }).expect(422)).body.errors[0].path).to.equal('answers.0');
    expect((await post(view.id, {}).expect(200)).body).to.include({ completed: true, alreadyCompleted: true });
    const repeat = await post(quiz.id, { answers: [[1], [0, 2]] }).expect(200);
    expect(repeat.body).to.include({ completed: true, alreadyCompleted: true, score: 100 });
    expect(await CompletionModel.countDocuments({ userId: user.id })).to.equal(2);
    expect(await QuizAttemptModel.countDocuments({ userId: user.id })).to.equal(1);
  });

  it('quiz answers never reach a learner before she passes, even once the module is unlocked; after passing she sees them', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { auth } = await learnerIn(programme.id);
    const before = await supertest(app).get(`/api/v1/modules/${module.id}`).set(auth).expect(200);
    expect(before.body.locked).to.equal(false);
    expect(JSON.stringify(before.body)).to.not.include('correct');
    await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[0], [0]] })
      .expect(422);
    const afterFail = await supertest(app).get(`/api/v1/modules/${module.id}`).set(auth).expect(200);
    expect(JSON.stringify(afterFail.body)).to.not.include('correct');
    await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[1], [0, 2]] })
      .expect(200);
    const after = await supertest(app).get(`/api/v1/modules/${module.id}`).set(auth).expect(200);
    expect(after.body.completion.questions[1].correct).to.deep.equal([0, 2]);
  });

  it('when an author makes a reflection module a view or a quiz while she writes, her form comes back 409 with her text and a notice, and nothing is completed', async () => {
    const programme = await buildProgramme();
    const { user } = await learnerIn(programme.id);
    const agent = await signIn(app, user.email, testPassword);
    for (const [changedTo, now] of [
      [{ type: 'view' }, 'completed by marking it as done'],
      [sampleQuiz, 'completed by passing a knowledge check'],
    ] as const) {
      const module = await buildModule(programme.id, { completion: { type: 'reflection' } });
      const page = await agent.get(`/modules/${module.id}`).expect(200);
      const formType = /name="completionType" value="(\w+)"/.exec(page.text)?.[1];
      await ModuleModel.updateOne({ _id: module.id }, { $set: { completion: changedTo }, $inc: { version: 1 } });
      const written = `${reflection} Written for ${changedTo.type}.`;
      const sent = await agent
        .post(`/modules/${module.id}/completion`)
        .type('form')
        .send({
          _csrf: csrfFrom(page.text),
          completionType: formType,
          reflection: written,
          shareWithFacilitators: 'yes',
        })
        .expect(409);
      expect(sent.text).to.include(`This module was changed after you opened it: it is now ${now}.`);
      expect(sent.text)
        .to.include('The reflection you wrote (not saved)')
        .and.include(`Written for ${changedTo.type}.`);
      expect(await CompletionModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(0);
      expect(await QuizAttemptModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(0);
    }
    const unchanged = await buildModule(programme.id, { completion: { type: 'reflection' } });
    const page = await agent.get(`/modules/${unchanged.id}`).expect(200);
    await agent
      .post(`/modules/${unchanged.id}/completion`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), completionType: 'reflection', reflection })
      .expect(303);
    expect(await CompletionModel.findOne({ userId: user.id, moduleId: unchanged.id }).lean()).to.include({
      reflection,
    });
  });

  /** The sample quiz with its two questions swapped, as an author reordering them would save it. */
  const swappedQuiz = {
    type: 'quiz',
    passMark: 100,
    questions: [
      {
        prompt: 'Which make an interview fair?',
        choices: ['Same questions', 'Chatting freely', 'Scoring against criteria'],
        correct: [0, 2],
      },
      { prompt: 'Which comes first?', choices: ['Candidates', 'Criteria', 'Coffee'], correct: [1] },
    ],
  };
  const adminAuth = async () => ({ Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}` });
  const quizFormOf = (html: string) => ({
    _csrf: csrfFrom(html),
    completionType: /name="completionType" value="(\w+)"/.exec(html)?.[1],
    version: /name="version" value="(\d*)"/.exec(html)?.[1],
  });

  /** A learner signed in on the page of a quiz module (sampleQuiz): the page as she was shown it. */
  const quizShownOnPage = async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { user } = await learnerIn(programme.id);
    const agent = await signIn(app, user.email, testPassword);
    const shown = await agent.get(`/modules/${module.id}`).expect(200);
    return { module, user, agent, shown };
  };
  /** An admin's edit of the module through the API (merged with the module as it is). */
  const editModule = async (moduleId: string, changes: object, auth?: { Authorization: string }) =>
    supertest(app)
      .patch(`/api/v1/modules/${moduleId}`)
      .set(auth ?? (await adminAuth()))
      .send(changes)
      .expect(200);

  it('when an author edits a quiz while she answers it on the page, her answers are a 409 that shows the new questions, record no attempt and complete nothing; answered again, it is graded', async () => {
    const { module, user, agent, shown } = await quizShownOnPage();
    await editModule(module.id, { completion: swappedQuiz });
    // Right for the questions she was shown; over the reordered quiz they would be graded as wrong.
    const sent = await agent
      .post(`/modules/${module.id}/completion`)
      .type('form')
      .send({ ...quizFormOf(shown.text), 'answer-0': '1', 'answer-1': ['0', '2'] })
      .expect(409);
    expect(sent.text).to.include('This quiz was changed while you answered it: answer it again.');
    expect(sent.text).to.match(/1\. Which make an interview fair\?[\s\S]*2\. Which comes first\?/);
    expect(sent.text).to.not.include(' checked');
    expect(await QuizAttemptModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(0);
    expect(await CompletionModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(0);
    await agent
      .post(`/modules/${module.id}/completion`)
      .type('form')
      .send({ ...quizFormOf(sent.text), 'answer-0': ['0', '2'], 'answer-1': '1' })
      .expect(303);
    expect(await QuizAttemptModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(1);
    expect(await CompletionModel.findOne({ userId: user.id, moduleId: module.id }).lean()).to.include({ score: 100 });
  });

  it('when an author edits a quiz after an API client read it, answers sent with the version read are a 409 naming the version now, and no attempt is recorded', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { user, auth } = await learnerIn(programme.id);
    const read = await supertest(app).get(`/api/v1/modules/${module.id}`).set(auth).expect(200);
    await supertest(app)
      .patch(`/api/v1/modules/${module.id}`)
      .set(await adminAuth())
      .send({ completion: swappedQuiz })
      .expect(200);
    const stale = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[1], [0, 2]], version: read.body.version })
      .expect(409);
    expect(stale.body.detail).to.include('This quiz was changed while you answered it: answer it again.');
    expect(stale.body).to.include({ reason: 'quiz-changed', version: read.body.version + 1 });
    expect(await QuizAttemptModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(0);
    expect(await CompletionModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(0);
    const passed = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers: [[0, 2], [1]], version: stale.body.version })
      .expect(200);
    expect(passed.body).to.include({ completed: true, score: 100 });
  });

  it('edits of the text and the pass mark alone while she answers leave her answers graded; an edit of the questions after the version she read is still a 409', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { user, auth } = await learnerIn(programme.id);
    const admin = await adminAuth();
    const before = await supertest(app).get(`/api/v1/modules/${module.id}`).set(auth).expect(200);
    await editModule(module.id, { completion: swappedQuiz }, admin);
    const shown = await supertest(app).get(`/api/v1/modules/${module.id}`).set(auth).expect(200);
    // While she answers, the author mends the introduction, then lowers the pass mark: the questions stay.
    await editModule(module.id, { body: 'Fair interviews, in two questions.' }, admin);
    await editModule(module.id, { completion: { ...swappedQuiz, passMark: 50 } }, admin);
    const answers = [[0, 2], [1]];
    const stale = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers, version: before.body.version })
      .expect(409);
    expect(stale.body).to.include({ reason: 'quiz-changed', version: shown.body.version + 2 });
    expect(await QuizAttemptModel.countDocuments({ userId: user.id, moduleId: module.id })).to.equal(0);
    const graded = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ answers, version: shown.body.version })
      .expect(200);
    expect(graded.body).to.include({ completed: true, score: 100 });
  });

  it('on the page, an edit of the text alone between showing her the quiz and her answers leaves them graded', async () => {
    const { module, user, agent, shown } = await quizShownOnPage();
    await editModule(module.id, { body: 'Fair interviews, in two questions.' });
    await agent
      .post(`/modules/${module.id}/completion`)
      .type('form')
      .send({ ...quizFormOf(shown.text), 'answer-0': '1', 'answer-1': ['0', '2'] })
      .expect(303);
    expect(await CompletionModel.findOne({ userId: user.id, moduleId: module.id }).lean()).to.include({ score: 100 });
  });

  it('a quiz nobody edited is graded as before with the version it was shown at: a fail is a 422 and an attempt, a pass completes it, on the page and in the API', async () => {
    const programme = await buildProgramme();
    const [onPage, overApi] = [
      await buildModule(programme.id, { completion: sampleQuiz }),
      await buildModule(programme.id, { completion: sampleQuiz }),
    ];
    const { user, auth } = await learnerIn(programme.id);
    const agent = await signIn(app, user.email, testPassword);
    const shown = await agent.get(`/modules/${onPage.id}`).expect(200);
    const failed = await agent
      .post(`/modules/${onPage.id}/completion`)
      .type('form')
      .send({ ...quizFormOf(shown.text), 'answer-0': '0', 'answer-1': '0' })
      .expect(422);
    expect(failed.text).to.include('You scored 0%. The pass mark is 100%.');
    await agent
      .post(`/modules/${onPage.id}/completion`)
      .type('form')
      .send({ ...quizFormOf(failed.text), 'answer-0': '1', 'answer-1': ['0', '2'] })
      .expect(303);
    expect(await QuizAttemptModel.countDocuments({ userId: user.id, moduleId: onPage.id })).to.equal(2);
    expect(await CompletionModel.findOne({ userId: user.id, moduleId: onPage.id }).lean()).to.include({ score: 100 });
    const { version } = (await supertest(app).get(`/api/v1/modules/${overApi.id}`).set(auth).expect(200)).body;
    const post = (answers: number[][]) =>
      supertest(app).post(`/api/v1/modules/${overApi.id}/completion`).set(auth).send({ answers, version });
    expect((await post([[0], [0]]).expect(422)).body).to.include({ score: 0 });
    expect((await post([[1], [0, 2]]).expect(200)).body).to.include({ completed: true, score: 100 });
    expect(await QuizAttemptModel.countDocuments({ userId: user.id, moduleId: overApi.id })).to.equal(2);
  });

  it('the quiz page in the browser carries no correct answers before she passes', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { completion: sampleQuiz });
    const { user } = await learnerIn(programme.id);
    const agent = await signIn(app, user.email, testPassword);
    const page = await agent.get(`/modules/${module.id}`).expect(200);
    expect(page.text).to.include('Which comes first?');
    expect(page.text).to.not.match(/correct|The answers/i);
  });

  it('a module stays locked until its prerequisites are complete, and says which are missing', async () => {
    const programme = await buildProgramme();
    const first = await buildModule(programme.id, { title: 'Foundations' });
    const second = await buildModule(programme.id, { prerequisites: [first.id] });
    const { user, auth } = await learnerIn(programme.id);
    const locked = await supertest(app).get(`/api/v1/modules/${second.id}`).set(auth).expect(200);
    expect(locked.body).to.include({ locked: true });
    expect(locked.body.missingPrerequisites).to.deep.equal([first.id]);
    const refused = await supertest(app).post(`/api/v1/modules/${second.id}/completion`).set(auth).send({}).expect(422);
    expect(refused.body.missingPrerequisites).to.deep.equal([first.id]);
    expect(await CompletionModel.countDocuments({ userId: user.id })).to.equal(0);
    await supertest(app).post(`/api/v1/modules/${first.id}/completion`).set(auth).send({}).expect(200);
    expect((await supertest(app).get(`/api/v1/modules/${second.id}`).set(auth).expect(200)).body.locked).to.equal(
      false,
    );
    await supertest(app).post(`/api/v1/modules/${second.id}/completion`).set(auth).send({}).expect(200);
  });

  it('someone not enrolled in a cohort of the programme gets a 422 and nothing is recorded', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id);
    const outsider = await buildUser();
    const res = await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set({ Authorization: `Bearer ${await tokenFor(outsider)}` })
      .send({})
      .expect(422);
    expect(res.body.detail).to.match(/not enrolled/);
    expect(await CompletionModel.countDocuments({ userId: outsider.id })).to.equal(0);
  });

  it('fields meant for other people or other rules are refused: a completion is always her own', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id);
    const { auth } = await learnerIn(programme.id);
    const other = await buildUser();
    await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set(auth)
      .send({ userId: other.id })
      .expect(422);
    await supertest(app).post(`/api/v1/modules/${module.id}/completion`).set(auth).send({ reflection }).expect(422);
    expect(await CompletionModel.countDocuments({ moduleId: module.id })).to.equal(0);
  });

  it('progress is counted over current modules: archiving one changes the total, and its completion is kept', async () => {
    const programme = await buildProgramme();
    const a = await buildModule(programme.id);
    const b = await buildModule(programme.id);
    await buildModule(programme.id);
    await buildModule(programme.id);
    const { user, auth } = await learnerIn(programme.id);
    await supertest(app).post(`/api/v1/modules/${a.id}/completion`).set(auth).send({}).expect(200);
    await supertest(app).post(`/api/v1/modules/${b.id}/completion`).set(auth).send({}).expect(200);
    expect((await supertest(app).get('/api/v1/me/progress').set(auth)).body[0]).to.include({
      completedModules: 2,
      totalModules: 4,
      percent: 50,
    });
    const admin = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}` };
    await supertest(app).patch(`/api/v1/modules/${b.id}`).set(admin).send({ archived: true }).expect(200);
    expect((await supertest(app).get('/api/v1/me/progress').set(auth)).body[0]).to.include({
      completedModules: 1,
      totalModules: 3,
      percent: 33,
    });
    expect(await CompletionModel.countDocuments({ userId: user.id })).to.equal(2);
    await supertest(app)
      .patch(`/api/v1/modules/${a.id}`)
      .set(admin)
      .send({ title: 'Renamed', body: 'New text entirely.' })
      .expect(200);
    expect((await supertest(app).get('/api/v1/me/progress').set(auth)).body[0]).to.include({
      completedModules: 1,
      totalModules: 3,
    });
  });

  it('an unknown or malformed module id is a 404', async () => {
    const auth = { Authorization: `Bearer ${await tokenFor(await buildUser())}` };
    await supertest(app).get('/api/v1/modules/nope').set(auth).expect(404);
    await supertest(app).get('/api/v1/modules/0123456789abcdef01234567').set(auth).expect(404);
    await supertest(app).post('/api/v1/modules/nope/completion').set(auth).send({}).expect(404);
  });
});
