import { expect } from 'chai';
import supertest from 'supertest';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { csrfFrom, errorSummaryOf, versionFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { matchedThroughApi } from '../support/mentorshipFactories.ts';

/** The version the agreement form was opened at (its hidden field). */
/** A calendar date this many days from now (UTC). */
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

describe('mentoring: one member’s save of the agreement is never silently undone by the other’s', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const as = async (user: TestUser) => ({ Authorization: `Bearer ${await tokenFor(user)}` });

  it('an agreement form opened before the other member’s save is a 409 with her text kept, saved only when sent again', async () => {
    const { mentor, mentee, id } = await matchedThroughApi(app);
    const mentorAgent = await signIn(app, mentor.email, testPassword);
    const mentorPage = await mentorAgent.get(`/mentorships/${id}`).expect(200);
    const menteeAgent = await signIn(app, mentee.email, testPassword);
    const menteePage = await menteeAgent.get(`/mentorships/${id}`).expect(200);
    await mentorAgent
      .post(`/mentorships/${id}/agreement`)
      .type('form')
      .send({
        _csrf: csrfFrom(mentorPage.text),
        version: versionFrom(mentorPage.text),
        goals: 'Prepare for interviews',
        meetingFrequency: 'monthly',
        endsOn: inDays(180),
      })
      .expect(303);
    const mine = {
      _csrf: csrfFrom(menteePage.text),
      version: versionFrom(menteePage.text),
      goals: 'Negotiate my first salary',
      meetingFrequency: 'weekly',
      endsOn: inDays(90),
    };
    const conflict = await menteeAgent.post(`/mentorships/${id}/agreement`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('This agreement was saved again after you opened it');
    expect(conflict.text).to.include('Negotiate my first salary</textarea>');
    expect((await MentorshipModel.findById(id).lean())!.agreement!.goals).to.deep.equal(['Prepare for interviews']);
    await menteeAgent
      .post(`/mentorships/${id}/agreement`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
      .expect(303);
    expect((await MentorshipModel.findById(id).lean())!.agreement!.goals).to.deep.equal(['Negotiate my first salary']);
  });

  it('a goal too long is refused at the goals box, naming which goal, and the summary leads to the box', async () => {
    const { mentor, id } = await matchedThroughApi(app);
    const agent = await signIn(app, mentor.email, testPassword);
    const page = await agent.get(`/mentorships/${id}`).expect(200);
    const refused = await agent
      .post(`/mentorships/${id}/agreement`)
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        version: versionFrom(page.text),
        goals: `Prepare for interviews\n${'Negotiate the pay band with the governors. '.repeat(6)}`,
        meetingFrequency: 'monthly',
        endsOn: inDays(180),
      })
      .expect(422);
    expect(errorSummaryOf(refused.text).targets).to.deep.equal(['field-goals']);
    expect(refused.text).to.match(/id="field-goals-error">[\s\S]*?goal 2 must be at most 200 characters/);
    expect((await MentorshipModel.findById(id).lean())!.agreement?.goals ?? []).to.deep.equal([]);
  });

  it('the API: a PUT naming the agreementVersion it read is a 409 problem after the other’s save; without one, the last write wins', async () => {
    const { mentor, mentee, id } = await matchedThroughApi(app);
    const read = await supertest(app)
      .get(`/api/v1/mentorships/${id}`)
      .set(await as(mentee))
      .expect(200);
    const agreement = { goals: ['Lead a staff meeting'], meetingFrequency: 'monthly', endsOn: inDays(120) };
    await supertest(app)
      .put(`/api/v1/mentorships/${id}/agreement`)
      .set(await as(mentor))
      .send(agreement)
      .expect(200);
    const stale = await supertest(app)
      .put(`/api/v1/mentorships/${id}/agreement`)
      .set(await as(mentee))
      .send({ ...agreement, goals: ['Something else'], version: read.body.agreementVersion })
      .expect(409);
    expect(stale.type).to.equal('application/problem+json');
    expect((await MentorshipModel.findById(id).lean())!.agreement!.goals).to.deep.equal(['Lead a staff meeting']);
    await supertest(app)
      .put(`/api/v1/mentorships/${id}/agreement`)
      .set(await as(mentee))
      .send({ ...agreement, goals: ['Something else'] })
      .expect(200);
  });
});
