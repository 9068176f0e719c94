import { expect } from 'chai';
import { Types } from 'mongoose';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { UserModel } from '../../models/User.ts';
import { isoWeekOf, planNetworkDigests } from '../../server/services/networks/digest.ts';
import { planUpcoming, runDueNotifications } from '../../server/services/reminders/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

describe('networks: the weekly digest', () => {
  useTestDatabase();
  const sink = useSmtpSink();

  it('names the ISO week of Monday 08:00 in her own zone (Sydney is a day ahead of Toronto)', () => {
    const instant = new Date('2027-01-03T22:00:00Z'); // Monday 4 January 09:00 in Sydney, Sunday 3 January in Toronto
    expect(isoWeekOf(instant, 'Australia/Sydney')).to.equal('2027-W01');
    expect(isoWeekOf(instant, 'America/Toronto')).to.equal('2026-W53');
  });

  it('sends each member one digest per ISO week, however often the planner and the sender run; nothing new, no email; muted, no email', async () => {
    const reader = await buildUser({ name: 'Reader in Kuala Lumpur', timezone: 'Asia/Kuala_Lumpur' });
    const author = await buildUser({ name: 'Author in London' });
    const muted = await buildUser({ name: 'Muted in Dubai', timezone: 'Asia/Dubai' });
    await UserModel.updateOne({ _id: muted.id }, { $set: { mutedKinds: ['network-digest'] } });
    const net = await buildNetwork({ name: 'Malaysia leaders' }, { leads: [author], members: [reader, muted] });
    await NetworkPostModel.create([
      { networkId: net.id, authorId: author.id, kind: 'story', title: 'Our first meet-up', body: 'It went well.' },
      { networkId: net.id, authorId: author.id, kind: 'question', title: 'Hidden one', body: 'x', hidden: true },
    ]);
    const now = new Date();
    await planNetworkDigests({ now });
    await planNetworkDigests({ now });
    await planUpcoming({ now: new Date(now.getTime() + 60_000) });
    const planned = await NotificationModel.find({ kind: 'network-digest', userId: reader.id }).lean();
    expect(planned).to.have.length(1);
    const sendAt = planned[0]!.sendAt;
    const all = await NotificationModel.find({ kind: 'network-digest' }).lean();
    expect(all).to.have.length(3);
    // After every member's Monday 08:00 (London is 8 hours behind Kuala Lumpur).
    const later = new Date(Math.max(...all.map((n) => n.sendAt.getTime())) + 60_000);
    await Promise.all([runDueNotifications({ now: later }), runDueNotifications({ now: later })]);
    await runDueNotifications({ now: later });
    // Planning again after it was sent plans next week's, never this week's again.
    await planNetworkDigests({ now: later });
    await runDueNotifications({ now: new Date(later.getTime() + 1000) });
    const toReader = sink.received.filter((m) => m.to.includes(reader.email));
    expect(toReader).to.have.length(1);
    expect(toReader[0]!.raw).to.include('Our first meet-up');
    expect(toReader[0]!.raw).to.not.include('Hidden one');
    expect(toReader[0]!.headers['list-unsubscribe']).to.be.a('string');
    // Her own post is not news to her: her digest, due too, is skipped.
    expect(sink.received.filter((m) => m.to.includes(author.email))).to.have.length(0);
    expect(sink.received.filter((m) => m.to.includes(muted.email))).to.have.length(0);
    const weeks = await NotificationModel.find({ kind: 'network-digest', userId: reader.id }).lean();
    expect(new Set(weeks.map((w) => w.key)).size).to.equal(weeks.length);
    expect(weeks.map((w) => w.key)).to.include(`network-digest:${reader.id}:${isoWeekOf(sendAt, 'Asia/Kuala_Lumpur')}`);
  });
  it('each weekly digest holds exactly the posts since her last one, Monday 08:00 to Monday 08:00 on her clock, in the weeks the clocks change', async () => {
    const reader = await buildUser({ name: 'Reader in London', timezone: 'Europe/London' });
    const author = await buildUser({ name: 'Author' });
    const net = await buildNetwork({ name: 'London heads' }, { leads: [author], members: [reader] });
    // A post's time is its _id's: one made at a chosen second.
    const postAt = (iso: string, title: string) => ({
      _id: new Types.ObjectId(
        Types.ObjectId.createFromTime(Date.parse(iso) / 1000)
          .toHexString()
          .slice(0, 8) + new Types.ObjectId().toHexString().slice(8),
      ),
      networkId: net.id,
      authorId: author.id,
      kind: 'story' as const,
      body: 'x',
      title,
    });
    await NetworkPostModel.create([
      // Spring: the digest of Monday 22 March 2027 went at 08:00 GMT (08:00 UTC), the next at 08:00 BST (07:00 UTC).
      postAt('2027-03-22T07:30:00Z', 'Spring, before the last digest'),
      postAt('2027-03-22T08:30:00Z', 'Spring, after the last digest'),
      // Autumn: the digest of Monday 25 October went at 08:00 BST (07:00 UTC), the next at 08:00 GMT (08:00 UTC).
      postAt('2027-10-25T06:30:00Z', 'Autumn, before the last digest'),
      postAt('2027-10-25T07:30:00Z', 'Autumn, after the last digest'),
    ]);
    const digestAfter = async (now: string) => {
      await planNetworkDigests({ now: new Date(now) });
      const next = await NotificationModel.findOne({ kind: 'network-digest', userId: reader.id, status: 'scheduled' });
      sink.received.length = 0;
      await runDueNotifications({ now: next!.sendAt });
      return sink.received
        .filter((m) => m.to.includes(reader.email))
        .map((m) => m.raw)
        .join('\n');
    };
    const spring = await digestAfter('2027-03-22T08:10:00Z');
    expect(spring).to.include('Spring, after the last digest');
    expect(spring).to.not.include('Spring, before the last digest');
    const autumn = await digestAfter('2027-10-25T07:10:00Z');
    expect(autumn).to.include('Autumn, after the last digest');
    expect(autumn).to.not.include('Autumn, before the last digest');
  });
});
