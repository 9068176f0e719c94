import type { Types } from 'mongoose';
import { expect } from 'chai';
import ical from 'node-ical';
import { NotificationModel } from '../../models/Notification.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { UserModel } from '../../models/User.ts';
import {
  planSessionReminders,
  runDueNotifications,
  sessionCancelled,
  sessionRescheduled,
  settleNotifications,
} from '../../server/services/reminders/index.ts';
import { presentNotifications, resendNotification } from '../../server/services/reminders/queries.ts';
import { sendInvitation, sendPasswordReset } from '../../server/services/users.ts';
import { confirmEmailChange, requestEmailChange } from '../../server/services/accounts/credentials.ts';
import { ValidationError } from '../../server/errors.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { configureMailer } from '../../server/mailer.ts';
import '../../server/subscriptions.ts';
import { rescheduleSession } from '../../server/services/cohorts/sessions.ts';
import { sessionCalendar } from '../../server/services/reminders/sessions.ts';
import { settings } from '../../server/settings.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { useSmtpSink } from '../support/smtp.ts';
import { buildCohortWithSession } from '../support/remindersFactories.ts';
import { buildUser, testPassword } from '../support/factories.ts';

const minutes = (n: number) => n * 60_000;

/** Moves a session as the sessions area does (its history names the time before), and lets the reminders know. */
async function moveSession(sessionId: Types.ObjectId, to: Date, now: Date): Promise<void> {
  const previous = (await CohortSessionModel.findById(sessionId).lean())!;
  await CohortSessionModel.updateOne(
    { _id: sessionId },
    {
      $set: { startsAt: to },
      $push: { history: { at: now, change: 'rescheduled', previousStartsAt: previous.startsAt } },
    },
  );
  await sessionRescheduled({ sessionId, now });
}

describe("reminders: what is due, sent once, on time, in the reader's zone", () => {
  useTestDatabase();
  const sink = useSmtpSink();
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
    sink.state.refuse = false;
  });

  it('sends the 24-hour and the 1-hour reminder each at its time, with the time in her zone (named), the join link and the .ics', async () => {
    const startsAt = new Date('2027-03-10T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt });
    await planSessionReminders({ now: new Date('2027-03-01T00:00:00Z') });
    expect(await NotificationModel.countDocuments({ kind: 'session-reminder' })).to.equal(2);

    expect((await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(1441)) })).sent).to.equal(0);
    const first = await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(1440) + 5_000) });
    expect(first.sent).to.equal(1);
    expect(sink.received).to.have.length(1);
    const email = sink.received[0]!;
    expect(email.to).to.deep.equal([users[0]!.email]);
    // 18:00 UTC is 13:00 in Toronto (EST), and the zone is named.
    expect(email.raw).to.include('13:00 EST (America/Toronto)');
    expect(email.raw).to.include('https://meet.example.org/abc');
    expect(email.raw).to.match(/Content-Type: text\/calendar/i);
    expect(email.raw).to.include(Buffer.from('BEGIN:VCALENDAR').toString('base64').slice(0, 16));
    expect(email.headers['list-unsubscribe']).to.match(
      /^<http:\/\/pathways\.test\/unsubscribe\/[0-9a-f]{24}\/session-reminder\/[A-Za-z0-9_-]+>$/,
    );
    expect(email.headers['list-unsubscribe-post']).to.equal('List-Unsubscribe=One-Click');

    expect((await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(61)) })).sent).to.equal(0);
    expect((await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(60)) })).sent).to.equal(1);
    expect(sink.received).to.have.length(2);
    expect((await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(1)) })).sent).to.equal(0);
    const listed = await presentNotifications({
      userId: String(users[0]!._id),
      now: new Date(startsAt.getTime() - minutes(1)),
    });
    expect(listed.map((n) => n.status)).to.deep.equal(['sent', 'sent']);
  });

  it('after downtime, only the latest due reminder of an event is sent (the 24-hour one is skipped), and nothing for an event already past', async () => {
    const startsAt = new Date('2027-03-10T18:00:00Z');
    await buildCohortWithSession({ startsAt, participants: 3 });
    await planSessionReminders({ now: new Date('2027-03-01T00:00:00Z') });
    const report = await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(30)) });
    expect(report).to.include({ sent: 3, skipped: 3 });
    expect(sink.received).to.have.length(3);
    // Sent 30 minutes before (after downtime), it says so rather than "in one hour".
    expect(sink.received.every((e) => / in 30 minutes$/.test(e.subject))).to.equal(true);

    await clearDatabase();
    sink.received.length = 0;
    const past = new Date('2027-04-10T18:00:00Z');
    await buildCohortWithSession({ startsAt: past, participants: 2 });
    await planSessionReminders({ now: new Date('2027-04-01T00:00:00Z') });
    const late = await runDueNotifications({ now: new Date(past.getTime() + minutes(5)) });
    expect(late).to.include({ sent: 0, skipped: 4 });
    expect(sink.received).to.have.length(0);
    await settleNotifications({ now: new Date(past.getTime() + minutes(5)) });
    expect(await NotificationModel.countDocuments({ status: 'skipped' })).to.equal(4);
  });

  it('when the job runs twice at the same moment, each reminder is sent once', async () => {
    const startsAt = new Date('2027-05-10T18:00:00Z');
    await buildCohortWithSession({ startsAt, participants: 20, offsets: [60] });
    await planSessionReminders({ now: new Date('2027-05-01T00:00:00Z') });
    const now = new Date(startsAt.getTime() - minutes(60));
    const [a, b, c] = await Promise.all([
      runDueNotifications({ now, batchSize: 7 }),
      runDueNotifications({ now, batchSize: 5 }),
      runDueNotifications({ now }),
    ]);
    expect(a.sent + b.sent + c.sent).to.equal(20);
    expect(sink.received).to.have.length(20);
    expect(new Set(sink.received.map((e) => e.to[0])).size).to.equal(20);
    expect((await runDueNotifications({ now })).sent).to.equal(0);
  });

  it('when the SMTP server refuses for ten minutes, the reminder is retried with backoff and delivered once it accepts', async () => {
    const startsAt = new Date('2027-06-10T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt, offsets: [120] });
    await planSessionReminders({ now: new Date('2027-06-01T00:00:00Z') });
    const t0 = new Date(startsAt.getTime() - minutes(120));
    sink.state.refuse = true;
    let failures = 0;
    for (let m = 0; m <= 10; m += 1)
      failures += (await runDueNotifications({ now: new Date(t0.getTime() + minutes(m)) })).failed;
    expect(failures).to.be.within(3, 6); // 30 s, 1, 2, 4 min … backoff, not every run
    expect(sink.received).to.have.length(0);
    const [pending] = await presentNotifications({
      userId: String(users[0]!._id),
      now: new Date(t0.getTime() + minutes(10)),
    });
    expect(pending).to.include({ status: 'scheduled' });
    sink.state.refuse = false;
    let sent = 0;
    for (let m = 11; m <= 30 && !sent; m += 1)
      sent += (await runDueNotifications({ now: new Date(t0.getTime() + minutes(m)) })).sent;
    expect(sent).to.equal(1);
    expect(sink.received).to.have.length(1);
  });

  it('a reminder that keeps failing ends "failed" after a bounded number of attempts, visible with its error', async () => {
    const startsAt = new Date('2027-07-10T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt, offsets: [24 * 60 * 5] });
    await planSessionReminders({ now: new Date('2027-07-01T00:00:00Z') });
    sink.state.refuse = true;
    let t = new Date(startsAt.getTime() - minutes(24 * 60 * 5));
    for (let i = 0; i < 12; i++) {
      await runDueNotifications({ now: t });
      t = new Date(t.getTime() + minutes(65));
    }
    const [n] = await presentNotifications({ userId: String(users[0]!._id), now: t });
    expect(n).to.include({ status: 'failed', attempts: 8 });
    expect(n!.lastError).to.match(/Try again later/);
    // An admin sends it again once the server is back.
    sink.state.refuse = false;
    await resendNotification({ id: n!.id, now: t });
    expect((await runDueNotifications({ now: t })).sent).to.equal(1);
    expect(sink.received).to.have.length(1);
  });

  it('a mailbox the mail server says does not exist (550) is not tried again: failed at once, with its reason', async () => {
    const startsAt = new Date('2027-07-22T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt, offsets: [120] });
    await planSessionReminders({ now: new Date('2027-07-01T00:00:00Z') });
    const t0 = new Date(startsAt.getTime() - minutes(120));
    sink.state.unknownMailboxes = [users[0]!.email];
    try {
      expect((await runDueNotifications({ now: t0 })).failed).to.equal(1);
      expect((await runDueNotifications({ now: new Date(t0.getTime() + minutes(5)) })).due).to.equal(0);
      await settleNotifications({ now: new Date(t0.getTime() + minutes(5)) });
      const [n] = await presentNotifications({ userId: String(users[0]!._id), now: t0 });
      expect(n).to.include({ status: 'failed', attempts: 1 });
      expect(n!.lastError).to.match(/User unknown/);
    } finally {
      sink.state.unknownMailboxes = [];
    }
  });

  it('while the mail server refuses the app’s sign-in (535: a wrong SMTP password), reminders wait and go once it is fixed, not fail for good', async () => {
    const startsAt = new Date('2027-07-20T18:00:00Z');
    await buildCohortWithSession({ startsAt, participants: 2, offsets: [120] });
    await planSessionReminders({ now: new Date('2027-07-01T00:00:00Z') });
    const t0 = new Date(startsAt.getTime() - minutes(120));
    const withCredentials = sink.url.replace('smtp://', 'smtp://pathways:secret@');
    try {
      configureMailer({ smtpUrl: withCredentials, from: 'Pathways <no-reply@pathways.test>' });
      sink.state.refuseAuth = true;
      expect((await runDueNotifications({ now: t0 })).failed).to.equal(2);
      sink.state.refuseAuth = false; // the operator fixes the password
      let sent = 0;
      for (let m = 1; m <= 10 && sent < 2; m += 1)
        sent += (await runDueNotifications({ now: new Date(t0.getTime() + minutes(m)) })).sent;
      expect(sent).to.equal(2);
      expect(sink.received).to.have.length(2);
    } finally {
      sink.state.refuseAuth = false;
      configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
    }
  });

  it('rescheduling moves the reminders; several edits within ten minutes make one change notice; cancelling sends one cancellation', async () => {
    const startsAt = new Date('2027-08-10T18:00:00Z');
    const { session } = await buildCohortWithSession({ startsAt, participants: 2 });
    const now = new Date('2027-08-01T09:00:00Z');
    await planSessionReminders({ now });
    for (const [i, shift] of [60, 120, 180].entries()) {
      const previous = (await CohortSessionModel.findById(session._id).lean())!;
      await CohortSessionModel.updateOne(
        { _id: session._id },
        {
          $set: { startsAt: new Date(startsAt.getTime() + minutes(shift)) },
          $push: {
            history: {
              at: now,
              change: 'rescheduled',
              previousStartsAt: previous.startsAt,
              previousDurationMinutes: 90,
            },
          },
        },
      );
      await sessionRescheduled({ sessionId: session._id, now: new Date(now.getTime() + minutes(i * 3)) });
    }
    const reminders = await NotificationModel.find({ kind: 'session-reminder', status: 'scheduled' }).lean();
    expect(reminders).to.have.length(4);
    expect(reminders.every((r) => r.eventAt!.getTime() === startsAt.getTime() + minutes(180))).to.equal(true);
    expect(await NotificationModel.countDocuments({ kind: 'session-changed' })).to.equal(2);
    await runDueNotifications({ now: new Date(now.getTime() + minutes(20)) });
    expect(sink.received.map((e) => e.subject)).to.deep.equal([
      'Changed: Leading difficult conversations',
      'Changed: Leading difficult conversations',
    ]);
    expect(sink.received[0]!.raw).to.include('It was planned for');

    await CohortSessionModel.updateOne({ _id: session._id }, { $set: { status: 'cancelled' } });
    await sessionCancelled({ sessionId: session._id, now: new Date(now.getTime() + minutes(30)) });
    expect(await NotificationModel.countDocuments({ kind: 'session-reminder', status: 'scheduled' })).to.equal(0);
    await runDueNotifications({ now: new Date(now.getTime() + minutes(31)) });
    await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(30)) });
    expect(sink.received.map((e) => e.subject).filter((s) => s.startsWith('Cancelled'))).to.have.length(2);
    expect(sink.received).to.have.length(4);
  });

  it('a session moved a little after its reminder went is not reminded of again (the change notice tells the new time); moved further, it is', async () => {
    const startsAt = new Date('2027-08-10T18:00:00Z');
    const { session } = await buildCohortWithSession({ startsAt });
    await planSessionReminders({ now: new Date('2027-08-01T09:00:00Z') });
    // The day before, 23 hours ahead: the 24-hour reminder goes.
    const dayBefore = new Date(startsAt.getTime() - minutes(23 * 60));
    expect((await runDueNotifications({ now: dayBefore })).sent).to.equal(1);
    const moveTo = (to: Date, now: Date) => moveSession(session._id, to, now);
    // Ten seconds later it moves 15 minutes: its new 24-hour reminder is due at once, and is skipped.
    await moveTo(new Date(startsAt.getTime() + minutes(15)), new Date(dayBefore.getTime() + 10_000));
    await runDueNotifications({ now: new Date(dayBefore.getTime() + 20_000) });
    const subjects = () => sink.received.map((e) => e.subject);
    expect(subjects().filter((s) => s.startsWith('Reminder'))).to.have.length(1);
    await settleNotifications({ now: new Date(dayBefore.getTime() + 30_000) });
    const skipped = await NotificationModel.findOne({ kind: 'session-reminder', status: 'skipped' }).lean();
    expect(skipped!.skipReason).to.include('reminded of this session at its earlier time');
    await runDueNotifications({ now: new Date(dayBefore.getTime() + minutes(11)) });
    expect(subjects().filter((s) => s.startsWith('Changed'))).to.have.length(1);

    // Moved to two days later, the new 24-hour reminder falls after the one she had: it goes, the day before.
    const later = new Date(startsAt.getTime() + minutes(2 * 24 * 60));
    await moveTo(later, new Date(dayBefore.getTime() + minutes(30)));
    await runDueNotifications({ now: new Date(later.getTime() - minutes(1440) + 5_000) });
    expect(subjects().filter((s) => s.startsWith('Reminder'))).to.have.length(2);
  });

  it('a session moved 15 minutes later just after its hour-before reminder went on time is not reminded of again; moved 3 hours later, it is', async () => {
    const startsAt = new Date('2027-08-10T18:00:00Z');
    const { session } = await buildCohortWithSession({ startsAt });
    await planSessionReminders({ now: new Date('2027-08-01T09:00:00Z') });
    await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(24 * 60)) });
    const hourBefore = new Date(startsAt.getTime() - minutes(60));
    await runDueNotifications({ now: hourBefore });
    const reminders = () => sink.received.filter((e) => e.subject.startsWith('Reminder'));
    expect(reminders()).to.have.length(2);
    const moveTo = (to: Date, now: Date) => moveSession(session._id, to, now);
    await moveTo(new Date(startsAt.getTime() + minutes(15)), new Date(hourBefore.getTime() + 20_000));
    await runDueNotifications({ now: new Date(hourBefore.getTime() + minutes(16)) });
    expect(reminders()).to.have.length(2);
    expect(sink.received.filter((e) => e.subject.startsWith('Changed'))).to.have.length(1);
    // Three hours later still: the hour before it, she hears again.
    const later = new Date(startsAt.getTime() + minutes(3 * 60));
    await moveTo(later, new Date(hourBefore.getTime() + minutes(20)));
    await runDueNotifications({ now: new Date(later.getTime() - minutes(60) + 5_000) });
    expect(reminders()).to.have.length(3);
  });

  it('a session set 63 minutes ahead: no day-before reminder at once with the hour-before one three minutes later, only that one', async () => {
    const now = new Date('2027-08-01T09:00:00Z');
    const { session } = await buildCohortWithSession({ startsAt: new Date(now.getTime() + minutes(63)) });
    await planSessionReminders({ sessionIds: [session._id], now });
    await runDueNotifications({ now });
    expect(sink.received).to.have.length(0);
    await runDueNotifications({ now: new Date(now.getTime() + minutes(3)) });
    expect(sink.received.map((e) => e.subject)).to.deep.equal([
      'Reminder: Leading difficult conversations, in one hour',
    ]);
  });

  it('a session set 40 minutes ahead: its hour-before reminder says "in 40 minutes", not "in one hour"', async () => {
    const now = new Date('2027-08-01T09:00:00Z');
    const { session } = await buildCohortWithSession({ startsAt: new Date(now.getTime() + minutes(40)) });
    await planSessionReminders({ sessionIds: [session._id], now });
    await runDueNotifications({ now });
    expect(sink.received.map((e) => e.subject)).to.deep.equal([
      'Reminder: Leading difficult conversations, in 40 minutes',
    ]);
    // Set to start in 20 seconds: "in 1 minute", never "in 0 minutes" or "in 1 minutes".
    sink.received.length = 0;
    const soon = await buildCohortWithSession({ startsAt: new Date(now.getTime() + 20_000) });
    await planSessionReminders({ sessionIds: [soon.session._id], now });
    await runDueNotifications({ now });
    expect(sink.received.map((e) => e.subject)).to.deep.equal([
      'Reminder: Leading difficult conversations, in 1 minute',
    ]);
  });

  it("the cancellation's ATTENDEE names her with a backslash as she typed it, one backslash (RFC 5545 has no escaping in a quoted value)", async () => {
    const { session, cohort } = await buildCohortWithSession({ startsAt: new Date('2027-08-10T18:00:00Z') });
    const cancelled = { ...session.toObject(), status: 'cancelled' as const, sequence: 1 };
    // ical-generator doubled it, and calendar apps showed "x\\y"; the long line is still folded at 75 octets.
    const name = 'Ann; "Bee": Ø, x\\y \\\\server 👩🏽‍🏫 שלום';
    const backslashed = sessionCalendar(cancelled, cohort.toObject(), { name, email: 'ann@example.org' });
    expect(backslashed.replace(/\r\n /g, '')).to.include(
      `\r\nATTENDEE;ROLE=REQ-PARTICIPANT;CN="Ann; 'Bee': Ø, x\\y \\\\server 👩🏽‍🏫 שלום":MAILTO:ann@example.org\r\n`,
    );
    for (const line of backslashed.split('\r\n')) expect(Buffer.byteLength(line), line).to.be.at.most(75);
  });

  it('the calendar file of a cancelled session is a CANCEL with the ORGANIZER calendar apps match it by (RFC 5546)', async () => {
    const { session, cohort } = await buildCohortWithSession({ startsAt: new Date('2027-08-10T18:00:00Z') });
    const cancelled = { ...session.toObject(), status: 'cancelled' as const, sequence: 1 };
    const ics = sessionCalendar(cancelled, cohort.toObject());
    expect(ics).to.include('METHOD:CANCEL').and.include('STATUS:CANCELLED').and.include('SEQUENCE:1');
    // The object ends with CRLF (RFC 5545 3.4), as every line does.
    expect(ics.endsWith('END:VCALENDAR\r\n')).to.equal(true);
    expect(ics).to.match(/ORGANIZER;CN="?Pathways"?:mailto:no-reply@pathways\.test/);
    // Each reader's copy names her as the attendee it cancels for (RFC 5546 3.2.5); a published event names none.
    const hers = sessionCalendar(cancelled, cohort.toObject(), { name: 'Amina Yusuf', email: 'amina@example.org' });
    expect(hers.replace(/\r\n[ \t]/g, '')).to.match(
      /\r\nATTENDEE;[^\r\n]*CN="?Amina Yusuf"?[^\r\n]*:MAILTO:amina@example\.org\r\n/i,
    );
    expect(
      sessionCalendar(session.toObject(), cohort.toObject(), { name: 'Amina', email: 'amina@example.org' }),
    ).not.to.include('ATTENDEE');
    // A name with double quotes still makes an ATTENDEE a calendar reader keeps (none is allowed in a quoted value).
    const quoted = sessionCalendar(cancelled, cohort.toObject(), {
      name: 'Siobhán "Bee" O\'Brien',
      email: 'bee@example.org',
    });
    const parsed = Object.values(ical.sync.parseICS(quoted)).find((c) => c?.type === 'VEVENT') as {
      attendee?: unknown;
    };
    expect(JSON.stringify(parsed.attendee)).to.include('bee@example.org').and.include("Siobhán 'Bee' O'Brien");
    // MAIL_FROM read as config.ts checks it: a quoted name with a comma, or a bare address.
    const configured = settings.mailFrom;
    try {
      settings.mailFrom = '"Leading Women, Pathways" <hello@pathways.example.org>';
      expect(sessionCalendar(cancelled, cohort.toObject())).to.include('mailto:hello@pathways.example.org');
      settings.mailFrom = 'bare@pathways.example.org';
      expect(sessionCalendar(cancelled, cohort.toObject())).to.match(
        /CN="?Pathways"?:mailto:bare@pathways\.example\.org/,
      );
      // A name with double quotes still makes an ORGANIZER calendar readers keep (a CANCEL without one is dropped).
      settings.mailFrom = '"Leading Women to Headship \\"Pathways\\"" <hello@pathways.example.org>';
      const organised = Object.values(ical.sync.parseICS(sessionCalendar(cancelled, cohort.toObject()))).find(
        (c) => c?.type === 'VEVENT',
      ) as { organizer?: unknown };
      expect(JSON.stringify(organised.organizer)).to.include('hello@pathways.example.org');
    } finally {
      settings.mailFrom = configured;
    }
  });

  it('a session moved to a new join link (same time) sends each reader a change notice with the new link', async () => {
    const startsAt = new Date('2027-08-20T18:00:00Z');
    const { session } = await buildCohortWithSession({ startsAt, participants: 2 });
    const admin = await UserModel.create({
      email: 'admin-move@example.org',
      name: 'Ada Admin',
      roles: ['admin'],
      timezone: 'Europe/London',
      status: 'active',
    });
    await rescheduleSession({
      actor: {
        id: String(admin._id),
        email: admin.email,
        name: admin.name,
        roles: ['admin'],
        timezone: admin.timezone,
      },
      sessionId: String(session._id),
      input: { joinUrl: 'https://meet.example.org/new-room' },
    });
    await runDueNotifications({ now: new Date(Date.now() + minutes(11)) });
    const changed = sink.received.filter((e) => e.subject === 'Changed: Leading difficult conversations');
    expect(changed).to.have.length(2);
    expect(changed[0]!.raw).to.include('https://meet.example.org/new-room');
    // The time did not change: the notice does not claim it "was planned for" another time.
    expect(changed[0]!.raw).to.not.include('It was planned for');

    // Another session moved and moved back within the ten minutes a notice waits: nothing changed, nothing is sent.
    sink.received.length = 0;
    const other = await buildCohortWithSession({ startsAt, participants: 1 });
    const actor = {
      id: String(admin._id),
      email: admin.email,
      name: admin.name,
      roles: ['admin' as const],
      timezone: admin.timezone,
    };
    for (const joinUrl of ['https://meet.example.org/wrong-room', 'https://meet.example.org/abc'])
      await rescheduleSession({ actor, sessionId: String(other.session._id), input: { joinUrl } });
    expect(
      await NotificationModel.countDocuments({ kind: 'session-changed', 'about.id': String(other.session._id) }),
    ).to.equal(1);
    const report = await runDueNotifications({ now: new Date(Date.now() + minutes(11)) });
    expect(report.skipped).to.equal(1);
    expect(sink.received.filter((e) => e.subject.startsWith('Changed'))).to.have.length(0);
  });

  it('a facilitator whose role an admin took away (still named on the cohort) gets no session reminders: she can no longer open its sessions', async () => {
    const [former, current] = await UserModel.insertMany(
      (['participant', 'facilitator'] as const).map((role) => ({
        email: `named-${role}-${Date.now()}@example.org`,
        name: `Named ${role}`,
        roles: [role],
        timezone: 'Europe/London',
        status: 'active',
      })),
    );
    const startsAt = new Date('2027-09-16T18:00:00Z');
    await buildCohortWithSession({
      startsAt,
      participants: 1,
      offsets: [60],
      facilitatorIds: [String(former!._id), String(current!._id)],
    });
    await planSessionReminders({ now: new Date('2027-09-01T00:00:00Z') });
    await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(60)) });
    const to = sink.received.flatMap((e) => e.to);
    expect(to).to.include(current!.email);
    expect(to).to.not.include(former!.email);
  });

  it('a reader who turned session reminders off gets none: the reminder is skipped', async () => {
    const startsAt = new Date('2027-09-10T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt, participants: 1, offsets: [60] });
    await UserModel.updateOne({ _id: users[0]!._id }, { $set: { mutedKinds: ['session-reminder'] } });
    await planSessionReminders({ now: new Date('2027-09-01T00:00:00Z') });
    const report = await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(60)) });
    expect(report).to.include({ sent: 0, skipped: 1 });
    expect(sink.received).to.have.length(0);
  });

  it('a participant the LMS gave no email address (a placeholder under .invalid) is not written to: skipped, not bounced', async () => {
    const startsAt = new Date('2027-09-14T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt, participants: 2, offsets: [60] });
    await UserModel.updateOne(
      { _id: users[0]!._id },
      { $set: { email: 'lti-0123456789abcdef01234567@users.invalid' } },
    );
    await planSessionReminders({ now: new Date('2027-09-01T00:00:00Z') });
    const at = new Date(startsAt.getTime() - minutes(60));
    const report = await runDueNotifications({ now: at });
    expect(report).to.include({ sent: 1, skipped: 1, failed: 0 });
    expect(sink.received.map((e) => e.to)).to.deep.equal([[users[1]!.email]]);
    await settleNotifications({ now: at });
    const [skipped] = await presentNotifications({ userId: String(users[0]!._id), now: at });
    expect(skipped).to.include({ status: 'skipped' });
    expect(skipped!.skipReason).to.match(/no email address/);
  });

  it('a participant who erased her account gets no reminder, even after the planner sweeps again (her place keeps its row)', async () => {
    const startsAt = new Date('2027-09-12T18:00:00Z');
    const { users } = await buildCohortWithSession({ startsAt, participants: 2, offsets: [60] });
    await planSessionReminders({ now: new Date('2027-09-01T00:00:00Z') });
    const leaving = users[0]!;
    await eraseAccount({
      actor: { id: 'a'.repeat(24), name: 'Admin' },
      userId: String(leaving._id),
      bySelf: false,
    });
    // The 15-minute sweep plans every upcoming session again; her enrolment row is still active.
    await planSessionReminders({ now: new Date('2027-09-02T00:00:00Z') });
    const report = await runDueNotifications({ now: new Date(startsAt.getTime() - minutes(60)) });
    expect(report.sent).to.equal(1);
    expect(sink.received.map((e) => e.to)).to.deep.equal([[users[1]!.email]]);
  });
});

describe('reminders: security emails through the same pipeline', () => {
  useTestDatabase();
  const sink = useSmtpSink();

  it('a password reset is sent at once, without unsubscribe headers; with the SMTP server down it is recorded and the job delivers it later', async () => {
    const user = await UserModel.create({
      email: 'reset-me@example.org',
      name: 'Reset Me',
      roles: ['participant'],
      timezone: 'Europe/London',
      status: 'active',
    });
    await sendPasswordReset({ email: user.email });
    expect(sink.received).to.have.length(1);
    expect(sink.received[0]!.subject).to.equal('Reset your Pathways password');
    expect(sink.received[0]!.headers).to.not.have.property('list-unsubscribe');
    const sent = await NotificationModel.findOne({ kind: 'password-reset' }).lean();
    expect(sent).to.include({ status: 'sent' });
    expect(sent!.data).to.deep.equal({});

    sink.state.refuse = true;
    await sendPasswordReset({ email: user.email });
    expect(sink.received).to.have.length(1);
    sink.state.refuse = false;
    const report = await runDueNotifications({ now: new Date(Date.now() + 60_000) });
    expect(report.sent).to.equal(1);
    expect(sink.received).to.have.length(2);
  });

  it('an invitation that failed for good is not "sent again" without its link: the resend is refused, pointing to a new invitation', async () => {
    const user = await UserModel.create({
      email: 'invite-me@example.org',
      name: 'Invite Me',
      roles: ['participant'],
      timezone: 'Europe/London',
      status: 'invited',
    });
    sink.state.refuse = true;
    sink.received.length = 0;
    await sendInvitation({ userId: String(user._id), actorName: 'Ada Admin' });
    let t = new Date();
    for (let i = 0; i < 10; i++) {
      t = new Date(t.getTime() + minutes(65));
      await runDueNotifications({ now: t });
    }
    await settleNotifications({ now: t });
    const [failed] = await presentNotifications({ userId: String(user._id), now: t });
    expect(failed).to.include({ kind: 'invitation', status: 'failed' });
    sink.state.refuse = false;
    let refusal: unknown;
    await resendNotification({ id: failed!.id, now: t }).catch((error: unknown) => (refusal = error));
    await runDueNotifications({ now: t });
    // Whatever an admin is offered, no invitation arrives without the link that sets her password.
    for (const email of sink.received) expect(email.raw).to.include('/invitations/');
    expect((refusal as Error | undefined)?.message).to.match(/new invitation/);
  });

  it('the link confirming a new address, answered 451 (greylisting), is retried and arrives once at the new address; it confirms the change', async () => {
    const her = await buildUser({ name: 'Grace Greylisted' });
    const newEmail = `greylisted-${her.id}@example.org`;
    sink.received.length = 0;
    sink.state.refuse = true;
    await requestEmailChange({ actor: { id: her.id, name: her.name }, password: testPassword, newEmail });
    const atNewAddress = () => sink.received.filter((m) => m.to.includes(newEmail));
    expect(atNewAddress()).to.have.length(0);
    const waiting = await NotificationModel.findOne({ kind: 'email-change' }).lean();
    expect(waiting).to.include({ status: 'scheduled', attempts: 1 });

    sink.state.refuse = false;
    expect((await runDueNotifications({ now: new Date(Date.now() + 60_000) })).sent).to.equal(1);
    expect((await runDueNotifications({ now: new Date(Date.now() + minutes(10)) })).sent).to.equal(0);
    expect(atNewAddress()).to.have.length(1);
    const email = atNewAddress()[0]!;
    expect(email.subject).to.equal('Confirm your new Pathways email address');
    expect(email.headers).to.not.have.property('list-unsubscribe');
    // Quoted-printable lines end at 76 characters with a soft break, which can fall inside the link.
    const secret = /\/account\/email\/confirm\/([A-Za-z0-9_-]+)/.exec(email.raw.replace(/=\r?\n/g, ''))![1]!;
    await confirmEmailChange({ secret });
    expect((await UserModel.findById(her.id).lean())!.email).to.equal(newEmail);
  });

  it('a new address its mail server refuses for good (550) is said at the field, and its link is not tried again', async () => {
    const her = await buildUser();
    const newEmail = `no-such-mailbox-${her.id}@example.org`;
    sink.state.unknownMailboxes = [newEmail];
    let refusal: unknown;
    await requestEmailChange({ actor: { id: her.id, name: her.name }, password: testPassword, newEmail }).catch(
      (error: unknown) => (refusal = error),
    );
    sink.state.unknownMailboxes = [];
    expect(refusal).to.be.instanceOf(ValidationError);
    expect((refusal as ValidationError).errors[0]).to.include({ path: 'newEmail' });
    expect((await runDueNotifications({ now: new Date(Date.now() + minutes(10)) })).sent).to.equal(0);
    expect(sink.received.filter((m) => m.to.includes(newEmail))).to.have.length(0);
  });
});
