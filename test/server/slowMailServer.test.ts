import { expect } from 'chai';
import supertest from 'supertest';
import { NotificationModel } from '../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../models/NotificationDelivery.ts';
import { emailsAnswered } from '../../server/mailer.ts';
import { runDueNotifications, sendingDone } from '../../server/services/reminders/index.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { freshIp, organisationBody } from '../support/pledgeFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

/**
 * A person's request that sends an email answers within the mailer's requestWaitMs whatever the mail server does: her
 * action is saved already, and behind a proxy a longer wait is an error page for an action that worked.
 */
describe('a mail server that does not answer: requests that send email answer within a few seconds', function () {
  this.timeout(20_000);
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  // Before the sink: building the app points the mailer at the configuration's (none).
  before(() => {
    app = testApp();
  });
  // What takes 3 s (the wait) and 30 s (the socket timeout) in production takes a fraction of a second here.
  const sink = useSmtpSink({ requestWaitMs: 500, socketTimeoutMs: 1_500 });
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
    sink.state.stalled = [];
    sink.state.delayMs = 0;
  });

  it('a directory message is answered at once while the mail server stalls; its email is retried and arrives once when the server recovers', async () => {
    const writer = await buildUser({ name: 'Wendy Writer' });
    const reader = await buildUser({ name: 'Rita Reader' });
    const auth = `Bearer ${await tokenFor(reader)}`;
    await supertest(app)
      .put('/api/v1/me/directory-profile')
      .set('Authorization', auth)
      .send({ visibility: 'everyone', headline: 'Hello' })
      .expect(200);
    const write = async (body: string) =>
      supertest(app)
        .post(`/api/v1/directory/${reader.id}/messages`)
        .set('Authorization', `Bearer ${await tokenFor(writer)}`)
        .send({ body })
        .expect(201);
    // A first message while the server answers: the connection is open and the email's templates read, so the one
    // below is handed to the server within its wait. Then one more: what a message takes besides the mail server.
    await write('Hello Rita');
    let started = Date.now();
    await write('Hello again, Rita');
    const answering = Date.now() - started;
    expect(sink.received).to.have.length(2);
    sink.state.stalled = ['*'];

    started = Date.now();
    await write('Would you talk to me about flexible working?');
    const stalled = Date.now() - started;
    // The request's wait (500 ms here) and no more: waiting for the mail server would be its socket timeout (1.5 s).
    expect(stalled - answering, `answered in ${stalled} ms, ${answering} ms with the server answering`).to.be.below(
      1_000,
    );

    // The send the request started ends at the socket timeout: a failure the reminders pipeline retries.
    sink.state.stalled = [];
    await sendingDone();
    expect(
      await NotificationDeliveryModel.countDocuments({ phase: 'result', outcome: 'failed', final: false }),
    ).to.equal(1);
    expect((await runDueNotifications({ now: new Date(Date.now() + 60_000) })).sent).to.equal(1);
    const toReader = sink.received.filter((m) => m.raw.includes('flexible working'));
    expect(toReader).to.have.length(1);
    expect(toReader[0]!.to).to.deep.equal([reader.email]);
  });

  it('a Pledge signing is answered at once while the mail server takes its time; the confirmation link still arrives', async () => {
    const sign = async (name: string) => {
      const body = organisationBody({ name });
      const started = Date.now();
      await supertest(app).post('/api/v1/pledge/signatures').set('X-Forwarded-For', freshIp()).send(body).expect(202);
      return { body, took: Date.now() - started };
    };
    // A first signing with the server answering at once: what a signing takes besides the mail server.
    const answering = (await sign('Prompt Primary')).took;
    await emailsAnswered();
    sink.state.delayMs = 1_000;
    const { body, took } = await sign('Patient Primary');
    // Waiting for the mail server would add its second.
    expect(took - answering, `answered in ${took} ms, ${answering} ms with the server answering`).to.be.below(700);

    await emailsAnswered();
    const confirmations = sink.received.filter((m) => m.to.includes(body.email));
    expect(confirmations).to.have.length(1);
    expect(confirmations[0]!.raw).to.include('/pledge/confirm/');
  });
});

/**
 * An import invites every newcomer it makes: the request hands all the invitations to the mail server together and
 * waits for it once, so a stalled server cannot hold it for a wait per person (40 people took 2 minutes, past a
 * proxy's timeout).
 */
describe('a mail server that does not answer: an import inviting many people waits for it once', function () {
  this.timeout(60_000);
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  // A wait long enough for a loaded test machine to hand 8 invitations to a server that answers.
  const sink = useSmtpSink({ requestWaitMs: 2_000, socketTimeoutMs: 4_000 });
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
    sink.state.stalled = [];
  });

  it('a class list of newcomers imported while the mail server stalls waits for it once, not once per invitation; each invitation is retried and arrives once when the server recovers', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ capacity: 40, facilitatorIds: [facilitator.id] });
    const agent = await signIn(app, facilitator.email, testPassword);
    const page = `/cohorts/${String(cohort._id)}/people`;
    const newcomers = (batch: string) =>
      Array.from({ length: 8 }, (_, i) => `${batch}${i}@example.org, ${batch} Newcomer ${i}`);
    const importList = async (lines: string[]) => {
      const csrf = await csrfOf(agent, page);
      const started = Date.now();
      const answer = await agent
        .post(`${page}/import`)
        .type('form')
        .send({ _csrf: csrf, csv: lines.join('\n') });
      expect(answer.status).to.equal(200);
      expect(answer.text).to.include('Import results');
      return Date.now() - started;
    };
    // A first import while the server answers: the connections are open and the email's templates read. Then the
    // same import again: what the request takes besides the mail server.
    const first = 'first@example.org, First Newcomer';
    await importList([first]);
    const answering = await importList(newcomers('prompt'));
    expect(sink.received).to.have.length(9);

    sink.state.stalled = ['*'];
    const stalled = await importList(newcomers('stalled'));
    // One wait (2 s here, 3 s in production) in all: one per invitation was 8 of them here, 2 minutes for 40 people.
    expect(stalled - answering, `answered in ${stalled} ms, ${answering} ms with the server answering`).to.be.below(
      3_000,
    );
    expect(sink.received).to.have.length(9);

    // The server recovers: what it never answered fails at the socket timeout and is retried, what was not handed to
    // it is sent by the next run; each newcomer has one invitation.
    sink.state.stalled = [];
    await sendingDone();
    expect((await runDueNotifications({ now: new Date(Date.now() + 60_000) })).sent).to.equal(8);
    expect((await runDueNotifications({ now: new Date(Date.now() + 120_000) })).sent).to.equal(0);
    const invited = sink.received.filter((m) => m.subject === 'You are invited to Pathways').flatMap((m) => m.to);
    const everyone = [first, ...newcomers('prompt'), ...newcomers('stalled')].map((l) => l.split(',')[0]!);
    expect(invited.sort()).to.deep.equal(everyone.sort());
    expect(await NotificationModel.countDocuments({ kind: 'invitation' })).to.equal(17);
  });
});
