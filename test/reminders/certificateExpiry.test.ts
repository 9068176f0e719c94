import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { CertificateModel } from '../../models/Certificate.ts';
import { NotificationModel } from '../../models/Notification.ts';
import {
  planCertificateExpiry,
  runDueNotifications,
  settleNotifications,
} from '../../server/services/reminders/index.ts';
import { buildUser } from '../support/factories.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { bothBodies, useSmtpSink } from '../support/smtp.ts';

const days = (n: number) => n * 24 * 60 * 60 * 1000;

async function buildCertificate(props: {
  userId: string;
  expiresAt: Date;
  title?: string;
  programmeId?: Types.ObjectId;
}) {
  const certificate = await CertificateModel.create({
    userId: props.userId,
    programmeId: props.programmeId ?? new Types.ObjectId(),
    cohortId: new Types.ObjectId(),
    track: 'governing-board',
    holderName: 'Holder',
    programmeTitle: props.title ?? 'Governing Board Training',
    issuedAt: new Date(props.expiresAt.getTime() - days(3 * 365)),
    expiresAt: props.expiresAt,
    verificationCode: `GB-${randomUUID().slice(0, 8).toUpperCase()}`,
  });
  return String(certificate._id);
}

describe('reminders: the certificate-expiry notice counts the days left when it is sent, in her zone', () => {
  useTestDatabase();
  const sink = useSmtpSink();
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
    sink.state.refuse = false;
  });

  it('a certificate recorded 10 days before it expires gets a notice that says "in 10 days", in the subject and both bodies', async () => {
    const user = await buildUser({ timezone: 'Europe/London' });
    const expiresAt = new Date('2026-12-13T12:00:00Z');
    const now = new Date('2026-12-03T10:00:00Z');
    const certificateId = await buildCertificate({ userId: user.id, expiresAt });
    await planCertificateExpiry({ certificateIds: [certificateId], now });

    expect((await runDueNotifications({ now })).sent).to.equal(1);
    const email = sink.received[0]!;
    expect(email.subject).to.equal('Your Governing Board Training certificate expires in 10 days');
    const body = bothBodies(email);
    expect(body).to.include('certificate expires in 10 days, on Sunday 13 December 2026, 12:00 GMT (Europe/London).');
    expect(body).to.include('expires in 10 days, on <strong>Sunday 13 December 2026, 12:00 GMT (Europe/London)');
    expect(body).not.to.include('30 days');

    await settleNotifications({ now });
    const record = await NotificationModel.findOne({ kind: 'certificate-expiring' }).lean();
    expect(record?.status).to.equal('sent');
    expect(record?.subject).to.equal('Your Governing Board Training certificate expires in 10 days');
  });

  it('a later certificate of another programme of the same track (a governor induction) does not silence the notice; a renewal of the same programme does', async () => {
    const user = await buildUser({ timezone: 'Europe/London' });
    const expiresAt = new Date('2027-01-10T12:00:00Z');
    const now = new Date('2027-01-01T10:00:00Z');
    const bias = new Types.ObjectId();
    const certificateId = await buildCertificate({ userId: user.id, expiresAt, title: 'Bias', programmeId: bias });
    await buildCertificate({ userId: user.id, expiresAt: new Date('2028-06-01T00:00:00Z'), title: 'Induction' });
    await planCertificateExpiry({ certificateIds: [certificateId], now });
    expect((await runDueNotifications({ now })).sent).to.equal(1);
    expect(sink.received.map((e) => e.subject)).to.deep.equal(['Your Bias certificate expires in 9 days']);

    const renewedUser = await buildUser({ timezone: 'Europe/London' });
    const lapsing = await buildCertificate({ userId: renewedUser.id, expiresAt, title: 'Bias', programmeId: bias });
    await buildCertificate({ userId: renewedUser.id, expiresAt: new Date('2030-01-01T00:00:00Z'), programmeId: bias });
    await planCertificateExpiry({ certificateIds: [lapsing], now });
    await runDueNotifications({ now });
    expect(sink.received).to.have.length(1);
  });

  it('planned 30 days ahead, it says "in 30 days" when sent on time and "in 27 days" when the job sends it three days late', async () => {
    const onTime = await buildUser({ timezone: 'Europe/London' });
    const late = await buildUser({ timezone: 'Europe/London' });
    const expiresAt = new Date('2027-06-30T15:00:00Z');
    await buildCertificate({ userId: onTime.id, expiresAt, title: 'On Time' });
    await buildCertificate({ userId: late.id, expiresAt, title: 'Late' });
    await planCertificateExpiry({ now: new Date('2027-01-01T00:00:00Z') });
    const planned = await NotificationModel.find({ kind: 'certificate-expiring' }).lean();
    expect(planned).to.have.length(2);
    // 09:00 BST on 31 May, 30 local days before 30 June.
    for (const n of planned) expect(n.sendAt.toISOString()).to.equal('2027-05-31T08:00:00.000Z');
    expect(planned.every((n) => !/\d+ days/.test(n.subject ?? ''))).to.equal(true);

    await NotificationModel.updateOne(
      { userId: new Types.ObjectId(late.id) },
      { $set: { sendAt: new Date('2027-06-03T08:00:00Z'), nextAttemptAt: new Date('2027-06-03T08:00:00Z') } },
    );
    expect((await runDueNotifications({ now: new Date('2027-05-31T08:00:05Z') })).sent).to.equal(1);
    expect((await runDueNotifications({ now: new Date('2027-06-03T08:00:05Z') })).sent).to.equal(1);
    expect(sink.received.map((e) => e.subject)).to.deep.equal([
      'Your On Time certificate expires in 30 days',
      'Your Late certificate expires in 27 days',
    ]);
  });

  it('the notice goes 30 days before on her calendar even across the clocks going forward: a certificate lapsing at 00:30 BST on 10 April is told on 11 March, "in 30 days"', async () => {
    const user = await buildUser({ timezone: 'Europe/London' });
    // 00:30 BST on 10 April 2027; 30 × 24 hours earlier is 23:30 GMT on 10 March, 31 days before on her calendar.
    const expiresAt = new Date('2027-04-09T23:30:00Z');
    const certificateId = await buildCertificate({ userId: user.id, expiresAt, title: 'Spring' });
    await planCertificateExpiry({ certificateIds: [certificateId], now: new Date('2027-01-01T00:00:00Z') });
    const planned = await NotificationModel.findOne({
      kind: 'certificate-expiring',
      userId: new Types.ObjectId(user.id),
    }).lean();
    expect(planned!.sendAt.toISOString()).to.equal('2027-03-11T09:00:00.000Z');
    await runDueNotifications({ now: planned!.sendAt });
    expect(sink.received.map((e) => e.subject)).to.deep.equal(['Your Spring certificate expires in 30 days']);
  });

  it('counts whole days on her own calendar: "tomorrow" in Los Angeles when UTC is two days away, and "today"', async () => {
    const angeleno = await buildUser({ timezone: 'America/Los_Angeles' });
    const londoner = await buildUser({ timezone: 'Europe/London' });
    // 02:00 UTC on 20 May is 19:00 on 19 May in Los Angeles; at 20:00 UTC on 18 May it is 13:00 on the 18th there.
    const expiresAt = new Date('2027-05-20T02:00:00Z');
    const now = new Date('2027-05-18T20:00:00Z');
    await buildCertificate({ userId: angeleno.id, expiresAt, title: 'Pacific' });
    await buildCertificate({ userId: londoner.id, expiresAt, title: 'Atlantic' });
    await planCertificateExpiry({ now });
    await runDueNotifications({ now });
    const subjects = Object.fromEntries(sink.received.map((e) => [e.to[0], e.subject]));
    expect(subjects[angeleno.email]).to.equal('Your Pacific certificate expires tomorrow');
    expect(subjects[londoner.email]).to.equal('Your Atlantic certificate expires in 2 days');
    expect(bothBodies(sink.received.find((e) => e.to[0] === angeleno.email)!)).to.include(
      'expires tomorrow, on Wednesday 19 May 2027, 19:00 PDT (America/Los_Angeles).',
    );

    await clearDatabase();
    sink.received.length = 0;
    const today = await buildUser({ timezone: 'America/Los_Angeles' });
    await buildCertificate({ userId: today.id, expiresAt, title: 'Pacific' });
    await planCertificateExpiry({ now: new Date('2027-05-19T16:00:00Z') }); // 09:00 on the 19th in Los Angeles
    await runDueNotifications({ now: new Date('2027-05-19T16:00:00Z') });
    expect(sink.received.map((e) => e.subject)).to.deep.equal(['Your Pacific certificate expires today']);
  });

  it('with the real clock, a certificate expiring ten days from now is announced as "in 10 days"', async () => {
    const user = await buildUser({ timezone: 'UTC' });
    const certificateId = await buildCertificate({ userId: user.id, expiresAt: new Date(Date.now() + days(10)) });
    await planCertificateExpiry({ certificateIds: [certificateId] });
    expect((await runDueNotifications()).sent).to.equal(1);
    expect(sink.received[0]!.subject).to.equal('Your Governing Board Training certificate expires in 10 days');
  });

  it('an already-expired certificate gets no "expires in" email: not planned, and skipped if it expires before the send', async () => {
    const expired = await buildUser();
    const expiredId = await buildCertificate({ userId: expired.id, expiresAt: new Date('2027-02-01T12:00:00Z') });
    expect(
      await planCertificateExpiry({ certificateIds: [expiredId], now: new Date('2027-02-02T00:00:00Z') }),
    ).to.equal(0);

    const missed = await buildUser();
    const expiresAt = new Date('2027-03-01T12:00:00Z');
    const missedId = await buildCertificate({ userId: missed.id, expiresAt });
    await planCertificateExpiry({ certificateIds: [missedId], now: new Date('2027-01-01T00:00:00Z') });
    // The job was down from before the notice was due until after the certificate expired.
    const report = await runDueNotifications({ now: new Date('2027-03-01T12:00:01Z') });
    expect(report).to.include({ sent: 0, skipped: 1 });
    expect(sink.received).to.have.length(0);
  });
});
