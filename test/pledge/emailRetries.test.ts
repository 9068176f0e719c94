import { expect } from 'chai';
import supertest from 'supertest';
import { AddressedEmailModel } from '../../models/AddressedEmail.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { requestManageLink } from '../../server/services/pledge/index.ts';
import {
  maxAttempts,
  sendToAddress,
  sendWaitingAddressedEmails,
} from '../../server/services/reminders/addressedEmails.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { freshIp, organisationBody } from '../support/pledgeFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

const minutes = (n: number) => new Date(Date.now() + n * 60 * 1000);
const linkIn = (raw: string, prefix: string) =>
  new RegExp(`https?://[^/\\s]+(${prefix.replace(/\//g, '\\/')}[A-Za-z0-9_-]+)`).exec(raw.replace(/=\r?\n/g, ''))?.[1];

describe('emails to an address without an account: a temporary refusal is tried again', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  // Before the sink: making the app points the mailer at the outbox.
  before(() => {
    app = testApp();
  });
  const sink = useSmtpSink();
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
    sink.state.refuse = false;
    sink.state.unknownMailboxes = [];
  });

  it('a Pledge confirmation refused with a 451 as she signs reaches her on a later run, once, and its link confirms her signature', async () => {
    const body = organisationBody({ name: 'Greylisted Primary' });
    sink.state.refuse = true;
    await supertest(app).post('/api/v1/pledge/signatures').set('X-Forwarded-For', freshIp()).send(body).expect(202);
    expect(sink.received).to.have.length(0);
    // Not before its backoff: still greylisted at the first retry, accepted at a later one.
    expect((await sendWaitingAddressedEmails()).sent).to.equal(0);
    expect((await sendWaitingAddressedEmails({ now: minutes(1) })).waiting).to.equal(1);
    sink.state.refuse = false;
    expect((await sendWaitingAddressedEmails({ now: minutes(1.5) })).sent).to.equal(0);
    expect((await sendWaitingAddressedEmails({ now: minutes(5) })).sent).to.equal(1);
    await sendWaitingAddressedEmails({ now: minutes(120) });
    const toHer = sink.received.filter((e) => e.to.includes(body.email));
    expect(toHer).to.have.length(1);
    expect(toHer[0]!.subject).to.equal('Confirm your signature of the Leading Women to Headship Pledge');
    expect(await AddressedEmailModel.countDocuments()).to.equal(0);
    const confirmPath = linkIn(toHer[0]!.raw, '/pledge/confirm/')!;
    const person = supertest.agent(app);
    const page = await person.get(confirmPath).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    await person.post(confirmPath).type('form').send({ _csrf: csrf }).expect(200);
    expect((await PledgeSignatureModel.findOne({ email: body.email }).lean())!.status).to.equal('confirmed');
  });

  it('a manage link refused with a 451 is sent on a later run, once', async () => {
    const body = organisationBody({ name: 'Manage Later School' });
    await supertest(app).post('/api/v1/pledge/signatures').set('X-Forwarded-For', freshIp()).send(body).expect(202);
    await PledgeSignatureModel.updateOne({ email: body.email }, { $set: { status: 'confirmed' } });
    sink.received.length = 0;
    sink.state.refuse = true;
    const asked = await requestManageLink({ email: body.email, now: new Date(), connection: freshIp() });
    await asked.send();
    expect(sink.received).to.have.length(0);
    sink.state.refuse = false;
    await sendWaitingAddressedEmails({ now: minutes(1) });
    await sendWaitingAddressedEmails({ now: minutes(10) });
    const manage = sink.received.filter((e) => e.to.includes(body.email));
    expect(manage.map((e) => e.subject)).to.deep.equal(['Manage the Pledge signature of Manage Later School']);
    expect(linkIn(manage[0]!.raw, '/pledge/manage/')).to.be.a('string');
  });

  it("a pool request's confirmation refused with a 451 is sent on a later run, once", async () => {
    sink.state.refuse = true;
    await supertest(app)
      .post('/api/v1/pool/requests')
      .send({
        offer: 'speaker',
        topic: 'interviews',
        organisation: 'Riverside Primary',
        contactName: 'Sam Clerk',
        contactEmail: 'clerk@riverside.example',
        mode: 'online',
        message: 'A talk for our governors on fair interviews.',
      })
      .expect(202);
    expect(sink.received).to.have.length(0);
    sink.state.refuse = false;
    await sendWaitingAddressedEmails({ now: minutes(1) });
    await sendWaitingAddressedEmails({ now: minutes(10) });
    expect(sink.received.map((e) => e.subject)).to.deep.equal(['Confirm your request to the Pathways pool']);
    expect(linkIn(sink.received[0]!.raw, '/pool/requests/confirm/')).to.be.a('string');
  });

  it('runs in several processes at once send a waiting email once', async () => {
    sink.state.refuse = true;
    await sendToAddress({ purpose: 'test', to: 'once@school.example', subject: 'Once', text: 'Once.' });
    sink.state.refuse = false;
    const runs = await Promise.all(Array.from({ length: 4 }, () => sendWaitingAddressedEmails({ now: minutes(1) })));
    expect(runs.reduce((n, r) => n + r.sent, 0)).to.equal(1);
    expect(sink.received.filter((e) => e.to.includes('once@school.example'))).to.have.length(1);
  });

  it('one refused for good (550) is not tried again; one refused for now is tried a bounded number of times', async () => {
    sink.state.unknownMailboxes = ['nobody@school.example'];
    await sendToAddress({ purpose: 'test', to: 'nobody@school.example', subject: 'Gone', text: 'Gone.' });
    expect(await AddressedEmailModel.countDocuments({ to: 'nobody@school.example' })).to.equal(0);
    sink.state.refuse = true;
    sink.handedOver.length = 0;
    await sendToAddress({ purpose: 'test', to: 'busy@school.example', subject: 'Busy', text: 'Busy.' });
    for (let hour = 1; hour <= maxAttempts + 2; hour++) await sendWaitingAddressedEmails({ now: minutes(60 * hour) });
    expect(await AddressedEmailModel.countDocuments()).to.equal(0);
    expect(sink.handedOver).to.have.length(maxAttempts);
  });

  it('erasing the account with the address takes an email to it still waiting, with its link', async () => {
    const her = await buildUser({ email: 'erased-later@school.example' });
    const admin = await buildUser({ roles: ['admin'] });
    sink.state.refuse = true;
    await sendToAddress({ purpose: 'test', to: her.email, subject: 'Link', text: 'Your link.' });
    await sendToAddress({ purpose: 'test', to: 'someone-else@school.example', subject: 'Link', text: 'Your link.' });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: her.id, bySelf: false });
    expect((await AddressedEmailModel.find().lean()).map((e) => e.to)).to.deep.equal(['someone-else@school.example']);
  });
});
