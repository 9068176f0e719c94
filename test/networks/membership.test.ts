import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { UserModel } from '../../models/User.ts';
import { ConflictError } from '../../server/errors.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import {
  admitMember,
  countOutMembershipsOfDisabledAccounts,
  leaveNetwork,
  recountAllMembers,
  removeMember,
} from '../../server/services/networks/members.ts';
import { setLeads } from '../../server/services/networks/networks.ts';
import { isMember, networksOf, sharedNetworkIds } from '../../server/services/networks/membership.ts';
import { runDueNotifications, settleNotifications } from '../../server/services/reminders/index.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildNetwork } from '../support/networkFactories.ts';
import { emailPart, useSmtpSink, type ReceivedEmail } from '../support/smtp.ts';

describe('networks: creating, browsing, joining, approval, removal and leaving', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let lead: TestUser;
  let alice: TestUser;
  let bea: TestUser;
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;
  const countOf = async (id: string) => (await NetworkModel.findById(id).lean())!.memberCount;
  /** What an email's text says, as its reader sees it. */
  const wordsOf = (email: ReceivedEmail) => emailPart(email, 'text/plain');
  /** Sends what is due, twice at once and once more, as the job on two processes would. */
  const sendDue = async () => {
    const now = new Date(Date.now() + 1000);
    await Promise.all([runDueNotifications({ now }), runDueNotifications({ now })]);
    await runDueNotifications({ now });
  };

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    lead = await buildUser();
    alice = await buildUser();
    bea = await buildUser();
  });
  // After the app, which points the mailer at the outbox: these tests read what the SMTP server received.
  const sink = useSmtpSink();

  it('lets an admin create a network (201) and answers 403 to anyone else, recording nothing', async () => {
    const body = {
      name: 'Returners after a career break',
      kind: 'interest',
      description: 'Coming back to leadership.',
      joining: 'open',
    };
    const res = await supertest(app)
      .post('/api/v1/networks')
      .set('Authorization', await bearer(admin))
      .send(body)
      .expect(201);
    expect(res.body).to.include({ name: body.name, kind: 'interest', joining: 'open', memberCount: 0 });
    await supertest(app)
      .post('/api/v1/networks')
      .set('Authorization', await bearer(alice))
      .send({ ...body, name: 'Sneaky' })
      .expect(403);
    expect(await NetworkModel.countDocuments({ name: 'Sneaky' })).to.equal(0);
  });

  it('refuses a second network whose name differs only in how its accents were typed (composed or combining), with 409', async () => {
    const auth = await bearer(admin);
    const name = 'Réseau des directrices du Québec';
    await supertest(app)
      .post('/api/v1/networks')
      .set('Authorization', auth)
      .send({ name, kind: 'interest', description: '', joining: 'open' })
      .expect(201);
    const dup = await supertest(app)
      .post('/api/v1/networks')
      .set('Authorization', auth)
      .send({ name: name.normalize('NFD'), kind: 'interest', description: '', joining: 'open' })
      .expect(409);
    expect(dup.body.errors).to.deep.equal([{ path: 'name', message: 'another network already has this name' }]);
    expect(await NetworkModel.countDocuments({ name: { $in: [name, name.normalize('NFD')] } })).to.equal(1);
  });

  it('refuses a second network with the same name (any case) with 409 naming the field, and bad fields with 422', async () => {
    const auth = await bearer(admin);
    await buildNetwork({ name: 'Flexible working' });
    const dup = await supertest(app)
      .post('/api/v1/networks')
      .set('Authorization', auth)
      .send({ name: '  FLEXIBLE   working ', kind: 'interest', description: '', joining: 'open' })
      .expect(409);
    expect(dup.headers['content-type']).to.match(/application\/problem\+json/);
    expect(dup.body).to.include({ status: 409, title: 'Conflict' });
    expect(dup.body.errors).to.deep.equal([{ path: 'name', message: 'another network already has this name' }]);
    expect(await NetworkModel.countDocuments({ nameKey: 'flexible working' })).to.equal(1);
    const bad = await supertest(app)
      .post('/api/v1/networks')
      .set('Authorization', auth)
      .send({ name: '', kind: 'secret', joining: 'maybe', country: 'ZZ', $where: '1' })
      .expect(422);
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).to.include.members(['name', 'kind', 'joining']);
    const country = await supertest(app)
      .post('/api/v1/networks')
      .set('Authorization', auth)
      .send({ name: 'Nowhere', kind: 'national', description: '', joining: 'open', country: 'ZZ' })
      .expect(422);
    expect(country.body.errors[0].path).to.equal('country');
  });

  it('lists networks by kind, country and words, with exact member counts', async () => {
    const uk = await buildNetwork(
      { name: 'WomenEd London', kind: 'regional', country: 'GB' },
      { leads: [lead], members: [alice] },
    );
    await buildNetwork({ name: 'WomenEd Malaysia', kind: 'regional', country: 'MY' });
    const auth = await bearer(bea);
    const regional = await supertest(app).get('/api/v1/networks?kind=regional').set('Authorization', auth).expect(200);
    expect(regional.body.items.map((n: { name: string }) => n.name)).to.deep.equal([
      'WomenEd London',
      'WomenEd Malaysia',
    ]);
    const gb = await supertest(app).get('/api/v1/networks?country=gb').set('Authorization', auth).expect(200);
    expect(gb.body.items).to.have.length(1);
    expect(gb.body.items[0]).to.include({ id: uk.id, memberCount: 2 });
    const words = await supertest(app).get('/api/v1/networks?q=malaysia').set('Authorization', auth).expect(200);
    expect(words.body.items.map((n: { name: string }) => n.name)).to.deep.equal(['WomenEd Malaysia']);
    await supertest(app).get('/api/v1/networks?kind=secret').set('Authorization', auth).expect(422);
    // A code no country has is a mistake to hear about, not an empty list (as the directory's and pledge's filters).
    const nowhere = await supertest(app).get('/api/v1/networks?country=ZZ').set('Authorization', auth).expect(422);
    expect(nowhere.body.errors).to.deep.equal([
      { path: 'country', message: 'must be an ISO 3166-1 alpha-2 country code' },
    ]);
    await supertest(app).get('/api/v1/networks').expect(401);
  });

  it('finds a network by words typed without its accents, or with them decomposed as a Mac types them', async () => {
    await buildNetwork({ name: 'Directrices de Trois-Rivières', kind: 'regional', country: 'CA' });
    await buildNetwork({ name: 'Montreal returners', kind: 'interest' });
    const auth = await bearer(bea);
    const names = async (q: string) =>
      (
        await supertest(app)
          .get(`/api/v1/networks?q=${encodeURIComponent(q)}`)
          .set('Authorization', auth)
          .expect(200)
      ).body.items.map((n: { name: string }) => n.name);
    expect(await names('rivieres')).to.deep.equal(['Directrices de Trois-Rivières']);
    expect(await names('Rivie\u0300res')).to.deep.equal(['Directrices de Trois-Rivières']);
    expect(await names('montréal')).to.deep.equal(['Montreal returners']);
  });

  it('joins an open network at once, and counts her once however many times she joins at the same moment', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead] });
    const auth = await bearer(alice);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        supertest(app).post(`/api/v1/networks/${open.id}/members`).set('Authorization', auth).send({}),
      ),
    );
    for (const a of answers) expect(a.status, a.text).to.equal(201);
    expect(answers.map((a) => a.body.status)).to.deep.equal(Array(6).fill('member'));
    expect(await countOf(open.id)).to.equal(2);
    expect(await isMember(open.id, alice.id)).to.equal(true);
    expect((await networksOf(alice.id)).map(String)).to.include(open.id);
    expect((await sharedNetworkIds(alice.id, lead.id)).map(String)).to.include(open.id);
  });

  it('counts exactly when many people join at once', async () => {
    const open = await buildNetwork({ joining: 'open' });
    const people = await Promise.all(Array.from({ length: 8 }, () => buildUser()));
    const tokens = await Promise.all(people.map(bearer));
    await Promise.all(
      tokens.map((auth) =>
        supertest(app).post(`/api/v1/networks/${open.id}/members`).set('Authorization', auth).send({}).expect(201),
      ),
    );
    expect(await countOf(open.id)).to.equal(8);
    expect(await NetworkMembershipModel.countDocuments({ networkId: open.id, status: 'member' })).to.equal(8);
  });

  it('in an approval network she asks, a lead approves; a member who is not a lead gets 403 and changes nothing', async () => {
    const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [bea] });
    const asked = await supertest(app)
      .post(`/api/v1/networks/${closed.id}/members`)
      .set('Authorization', await bearer(alice))
      .send({})
      .expect(201);
    expect(asked.body).to.deep.equal({ status: 'requested' });
    expect(await isMember(closed.id, alice.id)).to.equal(false);
    expect(await countOf(closed.id)).to.equal(2);
    await supertest(app)
      .post(`/api/v1/networks/${closed.id}/members/${alice.id}/approve`)
      .set('Authorization', await bearer(bea))
      .expect(403);
    expect(await isMember(closed.id, alice.id)).to.equal(false);
    await supertest(app)
      .post(`/api/v1/networks/${closed.id}/members/${alice.id}/approve`)
      .set('Authorization', await bearer(lead))
      .expect(204);
    expect(await isMember(closed.id, alice.id)).to.equal(true);
    expect(await countOf(closed.id)).to.equal(3);
  });

  it('when she asks to join an approval network, each lead is emailed once, in her own zone, with a link to the requests, however many times she asks at once', async () => {
    const leadInDubai = await buildUser({ name: 'Layla Leading', timezone: 'Asia/Dubai' });
    const asker = await buildUser({ name: 'Amira Asking' });
    const closed = await buildNetwork(
      { joining: 'approval', name: 'Gulf heads' },
      { leads: [lead, leadInDubai], members: [bea] },
    );
    const auth = await bearer(asker);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        supertest(app).post(`/api/v1/networks/${closed.id}/members`).set('Authorization', auth).send({}),
      ),
    );
    for (const a of answers) expect(a.status, a.text).to.equal(201);
    expect(answers.map((a) => a.body.status)).to.deep.equal(Array(6).fill('requested'));
    const planned = await NotificationModel.find({ kind: 'network-join-request', 'about.id': closed.id }).lean();
    expect(planned.map((n) => String(n.userId)).sort()).to.deep.equal([lead.id, leadInDubai.id].sort());

    await sendDue();
    const told = sink.received.filter((m) => m.subject === 'Amira Asking asks to join Gulf heads');
    expect(told.flatMap((m) => m.to).sort()).to.deep.equal([lead.email, leadInDubai.email].sort());
    const toDubai = wordsOf(told.find((m) => m.to.includes(leadInDubai.email))!);
    expect(toDubai)
      .to.include(`http://pathways.test/networks/${closed.id}#requests-heading`)
      .and.to.include('(Asia/Dubai)');
    expect(told[0]!.headers['list-unsubscribe']).to.be.a('string');
    expect(sink.received.filter((m) => m.to.includes(bea.email))).to.have.length(0);
    // Asking again while she waits sends nothing more.
    await supertest(app).post(`/api/v1/networks/${closed.id}/members`).set('Authorization', auth).send({}).expect(201);
    await sendDue();
    expect(sink.received.filter((m) => m.subject === 'Amira Asking asks to join Gulf heads')).to.have.length(2);
  });

  it('when an approval network has no lead yet, the admins are emailed her request instead of nobody', async () => {
    const asker = await buildUser({ name: 'Hana Hopeful' });
    const leaderless = await buildNetwork({ joining: 'approval', name: 'Flexible working (no lead yet)' });
    await supertest(app)
      .post(`/api/v1/networks/${leaderless.id}/members`)
      .set('Authorization', await bearer(asker))
      .send({})
      .expect(201);
    const planned = await NotificationModel.find({ kind: 'network-join-request', 'about.id': leaderless.id }).lean();
    expect(planned.map((n) => String(n.userId))).to.include(admin.id);
    await sendDue();
    const told = sink.received.filter((m) => m.subject === 'Hana Hopeful asks to join Flexible working (no lead yet)');
    expect(told.flatMap((m) => m.to)).to.include(admin.email);
    expect(told.filter((m) => m.to.includes(admin.email))).to.have.length(1);
    expect(wordsOf(told.find((m) => m.to.includes(admin.email))!)).to.include('has no lead yet');
  });

  it('when the only lead of an approval network was disabled by an admin, the admins are emailed her request (saying why), not the disabled lead', async () => {
    const asker = await buildUser({ name: 'Ines Inquiring' });
    const absent = await buildUser();
    const net = await buildNetwork({ joining: 'approval', name: 'Lead disabled' }, { leads: [absent] });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: absent.id,
      changes: { status: 'disabled' },
    });
    await supertest(app)
      .post(`/api/v1/networks/${net.id}/members`)
      .set('Authorization', await bearer(asker))
      .send({})
      .expect(201);
    const planned = await NotificationModel.find({ kind: 'network-join-request', 'about.id': net.id }).lean();
    expect(planned.map((n) => String(n.userId))).to.include(admin.id);
    expect(planned.map((n) => String(n.userId))).not.to.include(absent.id);
    await sendDue();
    const told = sink.received.filter((m) => m.subject === 'Ines Inquiring asks to join Lead disabled');
    expect(told.filter((m) => m.to.includes(admin.email))).to.have.length(1);
    expect(wordsOf(told.find((m) => m.to.includes(admin.email))!)).to.include('no lead who can answer');
  });

  it('member counts are of active accounts: a member an admin disables is counted out (list, page and hourly recount) and back in when enabled; her request approved meanwhile, or her erasure, moves nothing', async () => {
    const dora = await buildUser({ name: 'Dora Disabled' });
    const asking = await buildUser({ name: 'Asha Asking' });
    const net = await buildNetwork(
      { joining: 'approval', name: 'Counts of active accounts' },
      { leads: [lead], members: [alice, dora] },
    );
    const closed = await buildNetwork({ joining: 'approval', name: 'Counts of requests' }, { leads: [lead] });
    await supertest(app)
      .post(`/api/v1/networks/${closed.id}/members`)
      .set('Authorization', await bearer(asking))
      .send({})
      .expect(201);
    expect(await countOf(net.id)).to.equal(3);
    const disable = (who: TestUser, status: 'disabled' | 'active') =>
      updateUserAsAdmin({ actor: { id: admin.id, name: admin.name }, userId: who.id, changes: { status } });
    await disable(dora, 'disabled');
    await disable(asking, 'disabled');
    const listed = await supertest(app)
      .get('/api/v1/networks?q=counts')
      .set('Authorization', await bearer(bea))
      .expect(200);
    expect(listed.body.items.map((n: { name: string; memberCount: number }) => [n.name, n.memberCount])).to.deep.equal([
      ['Counts of active accounts', 2],
      ['Counts of requests', 1],
    ]);
    const page = await (await signIn(app, bea.email, testPassword)).get(`/networks/${net.id}`).expect(200);
    expect(page.text).to.include('2 members');
    const leadsPage = await (
      await signIn(app, lead.email, testPassword)
    )
      .get(`/networks/${net.id}/members`)
      .expect(200);
    expect(leadsPage.text).to.include('Members (2)');
    expect(leadsPage.text).to.match(/Dora[^<]*<span class="badge badge-neutral">Account disabled<\/span>/);
    await recountAllMembers();
    expect(await countOf(net.id)).to.equal(2);
    // An account disabled without its memberships following (before this rule, or a process stopped between the
    // writes): the maintenance repair counts her out, once.
    const legacy = await buildUser({ name: 'Lea Legacy' });
    await admitMember({ networkId: new Types.ObjectId(net.id), userId: new Types.ObjectId(legacy.id) });
    await UserModel.updateOne({ _id: legacy.id }, { $set: { status: 'disabled' } });
    expect(await countOf(net.id)).to.equal(3);
    await Promise.all([countOutMembershipsOfDisabledAccounts(), countOutMembershipsOfDisabledAccounts()]);
    expect(await countOf(net.id)).to.equal(2);
    // Her request approved while her account is disabled: a member, not counted until she is enabled.
    await supertest(app)
      .post(`/api/v1/networks/${closed.id}/members/${asking.id}/approve`)
      .set('Authorization', await bearer(lead))
      .expect(204);
    expect(await countOf(closed.id)).to.equal(1);
    await disable(asking, 'active');
    expect(await countOf(closed.id)).to.equal(2);
    await disable(dora, 'active');
    await disable(dora, 'active');
    expect(await countOf(net.id)).to.equal(3);
    // Disabled again, then erased: counted out once.
    await disable(dora, 'disabled');
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: dora.id, bySelf: false });
    expect(await countOf(net.id)).to.equal(2);
    await recountAllMembers();
    expect(await countOf(net.id)).to.equal(2);
  });

  it('when an admin opens an approval network, one who had asked joins at once (not left waiting); one a lead removed still waits', async () => {
    const waiting = await buildUser();
    const removed = await buildUser();
    const net = await buildNetwork(
      { joining: 'approval', name: 'Opened later' },
      { leads: [lead], members: [removed] },
    );
    await supertest(app)
      .delete(`/api/v1/networks/${net.id}/members/${removed.id}`)
      .set('Authorization', await bearer(lead))
      .expect(204);
    for (const who of [waiting, removed])
      await supertest(app)
        .post(`/api/v1/networks/${net.id}/members`)
        .set('Authorization', await bearer(who))
        .send({})
        .expect(201);
    await NetworkModel.updateOne({ _id: net.id }, { $set: { joining: 'open' } });
    const agent = await signIn(app, waiting.email, testPassword);
    const page = await agent.get(`/networks/${net.id}`).expect(200);
    expect(page.text).to.include('Join the network');
    const joined = await supertest(app)
      .post(`/api/v1/networks/${net.id}/members`)
      .set('Authorization', await bearer(waiting))
      .send({})
      .expect(201);
    expect(joined.body).to.deep.equal({ status: 'member' });
    expect(await isMember(net.id, waiting.id)).to.equal(true);
    const again = await supertest(app)
      .post(`/api/v1/networks/${net.id}/members`)
      .set('Authorization', await bearer(removed))
      .send({})
      .expect(201);
    expect(again.body).to.deep.equal({ status: 'requested' });
    expect(await countOf(net.id)).to.equal(2);
  });

  it('a lead declining her request while she joins the network, just opened, with one click: the decline stands, and her click asks again', async () => {
    const she = await buildUser();
    const net = await buildNetwork({ joining: 'approval', name: 'Opened while answered' }, { leads: [lead] });
    await supertest(app)
      .post(`/api/v1/networks/${net.id}/members`)
      .set('Authorization', await bearer(she))
      .send({})
      .expect(201);
    await NetworkModel.updateOne({ _id: net.id }, { $set: { joining: 'open' } });
    // Her one-click join has read her row (a request nobody answered: she may join) and is about to write it.
    const held = holdNextCall(NetworkMembershipModel, 'findOneAndUpdate', {
      lean: true,
      before: true,
      when: ([filter]) => '$or' in (filter as object),
    });
    try {
      const joining = supertest(app)
        .post(`/api/v1/networks/${net.id}/members`)
        .set('Authorization', await bearer(she))
        .send({})
        .then((res) => res);
      await held.reached;
      await supertest(app)
        .delete(`/api/v1/networks/${net.id}/members/${she.id}`)
        .set('Authorization', await bearer(lead))
        .expect(204);
      held.release();
      const res = await joining;
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.equal({ status: 'requested' });
    } finally {
      held.restore();
    }
    const row = await NetworkMembershipModel.findOne({ networkId: net.id, userId: she.id }).lean();
    expect(row).to.include({ status: 'requested', leftBy: 'lead' });
    expect(await isMember(net.id, she.id)).to.equal(false);
    expect(await countOf(net.id)).to.equal(1);
  });

  it('she is emailed once when her request is approved (two leads approving at once) or declined; the leads are not asked about an answered request; a removed member is not emailed', async () => {
    const otherLead = await buildUser();
    const rana = await buildUser({ name: 'Rana Requesting', timezone: 'Asia/Kuala_Lumpur' });
    const dina = await buildUser({ name: 'Dina Declined', timezone: 'America/Toronto' });
    const closed = await buildNetwork(
      { joining: 'approval', name: 'Kuala Lumpur leaders' },
      { leads: [lead, otherLead], members: [bea] },
    );
    const ask = async (who: TestUser) =>
      supertest(app)
        .post(`/api/v1/networks/${closed.id}/members`)
        .set('Authorization', await bearer(who))
        .send({})
        .expect(201);
    const answerTo = (who: TestUser) =>
      NotificationModel.find({ kind: 'network-join-answered', userId: who.id, 'about.id': closed.id }).lean();
    await ask(rana);
    await ask(dina);

    const approvals = await Promise.all(
      [lead, otherLead].map(async (l) =>
        supertest(app)
          .post(`/api/v1/networks/${closed.id}/members/${rana.id}/approve`)
          .set('Authorization', await bearer(l)),
      ),
    );
    expect(approvals.map((a) => a.status)).to.deep.equal([204, 204]);
    expect((await answerTo(rana)).map((n) => n.data)).to.have.length(1);
    expect((await answerTo(rana))[0]!.data).to.include({ approved: true });
    await supertest(app)
      .delete(`/api/v1/networks/${closed.id}/members/${dina.id}`)
      .set('Authorization', await bearer(otherLead))
      .expect(204);
    expect(await answerTo(dina)).to.have.length(1);
    await supertest(app)
      .delete(`/api/v1/networks/${closed.id}/members/${bea.id}`)
      .set('Authorization', await bearer(lead))
      .expect(204);
    expect(await answerTo(bea)).to.have.length(0);

    await sendDue();
    const toRana = sink.received.filter((m) => m.to.includes(rana.email));
    expect(toRana.map((m) => m.subject)).to.deep.equal(['You are now a member of Kuala Lumpur leaders']);
    expect(wordsOf(toRana[0]!)).to.include(`http://pathways.test/networks/${closed.id}`);
    const toDina = sink.received.filter((m) => m.to.includes(dina.email));
    expect(toDina.map((m) => m.subject)).to.deep.equal(['Your request to join Kuala Lumpur leaders was declined']);
    expect(wordsOf(toDina[0]!)).to.include('(America/Toronto)');
    expect(sink.received.filter((m) => m.to.includes(bea.email))).to.have.length(0);
    // Both requests were answered before the job ran: the leads' emails about them are skipped, not sent.
    expect(sink.received.filter((m) => / asks to join Kuala Lumpur leaders$/.test(m.subject))).to.have.length(0);
    await settleNotifications({ now: new Date(Date.now() + 1000) });
    const skipped = await NotificationModel.find({ kind: 'network-join-request', 'about.id': closed.id }).lean();
    expect(skipped.map((n) => [n.status, n.skipReason])).to.deep.equal(
      Array(4).fill(['skipped', 'the request was answered or withdrawn']),
    );

    // Asking again after a decline is a new request: the leads hear of it.
    await ask(dina);
    await sendDue();
    expect(sink.received.filter((m) => m.subject === 'Dina Declined asks to join Kuala Lumpur leaders')).to.have.length(
      2,
    );
  });

  it('a declined request says who declined it: the network’s leads when a lead did, a Pathways admin when an admin did', async () => {
    const network = await buildNetwork({ joining: 'approval', name: 'Sydney aspiring heads' }, { leads: [lead] });
    const byLead = await buildUser({ name: 'Lena Lead-declined' });
    const byAdmin = await buildUser({ name: 'Ada Admin-declined' });
    for (const who of [byLead, byAdmin])
      await supertest(app)
        .post(`/api/v1/networks/${network.id}/members`)
        .set('Authorization', await bearer(who))
        .send({})
        .expect(201);
    await supertest(app)
      .delete(`/api/v1/networks/${network.id}/members/${byLead.id}`)
      .set('Authorization', await bearer(lead))
      .expect(204);
    await supertest(app)
      .delete(`/api/v1/networks/${network.id}/members/${byAdmin.id}`)
      .set('Authorization', await bearer(admin))
      .expect(204);
    await sendDue();
    const emailTo = (who: TestUser) => {
      const emails = sink.received.filter((m) => m.to.includes(who.email) && / was declined$/.test(m.subject));
      expect(emails).to.have.length(1);
      return wordsOf(emails[0]!).replace(/\s+/g, ' ');
    };
    expect(emailTo(byLead)).to.include('was declined by the network’s leads');
    const fromAdmin = emailTo(byAdmin);
    expect(fromAdmin).to.include('was declined by a Pathways admin');
    expect(fromAdmin).not.to.include('leads');
  });

  it('a lead removes a member (counted out); joining again an open network is then only a request', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [alice, bea] });
    await supertest(app)
      .delete(`/api/v1/networks/${open.id}/members/${alice.id}`)
      .set('Authorization', await bearer(bea))
      .expect(403);
    await supertest(app)
      .delete(`/api/v1/networks/${open.id}/members/${alice.id}`)
      .set('Authorization', await bearer(lead))
      .expect(204);
    expect(await isMember(open.id, alice.id)).to.equal(false);
    expect(await countOf(open.id)).to.equal(2);
    const again = await supertest(app)
      .post(`/api/v1/networks/${open.id}/members`)
      .set('Authorization', await bearer(alice))
      .send({})
      .expect(201);
    expect(again.body).to.deep.equal({ status: 'requested' });
  });

  it('a member leaves with DELETE .../members/me and may join again; the last lead cannot leave (409)', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [bea] });
    await supertest(app)
      .delete(`/api/v1/networks/${open.id}/members/me`)
      .set('Authorization', await bearer(bea))
      .expect(204);
    expect(await countOf(open.id)).to.equal(1);
    await supertest(app)
      .delete(`/api/v1/networks/${open.id}/members/me`)
      .set('Authorization', await bearer(bea))
      .expect(404);
    const back = await supertest(app)
      .post(`/api/v1/networks/${open.id}/members`)
      .set('Authorization', await bearer(bea))
      .send({})
      .expect(201);
    expect(back.body).to.deep.equal({ status: 'member' });
    await supertest(app)
      .delete(`/api/v1/networks/${open.id}/members/me`)
      .set('Authorization', await bearer(lead))
      .expect(409);
    expect(await countOf(open.id)).to.equal(2);
  });

  it('when the last two leads leave, or remove each other, at the same moment, the network keeps a lead', async () => {
    const leadOf = async (id: string) =>
      NetworkMembershipModel.countDocuments({ networkId: id, status: 'member', role: 'lead' });
    for (let round = 0; round < 3; round++) {
      const ann = await buildUser();
      const both = await buildNetwork({ joining: 'open' }, { leads: [lead, ann], members: [bea] });
      const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: [] }) as unknown as Express.User;
      const left = await Promise.allSettled([
        leaveNetwork({ actor: actor(lead), networkId: both.id }),
        leaveNetwork({ actor: actor(ann), networkId: both.id }),
      ]);
      expect(left.filter((r) => r.status === 'fulfilled').length).to.be.at.most(1);
      expect(await leadOf(both.id)).to.be.at.least(1);
      expect(await countOf(both.id)).to.equal(
        await NetworkMembershipModel.countDocuments({ networkId: both.id, status: 'member' }),
      );

      const cat = await buildUser();
      const pair = await buildNetwork({ joining: 'open' }, { leads: [alice, cat] });
      await Promise.allSettled([
        removeMember({ actor: actor(alice), networkId: pair.id, userId: cat.id }),
        removeMember({ actor: actor(cat), networkId: pair.id, userId: alice.id }),
      ]);
      expect(await leadOf(pair.id)).to.be.at.least(1);
    }
  });

  it('when an admin names a lead who is leaving at that moment, the network keeps its other lead (409)', async () => {
    const ann = await buildUser();
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead, ann] });
    const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: [] }) as unknown as Express.User;
    // The admin's change stalls after naming Ann, before the other leads step down; Ann leaves meanwhile, counting
    // the other lead as staying.
    const held = holdNextCall(NetworkMembershipModel, 'find', {
      lean: true,
      before: true,
      when: (args) => (args[0] as { userId?: { $nin?: unknown } }).userId?.$nin !== undefined,
    });
    try {
      const naming = setLeads({
        actor: { id: admin.id, name: admin.name, roles: ['admin'] } as unknown as Express.User,
        networkId: net.id,
        userIds: [ann.id],
      });
      naming.catch(() => undefined);
      await held.reached;
      held.restore();
      await leaveNetwork({ actor: actor(ann), networkId: net.id });
      held.release();
      let refused: unknown;
      await naming.catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(ConflictError);
    } finally {
      held.release();
      held.restore();
    }
    const leads = await NetworkMembershipModel.find({ networkId: net.id, status: 'member', role: 'lead' }).lean();
    expect(leads.map((l) => String(l.userId))).to.deep.equal([lead.id]);
  });

  it('admins name leads with PUT .../leads (403 for others); a former lead stays a member', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead] });
    await supertest(app)
      .put(`/api/v1/networks/${open.id}/leads`)
      .set('Authorization', await bearer(lead))
      .send({ userIds: [alice.id] })
      .expect(403);
    await supertest(app)
      .put(`/api/v1/networks/${open.id}/leads`)
      .set('Authorization', await bearer(admin))
      .send({ userIds: [alice.id] })
      .expect(204);
    const rows = await NetworkMembershipModel.find({ networkId: open.id }).lean();
    const roleOf = (u: TestUser) => rows.find((r) => String(r.userId) === u.id)?.role;
    expect(roleOf(alice)).to.equal('lead');
    expect(roleOf(lead)).to.equal('member');
    expect(await countOf(open.id)).to.equal(2);
    await supertest(app)
      .put(`/api/v1/networks/${open.id}/leads`)
      .set('Authorization', await bearer(admin))
      .send({ userIds: ['0123456789abcdef01234567'] })
      .expect(422);
  });

  it('an admin naming a disabled account as a lead (PUT .../leads) gets a 422 at userIds and nothing changes: the network keeps a lead who can answer', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead] });
    const absent = await buildUser();
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: absent.id,
      changes: { status: 'disabled' },
    });
    const res = await supertest(app)
      .put(`/api/v1/networks/${open.id}/leads`)
      .set('Authorization', await bearer(admin))
      .send({ userIds: [absent.id] })
      .expect(422);
    expect(JSON.stringify(res.body)).to.include('userIds');
    const rows = await NetworkMembershipModel.find({ networkId: open.id }).lean();
    expect(rows.map((r) => [String(r.userId), r.role])).to.deep.equal([[lead.id, 'lead']]);
    expect(await countOf(open.id)).to.equal(1);
  });

  it('answers 404 for unknown or malformed network ids, never 500', async () => {
    const auth = await bearer(alice);
    await supertest(app).post('/api/v1/networks/not-an-id/members').set('Authorization', auth).send({}).expect(404);
    await supertest(app)
      .post('/api/v1/networks/0123456789abcdef01234567/members')
      .set('Authorization', auth)
      .send({})
      .expect(404);
  });

  it('when a count was left one off (a process killed between the two writes), the hourly recount repairs it', async () => {
    const network = await buildNetwork({ name: 'Recounted', joining: 'open' });
    for (const member of [alice, bea])
      await supertest(app)
        .post(`/api/v1/networks/${network.id}/members`)
        .set('Authorization', await bearer(member))
        .expect(201);
    await NetworkModel.updateOne({ _id: network.id }, { $inc: { memberCount: 1 } });
    expect(await countOf(network.id)).to.equal(3);
    await recountAllMembers();
    expect(await countOf(network.id)).to.equal(2);
  });
});
