import { expect } from 'chai';
import { wordsIn } from '../../server/services/learning/completion.ts';
import supertest from 'supertest';
import { CompletionModel } from '../../models/Completion.ts';
import { ModuleModel } from '../../models/Module.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildCohort, buildProgramme, enrol } from '../support/learningFactories.ts';

const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

describe('learning: the reflection minimum is the author’s choice', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  async function setUp() {
    const admin = await buildUser({ roles: ['admin'] });
    const learner = await buildUser({ roles: ['participant'] });
    const programme = await buildProgramme();
    await enrol(learner.id, (await buildCohort(programme.id)).id, programme.id);
    return {
      admin,
      learner,
      programme,
      auth: { Authorization: `Bearer ${await tokenFor(admin)}` },
      learnerAuth: { Authorization: `Bearer ${await tokenFor(learner)}` },
    };
  }

  it('an author sets minWords (0–500) through the API; it defaults to 0 and a value out of range is a 422', async () => {
    const { programme, auth } = await setUp();
    const plain = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'Free', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection' } })
      .expect(201);
    expect(plain.body.completion).to.deep.equal({ type: 'reflection', minWords: 0 });
    const set = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'Forty', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection', minWords: 40 } })
      .expect(201);
    expect(set.body.completion).to.deep.equal({ type: 'reflection', minWords: 40 });
    const tooMany = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'X', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection', minWords: 501 } })
      .expect(422);
    expect(tooMany.body.errors[0].path).to.equal('completion.minWords');
    await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'X', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection', minWords: -1 } })
      .expect(422);
    const changed = await supertest(app)
      .patch(`/api/v1/modules/${set.body.id}`)
      .set(auth)
      .send({ completion: { type: 'reflection', minWords: 10 } })
      .expect(200);
    expect(changed.body.completion).to.deep.equal({ type: 'reflection', minWords: 10 });
  });

  it('a shorter reflection is a 422 that names the minimum, and nothing is recorded; one long enough completes it', async () => {
    const { programme, auth, learner, learnerAuth } = await setUp();
    const module = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'Thirty', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection', minWords: 30 } })
      .expect(201);
    const seen = await supertest(app).get(`/api/v1/modules/${module.body.id}`).set(learnerAuth).expect(200);
    expect(seen.body.completion).to.deep.equal({ type: 'reflection', minWords: 30 });
    const short = await supertest(app)
      .post(`/api/v1/modules/${module.body.id}/completion`)
      .set(learnerAuth)
      .send({ reflection: words(29) })
      .expect(422);
    expect(short.headers['content-type']).to.match(/problem\+json/);
    expect(short.body.detail).to.include('30 words');
    expect(short.body.minWords).to.equal(30);
    expect(short.body.errors[0]).to.include({ path: 'reflection' });
    expect(short.body.errors[0].message).to.include('30 words');
    expect(await CompletionModel.countDocuments({ userId: learner.id })).to.equal(0);
    await supertest(app)
      .post(`/api/v1/modules/${module.body.id}/completion`)
      .set(learnerAuth)
      .send({ reflection: words(30) })
      .expect(200);
  });

  it('words are counted in every script: Chinese and Thai, written without spaces, meet a minimum as English does', async () => {
    const { programme, auth, learnerAuth } = await setUp();
    const module = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'Ten', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection', minWords: 10 } })
      .expect(201);
    const complete = (reflection: string) =>
      supertest(app).post(`/api/v1/modules/${module.body.id}/completion`).set(learnerAuth).send({ reflection });
    // Ten or more words each (it counted one: the runs between spaces).
    expect(wordsIn('我认为女性领导者在学校里非常重要而且我们需要更多的支持和培训')).to.be.at.least(10);
    expect(wordsIn('ผู้นำหญิงในโรงเรียนสำคัญมากและเราต้องการการสนับสนุนเพิ่มเติม')).to.be.at.least(10);
    expect(wordsIn('أعتقد أن القيادات النسائية مهمة في عام 2027.')).to.equal(8);
    expect(wordsIn('I think women leaders matter, a lot.')).to.equal(7);
    expect(wordsIn('🙂 🙂 — !')).to.equal(0);
    // Short in Chinese is still short, and says how many words it has.
    const short = await complete('我认为很重要').expect(422);
    expect(short.body.errors[0].message).to.equal('write at least 10 words (this one has 4)');
    await complete('我认为女性领导者在学校里非常重要而且我们需要更多的支持和培训').expect(200);
  });

  it('with the default of 0 a one-word reflection completes it: the old fixed 25-word rule is gone', async () => {
    const { programme, auth, learnerAuth } = await setUp();
    const module = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'Any', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection' } })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/modules/${module.body.id}/completion`)
      .set(learnerAuth)
      .send({ reflection: 'Grateful.' })
      .expect(200);
  });

  it('on the page: the author sets the minimum in the module form; the learner sees it, a word-count area, and a form error when short', async () => {
    const { programme, admin, learner } = await setUp();
    const author = await signIn(app, admin.email, testPassword);
    const form = await author.get(`/programmes/${programme.id}/modules/new`).expect(200);
    expect(form.text).to.include('name="minWords"');
    await author
      .post(`/programmes/${programme.id}/modules`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        title: 'Twelve words',
        body: 'Write.',
        estimatedMinutes: '5',
        completionType: 'reflection',
        minWords: '12',
        passMark: '80',
        action: 'save',
      })
      .expect(303);
    const module = await ModuleModel.findOne({ title: 'Twelve words' }).lean();
    expect(module!.completion!.minWords).to.equal(12);
    const bad = await author
      .post(`/modules/${module!._id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        title: 'Twelve words',
        body: 'Write.',
        estimatedMinutes: '5',
        completionType: 'reflection',
        minWords: '900',
        passMark: '80',
        action: 'save',
      })
      .expect(422);
    expect(bad.text).to.include('field-minWords-error');

    const agent = await signIn(app, learner.email, testPassword);
    const page = await agent.get(`/modules/${module!._id}`).expect(200);
    expect(page.text)
      .to.include('At least 12 words.')
      .and.include('data-min-words="12"')
      .and.include('/public/js/word-count.js');
    const short = await agent
      .post(`/modules/${module!._id}/completion`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reflection: words(11) })
      .expect(422);
    expect(short.text).to.include('at least 12 words').and.include('field-reflection-error');
    expect(short.text).to.include(words(11));
    await agent
      .post(`/modules/${module!._id}/completion`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reflection: words(12) })
      .expect(303);
  });

  it('on the page, a reflection longer than 20,000 characters is refused at its field with her text kept, never saved cut short', async () => {
    const { programme, auth, learner } = await setUp();
    const module = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(auth)
      .send({ title: 'Long', body: 'Write.', estimatedMinutes: 5, completion: { type: 'reflection' } })
      .expect(201);
    const agent = await signIn(app, learner.email, testPassword);
    const page = await agent.get(`/modules/${module.body.id}`).expect(200);
    // 25,000 characters: what a long reflection pasted from a document can be.
    const long = `${'I learned to ask the panel for its criteria first. '.repeat(490)}The end.`;
    expect(long.length).to.be.greaterThan(20_000);
    const refused = await agent
      .post(`/modules/${module.body.id}/completion`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reflection: long })
      .expect(422);
    expect(refused.text).to.include('field-reflection-error').and.include('at most 20,000 characters');
    expect(refused.text).to.include('The end.');
    expect(await CompletionModel.countDocuments({ userId: learner.id })).to.equal(0);
  });
});
