import { expect } from 'chai';
import { DateTime } from 'luxon';
import supertest from 'supertest';
import { NotificationModel } from '../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../models/NotificationDelivery.ts';
import { planRoundReminders } from '../../server/services/boards/roundReminders.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { testApp } from '../support/app.ts';
import { buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { erasedAtOnce } from '../support/erasuresAtOnce.ts';
import { buildUser, tokenFor } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentoringFactories.ts';
import { askToJoinApprovalNetwork, buildNetwork } from '../support/networkFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

describe('erasure: her name leaves the emails other people were sent about her', () => {
  useTestDatabase();
  const sink = useSmtpSink();
  let app: ReturnType<typeof testApp>;
  before(() => {
    // Built after the sink, and pointed at it: a test reads the mail server's own refusal.
    app = testApp({ SMTP_URL: sink.url });
  });

  it('a mentoring request, a directory message and a join request name her no more, sent or still to send; a namesake is untouched', async () => {
    const name = 'Zinnia Quillfeather';
    const her = await buildMentee({}, { name });
    const mentor = await buildMentor();
    const reader = await buildUser({ name: 'Rhoda Reader' });
    const lead = await buildUser({ name: 'Lena Lead' });
    const namesake = await buildUser({ name });
    const admin = await buildUser({ roles: ['admin'] });
    const api = async (who: { id: string; email: string }) => ({
      Authorization: `Bearer ${await tokenFor(who as Parameters<typeof tokenFor>[0])}`,
    });
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(await api(her))
      .send({ mentorId: mentor.id, message: 'Could we talk about interviews?' })
      .expect(201);
    await supertest(app)
      .put('/api/v1/me/directory-profile')
      .set(await api(reader))
      .send({ visibility: 'everyone' })
      .expect(200);
    await supertest(app)
      .post(`/api/v1/directory/${reader.id}/messages`)
      .set(await api(her))
      .send({ body: 'Hello from the directory.' })
      .expect(201);
    const network = await buildNetwork({ joining: 'approval' }, { leads: [lead] });
    await supertest(app)
      .post(`/api/v1/networks/${network.id}/members`)
      .set(await api(her))
      .send({})
      .expect(201);
    // The namesake's own request to the same network: her name stays in it.
    await supertest(app)
      .post(`/api/v1/networks/${network.id}/members`)
      .set(await api(namesake))
      .send({})
      .expect(201);
    await runDueNotifications({ now: new Date() });
    const others = { userId: { $in: [mentor.id, reader.id, lead.id] } };
    const naming = async () =>
      (await NotificationModel.find(others).lean()).filter((n) => JSON.stringify([n.subject, n.data]).includes(name));
    // Before: the mentor (now and in 7 days), the reader and the lead (twice: her and the namesake) are told her name.
    expect((await naming()).length).to.be.at.least(4);
    expect(
      await NotificationDeliveryModel.countDocuments({ subject: { $regex: name } }),
      'sent emails journalled',
    ).to.be.at.least(1);

    await supertest(app)
      .delete(`/api/v1/users/${her.id}`)
      .set(await api(admin))
      .expect(202);

    const left = await naming();
    expect(left.map((n) => n.kind)).to.deep.equal(['network-join-request']);
    expect(String(left[0]!.data?.askerId)).to.equal(namesake.id);
    // The delivery journal's copies of the subjects too: only the namesake's are left.
    const journalled = await NotificationDeliveryModel.find({ subject: { $regex: name } }).lean();
    expect(journalled.every((d) => String(d.notificationId) === String(left[0]!._id))).to.equal(true);
    const renamed = await NotificationModel.find({ ...others, subject: /Former member/ }).lean();
    expect(renamed.map((n) => n.kind).sort()).to.include.members([
      'directory-message',
      'mentoring-request',
      'network-join-request',
    ]);
  });
  it('erasing the reader of an email empties the delivery journal’s copy of its subject too, so the asker erased later is named nowhere', async () => {
    const askerName = 'Ottoline Asksalot';
    const { asker, lead, network } = await askToJoinApprovalNetwork(app, {
      askerName: askerName,
      leadName: 'Leonora Leadwell',
    });
    const admin = await buildUser({ roles: ['admin'] });
    await runDueNotifications({ now: new Date() });
    const leadsEmails = await NotificationModel.find({ userId: lead.id }).select({ _id: 1 }).lean();
    const journal = () =>
      NotificationDeliveryModel.find({
        notificationId: { $in: leadsEmails.map((n) => n._id) },
        phase: 'result',
      }).lean();
    expect((await journal()).map((d) => d.subject)).to.include(`${askerName} asks to join ${network.name}`);

    const erase = async (who: { id: string }) =>
      supertest(app)
        .delete(`/api/v1/users/${who.id}`)
        .set('Authorization', `Bearer ${await tokenFor(admin)}`)
        .expect(202);
    await erase(lead);
    // The lead's notifications lost their subjects; the journal kept no copy of them.
    expect((await journal()).map((d) => d.subject ?? '')).to.deep.equal((await journal()).map(() => ''));
    await erase(asker);
    expect(await NotificationDeliveryModel.countDocuments({ subject: { $regex: askerName } })).to.equal(0);
  });
  it('a mail server’s refusal naming her address leaves the delivery journal with her erasure', async () => {
    const { lead } = await askToJoinApprovalNetwork(app, {
      askerName: 'Agatha Asker',
      leadName: 'Bouncing Lead',
    });
    const admin = await buildUser({ roles: ['admin'] });
    sink.state.unknownMailboxes = [lead.email];
    try {
      await runDueNotifications({ now: new Date() });
    } finally {
      sink.state.unknownMailboxes = [];
    }
    const hers = (await NotificationModel.find({ userId: lead.id }).select({ _id: 1 }).lean()).map((n) => n._id);
    const journal = async () =>
      JSON.stringify(await NotificationDeliveryModel.find({ notificationId: { $in: hers } }).lean());
    expect(await journal()).to.include(lead.email);
    await supertest(app)
      .delete(`/api/v1/users/${lead.id}`)
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .expect(202);
    const after = await journal();
    expect(after).to.not.include(lead.email);
    expect(after, 'the refusal itself is still journalled').to.include('Recipient address rejected');
  });
  it("a chair's 'panel not ready' email lists her as Former member once she is erased", async () => {
    const name = 'Wilhelmina Panelworth';
    const chair = await buildUser({ roles: ['governor'], name: 'Chloe Chair' });
    const her = await buildUser({ roles: ['governor'], name });
    const admin = await buildUser({ roles: ['admin'] });
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: her, role: 'governor' },
    ]);
    const interview = DateTime.now().setZone('Europe/London').plus({ days: 30 }).toISODate()!;
    const round = await buildRound(board.id, { interviewDates: [interview], panel: [her] });
    await planRoundReminders({ roundId: round.id });
    const chairs = () => NotificationModel.find({ 'about.id': round.id, userId: chair.id }).lean();
    expect(JSON.stringify((await chairs()).map((n) => n.data))).to.include(name);
    await supertest(app)
      .delete(`/api/v1/users/${her.id}`)
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .expect(202);
    const after = JSON.stringify((await chairs()).map((n) => [n.subject, n.data]));
    expect(after).to.not.include(name);
    expect(after).to.include('Former member');
  });

  it("two panel members erased at the same moment (two processes): the chair's 'panel not ready' email names neither, as neither rewrite puts back the other's name", async () => {
    const chair = await buildUser({ roles: ['governor'], name: 'Chloe Chair' });
    const alice = await buildUser({ roles: ['governor'], name: 'Alicia Panelworth' });
    const beth = await buildUser({ roles: ['governor'], name: 'Bethany Panelworth' });
    const admin = await buildUser({ roles: ['admin'] });
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: alice, role: 'governor' },
      { user: beth, role: 'governor' },
    ]);
    const interview = DateTime.now().setZone('Europe/London').plus({ days: 30 }).toISODate()!;
    const round = await buildRound(board.id, { interviewDates: [interview], panel: [alice, beth] });
    await planRoundReminders({ roundId: round.id });
    const chairs = () => NotificationModel.find({ 'about.id': round.id, userId: chair.id }).lean();
    // Alice's erasure has read the chair's first email and is about to write it back when Beth's runs through.
    await erasedAtOnce({
      actor: { id: admin.id, name: admin.name },
      first: alice.id,
      second: beth.id,
      model: NotificationModel,
      method: 'updateOne',
      when: (args) => JSON.stringify(args[1] ?? {}).includes('"data"'),
    });
    const after = JSON.stringify((await chairs()).map((n) => [n.subject, n.data]));
    expect(after).to.not.include('Alicia').and.to.not.include('Bethany');
  });
});
