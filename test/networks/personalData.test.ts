import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkReplyModel } from '../../models/NetworkReply.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { planNetworkDigests } from '../../server/services/networks/digest.ts';
import { personalDataAreas } from '../../server/services/privacy/areas.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

describe('networks: her personal data (export and erasure)', () => {
  useTestDatabase();

  it('exports her memberships, posts, replies and reports; erasure removes her words and name, keeps the thread, counts her out, and is idempotent', async () => {
    const app = testApp();
    const her = await buildUser({ name: 'Hanna Leaving' });
    const other = await buildUser({ name: 'Olu Staying' });
    const net = await buildNetwork({ name: 'Returners' }, { leads: [other], members: [her] });
    const auth = (u: typeof her) => tokenFor(u).then((t) => `Bearer ${t}`);
    const post = await supertest(app)
      .post(`/api/v1/networks/${net.id}/posts`)
      .set('Authorization', await auth(her))
      .send({ kind: 'story', title: 'My career break in Perth', body: 'Three years with my twins.' })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${post.body.id}/replies`)
      .set('Authorization', await auth(other))
      .send({ body: 'Welcome back!' })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${post.body.id}/replies`)
      .set('Authorization', await auth(her))
      .send({ body: 'Thank you, Olu.' })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${post.body.id}/report`)
      .set('Authorization', await auth(her))
      .send({ reason: 'Testing the report' })
      .expect(201);
    const area = personalDataAreas.find((a) => a.area === 'networks')!;
    const id = new Types.ObjectId(her.id);
    const exported = (await area.exportFor(id)) as Record<string, { length: number }[]>;
    expect(JSON.stringify(exported)).to.include('My career break in Perth');
    expect(JSON.stringify(exported)).to.include('Thank you, Olu.');
    expect(JSON.stringify(exported)).to.include('Testing the report');
    expect(JSON.stringify(exported)).to.not.include('Welcome back!');
    expect((await NetworkModel.findById(net.id).lean())!.memberCount).to.equal(2);

    await area.eraseFor(id);
    await area.eraseFor(id);
    expect((await NetworkModel.findById(net.id).lean())!.memberCount).to.equal(1);
    expect(await NetworkMembershipModel.countDocuments({ userId: id })).to.equal(0);
    const kept = (await NetworkPostModel.findById(post.body.id).lean())!;
    expect(kept.authorId).to.equal(null);
    expect(JSON.stringify(kept)).to.not.include('Perth');
    expect(await NetworkReplyModel.countDocuments({ postId: kept._id })).to.equal(2);
    const page = await supertest(app)
      .get(`/api/v1/networks/${net.id}/posts`)
      .set('Authorization', await auth(other))
      .expect(200);
    expect(page.body.items[0].author).to.deep.equal({ id: null, name: 'Former member' });
    expect(JSON.stringify(page.body)).to.not.include('Hanna');
    const after = (await area.exportFor(id)) as Record<string, unknown[]>;
    expect(after.posts).to.have.length(0);
  });

  it('her titles leave the copies of the emails others were sent: the report to the leads and the weekly digest', async () => {
    const app = testApp();
    const her = await buildUser({ name: 'Hanna Titled' });
    const lead = await buildUser({ name: 'Lena Lead' });
    const reporter = await buildUser({ name: 'Rita Reporter' });
    const net = await buildNetwork({ name: 'Returners two' }, { leads: [lead], members: [her, reporter] });
    const post = await supertest(app)
      .post(`/api/v1/networks/${net.id}/posts`)
      .set('Authorization', `Bearer ${await tokenFor(her)}`)
      .send({ kind: 'story', title: 'Back from Kalgoorlie after a career break', body: 'Three years.' })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${post.body.id}/report`)
      .set('Authorization', `Bearer ${await tokenFor(reporter)}`)
      .send({ reason: 'Off topic' })
      .expect(201);
    const now = new Date();
    await runDueNotifications({ now });
    await planNetworkDigests({ now });
    const digests = await NotificationModel.find({ kind: 'network-digest' }).lean();
    await runDueNotifications({ now: new Date(Math.max(...digests.map((d) => d.sendAt.getTime())) + 60_000) });
    const toLead = () => OutboxMessageModel.find({ to: lead.email }).lean();
    const subjects = (await toLead()).map((m) => m.subject);
    expect(subjects.some((x) => x.includes('reported'))).to.equal(true);
    expect(subjects.some((x) => x.includes('new post'))).to.equal(true);
    expect(JSON.stringify(await toLead())).to.include('Kalgoorlie');

    await personalDataAreas.find((a) => a.area === 'networks')!.eraseFor(new Types.ObjectId(her.id));
    const kept = JSON.stringify([
      await toLead(),
      await OutboxMessageModel.find({ to: reporter.email }).lean(),
      await NotificationModel.find({ userId: { $in: [lead.id, reporter.id] } }).lean(),
    ]);
    expect(kept).to.not.include('Kalgoorlie');
    expect(kept).to.include('Removed at the author');
  });
});
