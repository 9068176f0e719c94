import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { DirectoryBlockModel } from '../../models/DirectoryBlock.ts';
import { DirectoryMessageModel } from '../../models/DirectoryMessage.ts';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { EventRsvpModel } from '../../models/EventRsvp.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { replyToMessage } from '../../server/services/directory/contact.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { personalDataAreas } from '../../server/services/privacy/areas.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork } from '../support/directoryFactories.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { listInDirectory } from '../support/directoryFactories.ts';

describe('directory: her personal data, exported and erased', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  const client = async (user: TestUser) => {
    const token = await tokenFor(user);
    return {
      post: (p: string) => supertest(app).post(p).set('Authorization', `Bearer ${token}`),
      put: (p: string) => supertest(app).put(p).set('Authorization', `Bearer ${token}`),
    };
  };

  before(() => {
    app = testApp();
  });

  it('is listed among the areas; the export holds her profile, messages, blocks and answers; erasure removes them', async () => {
    const area = personalDataAreas.find((a) => a.area === 'directory');
    expect(area).to.not.equal(undefined);
    const her = await buildUser({ name: 'Erin Erased' });
    const friend = await buildUser({ name: 'Fay Friend' });
    const pest = await buildUser({ name: 'Pat Pest' });
    const network = await buildNetwork([her, friend], { leads: [friend] });
    const me = await client(her);
    const them = await client(friend);
    await me
      .put('/api/v1/me/directory-profile')
      .send({ visibility: 'everyone', headline: 'Erin’s headline' })
      .expect(200);
    await them.put('/api/v1/me/directory-profile').send({ visibility: 'everyone' }).expect(200);
    await me.post(`/api/v1/directory/${friend.id}/messages`).send({ body: 'Erin writes' }).expect(201);
    await them.post(`/api/v1/directory/${her.id}/messages`).send({ body: 'Fay writes' }).expect(201);
    await listInDirectory(pest);
    await me.put(`/api/v1/me/blocks/${pest.id}`).expect(204);
    const event = await them
      .post(`/api/v1/networks/${network.id}/events`)
      .send({
        title: 'Coffee',
        startsAt: '2027-05-01T09:00:00Z',
        durationMinutes: 30,
        mode: 'in-person',
        location: 'Leeds',
      })
      .expect(201);
    await me.post(`/api/v1/events/${event.body.id}/rsvp`).send({ going: true }).expect(200);

    // She reported Fay's message, and leads a network of her own with an event she put on.
    await DirectoryMessageModel.updateOne(
      { toId: her.id },
      { $set: { reportedAt: new Date(), reportReason: 'Erin found this unkind' } },
    );
    const hers = await buildNetwork([her], { leads: [her] });
    await me
      .post(`/api/v1/networks/${hers.id}/events`)
      .send({
        title: 'Erin’s drop-in',
        startsAt: '2027-06-01T16:00:00Z',
        durationMinutes: 60,
        mode: 'in-person',
        location: '12 Elm Street',
      })
      .expect(201);

    const id = new Types.ObjectId(her.id);
    const exported = (await area!.exportFor(id)) as Record<string, unknown>;
    expect(exported).to.deep.include({ blocked: ['Pat Pest'] });
    expect(JSON.stringify(exported)).to.include('Erin found this unkind');
    expect(exported.eventsCreated).to.deep.equal([
      {
        title: 'Erin’s drop-in',
        startsAt: new Date('2027-06-01T16:00:00Z'),
        durationMinutes: 60,
        mode: 'in-person',
        location: '12 Elm Street',
        joinUrl: null,
      },
    ]);
    expect(JSON.stringify(exported)).to.include('Erin’s headline').and.include('Erin writes').and.include('Fay writes');
    expect(JSON.stringify(exported)).to.include('Coffee');
    expect(JSON.stringify(exported)).to.not.include(friend.email);

    await area!.eraseFor(id);
    await area!.eraseFor(id);
    expect(await DirectoryProfileModel.countDocuments({ _id: id })).to.equal(0);
    expect(await DirectoryMessageModel.countDocuments({ fromId: id })).to.equal(0);
    const toHer = await DirectoryMessageModel.find({ toId: id }).lean();
    expect(toHer.map((m) => [m.toName, m.body])).to.deep.equal([['Former member', 'Fay writes']]);
    expect(await DirectoryBlockModel.countDocuments({ blockerId: id })).to.equal(0);
    expect(await EventRsvpModel.countDocuments({ userId: id })).to.equal(0);
    const reminders = await NotificationModel.find({ userId: id, kind: 'network-event-reminder' }).distinct('status');
    expect(reminders).to.deep.equal(['cancelled']);
  });

  it('once she is erased, the outbox copy of her reply no longer holds her words or the address she shared', async () => {
    const her = await buildUser({ name: 'Greta Replyer' });
    const host = await buildUser({ name: 'Hana Host' });
    const admin = await buildUser({ roles: ['admin'] });
    await (await client(her)).put('/api/v1/me/directory-profile').send({ visibility: 'everyone' }).expect(200);
    const first = await (
      await client(host)
    )
      .post(`/api/v1/directory/${her.id}/messages`)
      .send({ body: 'Would you talk to me about your first headship?' })
      .expect(201);
    const words = 'Yes: my first year in Hull was hard, ring me on 07700 900123.';
    await replyToMessage({ actor: { ...her, id: her.id } as Express.User, messageId: first.body.id, body: words });
    await runDueNotifications({ now: new Date() });
    const toHost = async () => JSON.stringify(await OutboxMessageModel.find({ to: host.email }).lean());
    expect(await toHost())
      .to.include('07700 900123')
      .and.include(her.email);

    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: her.id, bySelf: false });
    const after = await toHost();
    for (const gone of ['07700 900123', her.email, 'Greta']) expect(after, gone).to.not.include(gone);
  });
});
