import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { ConflictError } from '../../server/errors.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { leaveNetwork } from '../../server/services/networks/members.ts';
import { setLeads } from '../../server/services/networks/networks.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildNetwork } from '../support/networkFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

/**
 * "The last lead" is the last lead whose account is live (active, or invited and not yet signed in): a lead whose
 * account an admin disabled (or that was erased) answers no request, so every path that takes a lead away (leaving,
 * removal, PUT .../leads, Remove as lead) refuses to leave the network led by such accounts only.
 */
describe('networks: the last lead is the last one whose account is live', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;
  const roleOf = async (networkId: string, u: TestUser) =>
    NetworkMembershipModel.findOne({ networkId, userId: u.id }).lean();
  const disable = (u: TestUser) =>
    updateUserAsAdmin({ actor: { id: admin.id, name: admin.name }, userId: u.id, changes: { status: 'disabled' } });

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
  });
  // After the app, which points the mailer at the outbox: this reads what the SMTP server received.
  const sink = useSmtpSink();

  it('the one active lead of an approval network also led by a disabled account cannot leave (409); she stays its lead', async () => {
    const ama = await buildUser({ name: 'Active Ama' });
    const dora = await buildUser({ name: 'Disabled Dora' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [ama, dora] });
    await disable(dora);
    const res = await supertest(app)
      .delete(`/api/v1/networks/${net.id}/members/me`)
      .set('Authorization', await bearer(ama))
      .expect(409);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(await roleOf(net.id, ama)).to.include({ status: 'member', role: 'lead' });
  });

  it('an admin cannot remove the one active lead when the other lead is disabled (409); a lead who was invited and has not signed in yet counts', async () => {
    const ama = await buildUser({ name: 'Active Ama' });
    const dora = await buildUser({ name: 'Disabled Dora', status: 'disabled' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [ama, dora] });
    await supertest(app)
      .delete(`/api/v1/networks/${net.id}/members/${ama.id}`)
      .set('Authorization', await bearer(admin))
      .expect(409);
    expect(await roleOf(net.id, ama)).to.include({ status: 'member', role: 'lead' });

    // With a second lead whose account is live (invited), Ama may go, and the disabled lead may be removed.
    const ines = await buildUser({ name: 'Invited Ines', status: 'invited' });
    const led = await buildNetwork({ joining: 'approval' }, { leads: [ama, dora, ines] });
    await supertest(app)
      .delete(`/api/v1/networks/${led.id}/members/me`)
      .set('Authorization', await bearer(ama))
      .expect(204);
    await supertest(app)
      .delete(`/api/v1/networks/${led.id}/members/${dora.id}`)
      .set('Authorization', await bearer(admin))
      .expect(204);
    expect(await roleOf(led.id, ines)).to.include({ status: 'member', role: 'lead' });
  });

  it('when the lead an admin names (PUT .../leads) is disabled while the change is made, the leads before stay (409)', async () => {
    const old = await buildUser({ name: 'Old Olga' });
    const named = await buildUser({ name: 'Named Nia' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [old], members: [named] });
    // The change stalls after naming Nia, before the other leads step down; another admin disables Nia meanwhile.
    const held = holdNextCall(NetworkMembershipModel, 'find', {
      lean: true,
      before: true,
      when: (args) => (args[0] as { userId?: { $nin?: unknown } }).userId?.$nin !== undefined,
    });
    let refused: unknown;
    try {
      const naming = setLeads({
        actor: { id: admin.id, name: admin.name, roles: ['admin'] } as unknown as Express.User,
        networkId: net.id,
        userIds: [named.id],
      });
      naming.catch(() => undefined);
      await held.reached;
      held.restore();
      await disable(named);
      held.release();
      await naming.catch((error: unknown) => (refused = error));
    } finally {
      held.release();
      held.restore();
    }
    expect(refused).to.be.instanceOf(ConflictError);
    expect(await roleOf(net.id, old)).to.include({ status: 'member', role: 'lead' });
  });

  it('the network page names as its leads only those whose account is live: a disabled lead is not offered as someone who answers', async () => {
    const ama = await buildUser({ name: 'Active Ama' });
    const dora = await buildUser({ name: 'Disabled Dora' });
    const member = await buildUser({ name: 'Member Mae' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [ama, dora], members: [member] });
    await disable(dora);
    const agent = await signIn(app, member.email, testPassword);
    const page = await agent.get(`/networks/${net.id}`).expect(200);
    expect(page.text).to.include('Led by Active Ama.');
    expect(page.text).not.to.include('Disabled Dora');
  });

  it('when the one lead who could answer is disabled while a request waits, the admins are emailed that request (not nobody)', async () => {
    const lou = await buildUser({ name: 'Lead Lou' });
    const ines = await buildUser({ name: 'Ines Waiting' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [lou] });
    await supertest(app)
      .post(`/api/v1/networks/${net.id}/members`)
      .set('Authorization', await bearer(ines))
      .send({})
      .expect(201);
    await disable(lou);
    await runDueNotifications({ now: new Date(Date.now() + 1000) });
    const told = sink.received.filter((m) => m.subject === `Ines Waiting asks to join ${net.name}`);
    expect(told.flatMap((m) => m.to)).to.deep.equal([admin.email]);
    // Disabled again by the 15-minute repair (or twice): no second email.
    await disable(lou);
    await runDueNotifications({ now: new Date(Date.now() + 1000) });
    expect(sink.received.filter((m) => m.subject === `Ines Waiting asks to join ${net.name}`)).to.have.length(1);
  });

  it('when the one lead of an approval network erases her account while a request waits, the admins are emailed that request', async () => {
    const lou = await buildUser({ name: 'Lead Leaving' });
    const ines = await buildUser({ name: 'Ines Still Waiting' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [lou] });
    await supertest(app)
      .post(`/api/v1/networks/${net.id}/members`)
      .set('Authorization', await bearer(ines))
      .send({})
      .expect(201);
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: lou.id, bySelf: false });
    await runDueNotifications({ now: new Date(Date.now() + 1000) });
    const told = sink.received.filter((m) => m.subject === `Ines Still Waiting asks to join ${net.name}`);
    expect(told.flatMap((m) => m.to)).to.deep.equal([admin.email]);
  });

  it('when the two active leads leave at the same moment and the third lead is disabled, one active lead stays', async () => {
    for (let round = 0; round < 3; round++) {
      const [ama, bea, dora] = await Promise.all(['Ama', 'Bea', 'Dora'].map((name) => buildUser({ name })));
      const net = await buildNetwork({ joining: 'approval' }, { leads: [ama!, bea!, dora!] });
      await disable(dora!);
      const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: [] }) as unknown as Express.User;
      const left = await Promise.allSettled([
        leaveNetwork({ actor: actor(ama!), networkId: net.id }),
        leaveNetwork({ actor: actor(bea!), networkId: net.id }),
      ]);
      expect(left.filter((r) => r.status === 'fulfilled').length).to.be.at.most(1);
      const leads = await NetworkMembershipModel.find({ networkId: net.id, status: 'member', role: 'lead' }).lean();
      expect(leads.map((l) => String(l.userId))).to.include.oneOf([ama!.id, bea!.id]);
    }
  });
});
