import { expect } from 'chai';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

/**
 * Text sent in bytes that are not UTF-8 is refused, never stored as U+FFFD (server/http/utf8.ts): a JSON body, a web
 * form's body and a query string, each with the raw bytes `\xff\xfe` or the UTF-8 form of a lone surrogate
 * (`\xed\xa0\x80`, which written as the JSON escape "\ud800" is a 422 at its field).
 */
describe('text that is not UTF-8', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  /** A body sent as these bytes (superagent writes a Buffer out as JSON, or as a form). */
  const asSent = (body: unknown) => body as string;

  const programme = (title: Buffer) =>
    Buffer.concat([Buffer.from('{"title":"'), title, Buffer.from('","track":"new-head","summary":"A programme"}')]);

  it('an API body holding bytes that are not UTF-8 is a 400 problem, and nothing is stored', async () => {
    const token = await tokenFor(await buildUser({ roles: ['admin'] }));
    for (const bytes of [[0xff, 0xfe], [0xed, 0xa0, 0x80], [0xc3], [0xc0, 0xaf]]) {
      const res = await supertest(app)
        .post('/api/v1/programmes')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/json')
        .serialize(asSent)
        .send(programme(Buffer.concat([Buffer.from('Bad '), Buffer.from(bytes), Buffer.from(' prog')])))
        .expect(400);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body).to.include({ status: 400, title: 'Text not in UTF-8' });
      expect(res.body.detail).to.include('not valid UTF-8');
    }
    expect(await ProgrammeModel.countDocuments({ title: /^Bad / })).to.equal(0);
    // The same lone surrogate as a JSON escape is still refused at its field; UTF-8 text is read as it is.
    const escaped = await supertest(app)
      .post('/api/v1/programmes')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .serialize(asSent)
      .send(programme(Buffer.from('Bad \\ud800 prog')))
      .expect(422);
    expect(escaped.body.errors[0]).to.include({ path: 'title' });
    const accented = await supertest(app)
      .post('/api/v1/programmes')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json; charset=utf-8')
      .serialize(asSent)
      .send(programme(Buffer.from('École d’été 🌱')))
      .expect(201);
    expect(accented.body.title).to.equal('École d’été 🌱');
  });

  it('a web form whose fields are not UTF-8 (escaped or raw) is refused on a page naming the field, signed in; nothing is saved', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ name: 'Spring cohort', facilitatorIds: [facilitator.id] });
    const agent = await signIn(app, facilitator.email, testPassword);
    const path = `/cohorts/${cohort.id}/edit`;
    const fields = (csrf: string, name: string) =>
      `_csrf=${encodeURIComponent(csrf)}&name=${name}&capacity=20&timezone=Europe%2FLondon&startsOn=2027-01-01&endsOn=2027-12-31`;
    for (const name of ['%FF%FEa%C3', 'a%ED%A0%80b']) {
      const res = await agent
        .post(path)
        .type('form')
        .send(fields(await csrfOf(agent, path), name))
        .expect(400);
      expect(res.text).to.match(/<title>Error: Text not in UTF-8/);
      expect(res.text)
        .to.include('This form sent text that is not valid UTF-8')
        .and.include('name: is not valid UTF-8');
      expect(res.text).to.include('Sign out');
    }
    const raw = await agent
      .post(path)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .serialize(asSent)
      .send(Buffer.concat([Buffer.from(fields(await csrfOf(agent, path), 'Bad ')), Buffer.from([0xff, 0xfe])]))
      .expect(400);
    expect(raw.text).to.include('This form sent text that is not valid UTF-8');
    expect((await CohortModel.findById(cohort._id).lean())!.name).to.equal('Spring cohort');
    // Escaped UTF-8 is saved as typed.
    await agent
      .post(path)
      .type('form')
      .send(fields(await csrfOf(agent, path), '%C3%89t%C3%A9+cohort'))
      .expect(303);
    expect((await CohortModel.findById(cohort._id).lean())!.name).to.equal('Été cohort');
  });

  it('a query string whose escapes are not UTF-8 is a 400 naming the parameter, in the API and on a page', async () => {
    const member = await buildUser();
    const token = await tokenFor(member);
    const api = await supertest(app)
      .get('/api/v1/directory?limit=5&q=%FF')
      .set('Authorization', `Bearer ${token}`)
      .expect(400);
    expect(api.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(api.body.errors).to.deep.equal([
      { path: 'q', message: 'is not valid UTF-8: %FF are not the UTF-8 bytes of a character' },
    ]);
    await supertest(app).get('/api/v1/directory?q=%C3%A9').set('Authorization', `Bearer ${token}`).expect(200);
    const agent = await signIn(app, member.email, testPassword);
    const page = await agent.get('/directory?q=pri%ED%A0%80ya').expect(400);
    expect(page.text)
      .to.include('This address holds text that is not valid UTF-8')
      .and.include('q: is not valid UTF-8');
    expect(page.text).to.include('Sign out');
    await agent.get('/directory?q=%C3%A9').expect(200);
    // A "%" that escapes nothing is no byte: read as it is, as before.
    await agent.get('/directory?q=100%25+and+50%').expect(200);
    const admin = await signIn(app, (await buildUser({ roles: ['admin'] })).email, testPassword);
    await admin.get('/users?q=%FF%FE').expect(400);
  });
});
