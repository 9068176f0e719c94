import { expect } from 'chai';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { ModuleModel } from '../../models/Module.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../models/NotificationDelivery.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { closeMailer, configureMailer } from '../../server/mailer.ts';
import {
  planModuleNudges,
  planNotification,
  planSessionReminders,
  planWaitlistPromotion,
  runDueNotifications,
  settleNotifications,
} from '../../server/services/reminders/index.ts';
import { unsubscribePath } from '../../server/services/reminders/unsubscribe.ts';
import { rescheduleSession } from '../../server/services/cohorts/sessions.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCohortWithSession } from '../support/remindersFactories.ts';
import { emailPart, startSmtpSink, type ReceivedEmail } from '../support/smtp.ts';

/** Every character HTML escapes, in a name someone could really have (and one she could type). */
const awkward = `Mary O'Brien & Co <Ltd> "Trust"`;
const awkwardInHtml = 'Mary O&#39;Brien &amp; Co &lt;Ltd&gt; &#34;Trust&#34;';

const minutes = (n: number) => n * 60_000;
const unsubscribeLinkOf = (email: ReceivedEmail) =>
  /^<(http:\/\/pathways\.test\/unsubscribe\/[^>]+)>$/.exec(email.headers['list-unsubscribe']!)![1]!;

/** A participant on a daily digest whose two module nudges (titles given) are bundled into 18 May's digest. */
async function digestOfTwoNudges(titles: [string, string]) {
  const { cohort, users } = await buildCohortWithSession({
    startsAt: new Date('2027-12-01T10:00:00Z'),
    participants: 1,
    participantZone: 'Europe/London',
  });
  await UserModel.updateOne({ _id: users[0]!._id }, { $set: { emailDigest: 'daily', name: awkward } });
  const modules = await ModuleModel.insertMany(
    titles.map((title, i) => ({
      programmeId: cohort.programmeId,
      title,
      body: 'Read this.',
      estimatedMinutes: 30,
      completion: { type: 'view' },
      position: i + 1,
    })),
  );
  await CohortModel.updateOne(
    { _id: cohort._id },
    { $set: { moduleDueDates: modules.map((m) => ({ moduleId: m._id, dueOn: '2027-05-20' })) } },
  );
  await planModuleNudges({ cohortId: cohort._id });
  expect((await runDueNotifications({ now: new Date('2027-05-17T08:00:00Z') })).bundled).to.equal(2);
  return { user: users[0]!, digestAt: new Date('2027-05-18T07:00:00Z') };
}

describe('reminders: email text is plain text, with the same footer as the HTML, and every unsubscribe link works', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  before(async () => {
    app = testApp();
    sink = await startSmtpSink();
  });
  beforeEach(async () => {
    await clearDatabase();
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
    sink.received.length = 0;
  });
  after(async () => {
    closeMailer();
    await sink.stop();
  });

  describe('plain text is not HTML-escaped; HTML is escaped once', () => {
    it(`an invitation to "${awkward}" greets her by her name as written in the text part, escaped in the HTML part`, async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(app, admin.email, testPassword);
      const token = csrfFrom((await agent.get('/admin/users')).text);
      await agent
        .post('/admin/users')
        .type('form')
        .send({ name: awkward, email: 'mary@example.org', roles: 'participant', _csrf: token })
        .expect(303);
      const email = sink.received.find((e) => e.to.includes('mary@example.org'))!;
      const text = emailPart(email, 'text/plain');
      // Her name isolated from the words around it (U+2068…U+2069 in text, <bdi> in HTML), written as is inside.
      expect(text).to.include(`Hello \u2068${awkward}\u2069,`);
      expect(text).to.not.match(/&(amp|lt|gt|quot|#\d+);/);
      const html = emailPart(email, 'text/html');
      expect(html).to.include(`Hello <bdi>${awkwardInHtml}</bdi>,`);
      expect(html).to.not.include(awkward);
    });

    it("a pool request's confirmation, to an address nobody has proved, greets no one by name: a contact name holding a sentence and a link is in neither part", async () => {
      // Anyone may fill in the public form with any address: the name would be her text, sent by Pathways' sender.
      const bait = "Jo. Your school's account closes today: keep it at https://pathways-keep.example.com/now";
      await supertest(app)
        .post('/api/v1/pool/requests')
        .send({
          offer: 'speaker',
          topic: 'interviews',
          organisation: "St Mary's & St John's",
          contactName: bait,
          contactEmail: 'jo@example.org',
          mode: 'online',
          message: 'A talk for our governors.',
        })
        .expect(202);
      const email = sink.received.find((e) => e.to.includes('jo@example.org'))!;
      for (const part of [emailPart(email, 'text/plain'), emailPart(email, 'text/html')]) {
        expect(part).to.include('Hello,');
        expect(part).to.not.include('pathways-keep').and.not.include('closes today');
      }
      expect(emailPart(email, 'text/plain')).to.include('Thank you for asking the Pathways pool for a speaker on');
    });

    it('a daily digest gives each section once: as written in the text part, escaped once in the HTML part', async () => {
      const { digestAt } = await digestOfTwoNudges(['Budgets & "governors"', "<Heads'> first term"]);
      expect((await runDueNotifications({ now: digestAt })).sent).to.equal(1);
      const email = sink.received[0]!;
      const text = emailPart(email, 'text/plain');
      expect(text).to.include(`Hello \u2068${awkward}\u2069,`);
      expect(text)
        .to.include('"\u2068Budgets & "governors"\u2069" is due on')
        .and.include(`"\u2068<Heads'> first term\u2069" is due on`);
      expect(text).to.not.match(/&(amp|lt|gt|quot|#\d+);/);
      const html = emailPart(email, 'text/html');
      expect(html).to.include('Budgets &amp; &#34;governors&#34;').and.include('&lt;Heads&#39;&gt; first term');
      expect(html).to.not.include('&amp;amp;').and.not.include('&amp;#');
    });

    it('a subject holding a line break stays one line (no header of its own), in the outbox and in the journal', async () => {
      configureMailer({ smtpUrl: undefined, from: 'Pathways <no-reply@pathways.test>' });
      const user = await buildUser();
      const now = new Date();
      await planNotification({
        key: `invitation:${user.id}:header-test`,
        userId: user.id,
        kind: 'invitation',
        about: { type: 'user', id: user.id },
        sendAt: now,
        subject: 'Welcome\r\nBcc: everyone@example.org\nX-Evil: 1',
        template: 'notice',
        data: {},
      });
      expect((await runDueNotifications({ now })).sent).to.equal(1);
      const stored = await OutboxMessageModel.findOne({ to: user.email }).lean();
      expect(stored!.subject).to.equal('Welcome Bcc: everyone@example.org X-Evil: 1');
      const result = await NotificationDeliveryModel.findOne({ phase: 'result', outcome: 'sent' }).lean();
      expect(result!.subject).to.equal('Welcome Bcc: everyone@example.org X-Evil: 1');
    });
  });

  describe('dates in an email say whose calendar they are on', () => {
    it('a place from the waitlist says the cohort starts, or started, on its first day in the cohort’s zone, named', async () => {
      const { cohort, users } = await buildCohortWithSession({
        startsAt: new Date('2027-12-01T10:00:00Z'),
        participants: 2,
        participantZone: 'America/Los_Angeles',
      });
      const [early, late] = users;
      for (const [user, at] of [
        [early!, '2026-12-20T10:00:00Z'],
        [late!, '2027-03-15T10:00:00Z'],
      ] as const) {
        await planWaitlistPromotion({ cohortId: cohort._id, userId: user._id, now: new Date(at) });
        await runDueNotifications({ now: new Date(at) });
      }
      const textTo = (email: string) =>
        emailPart(
          sink.received.find((e) => e.to.includes(email))!,
          'text/plain',
        );
      expect(textTo(early!.email)).to.include(
        'You are now enrolled; the cohort starts on 1 January 2027 (Europe/London).',
      );
      expect(textTo(late!.email)).to.include(
        'You are now enrolled; the cohort started on 1 January 2027 (Europe/London).',
      );
    });
  });

  describe('a change notice says what changed', () => {
    it('a session moved from a room to online, or to another room, names the place it was and the place it is now', async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const startsAt = new Date('2027-09-14T17:00:00Z');
      const toOnline = await buildCohortWithSession({ startsAt, mode: 'in-person' });
      await rescheduleSession({
        actor: admin,
        sessionId: String(toOnline.session._id),
        input: { startsAt: '2027-09-21T18:30', mode: 'online', joinUrl: 'https://meet.example.org/s3', location: '' },
      });
      const toRoom = await buildCohortWithSession({ startsAt, mode: 'in-person' });
      await rescheduleSession({
        actor: admin,
        sessionId: String(toRoom.session._id),
        input: { location: 'Room 7, Leeds Civic Hall' },
      });
      await runDueNotifications({ now: new Date(Date.now() + minutes(11)) });
      const partsTo = (email: string) => {
        const received = sink.received.find((e) => e.to.includes(email) && e.subject.startsWith('Changed'))!;
        const strip = (t: string) => t.replace(/[\u2066-\u2069]/g, '');
        // Names and places are set apart (FSI…PDI in text, <bdi> in HTML): the words around them are what is read.
        return {
          text: strip(emailPart(received, 'text/plain')),
          html: strip(emailPart(received, 'text/html')).replace(/<\/?bdi>/g, ''),
        };
      };
      const online = partsTo(toOnline.users[0]!.email);
      expect(online.text).to.include('It was planned for ');
      expect(online.text).to.include('It was in person at Room 4; it is now online (https://meet.example.org/s3).');
      expect(online.html).to.include(
        'It was in person at Room 4; it is now <strong>online (https://meet.example.org/s3)</strong>.',
      );
      const room = partsTo(toRoom.users[0]!.email);
      expect(room.text).to.not.include('It was planned for');
      expect(room.text).to.include('It was in person at Room 4; it is now in person at Room 7, Leeds Civic Hall.');
    });
  });

  describe('the plain-text part carries the footer of the HTML part', () => {
    it('a session reminder ends, in both parts, with its "Stop these emails" link (the List-Unsubscribe one) and her email settings', async () => {
      const startsAt = new Date('2027-03-10T18:00:00Z');
      await buildCohortWithSession({ startsAt });
      await planSessionReminders({ now: new Date('2027-03-01T00:00:00Z') });
      await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(1440)) });
      const email = sink.received[0]!;
      const link = unsubscribeLinkOf(email);
      const text = emailPart(email, 'text/plain');
      expect(text).to.include('You receive this email because you have an account on Pathways.');
      expect(text).to.include(`Stop these emails: ${link}\n`);
      expect(text.trimEnd().endsWith('Email settings: http://pathways.test/account/notifications')).to.equal(true);
      const html = emailPart(email, 'text/html');
      expect(html).to.include(`<a href="${link}">Stop these emails</a>`);
      expect(html).to.include('<a href="http://pathways.test/account/notifications">Email settings</a>');
    });

    it('an invitation (a security email) has no stop link in either part, and no List-Unsubscribe header', async () => {
      const user = await buildUser();
      const now = new Date();
      await planNotification({
        key: `invitation:${user.id}:footer-test`,
        userId: user.id,
        kind: 'invitation',
        about: { type: 'user', id: user.id },
        sendAt: now,
        subject: 'Welcome',
        template: 'notice',
        data: {},
      });
      await runDueNotifications({ now });
      const email = sink.received[0]!;
      expect(email.headers).to.not.have.property('list-unsubscribe');
      const text = emailPart(email, 'text/plain');
      expect(text).to.include('You receive this email because you have an account on Pathways.');
      expect(text).to.not.include('Stop these emails').and.not.include('/unsubscribe/');
      expect(emailPart(email, 'text/html')).to.not.include('Stop these emails');
    });

    it('in development (outbox mail), /admin/outbox/:id shows the text with the stop link, and the link works', async () => {
      configureMailer({ smtpUrl: undefined, from: 'Pathways <no-reply@pathways.test>' });
      const startsAt = new Date('2027-03-10T18:00:00Z');
      const { users } = await buildCohortWithSession({ startsAt });
      await planSessionReminders({ now: new Date('2027-03-01T00:00:00Z') });
      await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(1440)) });
      const stored = await OutboxMessageModel.findOne({ to: users[0]!.email }).lean();
      const admin = await buildUser({ roles: ['admin'] });
      const page = await (
        await signIn(app, admin.email, testPassword)
      )
        .get(`/admin/outbox/${String(stored!._id)}`)
        .expect(200);
      const link = /Stop these emails: http:\/\/pathways\.test(\/unsubscribe\/[\w/-]+)/.exec(page.text)![1]!;
      await supertest(app).post(link).expect(200);
      expect((await UserModel.findById(users[0]!._id).lean())!.mutedKinds).to.deep.equal(['session-reminder']);
    });
  });

  describe("the daily digest's unsubscribe link stops the digest emails", () => {
    it('its GET asks, naming what the digest gathers; its POST turns all of that off by email, and the next nudge is not sent', async () => {
      const { user, digestAt } = await digestOfTwoNudges(['Module 1', 'Module 2']);
      await runDueNotifications({ now: digestAt });
      const email = sink.received[0]!;
      const link = unsubscribeLinkOf(email);
      expect(link).to.match(/\/unsubscribe\/[0-9a-f]{24}\/daily-digest\//);
      expect(emailPart(email, 'text/plain')).to.include(`Stop these emails: ${link}\n`);
      const path = link.replace('http://pathways.test', '');

      const ask = await supertest(app).get(path).expect(200);
      expect(ask.text).to.include('Stop receiving the daily digest from Pathways?');
      expect(ask.text).to.include('Module due soon').and.include('Certificate expiry');
      expect(ask.text).to.include('<button type="submit" class="button">Unsubscribe</button>');
      expect((await UserModel.findById(user._id).lean())!.mutedKinds).to.deep.equal([]);

      const done = await supertest(app).post(path).type('form').send('List-Unsubscribe=One-Click').expect(200);
      expect(done.text).to.include('You will no longer receive the daily digest.');
      const muted = (await UserModel.findById(user._id).lean())!.mutedKinds;
      expect(muted).to.include.members(['module-due', 'module-overdue', 'certificate-expiring', 'survey-invitation']);
      expect(muted).to.not.include('session-reminder').and.not.include('invitation').and.not.include('password-reset');

      // The overdue nudge (21 May) is skipped, not bundled: no digest follows.
      const report = await runDueNotifications({ now: new Date('2027-05-21T10:00:00Z') });
      expect(report).to.include({ sent: 0, bundled: 0 });
      await runDueNotifications({ now: new Date('2027-05-22T07:00:00Z') });
      expect(sink.received).to.have.length(1);
    });

    it('what was bundled before she unsubscribed is not sent in a digest after', async () => {
      const { user, digestAt } = await digestOfTwoNudges(['Module 1', 'Module 2']);
      const digest = await NotificationModel.findOne({ kind: 'daily-digest', userId: user._id }).lean();
      expect(digest).to.not.equal(null);
      // Her link, as in any digest she received before.
      await supertest(app)
        .post(unsubscribePath(String(user._id), 'daily-digest'))
        .expect(200);
      const report = await runDueNotifications({ now: digestAt });
      expect(report).to.include({ sent: 0, skipped: 1 });
      expect(sink.received).to.have.length(0);
      // The two nudges it gathered are not left "bundled" into a digest that never went: each is skipped, and says why.
      await settleNotifications({ now: digestAt });
      const nudges = await NotificationModel.find({ userId: user._id, kind: 'module-due' }).lean();
      expect(nudges).to.have.length(2);
      for (const nudge of nudges) {
        expect(nudge.status).to.equal('skipped');
        expect(nudge.skipReason).to.equal('Left out of the daily digest: she turned this kind of email off.');
      }
    });

    it('a forged digest link is a 404 and turns nothing off', async () => {
      const user = await buildUser();
      const res = await supertest(app).post(`/unsubscribe/${user.id}/daily-digest/forged-signature`).expect(404);
      expect(res.text).to.include('This unsubscribe link is not valid');
      await supertest(app).get(`/unsubscribe/${user.id}/daily-digest/forged-signature`).expect(404);
      expect((await UserModel.findById(user.id).lean())!.mutedKinds).to.deep.equal([]);
    });
  });
});
