import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { SignedInSessionModel } from '../../models/SignedInSession.ts';
import { UserModel } from '../../models/User.ts';
import { removeExpiredRecords } from '../../jobs/maintenance.ts';
import { ApiTokenModel } from '../../models/ApiToken.ts';
import { changePassword } from '../../server/services/accounts/credentials.ts';
import { createApiToken } from '../../server/services/apiTokens.ts';
import { deviceOf, markSessionSeen } from '../../server/services/accounts/sessions.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { csrfFrom, csrfOf, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';

const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const iphone =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe("where you're signed in (sessions)", () => {
  useTestDatabase({ monitorCommands: true });
  let app: ReturnType<typeof testApp>;
  let otherProcess: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
    // A second app on the same database: another process behind the load balancer.
    otherProcess = testApp();
  });

  async function signInWith(user: TestUser, userAgent: string, on = app) {
    const agent = supertest.agent(on).set('User-Agent', userAgent);
    const page = await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: testPassword, _csrf: csrfFrom(page.text) })
      .expect(303);
    return agent;
  }
  const signedIn = async (agent: ReturnType<typeof supertest.agent>) => (await agent.get('/api/v1/me')).status === 200;

  it('lists each session with its device, when it began and was last used, and which one is this browser', async () => {
    const user = await buildUser();
    const laptop = await signInWith(user, firefox);
    await signInWith(user, iphone);
    const res = await laptop.get('/api/v1/me/sessions').expect(200);
    expect(res.body.items).to.have.length(2);
    const current = res.body.items.find((s: { current: boolean }) => s.current);
    expect(current.userAgent).to.equal(firefox);
    for (const item of res.body.items)
      expect(item).to.have.keys('id', 'createdAt', 'lastSeenAt', 'userAgent', 'current');
    const page = await laptop.get('/account/security').expect(200);
    expect(page.text).to.include('Firefox 128 on Windows 10').and.include('Mobile Safari 17 on iOS 17.5');
    expect(page.text).to.include('This browser');
  });

  it('when she ends another session, that browser is signed out at its next request, on any process', async () => {
    const user = await buildUser();
    const laptop = await signInWith(user, firefox, app);
    const phone = await signInWith(user, iphone, otherProcess);
    const list = (await laptop.get('/api/v1/me/sessions')).body.items as { id: string; current: boolean }[];
    const phoneSession = list.find((s) => !s.current)!;
    await laptop
      .post(`/account/sessions/${phoneSession.id}/end`)
      .type('form')
      .send({ _csrf: await csrfOf(laptop, '/account/security') })
      .expect(303);
    expect(await signedIn(phone)).to.equal(false);
    expect(await signedIn(laptop)).to.equal(true);
    expect(await AuditEventModel.countDocuments({ action: 'session-ended', actorId: user.id })).to.equal(1);
  });

  it('an ended session stays ended even when a request of it still in flight saves the session document again', async () => {
    const user = await buildUser();
    const laptop = await signInWith(user, firefox);
    const phone = await signInWith(user, iphone);
    await phone.get('/account/security').expect(200);
    const store = mongoose.connection.db!.collection<{ _id: string }>('sessions');
    const record = await SignedInSessionModel.findOne({ userId: user.id, userAgent: iphone }).lean();
    const saved = await store.findOne({ _id: record!._id });
    await laptop
      .delete(`/api/v1/me/sessions/${record!.publicId}`)
      .set('X-CSRF-Token', await csrfOf(laptop))
      .expect(204);
    // What express-session's save at the end of that in-flight request would do: write the document back.
    await store.insertOne(saved!);
    expect(await signedIn(phone)).to.equal(false);
  });

  it('when her record no longer lists a session (ended by another process), its next request is signed out with a fresh session', async () => {
    const user = await buildUser();
    const phone = await signInWith(user, iphone);
    const record = (await SignedInSessionModel.findOne({ userId: user.id }).lean())!;
    expect((await UserModel.findById(user.id, { signedInSessions: 1 }).lean())!.signedInSessions).to.deep.equal([
      record.publicId,
    ]);
    await UserModel.updateOne({ _id: user.id }, { $pull: { signedInSessions: record.publicId } });
    const res = await phone.get('/account').expect(303);
    expect(res.headers.location).to.equal('/login');
    expect(String(res.headers['set-cookie'])).to.match(/pathways\.sid=/);
    expect(await signedIn(phone)).to.equal(false);
  });

  it('a session signed in before sessions were listed on her record is recorded and listed on its next request', async () => {
    const user = await buildUser();
    const laptop = await signInWith(user, firefox);
    const record = (await SignedInSessionModel.findOne({ userId: user.id }).lean())!;
    // As such a session was stored: no record, not listed, no `tracked` in the session.
    await SignedInSessionModel.deleteOne({ _id: record._id });
    await UserModel.updateOne({ _id: user.id }, { $unset: { signedInSessions: 1 } });
    const store = mongoose.connection.db!.collection<{ _id: string; session: string }>('sessions');
    const stored = (await store.findOne({ _id: record._id }))!;
    const data = JSON.parse(stored.session) as Record<string, unknown>;
    delete data.tracked;
    await store.updateOne({ _id: record._id }, { $set: { session: JSON.stringify(data) } });

    expect(await signedIn(laptop)).to.equal(true);
    expect(await SignedInSessionModel.countDocuments({ _id: record._id })).to.equal(1);
    expect((await UserModel.findById(user.id, { signedInSessions: 1 }).lean())!.signedInSessions).to.deep.equal([
      record.publicId,
    ]);
    expect((await laptop.get('/api/v1/me/sessions').expect(200)).body.items).to.have.length(1);
    expect(await signedIn(laptop)).to.equal(true);
  });

  it('a signed-in page checks her account and this session with one read of her user record, and reads no session record', async () => {
    const user = await buildUser();
    const laptop = await signInWith(user, firefox);
    await laptop.get('/account').expect(200);
    // Every command the app sends, as the driver sends it: connect-mongo's read of the session cookie's record, and
    // one of her user record; no SignedInSession record, no write.
    const commands: string[] = [];
    const client = mongoose.connection.getClient();
    const listen = (event: { commandName: string; command: Record<string, unknown> }) =>
      void commands.push(`${event.commandName} ${String(event.command[event.commandName])}`);
    client.on('commandStarted', listen);
    try {
      await laptop.get('/account').expect(200);
    } finally {
      client.off('commandStarted', listen);
    }
    expect(commands).to.deep.equal(['find sessions', 'find users']);
  });

  it('DELETE /me/sessions ends every session but the current one', async () => {
    const user = await buildUser();
    const laptop = await signInWith(user, firefox);
    const others = [await signInWith(user, iphone), await signInWith(user, iphone)];
    await laptop
      .delete('/api/v1/me/sessions')
      .set('X-CSRF-Token', await csrfOf(laptop))
      .expect(204);
    for (const other of others) expect(await signedIn(other)).to.equal(false);
    expect(await signedIn(laptop)).to.equal(true);
    expect((await laptop.get('/api/v1/me/sessions')).body.items).to.have.length(1);
  });

  it("ending someone else's session answers 404 and ends nothing", async () => {
    const owner = await buildUser();
    const stranger = await buildUser();
    const ownerAgent = await signInWith(owner, firefox);
    const strangerAgent = await signInWith(stranger, firefox);
    const ownerSession = (await ownerAgent.get('/api/v1/me/sessions')).body.items[0].id as string;
    await strangerAgent
      .delete(`/api/v1/me/sessions/${ownerSession}`)
      .set('X-CSRF-Token', await csrfOf(strangerAgent))
      .expect(404);
    await strangerAgent
      .delete('/api/v1/me/sessions/not-a-session')
      .set('X-CSRF-Token', await csrfOf(strangerAgent))
      .expect(404);
    expect(await signedIn(ownerAgent)).to.equal(true);
  });

  it('signing out removes the session from the list and records sign-out', async () => {
    const user = await buildUser();
    const laptop = await signInWith(user, firefox);
    const phone = await signInWith(user, iphone);
    await phone
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfOf(phone) })
      .expect(303);
    expect((await laptop.get('/api/v1/me/sessions')).body.items).to.have.length(1);
    expect(await AuditEventModel.countDocuments({ action: 'sign-out', actorId: user.id })).to.equal(1);
  });

  it('last used is written at most once a minute', async () => {
    const user = await buildUser();
    await signInWith(user, firefox);
    const record = (await SignedInSessionModel.findOne({ userId: user.id }).lean())!;
    const start = record.lastSeenAt;
    const later = (s: number) => new Date(start.getTime() + s * 1000);
    await markSessionSeen({ sessionId: record._id, now: later(30) });
    expect((await SignedInSessionModel.findById(record._id).lean())!.lastSeenAt.getTime()).to.equal(start.getTime());
    await markSessionSeen({ sessionId: record._id, now: later(61) });
    expect((await SignedInSessionModel.findById(record._id).lean())!.lastSeenAt.getTime()).to.equal(
      later(61).getTime(),
    );
  });

  it('the maintenance job removes the records of sessions idle past their lifetime', async () => {
    const user = await buildUser();
    await signInWith(user, firefox);
    const now = new Date(Date.now() + 3 * 60 * 60 * 1000);
    const result = await removeExpiredRecords(now);
    expect(result.sessionRecords).to.be.greaterThan(0);
    expect(await SignedInSessionModel.countDocuments({ userId: user.id })).to.equal(0);
  });

  it('the maintenance job deletes API tokens once they have expired (her name for each, when last used); live ones stay', async () => {
    const user = await buildUser();
    const expired = await createApiToken({ userId: user.id, name: 'Old laptop script' });
    const live = await createApiToken({ userId: user.id, name: 'Gradebook export' });
    await ApiTokenModel.collection.updateOne(
      { _id: new mongoose.Types.ObjectId(expired.id) },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    await removeExpiredRecords(new Date());
    expect((await ApiTokenModel.find({ userId: user.id }).lean()).map((t) => t.name)).to.deep.equal([
      'Gradebook export',
    ]);
    await supertest(app).get('/api/v1/me').set('Authorization', `Bearer ${live.token}`).expect(200);
  });

  describe('a sign-in with the old password at the moment she changes it (another process) never outlives the change', () => {
    const newPassword = 'a-much-newer-passphrase-2027';
    const change = (user: TestUser) =>
      changePassword({
        actor: { id: user.id, name: user.name, email: user.email },
        currentPassword: testPassword,
        newPassword,
      });

    it('on the web: the sign-in whose password was checked before the change is refused, and that browser is not signed in', async () => {
      const user = await buildUser();
      const agent = supertest.agent(app);
      const page = await agent.get('/login');
      // The sign-in has checked her password; its session is listed only after the change has ended the others.
      const held = holdNextCall(UserModel, 'updateOne', {
        before: true,
        when: (args) =>
          JSON.stringify(args[1]).includes('signedInSessions') && JSON.stringify(args[1]).includes('$addToSet'),
      });
      let answer: supertest.Response | undefined;
      try {
        const signingIn = agent
          .post('/login')
          .type('form')
          .send({ email: user.email, password: testPassword, _csrf: csrfFrom(page.text) });
        const done = signingIn.then((res) => (answer = res));
        await held.reached;
        await change(user);
        held.release();
        await done;
      } finally {
        held.release();
        held.restore();
      }
      expect(answer!.status).to.equal(401);
      expect(await signedIn(agent)).to.equal(false);
      expect(await SignedInSessionModel.countDocuments({ userId: user.id })).to.equal(0);
    });

    it('an API token asked for with the old password is not kept', async () => {
      const user = await buildUser();
      const held = holdNextCall(ApiTokenModel, 'create', { before: true });
      let answer: supertest.Response | undefined;
      try {
        const asking = supertest(app)
          .post('/api/v1/auth/tokens')
          .send({ email: user.email, password: testPassword })
          .then((res) => (answer = res));
        await held.reached;
        await change(user);
        held.release();
        await asking;
      } finally {
        held.release();
        held.restore();
      }
      expect(answer!.status).to.equal(401);
      expect(await ApiTokenModel.countDocuments({ userId: user.id })).to.equal(0);
    });
  });

  it('names devices plainly, and says so when the user agent is unknown', () => {
    expect(deviceOf(firefox)).to.equal('Firefox 128 on Windows 10');
    expect(deviceOf('')).to.equal('Unknown browser');
    expect(deviceOf('curl/8.5.0')).to.match(/^Unknown browser|curl/);
  });
});
