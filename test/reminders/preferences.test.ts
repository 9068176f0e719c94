import { expect } from 'chai';
import supertest from 'supertest';
import { NotificationModel, notificationKinds } from '../../models/Notification.ts';
import { UserModel } from '../../models/User.ts';
import { closeMailer, configureMailer } from '../../server/mailer.ts';
import {
  planModuleNudges,
  planSessionReminders,
  runDueNotifications,
  settleNotifications,
} from '../../server/services/reminders/index.ts';
import { isBundleableKind, kindInfo } from '../../server/services/reminders/kinds.ts';
import { presentNotifications, resendNotification } from '../../server/services/reminders/queries.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { startSmtpSink } from '../support/smtp.ts';
import { buildCohortWithSession } from '../support/remindersFactories.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ModuleModel } from '../../models/Module.ts';

const minutes = (n: number) => n * 60_000;

describe('reminders: preferences, one-click unsubscribe and the notifications API', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  before(async () => {
    app = testApp();
    sink = await startSmtpSink();
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
  });
  after(async () => {
    closeMailer();
    await sink.stop();
  });
  beforeEach(() => {
    sink.received.length = 0;
  });

  it('the List-Unsubscribe link works as a one-click POST without sign-in or CSRF token, and the next reminder of that kind is skipped', async () => {
    const startsAt = new Date('2027-03-10T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt });
    await planSessionReminders({ now: new Date('2027-03-01T00:00:00Z') });
    await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(1440)) });
    const link = /^<http:\/\/pathways\.test(\/unsubscribe\/[^>]+)>$/.exec(
      sink.received[0]!.headers['list-unsubscribe']!,
    )![1]!;
    // A GET (as a link scanner would) changes nothing.
    await supertest(app).get(link).expect(200);
    expect((await UserModel.findById(users[0]!._id).lean())!.mutedKinds).to.deep.equal([]);
    await supertest(app).post(link).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect((await UserModel.findById(users[0]!._id).lean())!.mutedKinds).to.deep.equal(['session-reminder']);
    const report = await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(60)) });
    expect(report).to.include({ sent: 0, skipped: 1 });
    expect(sink.received).to.have.length(1);
  });

  it('a forged or altered unsubscribe link is a 404 and mutes nothing; security kinds cannot be unsubscribed', async () => {
    const user = await buildUser();
    await supertest(app).post(`/unsubscribe/${user.id}/session-reminder/forged-signature`).expect(404);
    await supertest(app).post(`/unsubscribe/${user.id}/password-reset/abc`).expect(404);
    await supertest(app).post('/unsubscribe/not-an-id/session-reminder/abc').expect(404);
    // Every other form still needs its CSRF token.
    await supertest(app).post('/account/notifications').type('form').send('emailDigest=daily').expect(403);
    expect((await UserModel.findById(user.id).lean())!.mutedKinds).to.deep.equal([]);
  });

  it('on the email settings page she turns kinds off and chooses a daily digest; security emails stay on', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const page = await agent.get('/account/notifications').expect(200);
    expect(page.text).to.include('Password reset links');
    await agent
      .post('/account/notifications')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(csrfFrom(page.text))}&kinds=session-reminder&kinds=password-reset&emailDigest=daily&digestWeekday=3`,
      )
      .expect(303);
    const saved = (await UserModel.findById(user.id).lean())!;
    expect(saved.emailDigest).to.equal('daily');
    expect(saved.mutedKinds)
      .to.include('module-due')
      .and.not.include('session-reminder')
      .and.not.include('password-reset')
      .and.not.include('invitation');
    const bad = await agent
      .post('/account/notifications')
      .type('form')
      .send(`_csrf=${encodeURIComponent(csrfFrom(page.text))}&emailDigest=weekly`)
      .expect(422);
    expect(bad.text).to.include('Choose single emails or a daily digest');
  });

  it('settings refused for one field come back with her ticks and choices as she sent them, not as saved', async () => {
    const user = await buildUser({ roles: ['facilitator'] });
    const agent = await signIn(app, user.email, testPassword);
    const page = await agent.get('/account/notifications').expect(200);
    const bad = await agent
      .post('/account/notifications')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(csrfFrom(page.text))}&kinds=session-reminder&kinds=password-reset&emailDigest=daily&digestWeekday=9`,
      )
      .expect(422);
    const box = (kind: string) => new RegExp(`<input type="checkbox" id="kind-${kind}"[^>]*>`).exec(bad.text)![0];
    expect(box('session-reminder')).to.include(' checked');
    expect(box('module-due')).to.not.include(' checked');
    expect(bad.text).to.match(/<input type="radio" id="digest-daily" name="emailDigest" value="daily" checked/);
    expect(bad.text).to.not.match(/id="digest-single"[^>]* checked/);
    const saved = (await UserModel.findById(user.id).lean())!;
    expect(saved.emailDigest ?? 'single').to.equal('single');
    expect(saved.mutedKinds ?? []).to.deep.equal([]);
  });

  it('when her delivery choice is refused, the error summary links to the choice’s first radio, whose group is described by the message, and nothing is saved', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const page = await agent.get('/account/notifications').expect(200);
    expect(page.text).to.include('<fieldset id="field-emailDigest">');
    const bad = await agent
      .post('/account/notifications')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(csrfFrom(page.text))}&kinds=session-reminder&emailDigest=weekly&digestWeekday=1`,
      )
      .expect(422);
    const link = /<div class="error-summary"[\s\S]*?<a href="#([^"]+)">([^<]*)<\/a>/.exec(bad.text)!;
    // To the group's first radio: a fieldset takes no focus, so a link to it would leave focus nowhere.
    expect(link.slice(1)).to.deep.equal([
      'digest-single',
      'How to receive them: Choose single emails or a daily digest.',
    ]);
    const group = /<fieldset id="field-emailDigest"([^>]*)>([\s\S]*?)<\/fieldset>/.exec(bad.text)!;
    expect(bad.text.match(/id="field-emailDigest"/g)).to.have.length(1);
    expect(group[1]).to.include('aria-describedby="field-emailDigest-error"');
    expect(group[2])
      .to.match(/<p class="error-message" id="field-emailDigest-error">.*Choose single emails or a daily digest\.<\/p>/)
      .and.to.include('name="emailDigest" value="single"')
      .and.to.include('name="emailDigest" value="daily"');
    const saved = (await UserModel.findById(user.id).lean())!;
    expect(saved.mutedKinds).to.deep.equal([]);
    expect(saved.emailDigest ?? 'single').to.equal('single');
  });

  it('the email settings page gives the digest times as 08:00 in her own zone, and names it', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'], timezone: 'America/Toronto' });
    const page = await (await signIn(app, facilitator.email, testPassword)).get('/account/notifications').expect(200);
    expect(page.text).to.include('Times on this page and in your emails are in your time zone, America/Toronto.');
    expect(page.text).to.include('One daily digest at 08:00 your time');
    expect(page.text).to.include('Day of your weekly cohort digest (at 08:00 your time)');
  });

  it('the daily digest choice names every kind the digest holds, and every kind that still comes at once', async () => {
    const reader = await buildUser();
    const page = await (await signIn(app, reader.email, testPassword)).get('/account/notifications').expect(200);
    const hint = page.text.split('id="digest-daily-hint">')[1]!.split('</p>')[0]!;
    const [waits = '', later = ''] = hint.split('Always at once:');
    const atOnce = later.split('On their own weekday')[0]!;
    for (const kind of notificationKinds.filter(isBundleableKind)) expect(waits, kind).to.include(kindInfo[kind].label);
    for (const kind of notificationKinds.filter((k) => kindInfo[k].urgent || kindInfo[k].security)) {
      expect(atOnce, kind).to.include(kindInfo[kind].label);
      expect(waits, kind).to.not.include(kindInfo[kind].label);
    }
  });

  it('with a daily digest, module nudges wait and arrive together in one email at 08:00 her time', async () => {
    const { cohort, users, modules } = await dailyDigestReader('Europe/London', 2);
    await CohortModel.updateOne(
      { _id: cohort._id },
      { $set: { moduleDueDates: modules.map((m) => ({ moduleId: m._id, dueOn: '2027-05-20' })) } },
    );
    await planModuleNudges({ cohortId: cohort._id });
    // Nudges due at 09:00 on 17 May; the job bundles them, the digest goes at 08:00 the next morning.
    const report = await runDueNotifications({ now: new Date('2027-05-17T08:00:00Z') });
    expect(report.bundled).to.equal(2);
    expect(sink.received).to.have.length(0);
    expect((await runDueNotifications({ now: new Date('2027-05-18T06:59:00Z') })).sent).to.equal(0);
    expect((await runDueNotifications({ now: new Date('2027-05-18T07:00:00Z') })).sent).to.equal(1);
    expect(sink.received).to.have.length(1);
    expect(sink.received[0]!.subject).to.equal('Your Pathways digest: 2 updates');
    expect(sink.received[0]!.raw).to.include('Module 1').and.include('Module 2');
    const auth = {
      Authorization: `Bearer ${await tokenFor({ id: String(users[0]!._id), email: users[0]!.email, name: '', roles: ['participant'], timezone: 'Europe/London' })}`,
    };
    const mine = await supertest(app).get('/api/v1/me/notifications').set(auth).expect(200);
    const nudges = mine.body.items.filter((n: { kind: string }) => n.kind === 'module-due');
    expect(nudges.map((n: { status: string }) => n.status)).to.deep.equal(['sent', 'sent']);
    expect(mine.body.items.some((n: { kind: string }) => n.kind === 'daily-digest')).to.equal(false);
    expect(Object.keys(mine.body.items[0]).sort()).to.deep.equal([
      'about',
      'id',
      'kind',
      'sendAt',
      'sentAt',
      'status',
      'subject',
    ]);
  });

  it("after she moves from Sydney to London, what falls due before London's 08:00 goes in the next digest, never into the one Sydney's 08:00 already sent", async () => {
    const { cohort, users, modules } = await dailyDigestReader('Australia/Sydney', 2);
    await CohortModel.updateOne(
      { _id: cohort._id },
      {
        $set: {
          // A Sydney cohort: its due days are hers, so each nudge comes 3 of her days before.
          timezone: 'Australia/Sydney',
          moduleDueDates: [
            { moduleId: modules[0]!._id, dueOn: '2027-05-20' },
            { moduleId: modules[1]!._id, dueOn: '2027-05-21' },
          ],
        },
      },
    );
    await planModuleNudges({ cohortId: cohort._id });
    // Module 1's nudge (17 May, 09:00 in Sydney) waits for her digest of 18 May, 08:00 in Sydney (17 May 22:00 UTC).
    expect((await runDueNotifications({ now: new Date('2027-05-16T23:00:00Z') })).bundled).to.equal(1);
    expect((await runDueNotifications({ now: new Date('2027-05-17T22:00:00Z') })).sent).to.equal(1);
    expect(sink.received[0]!.raw).to.include('Module 1');
    // She moves to London, where it is 18 May just after midnight; Module 2's nudge falls due.
    await UserModel.updateOne({ _id: users[0]!._id }, { $set: { timezone: 'Europe/London' } });
    expect((await runDueNotifications({ now: new Date('2027-05-17T23:00:00Z') })).bundled).to.equal(1);
    sink.received.length = 0;
    for (const at of ['2027-05-18T07:00:00Z', '2027-05-19T07:00:00Z']) await runDueNotifications({ now: new Date(at) });
    expect(sink.received).to.have.length(1);
    expect(sink.received[0]!.raw).to.include('Module 2');
    await settleNotifications({ now: new Date('2027-05-19T07:01:00Z') });
    const nudge = await NotificationModel.findOne({
      kind: 'module-due',
      userId: users[0]!._id,
      'about.id': String(modules[1]!._id),
    }).lean();
    expect(nudge!.status).to.equal('sent');
  });

  it('a digest not sent because her account was disabled meanwhile settles what it held as skipped, not "scheduled" for ever', async () => {
    const { users, userId } = await dailyDigestReaderWithNudge('2027-06-20', '2027-06-17T08:00:00Z');
    await UserModel.updateOne({ _id: users[0]!._id }, { $set: { status: 'disabled' } });
    const at = new Date('2027-06-18T07:00:00Z');
    expect((await runDueNotifications({ now: at })).sent).to.equal(0);
    expect(sink.received).to.have.length(0);
    await settleNotifications({ now: at });
    const [nudge] = await presentNotifications({ userId, kind: 'module-due', now: at });
    expect(nudge).to.include({ status: 'skipped' });
    expect(nudge!.skipReason).to.match(/no active account/);
  });

  it('a digest her mail server refuses for good (550) shows what it held as failed, with the reason, not "scheduled" for ever', async () => {
    const { users, userId } = await dailyDigestReaderWithNudge('2027-07-20', '2027-07-17T08:00:00Z');
    sink.state.unknownMailboxes = [users[0]!.email];
    try {
      const at = new Date('2027-07-18T07:00:00Z');
      expect((await runDueNotifications({ now: at })).failed).to.equal(1);
      await settleNotifications({ now: at });
      const [nudge] = await presentNotifications({ userId, kind: 'module-due', now: at });
      expect(nudge).to.include({ status: 'failed' });
      expect(nudge!.lastError).to.match(/User unknown/);
      // Her address fixed, an admin sends it again: it waits for her next digest and goes in it, once.
      sink.state.unknownMailboxes = [];
      const later = new Date(at.getTime() + minutes(60));
      await resendNotification({ id: nudge!.id, now: later });
      expect((await runDueNotifications({ now: later })).bundled).to.equal(1);
      expect((await runDueNotifications({ now: new Date('2027-07-19T07:00:00Z') })).sent).to.equal(1);
      expect(sink.received.map((e) => e.subject)).to.deep.equal(['Your Pathways digest: 1 update']);
      await settleNotifications({ now: new Date('2027-07-19T07:01:00Z') });
      const [resent] = await presentNotifications({
        userId,
        kind: 'module-due',
        now: new Date('2027-07-19T07:01:00Z'),
      });
      expect(resent).to.include({ status: 'sent' });
    } finally {
      sink.state.unknownMailboxes = [];
    }
  });

  it("admins list anyone's notifications by user and kind; others get 403; bad filters are 422", async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const participant = await buildUser();
    const adminAuth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    const someone = await NotificationModel.findOne({ kind: 'session-reminder' }).lean();
    const res = await supertest(app)
      .get(`/api/v1/notifications?userId=${String(someone!.userId)}&kind=session-reminder`)
      .set(adminAuth)
      .expect(200);
    expect(res.body.items.length).to.be.greaterThan(0);
    expect(res.body.items.every((n: { kind: string }) => n.kind === 'session-reminder')).to.equal(true);
    await supertest(app)
      .get('/api/v1/notifications')
      .set({ Authorization: `Bearer ${await tokenFor(participant)}` })
      .expect(403);
    await supertest(app).get('/api/v1/notifications?kind=newsletter').set(adminAuth).expect(422);
    await supertest(app).get('/api/v1/notifications?userId[$ne]=x').set(adminAuth).expect(422);
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get('/admin/notifications?kind=session-reminder').expect(200);
    expect(page.text).to.include('session-reminder');
    // A recipient the filter cannot read lists nothing (not every notification), with its error at its field.
    const refused = await agent.get(`/admin/notifications?email=${'a'.repeat(321)}`).expect(422);
    expect(refused.text).to.include('id="field-email"').and.include('aria-invalid="true"');
    expect(refused.text).to.not.include('<span class="badge');
    await agent.get('/admin/jobs').expect(200);
  });

  it('the admin page\'s "Send again" buttons each name the notification they resend, for a list of buttons read out of the table', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [ada, bea] = [await buildUser({ email: 'ada@example.org' }), await buildUser({ email: 'bea@example.org' })];
    await NotificationModel.insertMany(
      [ada, bea].map((reader, i) => ({
        key: `failed-test:${reader.id}`,
        userId: reader.id,
        kind: 'session-reminder',
        about: { type: 'session', id: `s${i}` },
        sendAt: new Date(Date.now() - 60_000),
        eventAt: new Date(Date.now() + 3_600_000),
        status: 'failed',
        attempts: 5,
        lastError: '550 mailbox unavailable',
        subject: `Reminder ${i}`,
      })),
    );
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get('/admin/notifications?status=failed').expect(200);
    const names = [...page.text.matchAll(/<button[^>]*>(Send again.*?)<\/button>/gs)].map((m) =>
      m[1]!
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    );
    // The table's caption tells a screen reader how many a page holds, as the page holds them.
    expect(page.text).to.match(
      /<caption id="table-caption-\d+" class="visually-hidden">Notifications, latest send time first \(100 a page\)<\/caption>/,
    );
    expect(names).to.have.members([
      'Send again Reminder 0 to ada@example.org',
      'Send again Reminder 1 to bea@example.org',
    ]);
  });

  it('"Send again" pressed twice (a double-click, a page left open) returns to the list saying why the second did nothing, not an error page', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const reader = await buildUser();
    const [failed] = await NotificationModel.insertMany([
      {
        key: `resend-twice:${reader.id}`,
        userId: reader.id,
        kind: 'session-reminder',
        about: { type: 'session', id: 's1' },
        sendAt: new Date(Date.now() - 60_000),
        eventAt: new Date(Date.now() + 3_600_000),
        status: 'failed',
        attempts: 5,
        lastError: '550 mailbox unavailable',
        subject: 'Reminder to resend',
      },
    ]);
    const agent = await signIn(app, admin.email, testPassword);
    const list = await agent.get('/admin/notifications?status=failed').expect(200);
    const press = () =>
      agent
        .post(`/admin/notifications/${String(failed!._id)}/resend`)
        .type('form')
        .send({ _csrf: csrfFrom(list.text) });
    expect((await press()).status).to.equal(303);
    const again = await press();
    expect(again.status).to.equal(303);
    expect(again.headers.location).to.equal('/admin/notifications?status=failed');
    const back = await agent.get(again.headers.location as string).expect(200);
    expect(back.text).to.match(/role="alert"[^>]*>Only a failed notification can be sent again/);
    // A refusal said after a redirect is still a refusal: the title says so and the message takes focus on load (an
    // alert already on the page when it loads is not reliably read out).
    expect(back.text).to.include('<title>Error: Notifications · Pathways</title>');
    expect(back.text).to.match(
      /<div class="flash flash-error" role="alert" tabindex="-1" data-focus-on-load autofocus>/,
    );
    const later = await agent.get('/admin/notifications?status=failed').expect(200);
    expect(later.text).to.include('<title>Notifications · Pathways</title>');
    expect(await NotificationModel.countDocuments({ key: `resend-twice:${reader.id}`, status: 'scheduled' })).to.equal(
      1,
    );
  });

  it('notification lists page with an opaque cursor (limit 1–200): nobody repeated or skipped, even with equal send times and a status filter', async () => {
    const reader = await buildUser();
    const admin = await buildUser({ roles: ['admin'] });
    const base = Date.now() + minutes(600);
    const sendTimes = [0, 10, 10, 10, 20, 30, 40];
    await NotificationModel.insertMany(
      sendTimes.map((m, i) => ({
        key: `paging-test:${reader.id}:${i}`,
        userId: reader.id,
        kind: 'session-reminder',
        about: { type: 'session', id: `s${i}` },
        sendAt: new Date(base + minutes(m)),
        eventAt: new Date(base + minutes(m + 60)),
        status: i % 3 === 0 ? 'cancelled' : 'scheduled',
        subject: `Reminder ${i}`,
      })),
    );
    const readAll = async (path: string, auth: Record<string, string>) => {
      const seen: { id: string; sendAt: string; status: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: supertest.Response = await supertest(app)
          .get(`${path}${cursor ? `&cursor=${cursor}` : ''}`)
          .set(auth)
          .expect(200);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 20);
      return { seen, pages };
    };
    const own = await readAll('/api/v1/me/notifications?limit=3', {
      Authorization: `Bearer ${await tokenFor(reader)}`,
    });
    expect(own.pages).to.equal(3);
    expect(new Set(own.seen.map((n) => n.id)).size).to.equal(7);
    expect(own.seen.map((n) => n.sendAt)).to.deep.equal([...own.seen.map((n) => n.sendAt)].sort().reverse());

    const adminAuth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    const cancelled = await readAll(`/api/v1/notifications?userId=${reader.id}&status=cancelled&limit=1`, adminAuth);
    expect(cancelled.seen.map((n) => n.status)).to.deep.equal(['cancelled', 'cancelled', 'cancelled']);
    expect(new Set(cancelled.seen.map((n) => n.id)).size).to.equal(3);

    await supertest(app).get('/api/v1/me/notifications?cursor=not-a-cursor').set(adminAuth).expect(422);
    await supertest(app).get('/api/v1/me/notifications?limit=201').set(adminAuth).expect(422);
  });
});

/** A cohort of one participant in `zone` who reads a daily digest, and `count` modules of its programme (no due dates). */
async function dailyDigestReader(zone: string, count: number) {
  const { cohort, users } = await buildCohortWithSession({
    startsAt: new Date('2027-12-01T10:00:00Z'),
    participants: 1,
    participantZone: zone,
  });
  await UserModel.updateOne({ _id: users[0]!._id }, { $set: { emailDigest: 'daily' } });
  const modules = await ModuleModel.insertMany(
    Array.from({ length: count }, (_, i) => ({
      programmeId: cohort.programmeId,
      title: `Module ${i + 1}`,
      body: 'Read this.',
      estimatedMinutes: 30,
      completion: { type: 'view' },
      position: i + 1,
    })),
  );
  return { cohort, users, modules };
}

/**
 * A participant in London who reads a daily digest, with a module due on `dueOn` whose nudge, planned and due at
 * `bundledAt`, has gone into her next digest.
 */
async function dailyDigestReaderWithNudge(dueOn: string, bundledAt: string) {
  const { cohort, users, modules } = await dailyDigestReader('Europe/London', 1);
  await CohortModel.updateOne(
    { _id: cohort._id },
    { $set: { moduleDueDates: [{ moduleId: modules[0]!._id, dueOn }] } },
  );
  await planModuleNudges({ cohortId: cohort._id });
  expect((await runDueNotifications({ now: new Date(bundledAt) })).bundled).to.equal(1);
  return { users, userId: String(users[0]!._id) };
}
