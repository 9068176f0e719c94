import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { ApiTokenModel } from '../../models/ApiToken.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { removeExpiredRecords } from '../../jobs/maintenance.ts';
import { sessionCookieName } from '../../server/http/sessionCookie.ts';
import { connectedDatabase } from '../../server/db.ts';
import { NotFoundError } from '../../server/errors.ts';
import { setPasswordWithLink } from '../../server/services/users.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { requestResetLink } from '../support/passwordReset.ts';

const cookieOf = (res: supertest.Response): string | undefined =>
  ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith(`${sessionCookieName}=`))
    ?.split(';')[0];

describe('sign-in, sessions, CSRF and API tokens', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('when a participant signs in through the form, she lands on her dashboard with a new session id', async () => {
    const user = await buildUser({ name: 'Priya Test' });
    const agent = supertest.agent(app);
    const page = await agent.get('/login').expect(200);
    const before = cookieOf(page);
    const res = await agent
      .post('/login')
      .type('form')
      .send({ email: user.email.toUpperCase(), password: testPassword, _csrf: csrfFrom(page.text) })
      .expect(303);
    const after = cookieOf(res);
    expect(after).to.be.a('string');
    expect(after).to.not.equal(before);
    const dashboard = await agent.get('/').expect(200);
    expect(dashboard.text).to.include('Welcome, Priya Test');
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).join(';'))
      .to.match(/HttpOnly/i)
      .and.to.match(/SameSite=Lax/i);
  });

  it('a sign-in form sent with a field empty names that field, links to it, and keeps the address she typed', async () => {
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get('/login')).text);
    const noPassword = await agent
      .post('/login')
      .type('form')
      .send({ email: ' priya@example.org ', password: '', _csrf: token })
      .expect(422);
    expect(noPassword.text).to.include('<a href="#field-password">');
    expect(noPassword.text).to.include('Enter your password.');
    expect(noPassword.text).to.match(/id="field-password"[^>]*aria-invalid="true"/);
    expect(noPassword.text).to.include('value="priya@example.org"');
    expect(noPassword.text).to.not.include('The email or password is not right');
    const both = await agent.post('/login').type('form').send({ email: '', password: '', _csrf: token }).expect(422);
    expect(both.text).to.include('<a href="#field-email">').and.to.include('<a href="#field-password">');
  });

  it('a sign-in sent with the password empty (form or token request) is not a failed attempt: after 11 of each, her right password signs her in', async () => {
    const user = await buildUser();
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get('/login')).text);
    for (let n = 0; n < 11; n++) {
      await agent.post('/login').type('form').send({ email: user.email, password: '', _csrf: token }).expect(422);
      const api = await supertest(app)
        .post('/api/v1/auth/tokens')
        .send({ email: user.email, password: '' })
        .expect(422);
      expect(api.body.errors[0].path).to.equal('password');
    }
    await supertest(app).post('/api/v1/auth/tokens').send({ email: user.email, password: testPassword }).expect(201);
    await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: testPassword, _csrf: token })
      .expect(303);
  });

  it('when the password is wrong, it answers 401 with a message that does not say whether the account exists', async () => {
    const user = await buildUser();
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get('/login')).text);
    const wrong = await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: 'not-the-password-at-all', _csrf: token })
      .expect(401);
    const unknown = await agent
      .post('/login')
      .type('form')
      .send({ email: 'nobody@example.org', password: 'not-the-password-at-all', _csrf: token })
      .expect(401);
    expect(wrong.text).to.include('The email or password is not right');
    expect(unknown.text).to.include('The email or password is not right');
  });

  it('when a login form is posted without a valid CSRF token, it answers 403 and signs nobody in', async () => {
    const user = await buildUser();
    const agent = supertest.agent(app);
    await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: testPassword, _csrf: 'forged' })
      .expect(403)
      // A form left open past its session is refused: the title, read first, says so as on any refused form.
      .then((res) => expect(res.text).to.include('<title>Error: Form expired · Pathways</title>'));
    await agent
      .get('/')
      .expect(200)
      .then((res) => expect(res.text).to.not.include('Welcome'));
  });

  it('when a signed-in form is posted without a CSRF token, it answers 403 and creates nothing', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    await agent
      .post('/admin/users')
      .type('form')
      .send({ name: 'Sneaky', email: 'sneaky@example.org', roles: 'participant' })
      .expect(403);
    expect(await UserModel.exists({ email: 'sneaky@example.org' })).to.equal(null);
  });

  it('after 10 failed attempts on one account, it answers 429 with Retry-After even with the right password', async () => {
    const user = await buildUser();
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get('/login')).text);
    for (let i = 0; i < 10; i++)
      await agent
        .post('/login')
        .type('form')
        .send({ email: user.email, password: `wrong-password-${i}-xx`, _csrf: token })
        .expect(401);
    const limited = await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: testPassword, _csrf: token })
      .expect(429);
    expect(Number(limited.headers['retry-after'])).to.be.greaterThan(0);
  });

  it('signing out ends the session', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const token = csrfFrom((await agent.get('/')).text);
    await agent.post('/logout').type('form').send({ _csrf: token }).expect(303);
    await agent.get('/api/v1/me').expect(401);
  });

  it('creates, lists and revokes API tokens; a revoked token is refused', async () => {
    const user = await buildUser();
    const created = await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: user.email, password: testPassword, name: 'MIS script' })
      .expect(201);
    expect(created.body).to.have.keys('token', 'id', 'expiresAt');
    const stored = await ApiTokenModel.findById(created.body.id).lean();
    expect(stored!.tokenHash).to.not.equal(created.body.token);
    const auth = { Authorization: `Bearer ${created.body.token}` };
    const me = await supertest(app).get('/api/v1/me').set(auth).expect(200);
    expect(me.body).to.deep.equal({
      id: user.id,
      email: user.email,
      name: user.name,
      roles: ['participant'],
      timezone: 'Europe/London',
      // The details' version a PATCH /me may send back (a save over someone else's is a 409).
      version: 0,
    });
    const list = await supertest(app).get('/api/v1/auth/tokens').set(auth).expect(200);
    expect(list.body.items.map((t: { name: string }) => t.name)).to.include('MIS script');
    await supertest(app).delete(`/api/v1/auth/tokens/${created.body.id}`).set(auth).expect(204);
    const refused = await supertest(app).get('/api/v1/me').set(auth).expect(401);
    expect(refused.headers['content-type']).to.match(/application\/problem\+json/);
  });

  it('a token with a wrong password is refused with a problem document', async () => {
    const user = await buildUser();
    const res = await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: user.email, password: 'not-the-password-12' })
      .expect(401);
    expect(res.body).to.include({ status: 401, title: 'Not signed in' });
  });

  it("one user cannot revoke another user's token (404)", async () => {
    const owner = await buildUser();
    const other = await buildUser();
    const ownerToken = await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: owner.email, password: testPassword })
      .expect(201);
    await supertest(app)
      .delete(`/api/v1/auth/tokens/${ownerToken.body.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(other)}` })
      .expect(404);
    expect(await ApiTokenModel.exists({ _id: ownerToken.body.id })).to.not.equal(null);
  });

  it('with a session cookie, an unsafe API call needs the X-CSRF-Token header', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    await agent
      .post('/api/v1/users')
      .send({ email: 'x1@example.org', name: 'X', roles: ['participant'] })
      .expect(403);
    const token = csrfFrom((await agent.get('/')).text);
    await agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', token)
      .send({ email: 'x1@example.org', name: 'X', roles: ['participant'] })
      .expect(201);
  });

  it('password reset: the emailed link works once and within the hour', async () => {
    const user = await buildUser();
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get('/password-reset')).text);
    await agent.post('/password-reset').type('form').send({ email: user.email, _csrf: token }).expect(303);
    // Same answer for an unknown address (no enumeration), and no email for it.
    await agent.post('/password-reset').type('form').send({ email: 'unknown@example.org', _csrf: token }).expect(303);
    await workAfterAnswersDone();
    const emails = await OutboxMessageModel.find({ subject: /Reset your Pathways password/ }).lean();
    expect(emails.map((e) => e.to)).to.deep.equal([user.email]);
    const link = /http:\/\/pathways\.test(\/password-reset\/[A-Za-z0-9_-]+)/.exec(emails[0]!.text)![1]!;
    const form = await agent.get(link).expect(200);
    await agent
      .post(link)
      .type('form')
      .send({ password: 'a brand new passphrase', confirm: 'a brand new passphrase', _csrf: csrfFrom(form.text) })
      .expect(303);
    const again = await supertest(app).get(link).expect(404);
    expect(again.text).to.include('not valid any more');
    await signIn(app, user.email, 'a brand new passphrase');
  });

  it('a reset request is answered before her email is even looked up, so how long it takes tells nothing of whether the address has an account', async () => {
    const user = await buildUser();
    const agent = supertest.agent(app);
    const csrf = csrfFrom((await agent.get('/password-reset')).text);
    // Her account's lookup is held: an answer that waited for the reset work would never come.
    const held = holdNextCall(UserModel, 'findOne', {
      lean: true,
      before: true,
      when: (args) => (args[0] as { email?: unknown } | undefined)?.email === user.email,
    });
    try {
      const res = await agent.post('/password-reset').type('form').send({ email: user.email, _csrf: csrf });
      expect(res.status).to.equal(303);
      await held.reached;
      expect(await OutboxMessageModel.countDocuments({ to: user.email })).to.equal(0);
    } finally {
      held.release();
      held.restore();
    }
    await workAfterAnswersDone();
    expect(
      await OutboxMessageModel.countDocuments({ to: user.email, subject: /Reset your Pathways password/ }),
    ).to.equal(1);
  });

  it('when the new password is refused (too short, not the same twice), the set-password page answers 422 with the error summary and each error at its field', async () => {
    const user = await buildUser();
    const { agent, link } = await requestResetLink(app, user.email);
    const form = await agent.get(link).expect(200);

    const short = await agent
      .post(link)
      .type('form')
      .send({ password: 'too short', confirm: 'too short', _csrf: csrfFrom(form.text) })
      .expect(422);
    expect(short.text).to.include('There is a problem');
    expect(short.text).to.include('<a href="#field-password">New password: Use at least 12 characters.</a>');
    expect(short.text).to.match(
      /id="field-password"[^>]*aria-invalid="true"[^>]*aria-describedby="field-password-error"/,
    );
    expect(short.text).to.include('id="field-password-error"');

    const mismatch = await agent
      .post(link)
      .type('form')
      .send({ password: 'a brand new passphrase', confirm: 'a brand new passphrose', _csrf: csrfFrom(short.text) })
      .expect(422);
    expect(mismatch.text).to.include('There is a problem');
    expect(mismatch.text).to.include(
      '<a href="#field-confirm">New password again: The two passwords are not the same.</a>',
    );
    expect(mismatch.text).to.match(/id="field-confirm"[^>]*aria-describedby="field-confirm-error"/);
    // Refused submissions leave the link unused and the old password in place.
    await agent.get(link).expect(200);
    await signIn(app, user.email, testPassword);
  });

  it('a reset link submitted ten times at the same moment sets one password; the other nine are refused', async () => {
    const user = await buildUser();
    const { secret } = await requestResetLink(app, user.email);
    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        setPasswordWithLink({ purpose: 'password-reset', secret, password: `racing passphrase number ${i}` }),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).to.have.length(1);
    expect(
      attempts
        .filter((a) => a.status === 'rejected')
        .every((a) => (a as PromiseRejectedResult).reason instanceof NotFoundError),
    ).to.equal(true);
  });

  it('a session older than the absolute timeout (12 hours) is ended even while active', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    await agent.get('/api/v1/me').expect(200);
    const sessions = mongoose.connection.db!.collection<{ _id: string; session: string }>('sessions');
    for (const stored of await sessions.find({}).toArray()) {
      const data = JSON.parse(stored.session) as { startedAt?: number; passport?: { user?: string } };
      if (data.passport?.user !== user.id) continue;
      data.startedAt = Date.now() - 13 * 60 * 60 * 1000;
      await sessions.updateOne({ _id: stored._id }, { $set: { session: JSON.stringify(data) } });
    }
    await agent.get('/api/v1/me').expect(401);
    const home = await agent.get('/').expect(200);
    expect(home.text).to.not.include('Welcome,');
  });

  it('the session store is the database (sessions collection)', async () => {
    const user = await buildUser();
    await signIn(app, user.email, testPassword);
    expect(await mongoose.connection.db!.collection('sessions').countDocuments()).to.be.greaterThan(0);
  });

  it('a session past its expiry in the store is not accepted, even with its cookie', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    await agent.get('/api/v1/me').expect(200);
    await mongoose.connection
      .db!.collection('sessions')
      .updateMany({}, { $set: { expires: new Date(Date.now() - 1000) } });
    await agent.get('/api/v1/me').expect(401);
  });

  it('a token with its id intact but its secret altered, expired, or of the wrong shape is refused (401)', async () => {
    const user = await buildUser();
    const token = await tokenFor(user);
    const [id, secret] = [token.slice(0, 24), token.slice(25)];
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    await supertest(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    await supertest(app).get('/api/v1/me').set('Authorization', `Bearer ${id}_${flipped}`).expect(401);
    await supertest(app).get('/api/v1/me').set('Authorization', `Bearer ${secret}`).expect(401);
    await ApiTokenModel.updateOne({ _id: id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    await supertest(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`).expect(401);
  });
  it('the Authorization scheme is read whatever its case ("bearer", "BEARER"), as HTTP defines auth schemes', async () => {
    const user = await buildUser();
    const token = await tokenFor(user);
    for (const scheme of ['bearer', 'BEARER', 'Bearer'])
      expect(
        (await supertest(app).get('/api/v1/me').set('Authorization', `${scheme} ${token}`).expect(200)).body.id,
        scheme,
      ).to.equal(user.id);
  });

  it('an API 401 carries a Bearer challenge (WWW-Authenticate), naming an invalid token when one was sent', async () => {
    const none = await supertest(app).get('/api/v1/me').expect(401);
    expect(none.headers['www-authenticate']).to.equal('Bearer realm="Pathways"');
    const bad = await supertest(app)
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${'x'.repeat(40)}`)
      .expect(401);
    expect(bad.headers['www-authenticate']).to.equal('Bearer realm="Pathways", error="invalid_token"');
    expect(bad.headers['content-type']).to.match(/application\/problem\+json/);
  });

  it('expired sessions are removed: by a TTL index on MongoDB, by the acknowledged maintenance job on FerretDB', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    await agent.get('/api/v1/me').expect(200);
    const sessions = mongoose.connection.db!.collection('sessions');
    const ttl = (await sessions.indexes()).find((index) => index.key.expires === 1 && index.expireAfterSeconds === 0);
    const info = await mongoose.connection.db!.admin().command({ buildInfo: 1 });
    expect(connectedDatabase().ferretDb).to.equal('ferretdbVersion' in info);
    // FerretDB 1.x has no TTL indexes: connect-mongo must not try ('disabled'); on MongoDB it creates one ('native').
    expect(Boolean(ttl)).to.equal(!connectedDatabase().ferretDb);
    await sessions.updateMany({}, { $set: { expires: new Date(Date.now() - 1000) } });
    const removed = await removeExpiredRecords();
    expect(removed.sessions).to.be.greaterThan(0);
    expect(await sessions.countDocuments()).to.equal(0);
  });
});
