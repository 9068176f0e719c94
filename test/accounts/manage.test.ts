import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { BoardModel } from '../../models/Board.ts';
import { OneTimeTokenModel } from '../../models/OneTimeToken.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { UserModel } from '../../models/User.ts';
import { ValidationError } from '../../server/errors.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { setBoardMember } from '../../server/services/boards/index.ts';
import { hashSecret, newSecret } from '../../server/services/secrets.ts';
import { sendPasswordReset, setPasswordWithLink } from '../../server/services/users.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { asActor, buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { holdNextCall } from '../support/heldCall.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function sessionsOf(userId: string): Promise<number> {
  const all = await mongoose.connection.db!.collection('sessions').find({}).toArray();
  return all.filter((s) => JSON.stringify(s.session).includes(userId)).length;
}

describe('admins manage accounts', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let adminToken: string;
  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'], name: 'Ada Admin' });
    adminToken = await tokenFor(admin);
  });

  it('an admin changes roles, name and zone; the answer carries status and the audit trail says roles before → after', async () => {
    const nia = await buildUser({ roles: ['participant'] });
    const res = await supertest(app)
      .patch(`/api/v1/users/${nia.id}`)
      .set(bearer(adminToken))
      .send({ roles: ['participant', 'facilitator'], name: 'Nia Jones', timezone: 'America/Toronto' })
      .expect(200);
    expect(res.body).to.include({ id: nia.id, name: 'Nia Jones', timezone: 'America/Toronto', status: 'active' });
    expect(res.body.roles).to.have.members(['participant', 'facilitator']);
    const event = await AuditEventModel.findOne({ action: 'user-updated', targetId: nia.id }).lean();
    expect(event!.actorId!.toString()).to.equal(admin.id);
    expect(event!.detail).to.include('roles: participant → facilitator, participant');
  });

  it('when an admin disables a person, her signed-in sessions end and her tokens answer 401 at once; re-enabled, she signs in again and old tokens stay revoked', async () => {
    const zara = await buildUser();
    const browser = await signIn(app, zara.email, testPassword);
    const token = await tokenFor(zara);
    await browser.get('/api/v1/me').expect(200);
    expect(await sessionsOf(zara.id)).to.equal(1);

    const res = await supertest(app)
      .patch(`/api/v1/users/${zara.id}`)
      .set(bearer(adminToken))
      .send({ status: 'disabled' })
      .expect(200);
    expect(res.body.status).to.equal('disabled');
    expect(await sessionsOf(zara.id)).to.equal(0);
    await browser.get('/api/v1/me').expect(401);
    await supertest(app).get('/api/v1/me').set(bearer(token)).expect(401);
    const page = await supertest.agent(app).get('/login');
    await supertest
      .agent(app)
      .post('/login')
      .type('form')
      .send({ email: zara.email, password: testPassword, _csrf: csrfFrom(page.text) });
    expect((await AuditEventModel.findOne({ action: 'user-disabled', targetId: zara.id }).lean())!.detail).to.include(
      'active → disabled',
    );

    await supertest(app)
      .patch(`/api/v1/users/${zara.id}`)
      .set(bearer(adminToken))
      .send({ status: 'active' })
      .expect(200);
    const again = await signIn(app, zara.email, testPassword);
    await again.get('/api/v1/me').expect(200);
    await supertest(app).get('/api/v1/me').set(bearer(token)).expect(401);
    expect(await AuditEventModel.countDocuments({ action: 'user-enabled', targetId: zara.id })).to.equal(1);
  });

  it('a disable whose process stopped before it revoked her tokens: enabled again, those tokens still answer 401', async () => {
    const yara = await buildUser();
    const token = await tokenFor(yara);
    // The disable's own write landed; its revocation never ran (the process stopped in between).
    await UserModel.updateOne({ _id: yara.id }, { $set: { status: 'disabled' } });
    await supertest(app).get('/api/v1/me').set(bearer(token)).expect(401);
    await supertest(app)
      .patch(`/api/v1/users/${yara.id}`)
      .set(bearer(adminToken))
      .send({ status: 'active' })
      .expect(200);
    await supertest(app).get('/api/v1/me').set(bearer(token)).expect(401);
    await (await signIn(app, yara.email, testPassword)).get('/api/v1/me').expect(200);
  });

  it('a session that survived the deletion is refused on its next request once she is disabled', async () => {
    const ruth = await buildUser();
    const browser = await signIn(app, ruth.email, testPassword);
    await UserModel.updateOne({ _id: ruth.id }, { $set: { status: 'disabled' } });
    await browser.get('/api/v1/me').expect(401);
  });

  it('a disabled person cannot sign in through the form: the login page answers 401', async () => {
    const mae = await buildUser({ status: 'disabled' });
    const agent = supertest.agent(app);
    const page = await agent.get('/login').expect(200);
    await agent
      .post('/login')
      .type('form')
      .send({ email: mae.email, password: testPassword, _csrf: csrfFrom(page.text) })
      .expect(401);
  });

  describe('the last active admin', () => {
    it('an admin cannot disable herself, and cannot drop her own admin role when she is the last active admin: 409, nothing changes', async () => {
      // Alone: every other admin of this file's database is made a participant first.
      await UserModel.updateMany({ _id: { $ne: admin.id } }, { $pull: { roles: 'admin' } });
      const self = await supertest(app)
        .patch(`/api/v1/users/${admin.id}`)
        .set(bearer(adminToken))
        .send({ status: 'disabled' })
        .expect(409);
      expect(self.headers['content-type']).to.match(/problem\+json/);
      await supertest(app)
        .patch(`/api/v1/users/${admin.id}`)
        .set(bearer(adminToken))
        .send({ roles: ['participant'] })
        .expect(409);
      const stored = await UserModel.findById(admin.id).lean();
      expect(stored!.roles).to.deep.equal(['admin']);
      expect(stored!.status).to.equal('active');
    });

    it('on the web, the last active admin unticking her admin role is told why (409) with her form as she sent it', async () => {
      await UserModel.updateMany({ _id: { $ne: admin.id } }, { $pull: { roles: 'admin' } });
      const browser = await signIn(app, admin.email, testPassword);
      const page = `/admin/users/${admin.id}`;
      const refused = await browser
        .post(page)
        .type('form')
        .send({
          _csrf: await csrfOf(browser, page),
          name: 'Renamed Admin',
          roles: 'facilitator',
          timezone: 'Asia/Dubai',
        })
        .expect(409);
      expect(refused.text).to.include('This is the last active admin');
      expect(refused.text).to.include('value="Renamed Admin"').and.to.include('value="Asia/Dubai"');
      expect(refused.text).to.include('name="roles" value="facilitator" checked');
      expect(refused.text).to.not.include('name="roles" value="admin" checked');
      const stored = (await UserModel.findById(admin.id).lean())!;
      expect(stored.roles).to.deep.equal(['admin']);
      expect(stored.name).to.not.equal('Renamed Admin');
    });

    it('with two admins, one may step down; then the other is the last and cannot', async () => {
      const bea = await buildUser({ roles: ['admin'] });
      const beaToken = await tokenFor(bea);
      await supertest(app)
        .patch(`/api/v1/users/${bea.id}`)
        .set(bearer(beaToken))
        .send({ roles: ['facilitator'] })
        .expect(200);
      await supertest(app)
        .patch(`/api/v1/users/${admin.id}`)
        .set(bearer(adminToken))
        .send({ roles: ['facilitator'] })
        .expect(409);
    });

    it('when two admins remove each other at the same moment, exactly one succeeds and one active admin remains', async () => {
      for (let round = 0; round < 4; round++) {
        const one = await buildUser({ roles: ['admin'] });
        const oneToken = await tokenFor(one);
        // Leave exactly two active admins: `admin` and `one`.
        const answers = await Promise.all([
          supertest(app).patch(`/api/v1/users/${one.id}`).set(bearer(adminToken)).send({ status: 'disabled' }),
          supertest(app)
            .patch(`/api/v1/users/${admin.id}`)
            .set(bearer(oneToken))
            .send({ roles: ['participant'] }),
        ]);
        expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409]);
        expect(await UserModel.countDocuments({ roles: 'admin', status: 'active' })).to.equal(1);
        if (answers[1]!.status === 200) {
          // `admin` lost the role: give it back through the remaining admin, so the next round starts the same.
          await supertest(app)
            .patch(`/api/v1/users/${admin.id}`)
            .set(bearer(oneToken))
            .send({ roles: ['admin'] })
            .expect(200);
          await supertest(app)
            .patch(`/api/v1/users/${one.id}`)
            .set(bearer(adminToken))
            .send({ status: 'disabled' })
            .expect(200);
        }
        expect(await UserModel.countDocuments({ roles: 'admin', status: 'active' })).to.equal(1);
      }
    });
  });

  it('bad input is a 422 problem document with field errors and nothing changes; unknown ids are 404', async () => {
    const ivy = await buildUser();
    for (const body of [
      { roles: [] },
      { roles: ['queen'] },
      { status: 'erased' },
      { name: { $ne: null } },
      { timezone: 'Mars/Olympus' },
      { isAdmin: true },
    ]) {
      const res = await supertest(app).patch(`/api/v1/users/${ivy.id}`).set(bearer(adminToken)).send(body).expect(422);
      expect(res.headers['content-type']).to.match(/problem\+json/);
      expect(res.body.errors).to.have.length.greaterThan(0);
    }
    const stored = await UserModel.findById(ivy.id).lean();
    expect(stored!.roles).to.deep.equal(['participant']);
    await supertest(app).patch('/api/v1/users/not-an-id').set(bearer(adminToken)).send({ name: 'X' }).expect(404);
    await supertest(app)
      .patch('/api/v1/users/0123456789abcdef01234567')
      .set(bearer(adminToken))
      .send({ name: 'X' })
      .expect(404);
  });

  it('when a facilitator patches a user, it answers 403 and changes nothing', async () => {
    const fac = await buildUser({ roles: ['facilitator'] });
    const pat = await buildUser();
    await supertest(app)
      .patch(`/api/v1/users/${pat.id}`)
      .set(bearer(await tokenFor(fac)))
      .send({ status: 'disabled' })
      .expect(403);
    expect((await UserModel.findById(pat.id).lean())!.status).to.equal('active');
  });

  it('an admin resends an invitation from the person’s page: a new link works, the old one no longer does', async () => {
    const created = await supertest(app)
      .post('/api/v1/users')
      .set(bearer(adminToken))
      .send({ email: 'invitee@example.org', name: 'In Vitee', roles: ['participant'] })
      .expect(201);
    const linkOf = (text: string) => /http:\/\/pathways\.test(\/invitations\/[A-Za-z0-9_-]+)/.exec(text)![1]!;
    const first = linkOf((await OutboxMessageModel.findOne({ to: 'invitee@example.org' }).lean())!.text);
    const browser = await signIn(app, admin.email, testPassword);
    const csrf = await csrfOf(browser, `/admin/users/${created.body.id}`);
    await browser.post(`/admin/users/${created.body.id}/invitation`).type('form').send({ _csrf: csrf }).expect(303);
    const mails = await OutboxMessageModel.find({ to: 'invitee@example.org' }).sort({ createdAt: 1 }).lean();
    expect(mails).to.have.length(2);
    const second = linkOf(mails[1]!.text);
    expect(second).to.not.equal(first);
    await supertest(app).get(first).expect(404);
    await supertest(app).get(second).expect(200);
    expect(await AuditEventModel.countDocuments({ action: 'invitation-resent', targetId: created.body.id })).to.equal(
      1,
    );
    // An active person has no invitation to resend.
    const active = await buildUser();
    const csrf2 = await csrfOf(browser, `/admin/users/${active.id}`);
    await browser.post(`/admin/users/${active.id}/invitation`).type('form').send({ _csrf: csrf2 }).expect(409);
  });

  it('an invitation she never used stops working once she has a password (from a reset link): it opens nothing and sets nothing', async () => {
    const created = await supertest(app)
      .post('/api/v1/users')
      .set(bearer(adminToken))
      .send({ email: 'late-invitee@example.org', name: 'Lena Late', roles: ['participant'] })
      .expect(201);
    const invitation = /http:\/\/pathways\.test(\/invitations\/[A-Za-z0-9_-]+)/.exec(
      (await OutboxMessageModel.findOne({ to: 'late-invitee@example.org' }).lean())!.text,
    )![1]!;
    await sendPasswordReset({ email: 'late-invitee@example.org' });
    const resetMail = await OutboxMessageModel.findOne({
      to: 'late-invitee@example.org',
      text: /password-reset\//,
    }).lean();
    const reset = /http:\/\/pathways\.test(\/password-reset\/[A-Za-z0-9_-]+)/.exec(resetMail!.text)![1]!;
    const her = supertest.agent(app);
    const page = await her.get(reset).expect(200);
    await her
      .post(reset)
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        password: 'a long new password of hers',
        confirm: 'a long new password of hers',
      })
      .expect(303);
    expect((await UserModel.findById(created.body.id).lean())!.status).to.equal('active');

    // Whoever holds the old invitation email gets the page of a spent link, and her password stands.
    const holder = supertest.agent(app);
    const login = await holder.get('/login');
    await holder.get(invitation).expect(404);
    await holder
      .post(invitation)
      .type('form')
      .send({ _csrf: csrfFrom(login.text), password: 'the taker chose this one', name: 'Taken', timezone: 'UTC' })
      .expect(404);
    const stored = await UserModel.findById(created.body.id).lean();
    expect(stored!.name).to.equal('Lena Late');
    const token = await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: 'late-invitee@example.org', password: 'a long new password of hers' })
      .expect(201);
    expect(token.body.token).to.be.a('string');
  });

  it('the person page shows her roles as checkboxes; a form without a role re-renders with the error (422)', async () => {
    const lea = await buildUser({ name: 'Lea Page' });
    const browser = await signIn(app, admin.email, testPassword);
    const page = await browser.get(`/admin/users/${lea.id}`).expect(200);
    expect(page.text).to.include('Lea Page').and.include('name="roles" value="participant" checked');
    const res = await browser
      .post(`/admin/users/${lea.id}`)
      .type('form')
      .send({ name: 'Lea Page', timezone: 'Europe/London', _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(res.text).to.include('choose at least one role');
    await browser
      .post(`/admin/users/${lea.id}`)
      .type('form')
      .send({ name: 'Lea Paige', timezone: 'Europe/Paris', roles: 'facilitator', _csrf: csrfFrom(page.text) })
      .expect(303);
    expect((await UserModel.findById(lea.id).lean())!.roles).to.deep.equal(['facilitator']);
  });

  it('an admin cannot give a researcher another role (API and person page: 422 at roles, her choice kept, nothing changed or audited), and can put a mixed account right', async () => {
    const ruth = await buildUser({ roles: ['researcher'], name: 'Ruth Research' });
    for (const roles of [
      ['researcher', 'participant'],
      ['facilitator', 'researcher'],
      ['admin', 'researcher'],
    ]) {
      const res = await supertest(app)
        .patch(`/api/v1/users/${ruth.id}`)
        .set(bearer(adminToken))
        .send({ roles, name: 'Ruth Renamed' })
        .expect(422);
      expect(res.headers['content-type']).to.match(/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['roles']);
    }
    const browser = await signIn(app, admin.email, testPassword);
    const page = await browser.get(`/admin/users/${ruth.id}`).expect(200);
    const res = await browser
      .post(`/admin/users/${ruth.id}`)
      .type('form')
      .send({
        name: 'Ruth Typed',
        timezone: 'Europe/Paris',
        roles: ['researcher', 'participant'],
        _csrf: csrfFrom(page.text),
      })
      .expect(422);
    expect(res.text)
      .to.include('<title>Error: Ruth Research · Pathways</title>')
      .and.include('id="field-roles-error"')
      .and.include('second account')
      .and.include('value="Ruth Typed"')
      .and.include('value="Europe/Paris"')
      .and.include('name="roles" value="participant" checked')
      .and.include('name="roles" value="researcher" checked');
    const stored = await UserModel.findById(ruth.id).lean();
    expect(stored).to.include({ name: 'Ruth Research', timezone: 'Europe/London' });
    expect(stored!.roles).to.deep.equal(['researcher']);
    expect(await AuditEventModel.countDocuments({ action: 'user-updated', targetId: ruth.id })).to.equal(0);
    // Someone already holding the mix (from before the rule) is put right by choosing one side of it.
    const mixed = await buildUser({ roles: ['participant', 'researcher'] });
    const fixed = await supertest(app)
      .patch(`/api/v1/users/${mixed.id}`)
      .set(bearer(adminToken))
      .send({ roles: ['participant'] })
      .expect(200);
    expect(fixed.body.roles).to.deep.equal(['participant']);
  });

  it('an admin cannot make a researcher of someone on a board or an open round’s panel (API and person page: 422 at roles naming it, nothing changed); off it, she can', async () => {
    const gwen = await buildUser({ roles: ['governor'], name: 'Gwen Governor' });
    const board = await buildBoard([{ user: gwen, role: 'governor' }], { name: 'Riverside Governors' });
    const api = await supertest(app)
      .patch(`/api/v1/users/${gwen.id}`)
      .set(bearer(adminToken))
      .send({ roles: ['researcher'] })
      .expect(422);
    expect(api.headers['content-type']).to.match(/problem\+json/);
    expect(api.body.errors).to.have.length(1);
    expect(api.body.errors[0].path).to.equal('roles');
    expect(api.body.errors[0].message).to.include('She sits on the board “Riverside Governors”');
    const browser = await signIn(app, admin.email, testPassword);
    const page = await browser.get(`/admin/users/${gwen.id}`).expect(200);
    const res = await browser
      .post(`/admin/users/${gwen.id}`)
      .type('form')
      .send({ name: 'Gwen Typed', timezone: 'Europe/Paris', roles: 'researcher', _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(res.text)
      .to.include('id="field-roles-error"')
      .and.include('She sits on the board “Riverside Governors”: remove her from it first')
      .and.include('value="Gwen Typed"')
      .and.include('name="roles" value="researcher" checked');
    const stored = await UserModel.findById(gwen.id).lean();
    expect(stored).to.include({ name: 'Gwen Governor' });
    expect(stored!.roles).to.deep.equal(['governor']);
    expect(await AuditEventModel.countDocuments({ action: 'user-updated', targetId: gwen.id })).to.equal(0);

    // An adviser from outside sits on no board, only on an open round's panel; a closed round holds nobody.
    const adviser = await buildUser({ roles: ['governor'] });
    const round = await buildRound(board.id, { interviewDates: ['2031-05-01'], panel: [adviser], title: 'Head 2031' });
    const onPanel = await supertest(app)
      .patch(`/api/v1/users/${adviser.id}`)
      .set(bearer(adminToken))
      .send({ roles: ['researcher'] })
      .expect(422);
    expect(onPanel.body.errors[0]).to.include({ path: 'roles' });
    expect(onPanel.body.errors[0].message).to.include('“Head 2031”').and.include('“Riverside Governors”');
    await RecruitmentRoundModel.updateOne({ _id: round.id }, { $set: { status: 'closed' } });
    await supertest(app)
      .patch(`/api/v1/users/${adviser.id}`)
      .set(bearer(adminToken))
      .send({ roles: ['researcher'] })
      .expect(200);

    await BoardModel.updateOne({ _id: board.id }, { $set: { members: [] } });
    const freed = await supertest(app)
      .patch(`/api/v1/users/${gwen.id}`)
      .set(bearer(adminToken))
      .send({ roles: ['researcher'] })
      .expect(200);
    expect(freed.body.roles).to.deep.equal(['researcher']);
  });

  it('when a chair seats a governor while an admin makes her a researcher (another process), the role change is taken back: never a researcher on a board', async () => {
    const chair = await buildUser({ roles: ['governor'] });
    const board = await buildBoard([{ user: chair, role: 'chair' }]);
    const gwen = await buildUser({ roles: ['governor'], name: 'Gwen Governor' });
    // The admin's write waits after she checked the boards, as a slow process would; the chair seats her meanwhile
    // (her governor role is already there, so the chair's grant changes nothing the admin's write is conditional on).
    const held = holdNextCall(UserModel, 'updateOne', {
      before: true,
      when: (args) => JSON.stringify(args[1] ?? {}).includes('"roles":["researcher"]'),
    });
    try {
      const change = updateUserAsAdmin({
        actor: { id: admin.id, name: admin.name },
        userId: gwen.id,
        changes: { roles: ['researcher'], name: 'Gwen Renamed' },
      }).catch((error: unknown) => error);
      await held.reached;
      await setBoardMember({ actor: asActor(chair), boardId: board.id, userId: gwen.id, role: 'governor' });
      held.release();
      const refused = await change;
      expect(refused).to.be.instanceOf(ValidationError);
      expect((refused as ValidationError).errors[0]).to.include({ path: 'roles' });
    } finally {
      held.release();
      held.restore();
    }
    const stored = await UserModel.findById(gwen.id).lean();
    expect(stored!.roles).to.deep.equal(['governor']);
    expect(stored!.name).to.equal('Gwen Governor');
    const seated = (await BoardModel.findById(board.id).lean())!.members.some((m) => String(m.userId) === gwen.id);
    expect(seated).to.equal(true);
  });

  it('the API resends an invitation (202) to an invited person only: an active one is a 409, an unknown id a 404', async () => {
    const invited = await buildUser({ status: 'invited' });
    await supertest(app).post(`/api/v1/users/${invited.id}/invitation`).set(bearer(adminToken)).expect(202);
    expect(await OutboxMessageModel.countDocuments({ to: invited.email })).to.equal(1);
    const active = await buildUser();
    await supertest(app).post(`/api/v1/users/${active.id}/invitation`).set(bearer(adminToken)).expect(409);
    await supertest(app).post('/api/v1/users/0123456789abcdef01234567/invitation').set(bearer(adminToken)).expect(404);
  });

  it('when an admin disables a person while she chooses a password through her link, she stays disabled', async () => {
    for (const purpose of ['invitation', 'password-reset'] as const) {
      const nia = await buildUser({ status: purpose === 'invitation' ? 'invited' : 'active' });
      const secret = newSecret();
      await OneTimeTokenModel.create({
        purpose,
        userId: nia.id,
        tokenHash: hashSecret(secret),
        expiresAt: new Date(Date.now() + 60 * 60 * 1000),
      });
      // The disable lands while her new password is being hashed (argon2id takes a while), on another process.
      const [chosen, disabled] = await Promise.allSettled([
        setPasswordWithLink({ purpose, secret, password: 'a-brand-new-passphrase-77' }),
        updateUserAsAdmin({
          actor: { id: admin.id, name: admin.name },
          userId: nia.id,
          changes: { status: 'disabled' },
        }),
      ]);
      expect(disabled.status).to.equal('fulfilled');
      expect(['fulfilled', 'rejected']).to.include(chosen.status);
      expect((await UserModel.findById(nia.id).lean())!.status).to.equal('disabled');
    }
  });
});
