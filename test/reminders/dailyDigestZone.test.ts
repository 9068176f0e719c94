import { expect } from 'chai';
import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { NotificationModel } from '../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../models/NotificationDelivery.ts';
import { UserModel } from '../../models/User.ts';
import { updateOwnDetails } from '../../server/services/accounts/details.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { planNotification, runDueNotifications } from '../../server/services/reminders/index.ts';
import { heldByDigest } from '../../server/services/reminders/dailyDigest.ts';
import { nextDaily } from '../../server/services/reminders/time.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, type TestUser } from '../support/factories.ts';
import { useSmtpSink } from '../support/smtp.ts';

// Pago Pago (UTC−11) and Kiritimati (UTC+14) are 25 hours apart: at any instant, their next 08:00s fall on different
// dates, so her digest always changes key when she moves between them.
const pagoPago = 'Pacific/Pago_Pago';
const kiritimati = 'Pacific/Kiritimati';

async function dailyDigestReader(timezone: string): Promise<TestUser> {
  const her = await buildUser({ timezone });
  await UserModel.updateOne({ _id: her.id }, { $set: { emailDigest: 'daily' } });
  return her;
}

/** A notice for her, due a minute ago, that the job bundles into her daily digest now. */
async function bundleNotice(her: TestUser, subject: string): Promise<void> {
  const { id } = await planNotification({
    key: `mentoring-request-answered:zone-test:${her.id}:${subject}`,
    userId: her.id,
    kind: 'mentoring-request-answered',
    about: { type: 'mentoring-request', id: new Types.ObjectId() },
    sendAt: new Date(Date.now() - 60_000),
    template: 'notice',
    subject,
  });
  expect((await runDueNotifications({ ids: [new Types.ObjectId(id)] })).bundled).to.equal(1);
}

/** Her daily digests, and which notices each holds (by subject). */
async function herDigests(her: TestUser) {
  const digests = await NotificationModel.find({ userId: her.id, kind: 'daily-digest' }).sort({ sendAt: 1 }).lean();
  return Promise.all(
    digests.map(async (d) => {
      const held = await heldByDigest(d.key);
      const items = await NotificationModel.find({ _id: { $in: held.map((h) => h.notificationId) } }).lean();
      return { key: d.key, sendAt: d.sendAt, status: d.status, holds: items.map((i) => i.subject).sort() };
    }),
  );
}

const digestKeyOn = (her: TestUser, zone: string, at: Date) =>
  `daily-digest:${her.id}:${DateTime.fromJSDate(at, { zone }).toISODate()}`;

describe('reminders: a daily digest follows her zone', () => {
  useTestDatabase();
  const sink = useSmtpSink();
  beforeEach(() => {
    sink.received.length = 0;
  });

  it('after she changes zone, what her digest holds and what comes after go in one digest at 08:00 in her new zone', async () => {
    const her = await dailyDigestReader(pagoPago);
    await bundleNotice(her, 'Declined request');
    const [before] = await herDigests(her);
    await updateOwnDetails({ actor: { id: her.id, name: her.name }, changes: { timezone: kiritimati } });
    const eightInKiritimati = nextDaily({ after: new Date(), hour: 8, zone: kiritimati });
    await bundleNotice(her, 'Survey invitation');

    const holding = (await herDigests(her)).filter((d) => d.holds.length);
    expect(holding).to.deep.equal([
      {
        key: digestKeyOn(her, kiritimati, eightInKiritimati),
        sendAt: eightInKiritimati,
        status: 'scheduled',
        holds: ['Declined request', 'Survey invitation'],
      },
    ]);
    expect(DateTime.fromJSDate(holding[0]!.sendAt, { zone: kiritimati }).toFormat('HH:mm')).to.equal('08:00');

    // At her old zone's 08:00 nothing goes; at her new zone's, one email with both.
    for (const at of [before!.sendAt, eightInKiritimati].sort((a, b) => a.getTime() - b.getTime()))
      await runDueNotifications({ now: at });
    const hers = sink.received.filter((e) => e.to.includes(her.email));
    expect(hers.map((e) => e.subject)).to.deep.equal(['Your Pathways digest: 2 updates']);
    expect(hers[0]!.raw).to.include('Declined request').and.include('Survey invitation');
  });

  it("changed back by an admin, her digest joins the one already planned for that date's 08:00, holding all it had", async () => {
    const her = await dailyDigestReader(pagoPago);
    await bundleNotice(her, 'First notice');
    const [pago] = await herDigests(her);
    await updateOwnDetails({ actor: { id: her.id, name: her.name }, changes: { timezone: kiritimati } });
    await bundleNotice(her, 'Second notice');
    const admin = await buildUser({ roles: ['admin'] });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: her.id,
      changes: { timezone: pagoPago },
    });

    const holding = (await herDigests(her)).filter((d) => d.holds.length);
    expect(holding).to.deep.equal([
      { key: pago!.key, sendAt: pago!.sendAt, status: 'scheduled', holds: ['First notice', 'Second notice'] },
    ]);
    await runDueNotifications({ now: pago!.sendAt });
    await runDueNotifications({ now: new Date(pago!.sendAt.getTime() + 26 * 3_600_000) });
    const hers = sink.received.filter((e) => e.to.includes(her.email));
    expect(hers.map((e) => e.subject)).to.deep.equal(['Your Pathways digest: 2 updates']);
  });

  it('a digest already being sent when she changes zone is left to go with what it holds', async () => {
    const her = await dailyDigestReader(pagoPago);
    await bundleNotice(her, 'Only notice');
    const [digest] = await herDigests(her);
    // A run has claimed it (its time has come where she was).
    await NotificationDeliveryModel.collection.insertOne({
      notificationId: (await NotificationModel.findOne({ key: digest!.key }).lean())!._id,
      attempt: 1,
      phase: 'claim',
      worker: 'another process',
      at: new Date(),
      leaseUntil: new Date(Date.now() + 300_000),
    });
    await updateOwnDetails({ actor: { id: her.id, name: her.name }, changes: { timezone: kiritimati } });
    expect((await herDigests(her)).filter((d) => d.holds.length)).to.deep.equal([digest]);
  });
});
