import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeAuditEntryModel } from '../../models/PledgeAuditEntry.ts';
import { PledgeCommitmentOptionModel } from '../../models/PledgeCommitmentOption.ts';
import { PledgeLinkModel } from '../../models/PledgeLink.ts';
import { PledgeProgressUpdateModel } from '../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { linkSignatureToBoard, registerRoundReadinessProvider } from '../../server/services/pledge/index.ts';
import { pledgePersonalData } from '../../server/services/pledge/personalData.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { purgeStalePledgeData } from '../../server/services/pledge/retention.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import {
  buildCommitmentOption,
  buildSignature,
  confirmViaLink,
  freshIp,
  latestLink,
  organisationBody,
  signViaApi,
} from '../support/pledgeFactories.ts';

type Agent = ReturnType<typeof supertest.agent>;

const day = 24 * 60 * 60 * 1000;

describe('pledge: commitments and progress by the organisation’s confirmed contact', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  // One test swaps in a provider of its own; the boards' real one goes back afterwards, for the files run later.
  let boardsProvider: Parameters<typeof registerRoundReadinessProvider>[0];
  before(() => {
    app = testApp();
    boardsProvider = registerRoundReadinessProvider(undefined);
    registerRoundReadinessProvider(boardsProvider);
  });
  after(() => registerRoundReadinessProvider(boardsProvider));

  /** Signs an organisation and confirms it in `agent`'s browser session (which grants manage access). */
  async function confirmedOrganisation(agent: Agent, overrides: Record<string, unknown> = {}) {
    const body = organisationBody(overrides);
    await confirmViaLink(agent, await signViaApi(app, body));
    const signature = (await PledgeSignatureModel.findOne({ email: body.email }).lean())!;
    return { id: String(signature._id), email: String(body.email), name: String(body.name) };
  }

  /** Asks for her links on the manage page, from a fresh connection; a 303 waits for the emails to be written. */
  async function askForLinks(email: string, status = 303) {
    const agent = supertest.agent(app);
    const start = await agent.get('/pledge/manage').expect(200);
    const res = await agent
      .post('/pledge/manage')
      .set('X-Forwarded-For', freshIp())
      .type('form')
      .send({ email, _csrf: csrfFrom(start.text) })
      .expect(status);
    if (status === 303) await workAfterAnswersDone();
    return { agent, res };
  }
  const post = async (agent: Agent, path: string, form: Record<string, unknown>, manageId: string) => {
    const page = await agent.get(`/pledge/signatures/${manageId}/manage`);
    const token = page.status === 200 ? csrfFrom(page.text) : csrfFrom((await agent.get('/pledge/manage')).text);
    return agent
      .post(path)
      .type('form')
      .send({ ...form, _csrf: token });
  };

  it('after confirming, the contact chooses commitments and posts a dated update, both shown on the public page', async () => {
    const [a, b] = [
      await buildCommitmentOption({ title: 'Bias training first' }),
      await buildCommitmentOption({ title: 'Flexible working adverts' }),
    ];
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent, { name: 'Commit School' });
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [a.id, b.id] }, org.id).then((r) =>
      expect(r.status).to.equal(303),
    );
    await post(
      agent,
      `/pledge/signatures/${org.id}/updates`,
      { optionId: a.id, body: 'All panel members trained in March.' },
      org.id,
    ).then((r) => expect(r.status).to.equal(303));
    const page = await supertest(app).get(`/pledge/organisations/${org.id}`).expect(200);
    expect(page.text)
      .to.include('Bias training first')
      .and.to.include('Flexible working adverts')
      .and.to.include('All panel members trained in March.')
      .and.to.match(/<time datetime="\d{4}-/);
  });

  it('commitments refused (one ticked was retired meanwhile) come back with her ticks as sent, not as saved', async () => {
    const [kept, dropped, added, retired] = [
      await buildCommitmentOption({ title: 'Kept commitment' }),
      await buildCommitmentOption({ title: 'Dropped commitment' }),
      await buildCommitmentOption({ title: 'Added commitment' }),
      await buildCommitmentOption({ title: 'Retired meanwhile' }),
    ];
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent);
    const path = `/pledge/signatures/${org.id}/commitments`;
    await post(agent, path, { optionIds: [kept.id, dropped.id] }, org.id).then((r) => expect(r.status).to.equal(303));
    const page = await agent.get(`/pledge/signatures/${org.id}/manage`).expect(200);
    await PledgeCommitmentOptionModel.updateOne({ _id: retired.id }, { $set: { active: false } });
    const refused = await agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), optionIds: [kept.id, added.id, retired.id] })
      .expect(422);
    const ticked = [...refused.text.matchAll(/<input type="checkbox" name="optionIds" value="([^"]+)" checked>/g)].map(
      (m) => m[1],
    );
    expect(ticked).to.have.members([kept.id, added.id]);
    const stored = (await PledgeSignatureModel.findById(org.id).lean())!.commitments.map((c) => String(c.optionId));
    expect(stored).to.have.members([kept.id, dropped.id]);
  });

  it('an update sent after her manage access ended (2 hours after the link) is refused, and her text comes back to copy', async () => {
    const option = await buildCommitmentOption();
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent);
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [option.id] }, org.id);
    const page = await agent.get(`/pledge/signatures/${org.id}/manage`).expect(200);
    // She writes for longer than her access lasts: the grant in her browser session runs out.
    const sessions = mongoose.connection.collection<{ session: string }>('sessions');
    for (const stored of await sessions.find({ session: { $regex: org.id } }).toArray()) {
      const session = JSON.parse(stored.session) as { pledgeGrants: Record<string, number> };
      session.pledgeGrants[org.id] = Date.now() - 1000;
      await sessions.updateOne({ _id: stored._id }, { $set: { session: JSON.stringify(session) } });
    }
    const update = 'All panel members trained in March; the clerk now books the course for every new governor.';
    const refused = await agent
      .post(`/pledge/signatures/${org.id}/updates`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), optionId: option.id, body: update })
      .expect(404);
    expect(refused.text).to.match(/<textarea id="field-body"[^>]*readonly>/);
    expect(refused.text).to.include(`${update}</textarea>`).and.to.include('href="/pledge/manage"');
    expect(await PledgeProgressUpdateModel.countDocuments({ signatureId: org.id })).to.equal(0);
  });

  it('someone else (another browser, another signer, a signed-in stranger) gets the 404 of an unknown id and nothing is recorded', async () => {
    const option = await buildCommitmentOption();
    const owner = supertest.agent(app);
    const org = await confirmedOrganisation(owner);
    await post(owner, `/pledge/signatures/${org.id}/commitments`, { optionIds: [option.id] }, org.id);
    const other = supertest.agent(app);
    await confirmedOrganisation(other);
    const stranger = await signIn(app, (await buildUser()).email, testPassword);
    for (const agent of [other, stranger, supertest.agent(app)]) {
      const token = csrfFrom((await agent.get('/pledge/manage')).text);
      await agent.get(`/pledge/signatures/${org.id}/manage`).expect(404);
      await agent
        .post(`/pledge/signatures/${org.id}/commitments`)
        .type('form')
        .send({ optionIds: [], _csrf: token })
        .expect(404);
      await agent
        .post(`/pledge/signatures/${org.id}/updates`)
        .type('form')
        .send({ optionId: option.id, body: 'Fake progress', _csrf: token })
        .expect(404);
      await agent
        .post(`/pledge/signatures/${org.id}/delete`)
        .type('form')
        .send({ confirm: 'yes', _csrf: token })
        .expect(404);
    }
    expect((await PledgeSignatureModel.findById(org.id).lean())!.commitments).to.have.length(1);
    expect(await PledgeProgressUpdateModel.countDocuments({ signatureId: org.id })).to.equal(0);
  });

  it('“Finish managing” ends the access her link gave this browser at once: the next person at the computer sees and deletes nothing', async () => {
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent, { name: 'Shared Office School' });
    const page = await agent.get(`/pledge/signatures/${org.id}/manage`).expect(200);
    expect(page.text).to.include(org.email).and.to.include('Finish managing');
    expect((await agent.get('/pledge/manage').expect(200)).text).to.include('Finish managing');
    const finished = await agent
      .post('/pledge/manage/finish')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    expect(finished.headers.location).to.equal('/pledge');
    expect((await agent.get('/pledge').expect(200)).text).to.include('You have finished managing');
    // The next person, same browser, no link:
    const start = await agent.get('/pledge/manage').expect(200);
    expect(start.text).to.not.include('Shared Office School').and.not.include('Finish managing');
    const manage = await agent.get(`/pledge/signatures/${org.id}/manage`);
    expect(manage.status).to.be.oneOf([403, 404]);
    expect(manage.text).to.not.include(org.email);
    const deleting = await agent
      .post(`/pledge/signatures/${org.id}/delete`)
      .type('form')
      .send({ confirm: 'yes', _csrf: csrfFrom(start.text) });
    expect(deleting.status).to.be.oneOf([403, 404]);
    expect(await PledgeSignatureModel.exists({ _id: org.id })).to.not.equal(null);
  });

  it('“Finish managing” needs the form’s CSRF token, and a visitor with no link access is not offered it', async () => {
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent);
    await agent.post('/pledge/manage/finish').type('form').send({ _csrf: 'forged' }).expect(403);
    await agent.get(`/pledge/signatures/${org.id}/manage`).expect(200);
    expect((await supertest(app).get('/pledge/manage').expect(200)).text).to.not.include('Finish managing');
  });

  it('an admin cannot post progress on an organisation’s behalf (403)', async () => {
    const option = await buildCommitmentOption();
    const org = await confirmedOrganisation(supertest.agent(app));
    const admin = await signIn(app, (await buildUser({ roles: ['admin'] })).email, testPassword);
    const token = csrfFrom((await admin.get('/pledge/manage')).text);
    await admin
      .post(`/pledge/signatures/${org.id}/commitments`)
      .type('form')
      .send({ optionIds: [option.id], _csrf: token })
      .expect(403);
  });

  it('a pending signature cannot be managed even by its own browser', async () => {
    const agent = supertest.agent(app);
    const body = organisationBody();
    await signViaApi(app, body);
    const id = String((await PledgeSignatureModel.findOne({ email: body.email }).lean())!._id);
    await agent.get(`/pledge/signatures/${id}/manage`).expect(404);
  });

  it('a visitor without access learns nothing of a pending or unnamed signature: every manage route answers as for an unknown id', async () => {
    const option = await buildCommitmentOption();
    const pending = await buildSignature({ status: 'pending' });
    const unnamed = await buildSignature({ kind: 'individual', showName: false });
    const unknown = String(new Types.ObjectId());
    const stranger = await signIn(app, (await buildUser()).email, testPassword);
    for (const agent of [supertest.agent(app), stranger]) {
      const token = csrfFrom((await agent.get('/pledge/manage')).text);
      const answers = async (id: string) => {
        const seen: string[] = [];
        const main = (text: string) => /<main[\s\S]*<\/main>/.exec(text)?.[0].replaceAll(id, 'ID');
        const get = await agent.get(`/pledge/signatures/${id}/manage`);
        seen.push(`${get.status} ${main(get.text)}`);
        for (const [action, form] of [
          ['commitments', { optionIds: [option.id] }],
          ['updates', { optionId: option.id, body: 'Fake progress' }],
          ['show-name', { showName: 'yes' }],
          ['readiness', { show: 'yes' }],
          ['delete', { confirm: 'yes' }],
        ] as const) {
          const res = await agent
            .post(`/pledge/signatures/${id}/${action}`)
            .type('form')
            .send({ ...form, _csrf: token });
          seen.push(`${action} ${res.status} ${main(res.text)}`);
        }
        return seen;
      };
      const asUnknown = await answers(unknown);
      expect(asUnknown[0]).to.match(/^404 /);
      expect(await answers(pending.id)).to.deep.equal(asUnknown);
      expect(await answers(unnamed.id)).to.deep.equal(asUnknown);
    }
    expect(await PledgeSignatureModel.countDocuments({ _id: { $in: [pending.id, unnamed.id] } })).to.equal(2);
  });

  it('the contact without an account gets a single-use emailed manage link; the GET does not use it up', async () => {
    const option = await buildCommitmentOption();
    const org = await confirmedOrganisation(supertest.agent(app));
    const { agent: fresh } = await askForLinks(org.email.toUpperCase());
    const link = await latestLink(org.email, '/pledge/manage/');
    const scanner = await supertest(app).get(link).expect(200); // a mail scanner opening the link
    const page = await fresh.get(link).expect(200);
    expect(scanner.text).to.include('Continue');
    const opened = await fresh
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    expect(opened.headers.location).to.equal(`/pledge/signatures/${org.id}/manage`);
    await post(fresh, `/pledge/signatures/${org.id}/commitments`, { optionIds: option.id }, org.id).then((r) =>
      expect(r.status).to.equal(303),
    );
    // Used, the link says so when opened, not on the press of a "Continue" it shows.
    const again = supertest.agent(app);
    const p2 = await again.get(link).expect(404);
    expect(p2.text).to.include('already been used').and.not.include('Continue');
    const start = await again.get('/pledge/manage').expect(200);
    await again
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(start.text) })
      .expect(404);
    await again.get(`/pledge/signatures/${org.id}/manage`).expect(404);
  });

  it('a manage link greets the contact by the name she confirmed; a fresh confirmation link for a signature not yet confirmed carries no name typed', async () => {
    const org = await confirmedOrganisation(supertest.agent(app), { contactName: 'Jo Contact' });
    await askForLinks(org.email);
    const manage = (await OutboxMessageModel.findOne({ to: org.email }).sort({ createdAt: -1, _id: -1 }).lean())!;
    expect(manage.subject).to.match(/^Manage the Pledge signature of /);
    // Her address is proved: she followed the confirmation link sent there, and confirmed that name.
    expect(manage.text).to.include('Hello \u2068Jo Contact\u2069,');
    const bait = 'Sam. Your school is removed from the Pledge unless you act at https://pledge-keep.example.com now';
    const pending = organisationBody({ contactName: bait });
    await signViaApi(app, pending);
    await askForLinks(String(pending.email));
    const resent = await OutboxMessageModel.find({ to: pending.email }).lean();
    expect(resent).to.have.length(2);
    for (const email of resent)
      for (const part of [email.text, email.html!]) {
        expect(part).to.include('Hello,');
        expect(part).to.not.include('pledge-keep').and.not.include('Sam.');
      }
  });

  it('an address that signed for two organisations gets one link for each, each email naming the organisation it manages', async () => {
    const email = 'jane.head@hilda-school.example';
    await confirmedOrganisation(supertest.agent(app), { name: "St Hilda's School", email });
    await confirmedOrganisation(supertest.agent(app), { name: 'Hilda Trust', email });
    const idOf = async (name: string) => ({
      id: String((await PledgeSignatureModel.findOne({ email, name }).lean())!._id),
    });
    const [school, trust] = [await idOf("St Hilda's School"), await idOf('Hilda Trust')];
    await askForLinks(email);
    const sent = await OutboxMessageModel.find({ to: email, subject: /^Manage/ }).lean();
    expect(sent.map((m) => m.subject).sort()).to.deep.equal([
      'Manage the Pledge signature of Hilda Trust',
      "Manage the Pledge signature of St Hilda's School",
    ]);
    for (const [org, named] of [
      [school, "St Hilda's School"],
      [trust, 'Hilda Trust'],
    ] as const) {
      const message = sent.find((m) => m.subject.endsWith(named))!;
      expect(message.text).to.include(`manage the signature of \u2068${named}\u2069`);
      const link = /https?:\/\/[^/\s]+(\/pledge\/manage\/[A-Za-z0-9_-]+)/.exec(message.text)![1]!;
      const agent = supertest.agent(app);
      const page = await agent.get(link).expect(200);
      const opened = await agent
        .post(link)
        .type('form')
        .send({ _csrf: csrfFrom(page.text) })
        .expect(303);
      expect(opened.headers.location).to.equal(`/pledge/signatures/${org.id}/manage`);
    }
  });

  it('past the limit on manage links the form comes back with her address and the reason (429, Retry-After); typing errors do not count', async () => {
    const ip = freshIp();
    const ask = async (email: string, status: number) => {
      const agent = supertest.agent(app);
      const start = await agent.get('/pledge/manage').expect(200);
      return agent
        .post('/pledge/manage')
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ email, _csrf: csrfFrom(start.text) })
        .expect(status);
    };
    for (let i = 0; i < 3; i++) await ask('not-an-address', 422);
    // A school office behind one address: 20 colleagues ask (as many as for password resets), the 21st waits.
    for (let i = 0; i < 20; i++) await ask(`asker${i}@school.example`, 303);
    const org = await confirmedOrganisation(supertest.agent(app));
    const refused = await ask(org.email, 429);
    expect(refused.headers['retry-after']).to.match(/^\d+$/);
    expect(refused.text)
      .to.include('Too many requests for links')
      .and.to.include(`value="${org.email}"`)
      .and.to.include('<form method="post" action="/pledge/manage"')
      .and.to.match(/<title>Error: /);
    await workAfterAnswersDone();
    expect(await OutboxMessageModel.countDocuments({ to: org.email, subject: /Manage/ })).to.equal(0);
  });

  it('asking for a manage link for a signature never confirmed (its link lost or expired) emails a fresh confirmation link, which confirms it', async () => {
    const body = organisationBody({ name: 'Lost Link School' });
    const first = await signViaApi(app, body);
    const { agent } = await askForLinks(String(body.email));
    const fresh = await latestLink(String(body.email), '/pledge/confirm/');
    expect(fresh).to.not.equal(first);
    const confirmed = await confirmViaLink(agent, fresh);
    expect(confirmed.text).to.include('Lost Link School');
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.status).to.equal('confirmed');
  });

  it('a fresh confirmation link restarts the month an unconfirmed signature is kept, so the clean-up does not delete it under her new link', async () => {
    const body = organisationBody({ name: 'Late Return School' });
    await signViaApi(app, body);
    const signedLongAgo = new Date(Date.now() - 29 * day);
    await PledgeSignatureModel.updateOne(
      { email: body.email },
      { $set: { updatedAt: signedLongAgo } },
      { timestamps: false },
    );
    const { agent } = await askForLinks(String(body.email));
    const fresh = await latestLink(String(body.email), '/pledge/confirm/');
    // Two days on, the signature first made 31 days ago is still there: its link, 2 days old, is good for 5 more.
    expect((await purgeStalePledgeData(new Date(Date.now() + 2 * day))).signatures).to.equal(0);
    const confirmed = await confirmViaLink(agent, fresh);
    expect(confirmed.text).to.include('Late Return School');
  });

  it('asking for a manage link for an address that never signed looks exactly the same, and sends nothing', async () => {
    const { res } = await askForLinks('nobody@nowhere.example');
    expect(res.headers.location).to.equal('/pledge/manage');
    expect(await OutboxMessageModel.countDocuments({ to: 'nobody@nowhere.example' })).to.equal(0);
  });

  it('a mistyped address is shown as a form error with what she typed, and sends nothing', async () => {
    const { res } = await askForLinks('jane.smith@', 422);
    expect(res.text).to.include('Enter an email address like name@example.org.');
    expect(res.text).to.include('value="jane.smith@"');
    expect(await OutboxMessageModel.countDocuments({ to: 'jane.smith@' })).to.equal(0);
  });

  it('a contact signed in with an account of the same email manages without a link', async () => {
    const option = await buildCommitmentOption();
    const user = await buildUser();
    const org = await confirmedOrganisation(supertest.agent(app), { email: user.email });
    const agent = await signIn(app, user.email, testPassword);
    expect((await agent.get('/pledge/manage').expect(200)).text).to.include(org.name);
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [option.id] }, org.id).then((r) =>
      expect(r.status).to.equal(303),
    );
  });

  it('a progress update must be on one of the organisation’s commitments, and a retired option cannot be newly chosen (422)', async () => {
    const [kept, retired, other] = [
      await buildCommitmentOption(),
      await buildCommitmentOption({ active: false }),
      await buildCommitmentOption(),
    ];
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent);
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [kept.id] }, org.id);
    expect(
      (await post(agent, `/pledge/signatures/${org.id}/updates`, { optionId: other.id, body: 'x' }, org.id)).status,
    ).to.equal(422);
    expect(
      (await post(agent, `/pledge/signatures/${org.id}/updates`, { optionId: kept.id, body: '' }, org.id)).status,
    ).to.equal(422);
    expect(
      (await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [kept.id, retired.id] }, org.id))
        .status,
    ).to.equal(422);
    expect(
      (await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: ['not-an-id'] }, org.id)).status,
    ).to.equal(422);
    expect(
      (await PledgeSignatureModel.findById(org.id).lean())!.commitments.map((c) => String(c.optionId)),
    ).to.deep.equal([kept.id]);
  });

  it('the manage page introduces each error by the label she sees (Commitment, What has happened, her commitments, the delete box), linking to that field', async () => {
    const [kept, other] = [await buildCommitmentOption(), await buildCommitmentOption()];
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent);
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [kept.id] }, org.id);
    const pages = [
      await post(agent, `/pledge/signatures/${org.id}/updates`, { optionId: other.id, body: 'x' }, org.id),
      await post(agent, `/pledge/signatures/${org.id}/updates`, { optionId: kept.id, body: 'x'.repeat(1001) }, org.id),
      await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: ['not-an-id'] }, org.id),
      await post(agent, `/pledge/signatures/${org.id}/delete`, {}, org.id),
    ];
    const summaries = pages.map((page) => {
      expect(page.status).to.equal(422);
      for (const [, id] of page.text.matchAll(/href="#([^"]+)"/g)) expect(page.text).to.include(`id="${id}"`);
      return [...page.text.matchAll(/<li><a href="#([^"]+)">([^<]*)<\/a><\/li>/g)].map(
        ([, id, text]) => `#${id} ${text}`,
      );
    });
    expect(summaries).to.deep.equal([
      ['#field-optionId Commitment: is not one of your commitments'],
      ['#field-body What has happened: must be at most 1000 characters'],
      ['#field-optionIds-first Your commitments: is not one of the commitments on offer'],
      [
        '#field-confirm I want to delete this signature: Tick the box to confirm that you want to delete the signature.',
      ],
    ]);
  });

  it('the signer deletes her signature: data gone (updates and links too), counted no more, audit kept without personal data', async () => {
    const option = await buildCommitmentOption();
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent, { name: 'Leaving School', region: 'Deletion Region' });
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [option.id] }, org.id);
    await post(agent, `/pledge/signatures/${org.id}/updates`, { optionId: option.id, body: 'Progress' }, org.id);
    expect(
      (await supertest(app).get('/api/v1/pledge/signatures?region=Deletion%20Region').expect(200)).body.counts.byType,
    ).to.deep.equal({ school: 1 });
    expect((await post(agent, `/pledge/signatures/${org.id}/delete`, {}, org.id)).status).to.equal(422);
    expect((await post(agent, `/pledge/signatures/${org.id}/delete`, { confirm: 'yes' }, org.id)).status).to.equal(303);
    expect(await PledgeSignatureModel.exists({ _id: org.id })).to.equal(null);
    expect(await PledgeProgressUpdateModel.countDocuments({ signatureId: org.id })).to.equal(0);
    expect(await PledgeLinkModel.countDocuments({ signatureId: org.id })).to.equal(0);
    expect(
      (await supertest(app).get('/api/v1/pledge/signatures?region=Deletion%20Region').expect(200)).body.counts.byType,
    ).to.deep.equal({});
    const audit = (await PledgeAuditEntryModel.findOne({ signatureId: org.id }).lean())!;
    expect(audit.action).to.equal('deleted');
    expect(JSON.stringify(audit)).to.not.include('Leaving School').and.to.not.include(org.email);
  });

  it('an update posted while the signer deletes the signature (another tab, another process) is not left behind', async () => {
    const option = await buildCommitmentOption();
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent, { name: 'Racing Leaver School' });
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [option.id] }, org.id);
    const updatePage = await agent.get(`/pledge/signatures/${org.id}/manage`).expect(200);
    // The update has read the signature and is about to write when the deletion runs to its end.
    const held = holdNextCall(PledgeProgressUpdateModel, 'create', { before: true });
    try {
      const posting = agent
        .post(`/pledge/signatures/${org.id}/updates`)
        .type('form')
        .send({ optionId: option.id, body: 'Written while leaving', _csrf: csrfFrom(updatePage.text) })
        .then((res) => res.status);
      await held.reached;
      expect((await post(agent, `/pledge/signatures/${org.id}/delete`, { confirm: 'yes' }, org.id)).status).to.equal(
        303,
      );
      held.release();
      expect(await posting).to.equal(404);
    } finally {
      held.release();
      held.restore();
    }
    expect(await PledgeSignatureModel.exists({ _id: org.id })).to.equal(null);
    expect(await PledgeProgressUpdateModel.countDocuments({ signatureId: org.id })).to.equal(0);
  });

  it('an individual changes whether her name is shown', async () => {
    const agent = supertest.agent(app);
    const body = {
      kind: 'individual',
      name: 'Changing Mind',
      email: 'mind@example.org',
      region: 'Mind Region',
      country: 'GB',
      showName: false,
    };
    await confirmViaLink(agent, await signViaApi(app, body));
    const id = String((await PledgeSignatureModel.findOne({ email: 'mind@example.org' }).lean())!._id);
    await post(agent, `/pledge/signatures/${id}/show-name`, { showName: 'yes' }, id);
    expect(
      (await supertest(app).get('/api/v1/pledge/signatures?region=Mind%20Region').expect(200)).body.items.map(
        (i: { name: string }) => i.name,
      ),
    ).to.deep.equal(['Changing Mind']);
  });

  it('a board links its signature; its round readiness shows on the public page only by its choice', async () => {
    const user = await buildUser({ roles: ['governor'] });
    const org = await confirmedOrganisation(supertest.agent(app), {
      email: user.email,
      organisationType: 'governing-board',
      name: 'Linked Board',
    });
    registerRoundReadinessProvider(async (boardId) =>
      boardId === '64b000000000000000000001' ? { ready: 3, total: 4 } : null,
    );
    const stranger = await buildUser({ roles: ['governor'] });
    let refused: unknown;
    await linkSignatureToBoard({
      signatureId: org.id,
      boardId: '64b000000000000000000001',
      actor: { ...stranger },
    }).catch((e) => (refused = e));
    expect((refused as { status: number }).status).to.equal(403);
    await linkSignatureToBoard({ signatureId: org.id, boardId: '64b000000000000000000001', actor: { ...user } });
    expect((await supertest(app).get(`/pledge/organisations/${org.id}`).expect(200)).text).to.not.include('3 of 4');
    const agent = await signIn(app, user.email, testPassword);
    await post(agent, `/pledge/signatures/${org.id}/readiness`, { show: 'yes' }, org.id).then((r) =>
      expect(r.status).to.equal(303),
    );
    expect((await supertest(app).get(`/pledge/organisations/${org.id}`).expect(200)).text).to.include('3 of 4');
  });

  it('her export holds the progress updates she posted; once she is erased no Pledge audit entry names her', async () => {
    const option = await buildCommitmentOption({ title: 'Shortlists reviewed for bias' });
    const contact = await buildUser({ roles: ['governor'], name: 'Philippa Pledgewright' });
    const admin = await buildUser({ roles: ['admin'] });
    const agent = supertest.agent(app);
    const org = await confirmedOrganisation(agent, {
      email: contact.email,
      organisationType: 'governing-board',
      name: 'Pledgewright Board',
    });
    await post(agent, `/pledge/signatures/${org.id}/commitments`, { optionIds: [option.id] }, org.id);
    await post(
      agent,
      `/pledge/signatures/${org.id}/updates`,
      { optionId: option.id, body: 'Every shortlist read twice this term.' },
      org.id,
    ).then((r) => expect(r.status).to.equal(303));
    await linkSignatureToBoard({ signatureId: org.id, boardId: '64b000000000000000000002', actor: { ...contact } });
    const userId = new Types.ObjectId(contact.id);

    const exported = (await pledgePersonalData.exportFor(userId)) as {
      signatures: { progressUpdates: { commitment: string; body: string; postedAt: string }[] }[];
    };
    expect(exported.signatures[0]!.progressUpdates).to.deep.equal([
      {
        commitment: 'Shortlists reviewed for bias',
        body: 'Every shortlist read twice this term.',
        postedAt: exported.signatures[0]!.progressUpdates[0]!.postedAt,
      },
    ]);

    expect((await PledgeAuditEntryModel.find({ actorId: contact.id }).lean()).map((a) => a.actorLabel)).to.deep.equal([
      'Philippa Pledgewright',
    ]);
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: contact.id, bySelf: false });
    const entries = await PledgeAuditEntryModel.find({ signatureId: org.id }).lean();
    expect(entries.map((a) => a.action)).to.include('board-linked');
    expect(JSON.stringify(entries)).to.not.include('Philippa');
    expect(entries.find((a) => a.action === 'board-linked')!.actorLabel).to.equal('Former member');
  });
});
