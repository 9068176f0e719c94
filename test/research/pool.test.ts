import { expect } from 'chai';
import { newSubmissionKey } from '../../server/submissions.ts';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { removeExpiredRecords } from '../../jobs/maintenance.ts';
import { AddressedEmailModel } from '../../models/AddressedEmail.ts';
import { PoolOfferModel } from '../../models/PoolOffer.ts';
import { PoolRequestModel } from '../../models/PoolRequest.ts';
import { PoolProfileModel } from '../../models/PoolProfile.ts';
import { closeMailer, configureMailer } from '../../server/mailer.ts';
import { ConflictError } from '../../server/errors.ts';
import {
  acceptPoolOffer,
  acceptsFinished,
  closePoolRequest,
  declinePoolOffer,
  offerPoolRequest,
} from '../../server/services/pool/pool.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { csrfFrom, errorSummaryOf, signIn, testApp } from '../support/app.ts';
import { confirmationPage, dialogOf } from '../support/confirmation.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { emailPart, startSmtpSink } from '../support/smtp.ts';

const request = {
  offer: 'speaker',
  topic: 'interviews',
  organisation: 'Riverside Primary',
  contactName: 'Sam Clerk',
  contactEmail: 'clerk@riverside.example',
  mode: 'online',
  message: 'A talk for our governors on fair interviews.',
};
const profile = {
  offers: ['speaker', 'facilitator'],
  topics: ['interviews', 'leading-change'],
  bio: 'Head of a large primary for ten years.',
  regions: ['Yorkshire'],
  languages: ['English'],
  modes: ['online', 'in-person'],
  visible: true,
};

describe('the pool of speakers, facilitators and researchers', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;

  before(async () => {
    app = testApp();
    sink = await startSmtpSink();
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
  });
  after(async () => {
    closeMailer();
    await sink.stop();
  });
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
  });

  it('lists visible profiles to signed-in people, filtered, never with an email', async () => {
    const member = await buildUser({ name: 'Ada Head' });
    const hidden = await buildUser();
    await supertest(app)
      .put('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(member))
      .send(profile)
      .expect(200);
    await supertest(app)
      .put('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(hidden))
      .send({ ...profile, visible: false })
      .expect(200);
    const reader = await bearer(await buildUser());
    const all = await supertest(app)
      .get('/api/v1/pool?offer=speaker&topic=interviews&region=yorkshire')
      .set('Authorization', reader)
      .expect(200);
    expect(all.body.items.map((m: { name: string }) => m.name)).to.deep.equal(['Ada Head']);
    expect(JSON.stringify(all.body)).to.not.include('@');
    const none = await supertest(app).get('/api/v1/pool?offer=researcher').set('Authorization', reader).expect(200);
    expect(none.body.items).to.deep.equal([]);
    await supertest(app).get('/api/v1/pool').expect(401);
  });

  it('an offer, topic, region, language or mode listed twice is kept once, in her order and first spelling', async () => {
    const saved = await supertest(app)
      .put('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(await buildUser()))
      .send({
        ...profile,
        offers: ['speaker', 'speaker', 'facilitator'],
        topics: ['interviews', 'interviews'],
        regions: ['Yorkshire', 'yorkshire ', 'Leeds'],
        languages: ['English', 'ENGLISH'],
        modes: ['online', 'online'],
      })
      .expect(200);
    expect(saved.body).to.deep.include({
      offers: ['speaker', 'facilitator'],
      topics: ['interviews'],
      regions: ['Yorkshire', 'Leeds'],
      languages: ['English'],
      modes: ['online'],
    });
  });

  it('every listed member carries id, the id of the profile PUT /me/pool-profile answers, and userId beside it', async () => {
    const member = await buildUser({ name: 'Ada Head' });
    const saved = await supertest(app)
      .put('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(member))
      .send(profile)
      .expect(200);
    const list = await supertest(app)
      .get('/api/v1/pool')
      .set('Authorization', await bearer(await buildUser()))
      .expect(200);
    expect(list.body.items).to.have.length(1);
    expect(list.body.items[0]).to.include({ id: saved.body.id, userId: member.id });
  });

  it("a request's contact name typed with combining accents is stored composed (NFC); one with a line break is a 422 at contactName", async () => {
    const siobhan = 'Siobhán Ní Bhriain';
    await supertest(app)
      .post('/api/v1/pool/requests')
      .send({ ...request, contactName: siobhan.normalize('NFD') })
      .expect(202);
    expect((await PoolRequestModel.findOne({ contactEmail: request.contactEmail }).lean())!.contactName).to.equal(
      siobhan.normalize('NFC'),
    );
    const refused = await supertest(app)
      .post('/api/v1/pool/requests')
      .send({ ...request, contactEmail: 'other@riverside.example', contactName: 'Sam\r\nBcc: x@example.org' })
      .expect(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['contactName']);
    expect(await PoolRequestModel.exists({ contactEmail: 'other@riverside.example' })).to.equal(null);
  });

  it('a public request is stored only after the emailed link is confirmed (a POST, not the GET); admins triage; the member accepts; the organisation hears', async () => {
    await supertest(app).post('/api/v1/pool/requests').send(request).expect(202);
    const stored = await PoolRequestModel.findOne({ contactEmail: request.contactEmail }).lean();
    expect(stored!.status).to.equal('unconfirmed');
    const admin = await buildUser({ roles: ['admin'] });
    const adminAuth = await bearer(admin);
    expect(
      (await supertest(app).get('/api/v1/pool/requests').set('Authorization', adminAuth).expect(200)).body.items,
    ).to.have.length(0);

    const link = /http:\/\/pathways\.test(\/pool\/requests\/confirm\/[A-Za-z0-9_-]+)/.exec(
      sink.received[0]!.raw.replace(/=\r?\n/g, ''),
    )![1]!;
    const visitor = supertest.agent(app);
    const page = await visitor.get(link).expect(200);
    // She confirms what she sent: the page shows it, her message with it.
    expect(page.text).to.include('Riverside Primary').and.include('A talk for our governors on fair interviews.');
    expect((await PoolRequestModel.findById(stored!._id).lean())!.status).to.equal('unconfirmed');
    await visitor
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(200);
    expect((await PoolRequestModel.findById(stored!._id).lean())!.status).to.equal('open');

    const [first, second] = [await buildUser({ name: 'First Member' }), await buildUser({ name: 'Second Member' })];
    for (const m of [first, second])
      await supertest(app)
        .put('/api/v1/me/pool-profile')
        .set('Authorization', await bearer(m))
        .send(profile)
        .expect(200);
    const id = String(stored!._id);
    const offers = [];
    for (const m of [first, second])
      offers.push(
        (
          await supertest(app)
            .post(`/api/v1/pool/requests/${id}/offers`)
            .set('Authorization', adminAuth)
            .send({ userId: m.id })
            .expect(201)
        ).body.id,
      );
    await supertest(app)
      .post(`/api/v1/pool/requests/${id}/offers`)
      .set('Authorization', adminAuth)
      .send({ userId: first.id })
      .expect(409);
    // Each member is emailed her offer through the reminders, once however often the job runs.
    await runDueNotifications({ now: new Date() });
    await runDueNotifications({ now: new Date() });
    for (const m of [first, second])
      expect(sink.received.filter((e) => e.to.includes(m.email) && /Riverside Primary/.test(e.subject))).to.have.length(
        1,
      );
    // She can decide from the email: what role, online or in person, and when.
    const offerEmail = sink.received.find((e) => e.to.includes(first.email) && /Riverside Primary/.test(e.subject))!;
    expect(offerEmail.subject).to.equal('A request for a speaker: Riverside Primary');
    expect(offerEmail.raw.replace(/=\r?\n/g, '').replace(/\s+/g, ' ')).to.include(
      'They ask for a speaker, online, with no date fixed yet.',
    );
    // Someone else cannot answer her offer.
    await supertest(app)
      .post(`/api/v1/pool/offers/${offers[0]}/accept`)
      .set('Authorization', await bearer(second))
      .expect(404);

    // Both accept at once: one wins, the other hears 409.
    const results = await Promise.all([
      supertest(app)
        .post(`/api/v1/pool/offers/${offers[0]}/accept`)
        .set('Authorization', await bearer(first)),
      supertest(app)
        .post(`/api/v1/pool/offers/${offers[1]}/accept`)
        .set('Authorization', await bearer(second)),
    ]);
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 409]);
    expect(await PoolOfferModel.countDocuments({ requestId: id, status: 'accepted' })).to.equal(1);
    const outcome = sink.received.filter(
      (m) => m.to.includes(request.contactEmail) && /someone can help/.test(m.subject),
    );
    expect(outcome).to.have.length(1);

    const winner = results[0]!.status === 200 ? first : second;
    const own = await supertest(app)
      .get('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(winner))
      .expect(200);
    expect(own.body.done).to.have.length(1);
    expect(own.body.done[0].organisation).to.equal('Riverside Primary');
  });

  it('an offer made while another admin closes the request (another process) is withdrawn: no closed request waits for an answer', async () => {
    const admin = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    for (let round = 0; round < 3; round++) {
      const member = await buildUser();
      await PoolProfileModel.collection.insertOne({ userId: new Types.ObjectId(member.id), ...profile });
      const { insertedId } = await PoolRequestModel.collection.insertOne({
        submissionKey: newSubmissionKey(),
        ...request,
        status: 'open',
        confirmTokenHash: `hash-${round}-${member.id}`,
        confirmExpiresAt: new Date(Date.now() + 86_400_000),
        createdAt: new Date(),
      });
      const open = { _id: insertedId };
      const [offered, closed] = await Promise.allSettled([
        offerPoolRequest({ actor: admin, requestId: String(open._id), userId: member.id }),
        closePoolRequest({ actor: admin, requestId: String(open._id), reason: 'No one free' }),
      ]);
      expect(closed.status).to.equal('fulfilled');
      expect(['fulfilled', 'rejected']).to.include(offered.status);
      expect((await PoolRequestModel.findById(open._id).lean())!.status).to.equal('closed');
      expect(await PoolOfferModel.countDocuments({ requestId: open._id, status: 'pending' })).to.equal(0);
    }
  });

  it('a request whose every offer was declined is open again (no longer "offered"), and a new offer makes it offered', async () => {
    const admin = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    const members = [await buildUser(), await buildUser(), await buildUser()];
    for (const m of members)
      await PoolProfileModel.collection.insertOne({ userId: new Types.ObjectId(m.id), ...profile });
    const { insertedId } = await PoolRequestModel.collection.insertOne({
      submissionKey: newSubmissionKey(),
      ...request,
      status: 'open',
      confirmTokenHash: `hash-declined-${members[0]!.id}`,
      confirmExpiresAt: new Date(Date.now() + 86_400_000),
      createdAt: new Date(),
    });
    const statusNow = async () => (await PoolRequestModel.findById(insertedId).lean())!.status;
    const offers = [];
    for (const m of members.slice(0, 2))
      offers.push(await offerPoolRequest({ actor: admin, requestId: String(insertedId), userId: m.id }));
    expect(await statusNow()).to.equal('offered');
    await declinePoolOffer({ actor: members[0] as unknown as Express.User, offerId: offers[0]!.id });
    expect(await statusNow()).to.equal('offered');
    await declinePoolOffer({ actor: members[1] as unknown as Express.User, offerId: offers[1]!.id });
    expect(await statusNow()).to.equal('open');
    await offerPoolRequest({ actor: admin, requestId: String(insertedId), userId: members[2]!.id });
    expect(await statusNow()).to.equal('offered');
  });

  it('when the only member a request was offered to is erased, it is open again (`?status=open` lists it), and an offer to someone else makes it offered', async () => {
    const adminUser = await buildUser({ roles: ['admin'] });
    const admin = adminUser as unknown as Express.User;
    const [leaving, staying, next] = [await buildUser(), await buildUser(), await buildUser()];
    for (const m of [leaving, staying, next])
      await PoolProfileModel.collection.insertOne({ userId: new Types.ObjectId(m.id), ...profile });
    const newRequest = async (key: string) =>
      (
        await PoolRequestModel.collection.insertOne({
          submissionKey: newSubmissionKey(),
          ...request,
          status: 'open',
          confirmTokenHash: `hash-erased-${key}-${leaving.id}`,
          confirmExpiresAt: new Date(Date.now() + 86_400_000),
          createdAt: new Date(),
        })
      ).insertedId;
    // One request offered to her alone, one to her and to someone who has not answered yet.
    const hersAlone = await newRequest('alone');
    const shared = await newRequest('shared');
    await offerPoolRequest({ actor: admin, requestId: String(hersAlone), userId: leaving.id });
    for (const m of [leaving, staying])
      await offerPoolRequest({ actor: admin, requestId: String(shared), userId: m.id });
    // An erasure stopped after withdrawing her offer, before its request was looked at: erasing again finishes it.
    const stopped = await newRequest('stopped');
    await offerPoolRequest({ actor: admin, requestId: String(stopped), userId: leaving.id });
    await PoolOfferModel.updateOne({ requestId: stopped }, { $set: { status: 'withdrawn' } });

    await eraseAccount({ actor: { id: adminUser.id, name: adminUser.name }, userId: leaving.id, bySelf: false });

    const adminAuth = await bearer(adminUser);
    const listed = async (query: string) =>
      (await supertest(app).get(`/api/v1/pool/requests${query}`).set('Authorization', adminAuth).expect(200)).body
        .items as { id: string; status: string; offers: { status: string }[] }[];
    const alone = (await listed('')).find((r) => r.id === String(hersAlone))!;
    expect(alone.status).to.equal('open');
    expect(alone.offers.map((o) => o.status)).to.deep.equal(['withdrawn']);
    expect((await listed('?status=open')).map((r) => r.id).sort()).to.deep.equal(
      [String(hersAlone), String(stopped)].sort(),
    );
    // Still waiting on the other member's answer: offered.
    expect((await PoolRequestModel.findById(shared).lean())!.status).to.equal('offered');

    await offerPoolRequest({ actor: admin, requestId: String(hersAlone), userId: next.id });
    expect((await PoolRequestModel.findById(hersAlone).lean())!.status).to.equal('offered');
  });

  it('an admin offering a request through the API to a member an admin disabled gets a 422 at userId; no offer is made and the request stays open', async () => {
    const adminUser = await buildUser({ roles: ['admin'] });
    const member = await buildUser({ status: 'disabled' });
    await PoolProfileModel.collection.insertOne({ userId: new Types.ObjectId(member.id), ...profile });
    const { insertedId } = await PoolRequestModel.collection.insertOne({
      submissionKey: newSubmissionKey(),
      ...request,
      status: 'open',
      confirmTokenHash: `hash-disabled-${member.id}`,
      confirmExpiresAt: new Date(Date.now() + 86_400_000),
      createdAt: new Date(),
    });
    const res = await supertest(app)
      .post(`/api/v1/pool/requests/${String(insertedId)}/offers`)
      .set('Authorization', await bearer(adminUser))
      .send({ userId: member.id })
      .expect(422);
    expect(res.type).to.equal('application/problem+json');
    expect(JSON.stringify(res.body)).to.include('userId');
    expect(await PoolOfferModel.countDocuments({ userId: member.id })).to.equal(0);
    expect((await PoolRequestModel.findById(insertedId).lean())!.status).to.equal('open');
  });

  it('when she declines an offer in one tab while accepting it in another, the decline she was told of stands: the request is not hers and nobody is told', async () => {
    const admin = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    const member = await buildUser();
    await PoolProfileModel.collection.insertOne({ userId: new Types.ObjectId(member.id), ...profile });
    const { insertedId } = await PoolRequestModel.collection.insertOne({
      submissionKey: newSubmissionKey(),
      ...request,
      status: 'open',
      confirmTokenHash: `hash-tabs-${member.id}`,
      confirmExpiresAt: new Date(Date.now() + 86_400_000),
      createdAt: new Date(),
    });
    const offer = await offerPoolRequest({ actor: admin, requestId: String(insertedId), userId: member.id });
    const offerId = (await PoolOfferModel.findOne({ requestId: insertedId }).lean())!._id;
    void offer;
    const asMember = member as unknown as Express.User;
    // The accept has claimed the request; its write of her offer lands after the decline.
    const held = holdNextCall(PoolOfferModel, 'updateOne', {
      before: true,
      when: (args) => (args[1] as { $set?: { status?: string } }).$set?.status === 'accepted',
    });
    let accepting: Promise<unknown> | undefined;
    try {
      accepting = acceptPoolOffer({ actor: asMember, offerId: String(offerId) }).catch((error: unknown) => error);
      await held.reached;
      expect(await declinePoolOffer({ actor: asMember, offerId: String(offerId) })).to.include({ status: 'declined' });
    } finally {
      held.release();
      held.restore();
    }
    expect(await accepting).to.be.instanceOf(ConflictError);
    expect((await PoolOfferModel.findById(offerId).lean())!.status).to.equal('declined');
    const after = (await PoolRequestModel.findById(insertedId).lean())!;
    // Given back, and with no other offer waiting, open for a new one.
    expect(after.status).to.equal('open');
    expect(after.acceptedOfferId).to.equal(undefined);
    await runDueNotifications();
    expect(sink.received.filter((m) => m.subject?.includes('someone can help'))).to.have.length(0);
  });

  it('an accept whose process stopped after its claim is carried through: her retry finishes it (not "taken"), or else the sweep; the organisation hears once and the other offers are withdrawn', async () => {
    const admin = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    const [member, other] = [await buildUser({ name: 'Mina Member' }), await buildUser()];
    for (const person of [member, other])
      await PoolProfileModel.collection.insertOne({ userId: new Types.ObjectId(person.id), ...profile });
    const openRequest = async (hash: string) => {
      const { insertedId } = await PoolRequestModel.collection.insertOne({
        submissionKey: newSubmissionKey(),
        ...request,
        contactEmail: `${hash}@riverside.example`,
        status: 'open',
        confirmTokenHash: `hash-${hash}-${member.id}`,
        confirmExpiresAt: new Date(Date.now() + 86_400_000),
        createdAt: new Date(),
      });
      for (const person of [member, other])
        await offerPoolRequest({ actor: admin, requestId: String(insertedId), userId: person.id });
      const offerId = (await PoolOfferModel.findOne({ requestId: insertedId, userId: member.id }).lean())!._id;
      return { requestId: insertedId, offerId: String(offerId) };
    };
    /** Her accept, its process stopping right after the claim (before her offer is written). */
    const acceptStopping = async (offerId: string) => {
      const statics = PoolOfferModel as unknown as Record<string, unknown>;
      const updateOne = statics.updateOne;
      statics.updateOne = () => Promise.reject(new Error('the process stopped'));
      try {
        await acceptPoolOffer({ actor: member as unknown as Express.User, offerId }).catch(() => undefined);
      } finally {
        statics.updateOne = updateOne;
      }
    };
    const hopeful = (to: string) =>
      sink.received.filter((m) => m.to.includes(to) && m.subject?.includes('someone can help'));
    const offersOf = async (requestId: Types.ObjectId) =>
      (await PoolOfferModel.find({ requestId }).lean())
        .map((o) => `${String(o.userId) === member.id ? 'hers' : 'other'}:${o.status}`)
        .sort();

    // Her retry.
    const first = await openRequest('retry');
    await acceptStopping(first.offerId);
    expect((await PoolRequestModel.findById(first.requestId).lean())!).to.include({
      status: 'accepted',
      settling: true,
    });
    expect(await acceptPoolOffer({ actor: member as unknown as Express.User, offerId: first.offerId })).to.include({
      status: 'accepted',
    });
    expect(await offersOf(first.requestId)).to.deep.equal(['hers:accepted', 'other:withdrawn']);
    expect((await PoolRequestModel.findById(first.requestId).lean())!.settling).to.equal(undefined);
    await runDueNotifications();
    expect(hopeful('retry@riverside.example')).to.have.length(1);

    // Nobody retries: the sweep, once the grace has passed.
    const second = await openRequest('sweep');
    await acceptStopping(second.offerId);
    expect(await acceptsFinished()).to.equal(0);
    const later = { now: new Date(Date.now() + 1000), graceMs: 0 };
    expect(await acceptsFinished(later)).to.equal(1);
    expect(await acceptsFinished(later)).to.equal(0);
    expect(await offersOf(second.requestId)).to.deep.equal(['hers:accepted', 'other:withdrawn']);
    await runDueNotifications();
    expect(hopeful('sweep@riverside.example')).to.have.length(1);
    expect(emailPart(hopeful('sweep@riverside.example')[0]!, 'text/plain')).to.include('Mina Member');

    // Her accept goes through but queueing the organisation's email fails: it is not lost, the sweep queues it once
    // the lease of that attempt has run out.
    const third = await openRequest('queueing');
    const create = AddressedEmailModel.create.bind(AddressedEmailModel);
    const statics = AddressedEmailModel as unknown as Record<string, unknown>;
    statics.create = () => Promise.reject(new Error('the database refused the write'));
    try {
      const failed = await acceptPoolOffer({ actor: member as unknown as Express.User, offerId: third.offerId }).catch(
        (error: unknown) => error,
      );
      expect(failed).to.be.instanceOf(Error);
    } finally {
      statics.create = create;
    }
    expect((await PoolRequestModel.findById(third.requestId).lean())!).to.include({
      status: 'accepted',
      settling: true,
    });
    // Within the lease: left to the attempt that holds it.
    await acceptsFinished({ now: new Date(Date.now() + 1000), graceMs: 0 });
    expect(hopeful('queueing@riverside.example')).to.have.length(0);
    expect(await acceptsFinished({ now: new Date(Date.now() + 6 * 60_000), graceMs: 0 })).to.equal(1);
    await runDueNotifications();
    expect(hopeful('queueing@riverside.example')).to.have.length(1);
    expect((await PoolRequestModel.findById(third.requestId).lean())!.settling).to.equal(undefined);
  });

  it('when she answers an offer from a page left open after the request was closed or taken, her page says which (not "already answered"), and nothing changes', async () => {
    const admin = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    const [member, other] = [await buildUser(), await buildUser()];
    for (const m of [member, other])
      await PoolProfileModel.collection.insertOne({ userId: new Types.ObjectId(m.id), ...profile });
    const open = async (hash: string) =>
      (
        await PoolRequestModel.collection.insertOne({
          submissionKey: newSubmissionKey(),
          ...request,
          status: 'open',
          confirmTokenHash: `${hash}-${member.id}`,
          confirmExpiresAt: new Date(Date.now() + 86_400_000),
          createdAt: new Date(),
        })
      ).insertedId;
    const closedId = await open('closed');
    const takenId = await open('taken');
    const mine = async (requestId: Types.ObjectId) =>
      String(
        (await offerPoolRequest({ actor: admin, requestId: String(requestId), userId: member.id })) &&
          (await PoolOfferModel.findOne({ requestId, userId: member.id }).lean())!._id,
      );
    const closedOffer = await mine(closedId);
    const takenOffer = await mine(takenId);
    const theirs = await offerPoolRequest({ actor: admin, requestId: String(takenId), userId: other.id });
    const agent = await signIn(app, member.email, testPassword);
    const _csrf = csrfFrom((await agent.get('/pool/profile').expect(200)).text);
    await closePoolRequest({ actor: admin, requestId: String(closedId), reason: 'No longer needed' });
    await acceptPoolOffer({ actor: other as unknown as Express.User, offerId: theirs.id });

    const closedAnswer = await agent.post(`/pool/offers/${closedOffer}/accept`).type('form').send({ _csrf });
    expect(closedAnswer.status).to.equal(303);
    expect(closedAnswer.headers.location).to.equal('/pool/profile');
    expect((await agent.get('/pool/profile').expect(200)).text).to.include('This request has been closed');
    await agent.post(`/pool/offers/${takenOffer}/decline`).type('form').send({ _csrf }).expect(303);
    const page = (await agent.get('/pool/profile').expect(200)).text;
    expect(page).to.include('Someone else has already accepted this request.').and.not.include('already been answered');
    const api = await supertest(app)
      .post(`/api/v1/pool/offers/${closedOffer}/accept`)
      .set('Authorization', await bearer(member))
      .expect(409);
    expect(api.body.detail).to.include('has been closed');
    expect((await PoolOfferModel.findById(closedOffer).lean())!.status).to.equal('withdrawn');
    expect((await PoolOfferModel.findById(takenOffer).lean())!.status).to.equal('withdrawn');
  });

  it('the web form: a filled honeypot gets the usual answer and stores nothing; errors are shown on the form', async () => {
    const agent = supertest.agent(app);
    const page = await agent.get('/pool/request').expect(200);
    const csrf = csrfFrom(page.text);
    await agent
      .post('/pool/request')
      .type('form')
      .send({ ...request, website: 'http://spam.example', _csrf: csrf })
      .expect(303);
    expect(await PoolRequestModel.countDocuments()).to.equal(0);
    expect(sink.received).to.have.length(0);
    const bad = await agent
      .post('/pool/request')
      .type('form')
      .send({ ...request, contactEmail: 'nope', _csrf: csrf })
      .expect(422);
    expect(bad.text).to.include('must be an email address');
    expect(await PoolRequestModel.countDocuments()).to.equal(0);
  });

  it('a request for a date already over everywhere is a 422 on date (API and form), stores and sends nothing; today is taken', async () => {
    const day = (offsetDays: number) =>
      new Date(Date.now() + offsetDays * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
    for (const date of ['2001-01-01', day(-2)]) {
      const bad = await supertest(app)
        .post('/api/v1/pool/requests')
        .send({ ...request, date })
        .expect(422);
      expect(bad.body.errors, date).to.deep.equal([{ path: 'date', message: 'must be today or later' }]);
    }
    const agent = supertest.agent(app);
    const page = await agent.get('/pool/request').expect(200);
    const form = await agent
      .post('/pool/request')
      .type('form')
      .send({ ...request, date: '2001-01-01', _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(form.text).to.include('must be today or later');
    expect(form.text).to.include('<a href="#field-date">');
    // With another field wrong as well, both are said at once, not the date only after the email is put right.
    const both = await agent
      .post('/pool/request')
      .type('form')
      .send({ ...request, contactEmail: 'nope', date: '2001-01-01', _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(errorSummaryOf(both.text).targets).to.have.members(['field-contactEmail', 'field-date']);
    expect(await PoolRequestModel.countDocuments()).to.equal(0);
    expect(sink.received).to.have.length(0);
    await supertest(app)
      .post('/api/v1/pool/requests')
      .send({ ...request, date: day(0) })
      .expect(202);
  });

  it('the request form ties each error to its field: a list shows its message and is marked invalid, described by it', async () => {
    const agent = supertest.agent(app);
    const page = await agent.get('/pool/request').expect(200);
    const bad = await agent
      .post('/pool/request')
      .type('form')
      .send({ ...request, offer: 'juggler', topic: '', mode: 'by-post', _csrf: csrfFrom(page.text) })
      .expect(422);
    for (const field of ['offer', 'topic', 'mode']) {
      expect(bad.text).to.include(`<a href="#field-${field}">`);
      expect(bad.text).to.include(`id="field-${field}-error"`);
      expect(bad.text).to.match(
        new RegExp(
          `<select id="field-${field}" name="${field}" aria-invalid="true" aria-describedby="field-${field}-error">`,
        ),
      );
    }
    expect(await PoolRequestModel.countDocuments()).to.equal(0);
  });

  it('a request sent twice (a double-click on the form, an API retry) is stored once and emailed once; a new key is a new request', async () => {
    const sent = await Promise.all([
      supertest(app).post('/api/v1/pool/requests').set('X-Forwarded-For', '203.0.113.71').send(request),
      supertest(app).post('/api/v1/pool/requests').set('X-Forwarded-For', '203.0.113.71').send(request),
    ]);
    expect(sent.map((r) => r.status)).to.deep.equal([202, 202]);
    expect(await PoolRequestModel.countDocuments({ contactEmail: request.contactEmail })).to.equal(1);
    const agent = supertest.agent(app);
    const page = await agent.get('/pool/request').expect(200);
    const fields = {
      ...request,
      organisation: 'Double Click Academy',
      _csrf: csrfFrom(page.text),
      _submission: /name="_submission" value="([^"]+)"/.exec(page.text)![1]!,
    };
    const clicks = await Promise.all([1, 2].map(() => agent.post('/pool/request').type('form').send(fields)));
    expect(clicks.map((r) => r.status)).to.deep.equal([303, 303]);
    expect(await PoolRequestModel.countDocuments({ organisation: 'Double Click Academy' })).to.equal(1);
    await supertest(app)
      .post('/api/v1/pool/requests')
      .set('X-Forwarded-For', '203.0.113.72')
      .set('Idempotency-Key', 'second-request-01')
      .send(request)
      .expect(202);
    expect(await PoolRequestModel.countDocuments({ contactEmail: request.contactEmail })).to.equal(3);
    expect(sink.received.filter((e) => /Confirm your request/.test(e.subject))).to.have.length(3);
  });

  it('a request never confirmed is deleted by the maintenance job a month after it was made (name, email, message); a recent or confirmed one stays', async () => {
    const day = 24 * 60 * 60 * 1000;
    const now = new Date();
    const ask = (organisation: string, address: string) =>
      supertest(app)
        .post('/api/v1/pool/requests')
        .set('X-Forwarded-For', address)
        .send({ ...request, organisation, contactEmail: `${organisation.split(' ')[0]!.toLowerCase()}@school.example` })
        .expect(202);
    await ask('Abandoned Academy', '203.0.113.81');
    await ask('Deciding School', '203.0.113.82');
    await ask('Confirmed College', '203.0.113.83');
    const confirmLink = /http:\/\/pathways\.test(\/pool\/requests\/confirm\/[A-Za-z0-9_-]+)/.exec(
      sink.received.find((e) => e.to.includes('confirmed@school.example'))!.raw.replace(/=\r?\n/g, ''),
    )![1]!;
    const visitor = supertest.agent(app);
    const page = await visitor.get(confirmLink).expect(200);
    await visitor
      .post(confirmLink)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(200);
    const madeDaysAgo = (organisation: string, days: number) =>
      PoolRequestModel.collection.updateOne(
        { organisation },
        { $set: { createdAt: new Date(now.getTime() - days * day) } },
      );
    await madeDaysAgo('Abandoned Academy', 31);
    await madeDaysAgo('Deciding School', 29);
    await madeDaysAgo('Confirmed College', 400);

    const result = await removeExpiredRecords(now);

    expect(result.poolRequests).to.equal(1);
    expect(await PoolRequestModel.exists({ contactEmail: 'abandoned@school.example' })).to.equal(null);
    expect((await PoolRequestModel.findOne({ organisation: 'Deciding School' }).lean())!.status).to.equal(
      'unconfirmed',
    );
    expect((await PoolRequestModel.findOne({ organisation: 'Confirmed College' }).lean())!.status).to.equal('open');
  });

  it('is rate-limited per connection across the web form and the API (the database counts), then 429 with Retry-After; typing errors do not count', async () => {
    for (let i = 0; i < 3; i++)
      await supertest(app)
        .post('/api/v1/pool/requests')
        .send({ ...request, contactEmail: 'nope' })
        .expect(422);
    for (let i = 0; i < 5; i++)
      await supertest(app)
        .post('/api/v1/pool/requests')
        .send({ ...request, organisation: `Academy ${i}` })
        .expect(202);
    const limited = await supertest(app).post('/api/v1/pool/requests').send(request).expect(429);
    expect(limited.headers['retry-after']).to.match(/^\d+$/);
    expect(limited.headers['content-type']).to.match(/^application\/problem\+json/);
    const agent = supertest.agent(app);
    const page = await agent.get('/pool/request').expect(200);
    const refused = await agent
      .post('/pool/request')
      .type('form')
      .send({ ...request, organisation: 'Typed Academy', message: 'Kept as typed.', _csrf: csrfFrom(page.text) })
      .expect(429);
    expect(refused.headers['retry-after']).to.match(/^\d+$/);
    expect(refused.text)
      .to.include('Too many requests from this connection')
      .and.to.include('value="Typed Academy"')
      .and.to.include('Kept as typed.')
      .and.to.include('<form method="post" action="/pool/request"')
      .and.to.match(/<title>Error: /);
    expect(await PoolRequestModel.countDocuments()).to.equal(5);
  });

  it('with one request of the 5 left, the same request sent twice at once (one key) is one request, both answered 202; a retry later is 202 too, a new request 429', async () => {
    for (let i = 0; i < 4; i++)
      await supertest(app)
        .post('/api/v1/pool/requests')
        .send({ ...request, organisation: `Academy ${i}` })
        .expect(202);
    const send = (body: object) =>
      supertest(app).post('/api/v1/pool/requests').set('Idempotency-Key', 'pool-fifth-1').send(body);
    const sent = await Promise.all([send(request), send(request)]);
    expect(sent.map((r) => r.status)).to.deep.equal([202, 202]);
    await send(request).expect(202);
    await supertest(app)
      .post('/api/v1/pool/requests')
      .send({ ...request, organisation: 'One too many' })
      .expect(429);
    expect(await PoolRequestModel.countDocuments()).to.equal(5);
    expect(sink.received.filter((e) => /Confirm your request/.test(e.subject))).to.have.length(5);
  });

  /** An admin, and a confirmed request open to her (as the organisation left it after its link). */
  async function openRequestAndAdmin() {
    const admin = await buildUser({ roles: ['admin'] });
    const { insertedId } = await PoolRequestModel.collection.insertOne({
      submissionKey: newSubmissionKey(),
      ...request,
      status: 'open',
      confirmTokenHash: `hash-close-${admin.id}`,
      confirmExpiresAt: new Date(Date.now() + 86_400_000),
      createdAt: new Date(),
    });
    return { admin, insertedId };
  }

  it('when an admin closes a request, a post without confirming asks first (the organisation is emailed) and sends nothing; saying yes closes it with her reason; a page left open is told it is closed', async () => {
    const { admin, insertedId } = await openRequestAndAdmin();
    const agent = await signIn(app, admin.email, testPassword);
    const path = `/admin/pool/${String(insertedId)}/close`;
    const triage = await agent.get('/admin/pool').expect(200);
    const question = 'Close the request of Riverside Primary and tell them?';
    expect(dialogOf(triage.text, path)).to.include(question).and.include('Sam Clerk is emailed now');
    const _csrf = csrfFrom(triage.text);
    const asked = confirmationPage(
      (
        await agent
          .post(path)
          .type('form')
          .send({ _csrf, confirmed: '', reason: 'Everyone is booked in March' })
          .expect(200)
      ).text,
    );
    expect(asked).to.deep.include({
      question,
      yes: 'Yes, close it and tell them',
      back: `/admin/pool#request-${String(insertedId)}`,
      fields: { _csrf, reason: 'Everyone is booked in March', confirmed: 'yes' },
    });
    expect((await PoolRequestModel.findById(insertedId).lean())!.status).to.equal('open');
    expect(sink.received.filter((m) => m.to.includes(request.contactEmail))).to.have.length(0);

    await agent.post(path).type('form').send(asked.fields).expect(303);
    expect((await PoolRequestModel.findById(insertedId).lean())!).to.include({
      status: 'closed',
      closedReason: 'Everyone is booked in March',
    });
    const told = sink.received.filter((m) => m.to.includes(request.contactEmail));
    expect(told).to.have.length(1);
    // The same page, still open in another tab: told on the page, not an error page, and nobody emailed again.
    const again = await agent.post(path).type('form').send(asked.fields).expect(303);
    expect(again.headers.location).to.equal('/admin/pool');
    const triaged = (await agent.get('/admin/pool').expect(200)).text;
    expect(triaged).to.include('This request is no longer open.');
    // The reason stays with the request for whoever reads it later, on the page and in the API.
    expect(triaged).to.include('Closed because: Everyone is booked in March');
    expect(sink.received.filter((m) => m.to.includes(request.contactEmail))).to.have.length(1);
  });

  it('a close reason over 500 characters, or with a control character, is refused at its field with what she typed, and nothing is closed or emailed', async () => {
    const { admin, insertedId } = await openRequestAndAdmin();
    const agent = await signIn(app, admin.email, testPassword);
    const path = `/admin/pool/${String(insertedId)}/close`;
    const _csrf = csrfFrom((await agent.get('/admin/pool').expect(200)).text);
    const long = `${'Every speaker in the pool is booked for the spring term. '.repeat(9)}Sorry.`;
    expect(long.length).to.be.greaterThan(500);
    for (const reason of [long, 'Booked\u0007 up']) {
      const refused = await agent.post(path).type('form').send({ _csrf, confirmed: 'yes', reason }).expect(422);
      expect(refused.text).to.include('id="field-reason"').and.include('aria-invalid="true"');
      if (reason === long) expect(refused.text).to.include('must be at most 500 characters').and.include(long);
    }
    expect((await PoolRequestModel.findById(insertedId).lean())!.status).to.equal('open');
    expect(sink.received.filter((m) => m.to.includes(request.contactEmail))).to.have.length(0);
  });

  it('her profile page saves without JavaScript and shows offers to accept', async () => {
    const member = await buildUser();
    const agent = await signIn(app, member.email, testPassword);
    const page = await agent.get('/pool/profile').expect(200);
    await agent
      .post('/pool/profile')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        offers: ['facilitator'],
        topics: 'leading-change',
        modes: 'online',
        regions: 'Kent, Devon',
        languages: 'English',
        bio: 'Hi',
        visible: 'yes',
      })
      .expect(303);
    const own = await supertest(app)
      .get('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(member))
      .expect(200);
    expect(own.body.profile).to.include({ visible: true, bio: 'Hi' });
    expect(own.body.profile.regions).to.deep.equal(['Kent', 'Devon']);
  });

  it('a region or language too long is shown once, at the field she typed it in, with what she typed kept', async () => {
    const member = await buildUser();
    const agent = await signIn(app, member.email, testPassword);
    const page = await agent.get('/pool/profile').expect(200);
    const long = 'y'.repeat(101);
    const res = await agent
      .post('/pool/profile')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), offers: 'speaker', regions: `Kent, ${long}, ${long}`, languages: 'English' })
      .expect(422);
    expect([...res.text.matchAll(/<li><a href="#([^"]+)">/g)].map((m) => m[1])).to.deep.equal(['field-regions']);
    expect(res.text).to.include('id="field-regions-error"').and.to.include('each must be at most 100 characters');
    expect(res.text).to.include(`value="Kent, ${long}, ${long}"`);
    expect(await PoolProfileModel.countDocuments({ userId: member.id })).to.equal(0);
  });

  it('when the triage page offers a request to someone who cannot take it, the error is at that request’s list', async () => {
    const admin = await signIn(app, (await buildUser({ roles: ['admin'] })).email, testPassword);
    const member = await buildUser({ name: 'Only Facilitates' });
    await supertest(app)
      .put('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(member))
      .send({ ...profile, offers: ['facilitator'] })
      .expect(200);
    // Someone who can take it, so that the request has its Offer form.
    await supertest(app)
      .put('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(await buildUser({ name: 'Speaks Often' })))
      .send(profile)
      .expect(200);
    await supertest(app).post('/api/v1/pool/requests').send(request).expect(202);
    const open = (await PoolRequestModel.findOneAndUpdate({}, { $set: { status: 'open' } }).lean())!;
    const page = await admin.get('/admin/pool').expect(200);
    const res = await admin
      .post(`/admin/pool/${String(open._id)}/offer`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), userId: member.id })
      .expect(422);
    expect(res.text).to.include('<a href="#field-userId">Offer to:');
    const form = new RegExp(`<form[^>]*action="/admin/pool/${String(open._id)}/offer"[\\s\\S]*?</form>`).exec(
      res.text,
    )![0];
    expect(form).to.include('<label for="field-userId">').and.to.include('id="field-userId-error"');
    expect(form).to.include('aria-describedby="field-userId-error"');
    expect(await PoolOfferModel.countDocuments()).to.equal(0);
  });

  it('the triage page offers a request only to members not yet offered it; offering her again (a page left open) is said at that request’s field', async () => {
    const adminUser = await buildUser({ roles: ['admin'] });
    const admin = await signIn(app, adminUser.email, testPassword);
    const offered = await buildUser({ name: 'Already Asked' });
    const other = await buildUser({ name: 'Not Yet Asked' });
    for (const u of [offered, other])
      await supertest(app)
        .put('/api/v1/me/pool-profile')
        .set('Authorization', await bearer(u))
        .send(profile)
        .expect(200);
    await supertest(app).post('/api/v1/pool/requests').send(request).expect(202);
    const open = (await PoolRequestModel.findOneAndUpdate({}, { $set: { status: 'open' } }).lean())!;
    const stale = await admin.get('/admin/pool').expect(200);
    await supertest(app)
      .post(`/api/v1/pool/requests/${String(open._id)}/offers`)
      .set('Authorization', await bearer(adminUser))
      .send({ userId: offered.id })
      .expect(201);

    const select = (html: string) =>
      new RegExp(`<form[^>]*action="/admin/pool/${String(open._id)}/offer"[\\s\\S]*?</select>`).exec(html)![0];
    const page = await admin.get('/admin/pool').expect(200);
    expect(select(page.text)).to.include(`value="${other.id}"`).and.to.not.include(`value="${offered.id}"`);

    const res = await admin
      .post(`/admin/pool/${String(open._id)}/offer`)
      .type('form')
      .send({ _csrf: csrfFrom(stale.text), userId: offered.id })
      .expect(409);
    expect(res.text).to.include('<h1>Pool requests</h1>');
    expect(res.text).to.include('<a href="#field-userId">Offer to: This request has already been offered to her.');
    expect(select(res.text))
      .to.include('<label for="field-userId">')
      .and.to.include('id="field-userId-error"')
      .and.to.include('aria-describedby="field-userId-error"');
    expect(await PoolOfferModel.countDocuments({ requestId: open._id })).to.equal(1);
  });

  it('when a filter of the pool cannot be read, it answers 422 with the error at that field, keeps what she typed and lists no one', async () => {
    const member = await buildUser({ name: 'Ada Head' });
    await supertest(app)
      .put('/api/v1/me/pool-profile')
      .set('Authorization', await bearer(member))
      .send(profile)
      .expect(200);
    const reader = await signIn(app, (await buildUser()).email, testPassword);
    const long = 'Y'.repeat(101);
    const res = await reader.get(`/pool?offer=juggler&topic=interviews&region=${long}`).expect(422);
    expect(res.text).to.include('<a href="#field-offer">Offers: ').and.to.include('<a href="#field-region">Region: ');
    expect(res.text).to.match(
      /<select id="field-offer" name="offer" aria-invalid="true" aria-describedby="field-offer-error">/,
    );
    expect(res.text)
      .to.include(`value="${long}"`)
      .and.to.match(/<option value="interviews" selected>/);
    expect(res.text).to.not.include('Ada Head');
    expect(res.text).to.include('No one is listed until the filters are corrected');
    expect((await reader.get('/pool?topic=interviews').expect(200)).text).to.include('Ada Head');
  });
});
