import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/**
 * A body refused while it is read (over 1 MB, malformed, in a character set Pathways does not read) is answered once
 * the session has told who sent it (server/http/bodies.ts): a signed-in woman who pasted too much into a form is told
 * so on a page that still shows her signed in, and nothing is written.
 */
describe('a body refused while it is read', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  /** A member of an open network, signed in, on its page: where she writes a story. */
  async function memberOnNetworkPage() {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const agent = await signIn(app, member.email, testPassword);
    return { network, agent, csrf: await csrfOf(agent, `/networks/${network.id}`) };
  }

  it('a web form over 1 MB: 413, on a page that shows her signed in and says what to do; nothing written', async () => {
    const { network, agent, csrf } = await memberOnNetworkPage();
    const res = await agent
      .post(`/networks/${network.id}/posts`)
      .type('form')
      .send({ _csrf: csrf, kind: 'story', title: 'My story', body: 'a'.repeat(1_100_000) })
      .expect(413);
    expect(res.text).to.include('Sign out').and.not.include('Go to the home page or sign in');
    expect(res.text).to.include('sent more than Pathways reads at once (1 MB), so nothing was saved');
    expect(res.text).to.match(/<title>Error: Too much to send/);
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(0);
    // Still signed in: the next page is hers.
    await agent.get('/account').expect(200);
  });

  it('a web form of more fields than 1 MB of form text can hold (a script’s, all separators): 413 as too much to send, not 500', async () => {
    const { network, agent, csrf } = await memberOnNetworkPage();
    const res = await agent
      .post(`/networks/${network.id}/posts`)
      .type('form')
      .send(`_csrf=${encodeURIComponent(csrf)}&kind=story&title=x&body=y${'&'.repeat(450_000)}`)
      .expect(413);
    expect(res.text).to.match(/<title>Error: Too much to send/);
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(0);
  });

  it('the API: malformed JSON is 400 and an oversized body 413, as problem+json, with or without a token', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const token = await tokenFor(admin);
    for (const auth of [{}, { Authorization: `Bearer ${token}` }]) {
      const malformed = await supertest(app)
        .post('/api/v1/networks')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send('{"name": ')
        .expect(400);
      expect(malformed.headers['content-type']).to.match(/^application\/problem\+json/);
      const large = await supertest(app)
        .post('/api/v1/networks')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ name: 'x', description: 'a'.repeat(1_100_000) }))
        .expect(413);
      expect(large.body).to.include({ status: 413, title: 'Too large' });
      // JSON, but no object: not called malformed.
      for (const notAnObject of ['null', '"text"', '7']) {
        const refused = await supertest(app)
          .post('/api/v1/networks')
          .set(auth)
          .set('Content-Type', 'application/json')
          .send(notAnObject)
          .expect(400);
        expect(refused.body.detail).to.equal('The request body must be a JSON object, such as {"name": "…"}.');
      }
    }
  });
});
