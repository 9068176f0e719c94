import { expect } from 'chai';
import supertest from 'supertest';
import { removeExpiredRecords } from '../../jobs/maintenance.ts';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { OneTimeTokenModel } from '../../models/OneTimeToken.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { csrfFrom, csrfOf, errorSummaryOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';
import { requestResetLink } from '../support/passwordReset.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { currentPasswordAttempts, verifyPassword } from '../../server/services/passwords.ts';
import { readHits } from '../../server/services/rateLimits.ts';

const newPassword = 'a long and fresh passphrase 2027';

describe('password and email changes', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const meWith = (token: string) => supertest(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
  const signedIn = async (agent: ReturnType<typeof supertest.agent>) => (await agent.get('/api/v1/me')).status === 200;

  /** Changes her password on the security page, signed in as `agent` (her current password is the test one). */
  async function changePasswordOnPage(
    agent: ReturnType<typeof supertest.agent>,
    status: number,
    typed: { newPassword: string; confirm: string } = { newPassword, confirm: newPassword },
  ) {
    return agent
      .post('/account/password')
      .type('form')
      .send({ currentPassword: testPassword, ...typed, _csrf: await csrfOf(agent, '/account/security') })
      .expect(status);
  }

  /** Asks, signed in as `agent` with her password, to move her account to `newEmail`: the emailed confirmation path. */
  async function askToMoveEmail(agent: ReturnType<typeof supertest.agent>, newEmail: string) {
    await agent
      .post('/account/email')
      .type('form')
      .send({ newEmail, password: testPassword, _csrf: await csrfOf(agent, '/account/security') })
      .expect(303);
    const confirmation = await OutboxMessageModel.findOne({ to: newEmail, subject: /Confirm/ }).lean();
    return /http:\/\/pathways\.test(\/account\/email\/confirm\/[A-Za-z0-9_-]+)/.exec(confirmation!.text)![1]!;
  }

  it('when she changes her password on the page, her other sessions end and her API tokens are revoked; this browser stays signed in', async () => {
    const user = await buildUser();
    const here = await signIn(app, user.email, testPassword);
    const elsewhere = await signIn(app, user.email, testPassword);
    const token = await tokenFor(user);
    await changePasswordOnPage(here, 303);
    expect(await signedIn(here)).to.equal(true);
    expect(await signedIn(elsewhere)).to.equal(false);
    await meWith(token).expect(401);
    await signIn(app, user.email, newPassword);
    expect(await AuditEventModel.countDocuments({ action: 'password-changed', actorId: user.id })).to.equal(1);
    expect(await OutboxMessageModel.countDocuments({ to: user.email, subject: /password was changed/ })).to.equal(1);
  });

  it('POST /me/password with a token keeps that token and revokes the others, and ends every web session', async () => {
    const user = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    const [mine, other] = [await tokenFor(user), await tokenFor(user)];
    await supertest(app)
      .post('/api/v1/me/password')
      .set('Authorization', `Bearer ${mine}`)
      .send({ currentPassword: testPassword, newPassword })
      .expect(204);
    await meWith(mine).expect(200);
    await meWith(other).expect(401);
    expect(await signedIn(web)).to.equal(false);
  });

  it('when the current password is wrong or the new one too weak, it answers 422 and nothing changes', async () => {
    const user = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    const token = await tokenFor(user);
    const wrong = await supertest(app)
      .post('/api/v1/me/password')
      .set('Authorization', `Bearer ${token}`)
      .send({ currentPassword: 'not my password at all', newPassword })
      .expect(422);
    expect(wrong.body.errors[0].path).to.equal('currentPassword');
    const weak = await supertest(app)
      .post('/api/v1/me/password')
      .set('Authorization', `Bearer ${token}`)
      .send({ currentPassword: testPassword, newPassword: 'short' })
      .expect(422);
    expect(weak.body.errors[0].path).to.equal('newPassword');
    const page = await changePasswordOnPage(web, 422, { newPassword: newPassword, confirm: 'something else' });
    expect(page.text).to.include('The two new passwords are not the same');
    // The error summary names the field by its label on the page, never by its code name.
    expect(page.text).to.include('<a href="#field-confirm">New password again: The two new passwords are not the same');
    const weakOnPage = await changePasswordOnPage(web, 422, { newPassword: 'short', confirm: 'short' });
    expect(weakOnPage.text).to.match(/<a href="#field-newPassword">New password: /);
    expect(await signedIn(web)).to.equal(true);
    await signIn(app, user.email, testPassword);
    expect(await AuditEventModel.countDocuments({ action: 'password-changed', actorId: user.id })).to.equal(0);
  });

  it('a reset request with a mistyped address shows a form error with what she typed (422), and sends nothing', async () => {
    const agent = supertest.agent(app);
    const csrf = csrfFrom((await agent.get('/password-reset')).text);
    const res = await agent
      .post('/password-reset')
      .type('form')
      .send({ email: 'jane.smith.example.org', _csrf: csrf })
      .expect(422);
    expect(res.text).to.include('Enter an email address like name@example.org.');
    expect(res.text).to.include('value="jane.smith.example.org"');
    expect(res.text).to.include('There is a problem');
    expect(await OutboxMessageModel.countDocuments({ to: 'jane.smith.example.org' })).to.equal(0);
  });

  it('one account gets at most 3 reset emails an hour, however many ask; every request gets the same answer', async () => {
    const user = await buildUser();
    const answers: string[] = [];
    for (let n = 0; n < 5; n++) {
      const agent = supertest.agent(app);
      const csrf = csrfFrom((await agent.get('/password-reset')).text);
      const res = await agent.post('/password-reset').type('form').send({ email: user.email, _csrf: csrf }).expect(303);
      await workAfterAnswersDone();
      answers.push(
        `${res.headers.location} ${(await agent.get('/login')).text.includes('If an account uses that address')}`,
      );
    }
    expect(new Set(answers)).to.deep.equal(new Set(['/login true']));
    expect(
      await OutboxMessageModel.countDocuments({ to: user.email, subject: /Reset your Pathways password/ }),
    ).to.equal(3);
  });

  it('past 20 reset requests from one connection in 15 minutes, the form comes back with her address and the reason (429, Retry-After), alike whether the address has an account; typing errors do not count', async () => {
    const user = await buildUser();
    const connection = '10.9.0.1';
    const ask = async (email: string, status: number) => {
      const agent = supertest.agent(app);
      const csrf = csrfFrom((await agent.get('/password-reset')).text);
      const res = await agent
        .post('/password-reset')
        .set('X-Forwarded-For', connection)
        .type('form')
        .send({ email, _csrf: csrf })
        .expect(status);
      return { res, csrf };
    };
    for (let n = 0; n < 3; n++) await ask('not-an-address', 422);
    for (let n = 0; n < 20; n++) await ask(`asker${n}@school.example`, 303);
    await workAfterAnswersDone();
    const sentBefore = await OutboxMessageModel.countDocuments();
    const refused = await ask(user.email, 429);
    const unknown = await ask('nobody@school.example', 429);
    expect(refused.res.headers['retry-after']).to.match(/^\d+$/);
    expect(Number(refused.res.headers['retry-after'])).to.be.within(1, 15 * 60);
    expect(refused.res.text)
      .to.include('Too many requests for reset links')
      .and.to.include(`value="${user.email}"`)
      .and.to.include('<form method="post" action="/password-reset"');
    // The same page for an address with no account: only what she typed differs.
    const page = ({ res, csrf }: { res: supertest.Response; csrf: string }, email: string) =>
      res.text.replaceAll(email, '(address)').replaceAll(csrf, '(token)');
    expect(page(unknown, 'nobody@school.example')).to.equal(page(refused, user.email));
    await workAfterAnswersDone();
    expect(await OutboxMessageModel.countDocuments()).to.equal(sentBefore);
    // Another connection is not affected.
    const elsewhere = supertest.agent(app);
    const form = await elsewhere.get('/password-reset');
    await elsewhere
      .post('/password-reset')
      .set('X-Forwarded-For', '10.9.0.2')
      .type('form')
      .send({ email: user.email, _csrf: csrfFrom(form.text) })
      .expect(303);
  });

  it('a password reset through the emailed link ends every session and revokes every token (audited)', async () => {
    const user = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    const token = await tokenFor(user);
    const { agent, link } = await requestResetLink(app, user.email);
    const form = await agent.get(link).expect(200);
    await agent
      .post(link)
      .type('form')
      .send({ password: newPassword, confirm: newPassword, _csrf: csrfFrom(form.text) })
      .expect(303);
    expect(await signedIn(web)).to.equal(false);
    await meWith(token).expect(401);
    expect(await signedIn(agent)).to.equal(true);
    expect(await AuditEventModel.countDocuments({ action: 'password-reset', targetId: user.id })).to.equal(1);
    expect(await OutboxMessageModel.countDocuments({ to: user.email, subject: /password was reset/ })).to.equal(1);
  });

  it('a reset link still waiting in a mailbox stops working once her password is reset or changed, or her email moves', async () => {
    const refused = async (link: { agent: ReturnType<typeof supertest.agent>; link: string }) =>
      link.agent.get(link.link).expect(404);
    // Two links asked for; the second is used: the first no longer sets her password.
    const reset = await buildUser();
    const first = await requestResetLink(app, reset.email);
    const second = await requestResetLink(app, reset.email);
    const form = await second.agent.get(second.link).expect(200);
    await second.agent
      .post(second.link)
      .type('form')
      .send({ password: newPassword, confirm: newPassword, _csrf: csrfFrom(form.text) })
      .expect(303);
    await refused(first);
    // She changes her password while signed in.
    const changer = await buildUser();
    const waiting = await requestResetLink(app, changer.email);
    const web = await signIn(app, changer.email, testPassword);
    await changePasswordOnPage(web, 303);
    await refused(waiting);
    // She moves to a new address: a link mailed to the old one cannot set her password.
    const mover = await buildUser();
    const old = await requestResetLink(app, mover.email);
    const moved = `moved-away-${mover.id}@example.org`;
    const agent = await signIn(app, mover.email, testPassword);
    const confirm = await askToMoveEmail(agent, moved);
    const page = await agent.get(confirm).expect(200);
    await agent
      .post(confirm)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    await refused(old);
    const attempt = await old.agent.get('/password-reset');
    await old.agent
      .post(old.link)
      .type('form')
      .send({ password: 'another-long-password-9', confirm: 'another-long-password-9', _csrf: csrfFrom(attempt.text) })
      .expect(404);
    await signIn(app, moved, testPassword);
  });

  it('two reset links used at once (two emails, two browsers): one sets her password, the other is refused (404)', async () => {
    const user = await buildUser();
    const first = await requestResetLink(app, user.email);
    const second = await requestResetLink(app, user.email);
    const firstForm = await first.agent.get(first.link).expect(200);
    const secondForm = await second.agent.get(second.link).expect(200);
    const firstPassword = 'the first browser chose this 2027';
    // The first submission has used its link and hashed its password; it writes after the second has run to its end.
    const held = holdNextCall(UserModel, 'updateOne', {
      before: true,
      when: (args) => JSON.stringify(args[1]).includes('passwordHash'),
    });
    try {
      const setting = first.agent
        .post(first.link)
        .type('form')
        .send({ password: firstPassword, confirm: firstPassword, _csrf: csrfFrom(firstForm.text) })
        .then((res) => res.status);
      await held.reached;
      held.restore();
      await second.agent
        .post(second.link)
        .type('form')
        .send({ password: newPassword, confirm: newPassword, _csrf: csrfFrom(secondForm.text) })
        .expect(303);
      held.release();
      expect(await setting).to.equal(404);
    } finally {
      held.release();
      held.restore();
    }
    expect(await signedIn(second.agent)).to.equal(true);
    await signIn(app, user.email, newPassword);
  });

  it('a change of email asked for by someone who knew her password can no longer be confirmed once she resets it', async () => {
    const user = await buildUser();
    const theirs = `taker-${user.id}@example.org`;
    const intruder = await signIn(app, user.email, testPassword);
    const confirm = await askToMoveEmail(intruder, theirs);
    // She is told, and takes her account back with a reset link.
    const { agent, link } = await requestResetLink(app, user.email);
    const form = await agent.get(link).expect(200);
    await agent
      .post(link)
      .type('form')
      .send({ password: newPassword, confirm: newPassword, _csrf: csrfFrom(form.text) })
      .expect(303);
    const outsider = supertest.agent(app);
    await outsider.get(confirm).expect(404);
    const page = await outsider.get('/password-reset');
    await outsider
      .post(confirm)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(404);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
  });

  it('an email change needs her password, takes effect only when the new address confirms, and the old address is told', async () => {
    const user = await buildUser({ name: 'Ada Moving' });
    const newEmail = `moved-${user.id}@example.org`;
    const web = await signIn(app, user.email, testPassword);
    const wrong = await web
      .post('/account/email')
      .type('form')
      .send({ newEmail, password: 'not my password', _csrf: await csrfOf(web, '/account/security') })
      .expect(422);
    expect(wrong.text).to.include('is not your current password');
    expect(await OutboxMessageModel.countDocuments({ to: newEmail })).to.equal(0);
    const link = await askToMoveEmail(web, newEmail);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
    const told = await OutboxMessageModel.findOne({ to: user.email, subject: /is being changed/ }).lean();
    expect(told!.text).to.include(newEmail);
    // Opening the link (as a mail scanner would) changes nothing.
    const page = await web.get(link).expect(200);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
    await web
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(newEmail);
    expect(await OutboxMessageModel.countDocuments({ to: user.email, subject: /was changed/ })).to.equal(1);
    await web.get(link).expect(404);
    await signIn(app, newEmail, testPassword);
    const actions = (await AuditEventModel.find({ targetId: user.id }).lean()).map((e) => e.action);
    expect(actions).to.include.members(['email-change-requested', 'email-changed']);
  });

  it('the notices to her address have a plain-text and an HTML part, each ending with why she receives it and no link to stop them; a placeholder address (.invalid) is sent none', async () => {
    const user = await buildUser({ name: 'Aisha <b>Rahman</b> & Co' });
    const newEmail = `aisha-${user.id}@example.org`;
    const web = await signIn(app, user.email, testPassword);
    await askToMoveEmail(web, newEmail);
    await changePasswordOnPage(web, 303);
    const footer = 'You receive this email because you have an account on Pathways.';
    const notices = await OutboxMessageModel.find({ to: user.email }).sort({ createdAt: 1 }).lean();
    expect(notices.map((n) => n.subject)).to.deep.equal([
      'Your Pathways email address is being changed',
      'Your Pathways password was changed',
    ]);
    for (const notice of notices) {
      expect(notice.html ?? '', notice.subject)
        .to.include(footer)
        .and.not.include('Stop these emails');
      expect(notice.html).to.include('<p>Hello <bdi>Aisha &lt;b&gt;Rahman&lt;/b&gt; &amp; Co</bdi>,</p>');
      expect(notice.text.trimEnd().endsWith(footer), notice.text).to.equal(true);
      expect(notice.text).to.match(/^Hello \u2068Aisha <b>Rahman<\/b> & Co\u2069,\n/);
    }
    expect(notices[0]!.html).to.include(`to <bdi>${newEmail}</bdi>`);

    const placeholder = await buildUser({ email: `lti-${user.id}@users.invalid` });
    await changePasswordOnPage(await signIn(app, placeholder.email, testPassword), 303);
    expect(await OutboxMessageModel.countDocuments({ to: placeholder.email })).to.equal(0);
  });

  it('the link to a new address, which nobody has proved yet, does not carry her name: a name holding a sentence and a link is not mailed to an address she chose', async () => {
    const bait = 'Ada. Your payroll record is suspended: restore it at https://payroll-restore.example.com today';
    const user = await buildUser({ name: bait });
    const newEmail = `anyone-${user.id}@example.org`;
    await askToMoveEmail(await signIn(app, user.email, testPassword), newEmail);
    const link = (await OutboxMessageModel.findOne({ to: newEmail }).lean())!;
    expect(link.text).to.match(/^Hello,\n/);
    expect(link.text).to.not.include('payroll-restore').and.not.include('suspended');
    // Her own address is proved: the notice there still greets her by name.
    const told = (await OutboxMessageModel.findOne({ to: user.email, subject: /is being changed/ }).lean())!;
    expect(told.text).to.include(`Hello \u2068${bait}\u2069,`);
  });

  it('an email change never confirmed: the link, with the new address, is deleted by the maintenance job a day after it expired (24 hours)', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const newEmail = `never-confirmed-${Date.now()}@example.org`;
    await askToMoveEmail(agent, newEmail);
    const link = (await OneTimeTokenModel.findOne({ newEmail }).lean())!;
    const hour = 60 * 60 * 1000;
    await removeExpiredRecords(new Date(link.expiresAt.getTime() + 23 * hour));
    expect(await OneTimeTokenModel.exists({ newEmail })).to.not.equal(null);
    await removeExpiredRecords(new Date(link.expiresAt.getTime() + 25 * hour));
    expect(await OneTimeTokenModel.exists({ newEmail })).to.equal(null);
  });

  it('an address another account uses is refused with 422, and a link confirmed after someone took it is a 409', async () => {
    const user = await buildUser();
    const other = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    const taken = await web
      .post('/account/email')
      .type('form')
      .send({ newEmail: other.email, password: testPassword, _csrf: await csrfOf(web, '/account/security') })
      .expect(422);
    expect(taken.text).to.include('Another account uses this email address');
    const wanted = `wanted-${user.id}@example.org`;
    const link = await askToMoveEmail(web, wanted);
    await buildUser({ email: wanted });
    const page = await web.get(link).expect(200);
    await web
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(409);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
  });

  it('an address taken by another account between the check and the change (another process) is a 409, not a 500', async () => {
    const user = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    const wanted = `raced-${user.id}@example.org`;
    const link = await askToMoveEmail(web, wanted);
    const page = await web.get(link).expect(200);
    // The confirmation has checked that nobody has the address; another account takes it before the change is written.
    const held = holdNextCall(UserModel, 'exists', { when: (args) => JSON.stringify(args[0]).includes(wanted) });
    try {
      const confirming = web
        .post(link)
        .type('form')
        .send({ _csrf: csrfFrom(page.text) })
        .then((res) => res.status);
      await held.reached;
      await buildUser({ email: wanted });
      held.release();
      expect(await confirming).to.equal(409);
    } finally {
      held.release();
      held.restore();
    }
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
  });
  /**
   * Someone who knew her old password sends `send` (proved with it), and its write is held (`hold`, made once her
   * reset link is open) until her reset through an emailed link has landed, as on another process: the intruder's
   * answer.
   */
  async function whileSheResets(
    user: TestUser,
    hold: () => ReturnType<typeof holdNextCall>,
    send: () => Promise<supertest.Response>,
  ): Promise<supertest.Response> {
    const { agent, link } = await requestResetLink(app, user.email);
    const form = await agent.get(link).expect(200);
    const held = hold();
    try {
      const answer = send();
      await held.reached;
      held.restore();
      await agent
        .post(link)
        .type('form')
        .send({ password: newPassword, confirm: newPassword, _csrf: csrfFrom(form.text) })
        .expect(303);
      held.release();
      return await answer;
    } finally {
      held.release();
      held.restore();
    }
  }

  it('a change of email confirmed while she resets her password (another process) is not made', async () => {
    const user = await buildUser();
    const theirs = `racing-taker-${user.id}@example.org`;
    const intruder = await signIn(app, user.email, testPassword);
    const confirm = await askToMoveEmail(intruder, theirs);
    const page = await intruder.get(confirm).expect(200);
    // The confirmation has used its link (before her reset could forget it) and writes the address after the reset.
    const confirming = await whileSheResets(
      user,
      () =>
        holdNextCall(UserModel, 'updateOne', {
          before: true,
          when: (args) => JSON.stringify(args[1]).includes(theirs),
        }),
      () =>
        intruder
          .post(confirm)
          .type('form')
          .send({ _csrf: csrfFrom(page.text) })
          .then((res) => res),
    );
    expect(confirming.status).to.equal(409);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
  });

  it('a password change whose old password was proved before she reset it (another process) is not written: her reset stands (409)', async () => {
    const user = await buildUser();
    const intruder = await signIn(app, user.email, testPassword);
    const csrf = await csrfOf(intruder, '/account/security');
    const theirs = 'the intruders own passphrase 99';
    // The change has proved the old password and hashed the new one; its write lands after her reset (whose own write
    // also makes the account active).
    const refused = await whileSheResets(
      user,
      () =>
        holdNextCall(UserModel, 'updateOne', {
          before: true,
          when: (args) => {
            const set = (args[1] as { $set?: object } | undefined)?.$set ?? {};
            return 'passwordHash' in set && !('status' in set);
          },
        }),
      () =>
        intruder
          .post('/account/password')
          .type('form')
          .send({ currentPassword: testPassword, newPassword: theirs, confirm: theirs, _csrf: csrf })
          .then((res) => res),
    );
    expect(refused.status).to.equal(409);
    expect(refused.text).to.include('changed or reset a moment ago');
    const stored = await UserModel.findById(user.id).select('+passwordHash').lean();
    expect(await verifyPassword(stored!.passwordHash, newPassword)).to.equal(true);
  });

  it('a change of email asked for with the old password while she resets it (another process) leaves no link that could confirm it', async () => {
    const user = await buildUser();
    const theirs = `late-taker-${user.id}@example.org`;
    const intruder = await signIn(app, user.email, testPassword);
    const csrf = await csrfOf(intruder, '/account/security');
    // The request has proved the old password; its link is made after her reset has forgotten her links.
    const refused = await whileSheResets(
      user,
      () =>
        holdNextCall(OneTimeTokenModel, 'create', {
          before: true,
          when: (args) => JSON.stringify(args[0] ?? {}).includes(theirs),
        }),
      () =>
        intruder
          .post('/account/email')
          .type('form')
          .send({ newEmail: theirs, password: testPassword, _csrf: csrf })
          .then((res) => res),
    );
    expect(refused.status).to.equal(409);
    expect(refused.text).to.include('changed or reset a moment ago');
    const unused = { userId: user.id, purpose: 'email-change' as const, usedAt: null };
    expect(await OneTimeTokenModel.countDocuments(unused)).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: theirs })).to.equal(0);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
  });

  it('an erasure of her account whose password was proved before she reset it (another process) is not made (409): her reset takes the account back', async () => {
    const user = await buildUser();
    const intruder = await signIn(app, user.email, testPassword);
    const csrf = await csrfOf(intruder, '/account/delete');
    const refused = await whileSheResets(
      user,
      () =>
        holdNextCall(UserModel, 'updateOne', {
          before: true,
          when: (args) => (args[1] as { $set?: { status?: string } } | undefined)?.$set?.status === 'erased',
        }),
      () =>
        intruder
          .post('/account/delete')
          .type('form')
          .send({ password: testPassword, _csrf: csrf })
          .then((res) => res),
    );
    expect(refused.status).to.equal(409);
    expect(refused.text).to.include('your account was not deleted');
    expect(await UserModel.findById(user.id).lean()).to.include({ status: 'active', email: user.email });
    expect(await AuditEventModel.countDocuments({ action: 'account-erased', targetId: user.id })).to.equal(0);
  });

  it('two links asked for (two new addresses) confirmed at once: one moves her address, the other is refused (409) and says nothing', async () => {
    const user = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    const first = `first-${user.id}@example.org`;
    const second = `second-${user.id}@example.org`;
    const firstLink = await askToMoveEmail(web, first);
    const secondLink = await askToMoveEmail(web, second);
    // Asked one after the other, the second request ends the first link (the next test); asked at the same moment on
    // two processes, both links may stay open: here both are, as then.
    await OneTimeTokenModel.updateMany({ userId: user.id, purpose: 'email-change' }, { $set: { usedAt: null } });
    const firstPage = await web.get(firstLink).expect(200);
    const secondPage = await web.get(secondLink).expect(200);
    // The first confirmation has used its link and checked the address; it writes the change only after the second
    // has moved her address (another process).
    const held = holdNextCall(UserModel, 'updateOne', {
      before: true,
      when: (args) => JSON.stringify(args[1]).includes(first),
    });
    try {
      const confirming = web
        .post(firstLink)
        .type('form')
        .send({ _csrf: csrfFrom(firstPage.text) })
        .then((res) => res.status);
      await held.reached;
      await web
        .post(secondLink)
        .type('form')
        .send({ _csrf: csrfFrom(secondPage.text) })
        .expect(303);
      held.release();
      expect(await confirming).to.equal(409);
    } finally {
      held.release();
      held.restore();
    }
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(second);
    expect(await OutboxMessageModel.countDocuments({ subject: /was changed/, text: new RegExp(first) })).to.equal(0);
  });

  it('asking to move her email again ends the link sent for the address she changed her mind about', async () => {
    const user = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    const first = `changed-mind-${user.id}@example.org`;
    const second = `settled-${user.id}@example.org`;
    const firstLink = await askToMoveEmail(web, first);
    const secondLink = await askToMoveEmail(web, second);
    await web.get(firstLink).expect(404);
    const page = await web.get(secondLink).expect(200);
    await web
      .post(secondLink)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(second);
  });

  it('after 10 wrong current passwords in 15 minutes (web and API together), even the right one is refused with 429; her other forms say so; others are not affected', async () => {
    const user = await buildUser();
    const bystander = await buildUser();
    const token = await tokenFor(user);
    const web = await signIn(app, user.email, testPassword);
    const wrongOnce = (n: number) =>
      n % 2
        ? supertest(app)
            .post('/api/v1/me/password')
            .set('Authorization', `Bearer ${token}`)
            .send({ currentPassword: `guess number ${n}`, newPassword })
        : csrfOf(web, '/account/security').then((csrf) =>
            web
              .post('/account/email')
              .type('form')
              .send({ newEmail: `x${n}@example.org`, password: `guess ${n}`, _csrf: csrf }),
          );
    for (let n = 0; n < 10; n++) expect((await wrongOnce(n)).status).to.equal(422);
    const refused = await supertest(app)
      .post('/api/v1/me/password')
      .set('Authorization', `Bearer ${token}`)
      .send({ currentPassword: testPassword, newPassword })
      .expect(429);
    expect(refused.headers['content-type']).to.include('application/problem+json');
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 15 * 60);
    const page = await changePasswordOnPage(web, 429);
    expect(page.text).to.include('Too many wrong passwords');
    expect(page.text).to.match(/<a href="#field-currentPassword">/);
    const erase = await web
      .post('/account/delete')
      .type('form')
      .send({ password: testPassword, _csrf: await csrfOf(web, '/account/delete') })
      .expect(429);
    expect(erase.text).to.include('Too many wrong passwords');
    expect((await UserModel.findById(user.id).lean())!.status).to.equal('active');
    expect(await AuditEventModel.countDocuments({ action: 'password-changed', actorId: user.id })).to.equal(0);
    const other = await tokenFor(bystander);
    await supertest(app)
      .post('/api/v1/me/password')
      .set('Authorization', `Bearer ${other}`)
      .send({ currentPassword: testPassword, newPassword })
      .expect(204);
  });

  it('a form sent with her password left empty names every empty field (422) and is not a wrong guess: after 11 such sends on each form, the right password is taken', async () => {
    const user = await buildUser();
    const token = await tokenFor(user);
    const web = await signIn(app, user.email, testPassword);
    const sendEmpty = async (path: string, fields: Record<string, string>, page = '/account/security') =>
      web
        .post(path)
        .type('form')
        .send({ ...fields, _csrf: await csrfOf(web, page) })
        .expect(422);
    for (let n = 0; n < 11; n++) {
      const passwordForm = await sendEmpty('/account/password', { currentPassword: '', newPassword: '', confirm: '' });
      const emailForm = await sendEmpty('/account/email', { newEmail: '', password: '' });
      const deleteForm = await sendEmpty('/account/delete', { password: '' }, '/account/delete');
      const api = await supertest(app)
        .post('/api/v1/me/password')
        .set('Authorization', `Bearer ${token}`)
        .send({ currentPassword: '', newPassword: '' })
        .expect(422);
      if (n > 0) continue;
      const summary = (html: string) => errorSummaryOf(html).text.replace(/\s+/g, ' ');
      expect(summary(passwordForm.text))
        .to.include('<a href="#field-currentPassword">Current password: Enter your current password.</a>')
        .and.to.include('<a href="#field-newPassword">New password: Enter a new password.</a>')
        .and.to.include('<a href="#field-confirm">New password again: Enter the new password again.</a>')
        .and.to.not.include('is not your current password');
      expect(summary(emailForm.text))
        .to.include('<a href="#field-newEmail">New email address: Enter your new email address.</a>')
        .and.to.include('<a href="#field-password">Your password: Enter your password.</a>');
      expect(summary(deleteForm.text))
        .to.include('<a href="#field-password">Your password: Enter your password.</a>')
        .and.to.not.include('That is not your password');
      expect(deleteForm.text).to.match(/id="field-password"[^>]*aria-invalid="true"/);
      expect(api.body.errors.map((e: { path: string }) => e.path)).to.have.members(['currentPassword', 'newPassword']);
    }
    expect(await readHits({ key: `current-password:${user.id}`, ...currentPasswordAttempts })).to.equal(undefined);
    await changePasswordOnPage(web, 303);
  });

  it('39 wrong current passwords sent at once are at most 10 comparisons; the right one sent while they run is refused (429), not taken', async () => {
    const user = await buildUser();
    const token = await tokenFor(user);
    const guess = (currentPassword: string) =>
      supertest(app)
        .post('/api/v1/me/password')
        .set('Authorization', `Bearer ${token}`)
        .send({ currentPassword, newPassword });
    const wrong = Array.from({ length: 39 }, (_, n) => guess(`guess number ${n}`).then((a) => a.status));
    // Each check takes its place in the count before its comparison (argon2, slow): once 10 have, the right password,
    // sent while the wrong ones are still being compared, finds the count full. (Reading the count, comparing, then
    // counting let every guess of a burst be compared, the right one among them.)
    const counted = async () =>
      (await readHits({ key: `current-password:${user.id}`, ...currentPasswordAttempts }))?.hits ?? 0;
    while ((await counted()) < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    const right = await guess(testPassword);
    const statuses = await Promise.all(wrong);
    expect(right.status).to.equal(429);
    expect(statuses.filter((s) => s === 422)).to.have.length(10);
    expect(statuses.filter((s) => s === 429)).to.have.length(29);
    const stored = await UserModel.findById(user.id).select('+passwordHash').lean();
    expect(await verifyPassword(stored!.passwordHash, testPassword)).to.equal(true);
  });

  it('an account may ask to change its email 5 times an hour; the 6th is refused with 429, so taken addresses cannot be listed', async () => {
    const user = await buildUser();
    const web = await signIn(app, user.email, testPassword);
    for (let n = 0; n < 5; n++) {
      const answer = await web
        .post('/account/email')
        .type('form')
        .send({
          newEmail: `probe-${n}-${user.id}@example.org`,
          password: testPassword,
          _csrf: await csrfOf(web, '/account/security'),
        });
      expect(answer.status).to.equal(303);
    }
    const other = await buildUser();
    const sixth = await web
      .post('/account/email')
      .type('form')
      .send({ newEmail: other.email, password: testPassword, _csrf: await csrfOf(web, '/account/security') })
      .expect(429);
    expect(sixth.text).to.include('several times this hour');
    expect(sixth.text).to.not.include('Another account uses this email address');
    expect(sixth.headers['retry-after']).to.match(/^\d+$/);
  });
});
