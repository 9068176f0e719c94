import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeLinkModel } from '../../models/PledgeLink.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { confirmSignature, signPledge } from '../../server/services/pledge/index.ts';
import { hashSecret } from '../../server/services/secrets.ts';
import { csrfFrom, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { confirmViaLink, freshIp, latestLink, organisationBody, signViaApi } from '../support/pledgeFactories.ts';

const listNames = async (app: ReturnType<typeof testApp>, query = '') =>
  (await supertest(app).get(`/api/v1/pledge/signatures${query}`).expect(200)).body.items.map(
    (i: { name: string }) => i.name,
  );

describe('pledge: signing and confirming', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a new signature is pending and invisible until its email link is followed, then it is listed', async () => {
    const body = organisationBody({ name: 'Brookside Primary' });
    const confirmPath = await signViaApi(app, body);
    expect(await listNames(app)).to.not.include('Brookside Primary');
    const stored = await PledgeSignatureModel.findOne({ name: 'Brookside Primary' }).lean();
    expect(stored).to.include({ status: 'pending', email: body.email });
    const page = await confirmViaLink(supertest.agent(app), confirmPath);
    expect(page.text).to.include('has signed the Leading Women to Headship Pledge');
    expect(await listNames(app)).to.include('Brookside Primary');
  });

  it('when a mail scanner opens the confirmation link, nothing is confirmed; the Confirm button confirms; a later visit says it is already confirmed', async () => {
    const body = organisationBody({ name: 'Scanned Link School', region: 'Kent' });
    const confirmPath = await signViaApi(app, body);
    const scanner = await supertest(app).get(confirmPath).expect(200);
    expect(scanner.text)
      .to.include('Scanned Link School')
      .and.to.include('Kent')
      .and.to.match(/<button[^>]*>\s*Confirm/);
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.status).to.equal('pending');
    expect(await listNames(app)).to.not.include('Scanned Link School');
    const person = supertest.agent(app);
    const page = await person.get(confirmPath).expect(200);
    const confirmed = await person
      .post(confirmPath)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(200);
    expect(confirmed.text).to.include('has signed the Leading Women to Headship Pledge');
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.status).to.equal('confirmed');
    expect(await listNames(app)).to.include('Scanned Link School');
    const later = await supertest(app).get(confirmPath).expect(200);
    expect(later.text).to.include('already confirmed').and.to.include('Scanned Link School');
    expect(later.text).to.not.match(/<button[^>]*>\s*Confirm/);
  });

  it('the confirmation email, to an address nobody has proved, carries nothing the signer typed: a name holding sentences and a link is not in it, first signing or new details', async () => {
    // Anyone may sign with any address: a greeting "Hello <name>" let her make Pathways' sender mail her text and link.
    const bait =
      'Priya. URGENT: your Pathways account will be deleted today. Keep it at https://pathways-login.example.com/keep';
    const emailsTo = async (email: string) =>
      OutboxMessageModel.find({ to: email }).sort({ createdAt: 1, _id: 1 }).lean();
    const individual = { kind: 'individual', name: bait, email: 'victim@example.org', region: 'North', country: 'GB' };
    const confirmPath = await signViaApi(app, individual);
    const organisation = organisationBody({ contactName: bait, email: 'office@victim.example' });
    await signViaApi(app, organisation);
    // Signed again once confirmed, with new details: the address was proved, the new name was not.
    await confirmViaLink(supertest.agent(app), confirmPath);
    await signViaApi(app, { ...individual, name: `${bait}!` });
    const sent = [...(await emailsTo('victim@example.org')), ...(await emailsTo('office@victim.example'))];
    expect(sent).to.have.length(3);
    for (const email of sent) {
      for (const part of [email.text, email.html!])
        expect(part).to.not.include('pathways-login').and.not.include('URGENT').and.not.include('Priya');
      expect(email.text).to.match(/^Hello,\n/);
      expect(email.html).to.include('<p>Hello,</p>');
    }
  });

  it('a POST to a confirmation link without the CSRF token of its page is refused and confirms nothing', async () => {
    const body = organisationBody();
    const confirmPath = await signViaApi(app, body);
    await supertest(app).post(confirmPath).type('form').send({}).expect(403);
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.status).to.equal('pending');
  });

  it('the confirmation link is stored only as a hash', async () => {
    const confirmPath = await signViaApi(app, organisationBody());
    const secret = confirmPath.split('/').pop()!;
    expect(await PledgeLinkModel.countDocuments({ tokenHash: secret })).to.equal(0);
    expect(await PledgeLinkModel.countDocuments({ tokenHash: hashSecret(secret) })).to.equal(1);
  });

  it('a confirmation link confirmed twice says the second time that it is already confirmed, and grants nothing more', async () => {
    const body = organisationBody({ name: 'Twice Pressed School' });
    const confirmPath = await signViaApi(app, body);
    await confirmViaLink(supertest.agent(app), confirmPath);
    const other = supertest.agent(app);
    const visit = await other.get(confirmPath).expect(200);
    expect(visit.text).to.include('already confirmed');
    const token = csrfFrom((await other.get('/pledge/manage').expect(200)).text);
    const again = await other.post(confirmPath).type('form').send({ _csrf: token }).expect(200);
    expect(again.text).to.include('already confirmed').and.to.include('Twice Pressed School');
    const id = String((await PledgeSignatureModel.findOne({ email: body.email }).lean())!._id);
    await other.get(`/pledge/signatures/${id}/manage`).expect(404);
  });

  it('a Confirm button pressed ten times at the same moment confirms once; the others are told it is already confirmed', async () => {
    const confirmPath = await signViaApi(app, organisationBody());
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get(confirmPath).expect(200)).text);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => agent.post(confirmPath).type('form').send({ _csrf: token })),
    );
    expect(answers.map((a) => a.status)).to.deep.equal(Array(10).fill(200));
    expect(answers.filter((a) => a.text.includes('has signed the Leading Women to Headship Pledge'))).to.have.length(1);
    expect(answers.filter((a) => a.text.includes('already confirmed'))).to.have.length(9);
  });

  it('the press that won the link thanks her for signing even when another press of it applied the confirmation first (it is no change of a signature)', async () => {
    const confirmPath = await signViaApi(app, organisationBody({ name: 'Raced Press School' }));
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get(confirmPath).expect(200)).text);
    // The first press claims the link, then waits; the second, finding it used, applies the confirmation itself.
    const held = holdNextCall(PledgeLinkModel, 'findOneAndUpdate', { lean: true });
    try {
      const first = agent
        .post(confirmPath)
        .type('form')
        .send({ _csrf: token })
        .then((res) => res);
      await held.reached;
      held.restore();
      const second = await agent.post(confirmPath).type('form').send({ _csrf: token }).expect(200);
      expect(second.text).to.include('already confirmed');
      held.release();
      const won = await first;
      expect(won.status).to.equal(200);
      expect(won.text).to.include('has signed the Leading Women to Headship Pledge');
      expect(won.text).to.not.include('Your changes are confirmed');
    } finally {
      held.release();
      held.restore();
    }
  });

  it('an expired confirmation link says it expired, on its page and on Confirm, and confirms nothing', async () => {
    const body = organisationBody();
    const confirmPath = await signViaApi(app, body);
    const agent = supertest.agent(app);
    const token = csrfFrom((await agent.get(confirmPath).expect(200)).text);
    await PledgeLinkModel.updateOne(
      { tokenHash: hashSecret(confirmPath.split('/').pop()!) },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    expect((await agent.get(confirmPath).expect(404)).text).to.include('This link has expired');
    expect((await agent.post(confirmPath).type('form').send({ _csrf: token }).expect(404)).text).to.include(
      'This link has expired',
    );
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.status).to.equal('pending');
  });

  it('a confirmation link followed after 7 days answers 404 and the signature stays pending', async () => {
    const body = organisationBody();
    const now = new Date('2026-03-01T10:00:00Z');
    await signPledge({ input: body as never, now, connection: freshIp() });
    const secret = (await latestLink(String(body.email), '/pledge/confirm/')).split('/').pop()!;
    let error: unknown;
    try {
      await confirmSignature({ secret, now: new Date('2026-03-08T10:00:01Z') });
    } catch (e) {
      error = e;
    }
    expect((error as { status: number }).status).to.equal(404);
    expect((error as Error).message).to.include('expired');
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.status).to.equal('pending');
    // …while just inside the 7 days it works.
    await confirmSignature({ secret, now: new Date('2026-03-08T09:59:59Z') });
  });

  it('signing again while the first confirmation lands (another process) changes no public detail without a new link', async () => {
    const body = organisationBody({ region: 'Cumbria' });
    const now = new Date();
    await signPledge({ input: body as never, now, connection: freshIp() });
    const secret = (await latestLink(String(body.email), '/pledge/confirm/')).split('/').pop()!;
    // The second signing reads the signature while it is still pending, then stalls until it is confirmed.
    const held = holdNextCall(PledgeSignatureModel, 'findOne');
    try {
      const again = signPledge({ input: { ...body, region: 'Somewhere Else' } as never, now, connection: freshIp() });
      await held.reached;
      held.restore();
      await confirmSignature({ secret, now });
      held.release();
      await again;
    } finally {
      held.release();
      held.restore();
    }
    const stored = (await PledgeSignatureModel.findOne({ email: body.email }).lean())!;
    expect(stored).to.include({ status: 'confirmed', region: 'Cumbria' });
    expect(stored.pendingChanges).to.include({ region: 'Somewhere Else' });
  });

  it('an unknown or malformed link is a 404, never a 500', async () => {
    expect((await supertest(app).get('/pledge/confirm/not-a-real-token').expect(404)).text).to.include(
      'This link is not valid',
    );
    await supertest(app)
      .get(`/pledge/confirm/${'x'.repeat(300)}`)
      .expect(404);
  });

  it('signing twice with the same email for the same organisation updates the one signature, and only the newest link works', async () => {
    const body = organisationBody({ name: 'Elm Tree Academy', region: 'London' });
    const first = await signViaApi(app, body);
    const second = await signViaApi(app, {
      ...body,
      name: '  elm tree ACADEMY ',
      region: 'Greater London',
      email: String(body.email).toUpperCase(),
    });
    expect(await PledgeSignatureModel.countDocuments({ email: body.email })).to.equal(1);
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.region).to.equal('Greater London');
    expect((await supertest(app).get(first).expect(404)).text).to.include('A newer link has been sent');
    await confirmViaLink(supertest.agent(app), second);
  });

  it('signing with one email four times at the same moment leaves one working confirmation link; each other one emailed says a newer link was sent', async () => {
    const body = organisationBody({ name: 'Hawthorn Infant School' });
    const sign = () =>
      supertest(app).post('/api/v1/pledge/signatures').set('X-Forwarded-For', freshIp()).send(body).expect(202);
    await Promise.all([sign(), sign(), sign(), sign()]);
    const signature = (await PledgeSignatureModel.findOne({ email: body.email }).lean())!;
    expect(await PledgeLinkModel.countDocuments({ signatureId: signature._id, usedAt: null })).to.equal(1);
    const emails = await OutboxMessageModel.find({ to: body.email }).lean();
    const links = emails.map((m) => /https?:\/\/[^/\s]+(\/pledge\/confirm\/[A-Za-z0-9_-]+)/.exec(m.text)![1]!);
    expect(links).to.have.length(4);
    const opened = await Promise.all(links.map((link) => supertest(app).get(link)));
    expect(opened.map((r) => r.status).sort()).to.deep.equal([200, 404, 404, 404]);
    for (const refused of opened.filter((r) => r.status === 404))
      expect(refused.text).to.include('A newer link has been sent');
  });

  it('new details typed while an earlier change is being confirmed (another process) wait for their own link, not lost', async () => {
    const body = organisationBody({ region: 'Devon' });
    const now = new Date();
    await signPledge({ input: body as never, now, connection: freshIp() });
    await confirmSignature({
      secret: (await latestLink(String(body.email), '/pledge/confirm/')).split('/').pop()!,
      now,
    });
    await signPledge({ input: { ...body, region: 'North Devon' } as never, now, connection: freshIp() });
    const first = (await latestLink(String(body.email), '/pledge/confirm/')).split('/').pop()!;
    // The press on the first change's link reads the signature, then stalls while she types other details again.
    const held = holdNextCall(PledgeSignatureModel, 'findById', { lean: true });
    let pressed: Promise<unknown>;
    try {
      pressed = confirmSignature({ secret: first, now }).catch((error: unknown) => error);
      await held.reached;
      held.restore();
      await signPledge({ input: { ...body, region: 'Torbay' } as never, now, connection: freshIp() });
    } finally {
      held.release();
      held.restore();
    }
    const answer = await pressed;
    expect(answer).to.be.instanceOf(Error);
    expect((answer as Error).message).to.include('A newer link has been sent');
    const stored = (await PledgeSignatureModel.findOne({ email: body.email }).lean())!;
    expect(stored).to.include({ status: 'confirmed', region: 'Devon' });
    expect(stored.pendingChanges).to.include({ region: 'Torbay' });
    // Her latest link applies them.
    await confirmSignature({
      secret: (await latestLink(String(body.email), '/pledge/confirm/')).split('/').pop()!,
      now,
    });
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!).to.include({ region: 'Torbay' });
  });

  it('signing again after confirming keeps the public details until the new link is followed', async () => {
    const body = organisationBody({ name: 'Willow Trust', organisationType: 'trust', region: 'Wales' });
    await confirmViaLink(supertest.agent(app), await signViaApi(app, body));
    const change = await signViaApi(app, { ...body, region: 'South Wales' });
    const before = await PledgeSignatureModel.findOne({ email: body.email }).lean();
    expect(before).to.include({ region: 'Wales', status: 'confirmed' });
    const preview = await supertest(app).get(change).expect(200);
    expect(preview.text).to.include('Confirm your new details').and.to.include('South Wales');
    await confirmViaLink(supertest.agent(app), change);
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.region).to.equal('South Wales');
    expect(await PledgeSignatureModel.countDocuments({ email: body.email })).to.equal(1);
  });

  it('two simultaneous first signings of the same organisation make one signature', async () => {
    const body = organisationBody();
    await Promise.all(
      [0, 1, 2].map(() =>
        supertest(app).post('/api/v1/pledge/signatures').set('X-Forwarded-For', freshIp()).send(body).expect(202),
      ),
    );
    expect(await PledgeSignatureModel.countDocuments({ email: body.email })).to.equal(1);
  });

  it('the answer is the same 202 whether or not the email has signed before', async () => {
    const body = organisationBody();
    const first = await supertest(app)
      .post('/api/v1/pledge/signatures')
      .set('X-Forwarded-For', freshIp())
      .send(body)
      .expect(202);
    await confirmViaLink(supertest.agent(app), await latestLink(String(body.email), '/pledge/confirm/'));
    const again = await supertest(app)
      .post('/api/v1/pledge/signatures')
      .set('X-Forwarded-For', freshIp())
      .send(body)
      .expect(202);
    expect(again.body).to.deep.equal(first.body).and.to.deep.equal({ status: 'pending' });
  });

  it('an individual is counted but her name is listed and searchable only when she allowed it', async () => {
    const hiddenName = {
      kind: 'individual',
      name: 'Quietly Signed',
      email: 'quiet@example.org',
      role: 'Teacher',
      region: 'Scotland',
      country: 'GB',
    };
    const shownName = {
      kind: 'individual',
      name: 'Proudly Signed',
      email: 'proud@example.org',
      region: 'Scotland',
      country: 'GB',
      showName: true,
    };
    await confirmViaLink(supertest.agent(app), await signViaApi(app, hiddenName));
    await confirmViaLink(supertest.agent(app), await signViaApi(app, shownName));
    const res = await supertest(app).get('/api/v1/pledge/signatures?region=Scotland').expect(200);
    expect(res.body.items.map((i: { name: string }) => i.name)).to.deep.equal(['Proudly Signed']);
    expect(res.body.counts.byType.individual).to.equal(2);
    expect(await listNames(app, '?q=quietly')).to.deep.equal([]);
    const html = await supertest(app).get('/pledge/signatories?q=Quietly').expect(200);
    expect(html.text).to.not.include('Quietly Signed');
  });

  it('a name typed with combining accents is listed composed (NFC) and found by "nguyen"; a name with a line break is a 422 at name', async () => {
    const mai = {
      kind: 'individual',
      name: 'Nguyễn Thị Mai'.normalize('NFD'),
      email: 'mai.pledge@example.org',
      region: 'Hanoi Region',
      country: 'VN',
      showName: true,
    };
    await confirmViaLink(supertest.agent(app), await signViaApi(app, mai));
    expect(await listNames(app, '?region=Hanoi%20Region')).to.deep.equal(['Nguyễn Thị Mai'.normalize('NFC')]);
    expect(await listNames(app, '?q=nguyen')).to.deep.equal(['Nguyễn Thị Mai'.normalize('NFC')]);
    const refused = await supertest(app)
      .post('/api/v1/pledge/signatures')
      .set('X-Forwarded-For', freshIp())
      .send({ ...mai, email: 'broken@example.org', name: 'Mai\nNguyen' })
      .expect(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['name']);
    expect(await PledgeSignatureModel.exists({ email: 'broken@example.org' })).to.equal(null);
  });

  it('the web form signs without JavaScript and shows the same page whatever the email', async () => {
    const agent = supertest.agent(app);
    const ip = freshIp();
    const form = await agent.get('/pledge/sign/organisation').set('X-Forwarded-For', ip).expect(200);
    const fields = {
      name: 'Form School',
      organisationType: 'school',
      contactName: 'Ada',
      email: 'form@school.example',
      region: 'Leeds',
      country: 'GB',
      website: '',
    };
    const first = await agent
      .post('/pledge/sign/organisation')
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ ...fields, _csrf: csrfFrom(form.text) })
      .expect(303);
    const second = await agent
      .post('/pledge/sign/organisation')
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ ...fields, _csrf: csrfFrom(form.text) })
      .expect(303);
    expect(first.headers.location).to.equal('/pledge/thanks').and.to.equal(second.headers.location);
    expect(await OutboxMessageModel.countDocuments({ to: 'form@school.example' })).to.equal(2);
  });

  it('bad input on the web form is a 422 keeping what was typed, with the errors named', async () => {
    const agent = supertest.agent(app);
    const form = await agent.get('/pledge/sign/organisation').expect(200);
    const res = await agent
      .post('/pledge/sign/organisation')
      .set('X-Forwarded-For', freshIp())
      .type('form')
      .send({ name: 'Typed Name', email: 'not-an-email', region: '', country: 'XX', _csrf: csrfFrom(form.text) })
      .expect(422);
    expect(res.text)
      .to.include('value="Typed Name"')
      .and.to.include('must be an email address')
      .and.to.include('ISO 3166-1');
  });

  it('the web form introduces each error by the label she sees, for an organisation and for an individual, linking to that field', async () => {
    const summaries: string[][] = [];
    for (const [kind, fields] of [
      ['organisation', { name: '', organisationType: '', contactName: '', email: 'nope', region: '', country: '' }],
      ['individual', { name: '', role: 'r'.repeat(200), email: 'nope', region: '', country: 'XX' }],
    ] as const) {
      const agent = supertest.agent(app);
      const form = await agent.get(`/pledge/sign/${kind}`).expect(200);
      const res = await agent
        .post(`/pledge/sign/${kind}`)
        .set('X-Forwarded-For', freshIp())
        .type('form')
        .send({ ...fields, _csrf: csrfFrom(form.text) })
        .expect(422);
      for (const [, id] of res.text.matchAll(/href="#([^"]+)"/g)) expect(res.text).to.include(`id="${id}"`);
      summaries.push(
        [...res.text.matchAll(/<li><a href="#([^"]+)">([^:<]*):/g)].map(([, id, label]) => `#${id} ${label}`),
      );
    }
    expect(summaries[0]).to.have.members([
      '#field-name Name of the organisation',
      '#field-organisationType Type of organisation',
      '#field-contactName Contact person',
      '#field-email Contact email address',
      '#field-region Region',
      '#field-country Country',
    ]);
    expect(summaries[1]).to.have.members([
      '#field-name Your name',
      '#field-role Your role',
      '#field-email Email address',
      '#field-region Region',
      '#field-country Country',
    ]);
  });

  it('a filled honeypot gets the same answer, and nothing is stored or sent', async () => {
    const agent = supertest.agent(app);
    const form = await agent.get('/pledge/sign/individual').expect(200);
    const res = await agent
      .post('/pledge/sign/individual')
      .set('X-Forwarded-For', freshIp())
      .type('form')
      .send({
        name: 'Bot',
        email: 'bot@spam.example',
        region: 'X',
        country: 'GB',
        website: 'http://spam.example',
        _csrf: csrfFrom(form.text),
      })
      .expect(303);
    expect(res.headers.location).to.equal('/pledge/thanks');
    expect(await PledgeSignatureModel.countDocuments({ email: 'bot@spam.example' })).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: 'bot@spam.example' })).to.equal(0);
  });

  it('more than 10 signings from one address in 15 minutes are refused with 429 and Retry-After', async () => {
    const limited = testApp();
    const ip = freshIp();
    for (let i = 0; i < 10; i++)
      await supertest(limited)
        .post('/api/v1/pledge/signatures')
        .set('X-Forwarded-For', ip)
        .send(organisationBody())
        .expect(202);
    const refused = await supertest(limited)
      .post('/api/v1/pledge/signatures')
      .set('X-Forwarded-For', ip)
      .send(organisationBody({ email: 'eleventh@example.org' }))
      .expect(429);
    expect(refused.headers['retry-after']).to.match(/^\d+$/);
    expect(await PledgeSignatureModel.countDocuments({ email: 'eleventh@example.org' })).to.equal(0);
    await supertest(limited)
      .post('/api/v1/pledge/signatures')
      .set('X-Forwarded-For', freshIp())
      .send(organisationBody())
      .expect(202);
  });

  /** Sends the web sign form from `ip` as a visitor with her own browser session, expecting `status`; the response. */
  const signOnWeb = async (
    kind: 'organisation' | 'individual',
    fields: Record<string, string>,
    status: number,
    ip = freshIp(),
  ) => {
    const agent = supertest.agent(app);
    const form = await agent.get(`/pledge/sign/${kind}`).expect(200);
    return agent
      .post(`/pledge/sign/${kind}`)
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ ...fields, website: '', _csrf: csrfFrom(form.text) })
      .expect(status);
  };
  const individual = (email: string, overrides: Record<string, string> = {}) => ({
    name: 'Grace Hopper',
    role: 'Deputy headteacher',
    email,
    region: 'Leeds',
    country: 'GB',
    showName: 'yes',
    ...overrides,
  });

  it('past the signing limit the web form comes back with what she typed and the reason (429, Retry-After); refused attempts do not count', async () => {
    const ip = freshIp();
    // Typing errors from a shared school connection use up nothing.
    for (let i = 0; i < 5; i++) await signOnWeb('individual', individual('not-an-email'), 422, ip);
    for (let i = 0; i < 10; i++) await signOnWeb('individual', individual(`limit${i}@school.example`), 303, ip);
    const refused = await signOnWeb(
      'individual',
      individual('eleventh@school.example', { name: 'Eleventh Typed' }),
      429,
      ip,
    );
    expect(refused.headers['retry-after']).to.match(/^\d+$/);
    expect(refused.text)
      .to.include('Too many signatures from this connection')
      .and.to.include('value="Eleventh Typed"')
      .and.to.include('value="eleventh@school.example"')
      .and.to.include('value="Deputy headteacher"')
      .and.to.include('<form method="post" action="/pledge/sign/individual"');
    expect(await PledgeSignatureModel.countDocuments({ email: 'eleventh@school.example' })).to.equal(0);
    await signOnWeb('individual', individual('elsewhere@school.example'), 303);
  });

  it('signing again with the role emptied clears it, pending or confirmed; a role left out of the form keeps it', async () => {
    await signOnWeb('individual', individual('pending-role@example.org'), 303);
    await signOnWeb('individual', individual('pending-role@example.org', { role: '  ' }), 303);
    const pending = await PledgeSignatureModel.findOne({ email: 'pending-role@example.org' }).lean();
    expect(pending!.status).to.equal('pending');
    expect(pending!.role ?? null).to.equal(null);

    await signOnWeb('individual', individual('confirmed-role@example.org'), 303);
    await confirmViaLink(supertest.agent(app), await latestLink('confirmed-role@example.org', '/pledge/confirm/'));
    const { role, ...withoutRole } = individual('confirmed-role@example.org');
    void role;
    await signOnWeb('individual', withoutRole, 303);
    await confirmViaLink(supertest.agent(app), await latestLink('confirmed-role@example.org', '/pledge/confirm/'));
    expect((await PledgeSignatureModel.findOne({ email: 'confirmed-role@example.org' }).lean())!.role).to.equal(
      'Deputy headteacher',
    );
    await signOnWeb('individual', individual('confirmed-role@example.org', { role: '' }), 303);
    const change = await latestLink('confirmed-role@example.org', '/pledge/confirm/');
    expect((await PledgeSignatureModel.findOne({ email: 'confirmed-role@example.org' }).lean())!.role).to.equal(
      'Deputy headteacher',
    );
    await confirmViaLink(supertest.agent(app), change);
    const cleared = await PledgeSignatureModel.findOne({ email: 'confirmed-role@example.org' }).lean();
    expect(cleared!.role ?? null).to.equal(null);
    expect(cleared).to.include({ name: 'Grace Hopper', region: 'Leeds', showName: true, status: 'confirmed' });
  });

  it('a role or a contact person with a direction override or a NUL is a 422 at its field (API and web form), as the name and region are; a contact typed with combining accents is stored composed, and a role of nothing visible is no role', async () => {
    const override =
      'must not contain a text-direction override (U+202A to U+202E, U+2066 to U+2069): it reverses the letters after it';
    const dana = {
      kind: 'individual',
      name: 'Dana Levi',
      email: 'dana@example.org',
      role: '\u202eHead of \u0000 =HYPERLINK("http://x")',
      region: 'תל אביב',
      country: 'IL',
      showName: true,
    };
    const role = await supertest(app)
      .post('/api/v1/pledge/signatures')
      .set('X-Forwarded-For', freshIp())
      .send(dana)
      .expect(422);
    expect(role.body.errors).to.deep.equal([
      { path: 'role', message: override },
      { path: 'role', message: 'contains a control character (such as NUL) that cannot be saved: remove it' },
    ]);
    const contact = await supertest(app)
      .post('/api/v1/pledge/signatures')
      .set('X-Forwarded-For', freshIp())
      .send(organisationBody({ name: 'مدرسة النور', email: 'noor@example.org', contactName: '\u202eXYZ \u0000' }))
      .expect(422);
    expect(contact.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['contactName']);
    expect(
      await PledgeSignatureModel.countDocuments({ email: { $in: ['dana@example.org', 'noor@example.org'] } }),
    ).to.equal(0);

    await signViaApi(app, { ...dana, role: '\u200b' });
    expect((await PledgeSignatureModel.findOne({ email: 'dana@example.org' }).lean())!.role ?? null).to.equal(null);
    await signViaApi(app, organisationBody({ email: 'noor@example.org', contactName: 'Zoë Thérèse'.normalize('NFD') }));
    expect((await PledgeSignatureModel.findOne({ email: 'noor@example.org' }).lean())!.contactName).to.equal(
      'Zoë Thérèse'.normalize('NFC'),
    );

    const organisationForm = await signOnWeb(
      'organisation',
      {
        name: 'Form School',
        organisationType: 'school',
        contactName: 'Ada\u2066',
        email: 'ada@school.example',
        region: 'Leeds',
        country: 'GB',
      },
      422,
    );
    expect(organisationForm.text).to.include('href="#field-contactName"').and.include(override);
    const individualForm = await signOnWeb('individual', individual('grace@example.org', { role: 'Head\u0000' }), 422);
    expect(individualForm.text)
      .to.include('href="#field-role"')
      .and.include('contains a control character (such as NUL) that cannot be saved');
    expect(
      await PledgeSignatureModel.countDocuments({ email: { $in: ['ada@school.example', 'grace@example.org'] } }),
    ).to.equal(0);
  });

  it('the error summary of the organisation form lists the fields in the order the form shows them', async () => {
    const res = await signOnWeb(
      'organisation',
      {
        name: '',
        organisationType: '',
        contactName: '',
        email: 'nope',
        region: '',
        country: '',
      },
      422,
    );
    const ids = [...res.text.matchAll(/<li><a href="#([^"]+)">/g)].map(([, id]) => id);
    const fieldOrder = [...res.text.matchAll(/<(?:input|select) id="(field-[^"]+)"/g)]
      .map(([, id]) => id)
      .filter((id) => ids.includes(id));
    expect(ids).to.deep.equal([
      'field-name',
      'field-organisationType',
      'field-contactName',
      'field-email',
      'field-region',
      'field-country',
    ]);
    expect(ids).to.deep.equal(fieldOrder);
  });
});
