import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { generate } from 'otplib';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import {
  beginTwoStepSetup,
  confirmTwoStepSetup,
  enableTwoStepWithSecret,
  recoveryCodeCount,
  timeStepOf,
  useSecondFactor,
} from '../../server/services/accounts/twoStep.ts';
import { settings } from '../../server/settings.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';

/** A fixed clock, in the middle of a 30-second step. */
const t0 = new Date('2026-03-02T10:00:15Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const codeAt = (secret: string, when: Date) => generate({ secret, epoch: Math.floor(when.getTime() / 1000) });

/** A user with two-step sign-in on, set up at t0; returns her secret and recovery codes. */
async function withTwoStep(user: TestUser, now = t0) {
  const { secret } = await beginTwoStepSetup({ userId: user.id });
  const { recoveryCodes } = await confirmTwoStepSetup({ actor: user, otp: await codeAt(secret, now), now });
  return { secret, recoveryCodes };
}

describe('two-step sign-in (TOTP)', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  /** She makes an API token (with one of her recovery codes); turning two-step sign-in off with it, by a code. */
  async function turningOffAs(user: TestUser, recoveryCode: string) {
    const token = (
      await supertest(app)
        .post('/api/v1/auth/tokens')
        .send({ email: user.email, password: testPassword, otp: recoveryCode })
        .expect(201)
    ).body.token as string;
    return (otp: string) =>
      supertest(app).delete('/api/v1/me/mfa').set('Authorization', `Bearer ${token}`).send({ otp });
  }

  describe('codes, with a fixed clock', () => {
    it('when set up, a code from the RFC 6238 secret turns it on and gives 10 different recovery codes, stored hashed', async () => {
      const user = await buildUser();
      const { secret, otpauthUrl } = await beginTwoStepSetup({ userId: user.id });
      expect(secret).to.match(/^[A-Z2-7]{32}$/);
      expect(otpauthUrl)
        .to.match(/^otpauth:\/\/totp\/Pathways:/)
        .and.include(`secret=${secret}`);
      const { recoveryCodes } = await confirmTwoStepSetup({ actor: user, otp: await codeAt(secret, t0), now: t0 });
      expect(recoveryCodes).to.have.length(10);
      expect(new Set(recoveryCodes).size).to.equal(10);
      const stored = await UserModel.findById(user.id).select('+mfaRecoveryCodes +mfaSecret').lean();
      expect(stored!.mfaEnabledAt).to.be.instanceOf(Date);
      expect(stored!.mfaSecret).to.equal(secret);
      for (const code of recoveryCodes) expect(JSON.stringify(stored)).to.not.include(code);
      expect(await AuditEventModel.countDocuments({ action: 'mfa-enabled', targetId: user.id })).to.equal(1);
    });

    it('when the set-up code is wrong, it stays off and says so', async () => {
      const user = await buildUser();
      const { secret } = await beginTwoStepSetup({ userId: user.id });
      const wrong = await codeAt(secret, at(300));
      await confirmTwoStepSetup({ actor: user, otp: wrong, now: t0 }).then(
        () => expect.fail('accepted a wrong code'),
        (error: Error & { status?: number }) => expect(error.status).to.equal(422),
      );
      expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.equal(null);
    });

    it('accepts a code one step early or late, and refuses one two steps away', async () => {
      const user = await buildUser();
      const { secret } = await withTwoStep(user, at(-600));
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(-30)), now: t0 })).to.equal('totp');
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(30)), now: t0 })).to.equal('totp');
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(90)), now: t0 })).to.equal(null);
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(-90)), now: at(0) })).to.equal(
        null,
      );
    });

    it('refuses a code used once already, and any code of an earlier step after a later one (no replay)', async () => {
      const user = await buildUser();
      const { secret } = await withTwoStep(user, at(-600));
      const code = await codeAt(secret, t0);
      expect(await useSecondFactor({ userId: user.id, code, now: t0 })).to.equal('totp');
      expect(await useSecondFactor({ userId: user.id, code, now: at(5) })).to.equal(null);
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(30)), now: at(30) })).to.equal(
        'totp',
      );
      // The previous step's code is within the drift window, but a later step was already accepted.
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(0)), now: at(30) })).to.equal(null);
      expect((await UserModel.findById(user.id).lean())!.mfaLastStep).to.equal(timeStepOf(at(30)));
    });

    it('when the same code arrives twice at once, exactly one is accepted', async () => {
      const user = await buildUser();
      const { secret } = await withTwoStep(user, at(-600));
      const code = await codeAt(secret, t0);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => useSecondFactor({ userId: user.id, code, now: t0 })),
      );
      expect(results.filter((r) => r === 'totp')).to.have.length(1);
    });

    it('accepts each recovery code once, in any case and with or without dashes, even when tried at once', async () => {
      const user = await buildUser();
      const { recoveryCodes } = await withTwoStep(user);
      const [first, second] = recoveryCodes as [string, string];
      expect(
        await useSecondFactor({ userId: user.id, code: first.toUpperCase().replaceAll('-', ''), now: t0 }),
      ).to.equal('recovery-code');
      expect(await useSecondFactor({ userId: user.id, code: first, now: t0 })).to.equal(null);
      const racing = await Promise.all(
        Array.from({ length: 5 }, () => useSecondFactor({ userId: user.id, code: second, now: t0 })),
      );
      expect(racing.filter(Boolean)).to.have.length(1);
      const stored = await UserModel.findById(user.id).select('+mfaRecoveryCodes').lean();
      expect(stored!.mfaRecoveryCodes).to.have.length(8);
    });
  });

  describe('sign-in form', () => {
    it('when two-step sign-in is on, the password leads to a second step, and only a right code signs her in', async () => {
      const user = await buildUser({ name: 'Grace Twostep' });
      const { secret } = await withTwoStep(user, at(-600));
      const agent = supertest.agent(app);
      const login = await agent.get('/login');
      await agent
        .post('/login')
        .type('form')
        .send({ email: user.email, password: testPassword, _csrf: csrfFrom(login.text) })
        .expect(303)
        .expect('Location', '/login/two-step');
      // Not signed in yet: the dashboard is the public home.
      expect((await agent.get('/')).text).to.not.include('Welcome, Grace Twostep');
      const step = await agent.get('/login/two-step').expect(200);
      expect(step.text).to.include('Code from your authenticator app');
      const wrong = await agent
        .post('/login/two-step')
        .type('form')
        .send({ code: '000000', _csrf: csrfFrom(step.text) })
        .expect(401);
      expect(wrong.text).to.include('That code is not right');
      await agent
        .post('/login/two-step')
        .type('form')
        .send({ code: await codeAt(secret, new Date()), _csrf: csrfFrom(wrong.text) })
        .expect(303)
        .expect('Location', '/');
      expect((await agent.get('/')).text).to.include('Welcome, Grace Twostep');
      const events = await AuditEventModel.find({ targetId: user.id }).sort({ at: 1 }).lean();
      expect(events.map((e) => e.action)).to.include.members(['sign-in-failed', 'sign-in']);
      expect(events.find((e) => e.action === 'sign-in')!.detail).to.equal('password and totp');
    });

    it('wrong codes on the second step and in the token endpoint’s otp share one count: 10 in all, then even a right code waits (429)', async () => {
      const user = await buildUser();
      const { secret } = await withTwoStep(user, at(-600));
      const agent = supertest.agent(app);
      const login = await agent.get('/login');
      await agent
        .post('/login')
        .type('form')
        .send({ email: user.email, password: testPassword, _csrf: csrfFrom(login.text) })
        .expect(303);
      let csrf = csrfFrom((await agent.get('/login/two-step')).text);
      for (let n = 0; n < 6; n++) {
        const wrong = await agent
          .post('/login/two-step')
          .type('form')
          .send({ code: String(200000 + n), _csrf: csrf })
          .expect(401);
        csrf = csrfFrom(wrong.text);
      }
      const token = (otp: string) =>
        supertest(app).post('/api/v1/auth/tokens').send({ email: user.email, password: testPassword, otp });
      for (let n = 0; n < 4; n++) await token(String(300000 + n)).expect(401);
      const refused = await token(await codeAt(secret, new Date())).expect(429);
      expect(refused.headers['content-type']).to.include('application/problem+json');
      await agent
        .post('/login/two-step')
        .type('form')
        .send({ code: await codeAt(secret, new Date()), _csrf: csrf })
        .expect(429);
    });

    it('a second step sent with the code empty asks for the code (422 at the field) and is not a wrong code: after 11, a recovery code signs her in', async () => {
      const user = await buildUser();
      const { recoveryCodes } = await withTwoStep(user, at(-600));
      const agent = supertest.agent(app);
      const login = await agent.get('/login');
      await agent
        .post('/login')
        .type('form')
        .send({ email: user.email, password: testPassword, _csrf: csrfFrom(login.text) })
        .expect(303);
      let csrf = csrfFrom((await agent.get('/login/two-step')).text);
      for (let n = 0; n < 11; n++) {
        const empty = await agent
          .post('/login/two-step')
          .type('form')
          .send({ code: n % 2 ? '   ' : '', _csrf: csrf })
          .expect(422);
        expect(empty.text).to.include('<a href="#field-code">Code from your authenticator app: Enter the code');
        expect(empty.text).to.match(/id="field-code"[^>]*aria-invalid="true"/);
        expect(empty.text).to.not.include('That code is not right');
        csrf = csrfFrom(empty.text);
      }
      await agent
        .post('/login/two-step')
        .type('form')
        .send({ code: recoveryCodes[0], _csrf: csrf })
        .expect(303)
        .expect('Location', '/');
    });

    it('when she has no pending password step, the second-step page sends her to sign in', async () => {
      await supertest(app).get('/login/two-step').expect(303).expect('Location', '/login');
    });

    it('the set-up page shows the QR code and the secret as text, and a current code turns it on with recovery codes', async () => {
      const user = await buildUser();
      const agent = await signIn(app, user.email, testPassword);
      const page = await agent.get('/account/two-step').expect(200);
      expect(page.text).to.include('data:image/svg+xml;base64,');
      const secret = /id="two-step-secret">([A-Z2-7 ]+)</.exec(page.text)![1]!.replaceAll(' ', '');
      // On a phone, a link opens the authenticator app there with the same secret (no screen to scan).
      const link = /<a href="(otpauth:\/\/totp\/[^"]+)">Add Pathways to the authenticator app on this device<\/a>/.exec(
        page.text,
      )![1]!;
      expect(new URL(link.replaceAll('&amp;', '&')).searchParams.get('secret')).to.equal(secret);
      const done = await agent
        .post('/account/two-step')
        .type('form')
        .send({ otp: await codeAt(secret, new Date()), _csrf: csrfFrom(page.text) })
        .expect(200);
      expect(done.text.match(/<li><code>[a-z0-9-]{19}<\/code><\/li>/g)).to.have.length(10);
      expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.be.instanceOf(Date);
    });

    it('the set-up page opened in two tabs at once shows one secret in both, so a code from either QR code turns it on', async () => {
      const user = await buildUser();
      const agent = await signIn(app, user.email, testPassword);
      const secretOf = (html: string) => /id="two-step-secret">([A-Z2-7 ]+)</.exec(html)![1]!.replaceAll(' ', '');
      // The first tab has made its secret and is about to store it when the second tab's page is made and shown.
      const held = holdNextCall(UserModel, 'updateOne', {
        before: true,
        when: (args) => JSON.stringify(args[1]).includes('mfaPendingSecret'),
      });
      try {
        const first = agent.get('/account/two-step').then((res) => res);
        await held.reached;
        held.restore();
        const second = await agent.get('/account/two-step').expect(200);
        held.release();
        const firstPage = await first;
        expect(firstPage.status).to.equal(200);
        expect(secretOf(firstPage.text)).to.equal(secretOf(second.text));
        await agent
          .post('/account/two-step')
          .type('form')
          .send({ otp: await codeAt(secretOf(firstPage.text), new Date()), _csrf: csrfFrom(firstPage.text) })
          .expect(200);
      } finally {
        held.release();
        held.restore();
      }
      expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.be.instanceOf(Date);
    });

    it('turning it off needs a current code; a wrong one answers 422 and leaves it on', async () => {
      const user = await buildUser();
      const { recoveryCodes } = await withTwoStep(user, at(-600));
      const agent = await signInWithRecovery(user, recoveryCodes[0]!);
      const csrf = await csrfOf(agent, '/account/security');
      await agent.post('/account/two-step/off').type('form').send({ otp: '123456', _csrf: csrf }).expect(422);
      expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.be.instanceOf(Date);
      await agent.post('/account/two-step/off').type('form').send({ otp: recoveryCodes[1], _csrf: csrf }).expect(303);
      expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.equal(null);
      expect(await AuditEventModel.countDocuments({ action: 'mfa-disabled', targetId: user.id })).to.equal(1);
    });
  });

  async function signInWithRecovery(user: TestUser, recoveryCode: string) {
    const agent = supertest.agent(app);
    const login = await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: testPassword, _csrf: csrfFrom(login.text) })
      .expect(303);
    const step = await agent.get('/login/two-step');
    await agent
      .post('/login/two-step')
      .type('form')
      .send({ code: recoveryCode, _csrf: csrfFrom(step.text) })
      .expect(303);
    return agent;
  }

  describe('API', () => {
    it('when two-step sign-in is on, token creation without a code or with a wrong one is a 401 with mfaRequired', async () => {
      const user = await buildUser();
      const { secret } = await withTwoStep(user, at(-600));
      const missing = await supertest(app)
        .post('/api/v1/auth/tokens')
        .send({ email: user.email, password: testPassword })
        .expect(401);
      expect(missing.headers['content-type']).to.match(/application\/problem\+json/);
      expect(missing.body.mfaRequired).to.equal(true);
      const wrong = await supertest(app)
        .post('/api/v1/auth/tokens')
        .send({ email: user.email, password: testPassword, otp: '000000' })
        .expect(401);
      expect(wrong.body.mfaRequired).to.equal(true);
      const made = await supertest(app)
        .post('/api/v1/auth/tokens')
        .send({ email: user.email, password: testPassword, otp: await codeAt(secret, new Date()) })
        .expect(201);
      expect(made.body.token).to.be.a('string');
      expect(await AuditEventModel.countDocuments({ action: 'token-created', actorId: user.id })).to.equal(1);
    });

    it('a wrong password never reveals whether two-step sign-in is on', async () => {
      const user = await buildUser();
      await withTwoStep(user, at(-600));
      const res = await supertest(app)
        .post('/api/v1/auth/tokens')
        .send({ email: user.email, password: 'not-her-password-at-all' })
        .expect(401);
      expect(res.body.mfaRequired).to.equal(undefined);
    });

    it('sets up through POST /me/mfa and /me/mfa/confirm, and DELETE /me/mfa with a code turns it off', async () => {
      const user = await buildUser();
      const agentToken = (
        await supertest(app).post('/api/v1/auth/tokens').send({ email: user.email, password: testPassword }).expect(201)
      ).body.token as string;
      const api = (method: 'post' | 'delete', path: string) =>
        supertest(app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${agentToken}`);
      const begun = await api('post', '/me/mfa').expect(201);
      expect(begun.body).to.have.keys('secret', 'otpauthUrl');
      await api('post', '/me/mfa/confirm').send({ otp: '000000' }).expect(422);
      const confirmed = await api('post', '/me/mfa/confirm')
        .send({ otp: await codeAt(begun.body.secret, new Date()) })
        .expect(200);
      expect(confirmed.body.recoveryCodes).to.have.length(10);
      await api('post', '/me/mfa').expect(409);
      await api('delete', '/me/mfa').send({ otp: '000000' }).expect(422);
      await api('delete', '/me/mfa').send({ otp: confirmed.body.recoveryCodes[3] }).expect(204);
      expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.equal(null);
      // Her address is told each time, as for a new password.
      const told = (await OutboxMessageModel.find({ to: user.email }).sort({ createdAt: 1 }).lean()).map(
        (m) => m.subject,
      );
      expect(told).to.deep.equal([
        'Two-step sign-in is on for your Pathways account',
        'Two-step sign-in is off for your Pathways account',
      ]);
    });

    it('turning it off refuses every code after 10 wrong ones in 15 minutes (429), on the API and the form', async () => {
      const user = await buildUser();
      const { recoveryCodes } = await withTwoStep(user, at(-600));
      const turnOff = await turningOffAs(user, recoveryCodes[0]!);
      for (let n = 0; n < 10; n++) await turnOff(String(100000 + n)).expect(422);
      const refused = await turnOff(recoveryCodes[1]!).expect(429);
      expect(refused.headers['content-type']).to.include('application/problem+json');
      expect(Number(refused.headers['retry-after'])).to.be.within(1, 15 * 60);
      const agent = await signInWithRecovery(user, recoveryCodes[2]!);
      const page = await agent
        .post('/account/two-step/off')
        .type('form')
        .send({ otp: recoveryCodes[3], _csrf: await csrfOf(agent, '/account/security') })
        .expect(429);
      expect(page.text).to.include('Too many wrong codes');
      const stored = await UserModel.findById(user.id).select('+mfaRecoveryCodes').lean();
      expect(stored!.mfaEnabledAt).to.be.instanceOf(Date);
      // The refused recovery codes were not used up.
      expect(stored!.mfaRecoveryCodes).to.have.length(recoveryCodeCount - 2);
      // Another person's count is her own.
      const other = await buildUser();
      const theirs = await withTwoStep(other, at(-600));
      await (await turningOffAs(other, theirs.recoveryCodes[0]!))(theirs.recoveryCodes[1]!).expect(204);
    });

    it('codes sent all at once to turn it off are judged at most 10 at a time: a right one sent while 10 wrong ones are being judged is refused (429), not taken', async () => {
      const user = await buildUser();
      const { recoveryCodes } = await withTwoStep(user, at(-600));
      const turnOff = await turningOffAs(user, recoveryCodes[0]!);
      // Each recovery code is judged by one write that uses it up; those of the wrong ones are held until the right one
      // has been answered, as guesses still being judged on other processes would be.
      const statics = UserModel as unknown as Record<string, unknown>;
      const hadOwn = Object.prototype.hasOwnProperty.call(statics, 'updateOne');
      const original = statics.updateOne;
      const judging = UserModel.updateOne.bind(UserModel);
      let held = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      statics.updateOne = (...args: Parameters<typeof judging>) => {
        if (!JSON.stringify(args[0]).includes('mfaRecoveryCodes')) return judging(...args);
        held += 1;
        return gate.then(() => judging(...args));
      };
      try {
        const wrong = Array.from({ length: 10 }, (_, n) => turnOff(`wrong-code-${n}`).then((res) => res.status));
        while (held < 10) await new Promise((resolve) => setTimeout(resolve, 5));
        const right = turnOff(recoveryCodes[1]!).then((res) => res.status);
        // Refused before it is judged, it is answered at once; judged, it would wait with the wrong ones.
        await Promise.race([right, new Promise((resolve) => setTimeout(resolve, 3000))]);
        release();
        expect(await right).to.equal(429);
        expect(await Promise.all(wrong)).to.deep.equal(Array(10).fill(422));
      } finally {
        release();
        if (hadOwn) statics.updateOne = original;
        else delete statics.updateOne;
      }
      expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.be.instanceOf(Date);
    });

    it("an admin resets someone's two-step sign-in (audited as mfa-reset); a participant gets 403", async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const participant = await buildUser();
      const target = await buildUser();
      await withTwoStep(target);
      const adminToken = (
        await supertest(app).post('/api/v1/auth/tokens').send({ email: admin.email, password: testPassword })
      ).body.token as string;
      const participantToken = (
        await supertest(app).post('/api/v1/auth/tokens').send({ email: participant.email, password: testPassword })
      ).body.token as string;
      await supertest(app)
        .delete(`/api/v1/users/${target.id}/mfa`)
        .set('Authorization', `Bearer ${participantToken}`)
        .expect(403);
      expect((await UserModel.findById(target.id).lean())!.mfaEnabledAt).to.be.instanceOf(Date);
      await supertest(app)
        .delete(`/api/v1/users/${target.id}/mfa`)
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(204);
      expect((await UserModel.findById(target.id).lean())!.mfaEnabledAt).to.equal(null);
      const notice = await OutboxMessageModel.findOne({ to: target.email }).lean();
      expect(notice!.subject).to.equal('An administrator turned off two-step sign-in for your Pathways account');
      const event = await AuditEventModel.findOne({ action: 'mfa-reset', targetId: target.id }).lean();
      expect(String(event!.actorId)).to.equal(admin.id);
      await supertest(app)
        .delete(`/api/v1/users/${target.id}/mfa`)
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(409);
      // On the page, the admin is told what follows for her: with a role that needs none, her password alone.
      const other = await buildUser();
      await withTwoStep(other);
      const adminPage = await signIn(app, admin.email, testPassword);
      const reset = await adminPage
        .post(`/admin/users/${other.id}/two-step/reset`)
        .type('form')
        .send({ _csrf: await csrfOf(adminPage, `/admin/users/${other.id}/two-step`) })
        .expect(303);
      expect((await adminPage.get(reset.headers.location!).expect(200)).text).to.include(
        'she signs in with her password alone until she turns it on again.',
      );
    });
  });

  describe('secrets stored sealed under SECRETS_ENCRYPTION_KEY', () => {
    const storedSecret = async (userId: string) =>
      (await UserModel.findById(userId).select('+mfaSecret +mfaPendingSecret').lean())!;
    const withKey = (key: Buffer | undefined) => {
      settings.secretsEncryptionKey = key;
    };
    afterEach(() => withKey(undefined));

    it('with a key, neither the pending nor the enabled secret is stored readable, and codes work as before', async () => {
      withKey(randomBytes(32));
      const user = await buildUser();
      const { secret } = await beginTwoStepSetup({ userId: user.id });
      const pending = (await storedSecret(user.id)).mfaPendingSecret!;
      expect(pending)
        .to.match(/^sealed1:/)
        .and.not.include(secret);
      await confirmTwoStepSetup({ actor: user, otp: await codeAt(secret, t0), now: t0 });
      const enabled = (await storedSecret(user.id)).mfaSecret!;
      expect(enabled)
        .to.match(/^sealed1:/)
        .and.not.include(secret);
      expect(enabled).to.not.equal(pending, 'sealed again with a fresh nonce');
      const code = await codeAt(secret, at(60));
      expect(await useSecondFactor({ userId: user.id, code, now: at(60) })).to.equal('totp');
      expect(await useSecondFactor({ userId: user.id, code, now: at(61) }), 'replay').to.equal(null);
    });

    it('with a key, a secret set by operators or demo data (no set-up code) is stored sealed too', async () => {
      withKey(randomBytes(32));
      const user = await buildUser();
      const secret = 'OBQXI2DXMF4XGLLEMVWW6LJSON2GK4BB';
      await enableTwoStepWithSecret({ userId: user.id, secret, recoveryCodes: ['demo-code-0001'], now: t0 });
      expect((await storedSecret(user.id)).mfaSecret)
        .to.match(/^sealed1:/)
        .and.not.include(secret);
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(60)), now: at(60) })).to.equal(
        'totp',
      );
    });

    it('a secret stored before the key was set keeps working and is sealed at its next use', async () => {
      const user = await buildUser();
      const { secret } = await withTwoStep(user);
      expect((await storedSecret(user.id)).mfaSecret).to.equal(secret);
      withKey(randomBytes(32));
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(60)), now: at(60) })).to.equal(
        'totp',
      );
      expect((await storedSecret(user.id)).mfaSecret)
        .to.match(/^sealed1:/)
        .and.not.include(secret);
      expect(await useSecondFactor({ userId: user.id, code: await codeAt(secret, at(90)), now: at(90) })).to.equal(
        'totp',
      );
    });

    it('under another key, or copied onto another person, a sealed secret opens for nobody; recovery codes still work', async () => {
      withKey(randomBytes(32));
      const [ada, grace] = [await buildUser(), await buildUser()];
      const { secret, recoveryCodes } = await withTwoStep(ada);
      await withTwoStep(grace);
      const adaSealed = (await storedSecret(ada.id)).mfaSecret!;
      await UserModel.updateOne({ _id: grace.id }, { $set: { mfaSecret: adaSealed } });
      expect(await useSecondFactor({ userId: grace.id, code: await codeAt(secret, at(60)), now: at(60) })).to.equal(
        null,
      );

      withKey(randomBytes(32));
      expect(await useSecondFactor({ userId: ada.id, code: await codeAt(secret, at(60)), now: at(60) })).to.equal(null);
      expect(await useSecondFactor({ userId: ada.id, code: recoveryCodes[0]!, now: at(60) })).to.equal('recovery-code');
    });
  });
});
