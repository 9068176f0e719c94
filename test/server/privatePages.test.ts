import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';
import { requestResetLink } from '../support/passwordReset.ts';

/**
 * Schools share computers: no page is kept by the browser (a page answered to someone signed in, one answering a sent
 * form with her text shown back, one opened from her emailed link), so that after she signs out (or her session ends,
 * or she leaves the page) Back shows the next person nothing of hers (server/http/privatePages.ts). Static files and
 * the answers that say so stay cacheable.
 */
describe('pages with her details or her typed text are not kept by the browser', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a signed-in page, and her form refused after she was signed out with her text on it: Cache-Control no-store', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const agent = await signIn(app, member.email, testPassword);
    const account = await agent.get('/account').expect(200);
    expect(account.headers['cache-control']).to.equal('no-store');
    // Never kept, so never revalidated: no ETag is worked out for it (server/app.ts).
    expect(account.headers.etag).to.equal(undefined);
    const page = await agent.get(`/networks/${network.id}`).expect(200);
    expect(page.headers['cache-control']).to.equal('no-store');
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account') })
      .expect(303);
    const refused = await agent
      .post(`/networks/${network.id}/posts`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), kind: 'story', title: 'Leaving', body: 'I am leaving because of my head.' })
      .expect(403);
    expect(refused.text).to.include('I am leaving because of my head.');
    expect(refused.headers['cache-control']).to.equal('no-store');
  });

  it("a visitor's public form sent back with her details (the Pledge refused at a field): no-store", async () => {
    const agent = supertest.agent(app);
    const form = await agent.get('/pledge/sign/individual').expect(200);
    const refused = await agent
      .post('/pledge/sign/individual')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), name: 'Nadia Visitor', email: 'not an address' });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('Nadia Visitor');
    expect(refused.headers['cache-control']).to.equal('no-store');
  });

  it("a visitor's page opened from her emailed link (a password reset, naming her address): no-store", async () => {
    const user = await buildUser();
    const { agent, link } = await requestResetLink(app, user.email);
    const page = await agent.get(link).expect(200);
    expect(page.text).to.include(user.email);
    expect(page.headers['cache-control']).to.equal('no-store');
  });

  it('static files and the answers that say they may be kept (the signing keys) keep their caching, revalidated by ETag', async () => {
    const css = await supertest(app).get('/public/css/app.css').expect(200);
    expect(css.headers['cache-control'] ?? '').to.not.include('no-store');
    const jwks = await supertest(app).get('/lti/jwks').expect(200);
    expect(jwks.headers['cache-control']).to.equal('public, max-age=300');
    expect(jwks.headers['content-type']).to.match(/^application\/json/);
    await supertest(app).get('/lti/jwks').set('If-None-Match', jwks.headers.etag!).expect(304);
  });
});
