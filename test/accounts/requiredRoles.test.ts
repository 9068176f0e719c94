import { expect } from 'chai';
import { generate } from 'otplib';
import supertest from 'supertest';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { UserModel } from '../../models/User.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

describe('MFA_REQUIRED_ROLES', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp({ MFA_REQUIRED_ROLES: 'admin,facilitator' });
  });
  // The roles are process settings: the next file's app starts from the test default (nobody).
  after(() => void testApp());

  it('a participant is not asked to set it up', async () => {
    const participant = await buildUser();
    const agent = await signIn(app, participant.email, testPassword);
    await agent.get('/').expect(200);
    await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: participant.email, password: testPassword })
      .expect(201);
    expect((await UserModel.findById(participant.id).lean())!.mfaEnabledAt).to.equal(null);
  });

  it('when a facilitator without two-step sign-in signs in, every page sends her to the set-up, which she can finish', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const agent = await signIn(app, facilitator.email, testPassword);
    for (const path of ['/', '/cohorts', '/account/security', '/admin/users'])
      await agent.get(path).expect(303).expect('Location', '/account/two-step');
    const setup = await agent.get('/account/two-step').expect(200);
    expect(setup.text).to.include('Your role needs two-step sign-in');
    const secret = /id="two-step-secret">([A-Z2-7 ]+)</.exec(setup.text)![1]!.replaceAll(' ', '');
    await agent
      .post('/account/two-step')
      .type('form')
      .send({ otp: await generate({ secret }), _csrf: csrfFrom(setup.text) })
      .expect(200);
    await agent.get('/cohorts').expect(200);
  });

  it('she can still sign out', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    const setup = await agent.get('/account/two-step').expect(200);
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfFrom(setup.text) })
      .expect(303)
      .expect('Location', '/login');
  });

  it('token creation answers 403 with mfaSetupRequired, and an older token reaches only the set-up operations', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const refused = await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: facilitator.email, password: testPassword })
      .expect(403);
    expect(refused.headers['content-type']).to.match(/application\/problem\+json/);
    expect(refused.body.mfaSetupRequired).to.equal(true);
    const older = await tokenFor(facilitator);
    const me = await supertest(app).get('/api/v1/me').set('Authorization', `Bearer ${older}`).expect(403);
    expect(me.body.mfaSetupRequired).to.equal(true);
    await supertest(app).post('/api/v1/me/mfa').set('Authorization', `Bearer ${older}`).expect(201);
  });

  it('when she is made a facilitator while writing a post, sending it shows her text and the way to the set-up; no post', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const agent = await signIn(app, member.email, testPassword);
    const page = (await agent.get(`/networks/${network.id}`).expect(200)).text;
    // An admin gives her a role that requires two-step sign-in meanwhile.
    await UserModel.updateOne({ _id: member.id }, { $set: { roles: ['participant', 'facilitator'] } });
    const refused = await agent
      .post(`/networks/${network.id}/posts`)
      .set('Referer', `http://pathways.test/networks/${network.id}`)
      .type('form')
      .send({ _csrf: csrfFrom(page), kind: 'story', title: 'Promoted', body: 'A story written before the set-up.' })
      .expect(403);
    expect(refused.text).to.include('<title>Error: Set up two-step sign-in first · Pathways</title>');
    expect(refused.text).to.match(
      /<label for="sent-body">Your text<\/label>\s*<textarea id="sent-body" dir="auto" rows="\d+" readonly>A story written before the set-up\.<\/textarea>/,
    );
    expect(refused.text).to.include('<a href="/account/two-step">Set up two-step sign-in</a>');
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(0);
  });
});
