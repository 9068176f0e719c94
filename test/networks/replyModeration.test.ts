import { expect } from 'chai';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkPostReportModel } from '../../models/NetworkPostReport.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { runDueNotifications, settleNotifications } from '../../server/services/reminders/index.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/**
 * A reply can hurt as much as a post: readers report one reply, and leads and admins hide it with a reason (audited),
 * without hiding the whole conversation. A hidden reply keeps its place, so the count stays true, but readers see
 * neither its words nor its author.
 */
describe('networks: reporting and hiding a reply', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let lead: TestUser;
  let member: TestUser;
  let replier: TestUser;
  const auth = new Map<string, string>();
  const bearer = (u: TestUser) => auth.get(u.id)!;

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    lead = await buildUser();
    member = await buildUser();
    replier = await buildUser({ name: 'Rhona Replier' });
    for (const u of [admin, lead, member, replier]) auth.set(u.id, `Bearer ${await tokenFor(u)}`);
  });

  /** An approval network with a post by the member and one reply to it by the replier. */
  async function conversation() {
    const network = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member, replier] });
    const post = await supertest(app)
      .post(`/api/v1/networks/${network.id}/posts`)
      .set('Authorization', bearer(member))
      .send({ kind: 'question', title: 'Interview tips?', body: 'My first headship interview is next week.' })
      .expect(201);
    const reply = await supertest(app)
      .post(`/api/v1/posts/${post.body.id}/replies`)
      .set('Authorization', bearer(replier))
      .send({ body: 'Something unkind about a named colleague.' })
      .expect(201);
    expect(reply.body).to.include({ hidden: false });
    return { network, postId: post.body.id as string, replyId: reply.body.id as string };
  }

  const reportReply = (u: TestUser, replyId: string, reason: string) =>
    supertest(app).post(`/api/v1/replies/${replyId}/report`).set('Authorization', bearer(u)).send({ reason });

  it('a reply reported reaches the leads and admins once, apart from a report of its post; a repeat only changes the reason', async () => {
    const { network, postId, replyId } = await conversation();
    const first = await reportReply(member, replyId, 'Unkind').expect(201);
    expect(first.body).to.include({ postId, replyId, reason: 'Unkind' });
    await reportReply(member, replyId, 'Unkind, and names a colleague').expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${postId}/report`)
      .set('Authorization', bearer(member))
      .send({ reason: 'The whole thread' })
      .expect(201);
    const reports = await NetworkPostReportModel.find({ postId }).lean();
    expect(reports.map((r) => [r.replyId ? String(r.replyId) : null, r.reason]).sort()).to.deep.equal(
      [
        [null, 'The whole thread'],
        [replyId, 'Unkind, and names a colleague'],
      ].sort(),
    );
    const notified = await NotificationModel.find({ kind: 'network-report', 'about.id': postId }).lean();
    // Two reports (the reply's and the post's), each to the lead and every admin once.
    expect(notified.filter((n) => String(n.userId) === lead.id)).to.have.length(2);

    const ids = notified.map((n) => n._id);
    await runDueNotifications({ ids });
    await settleNotifications({ ids });
    const emails = await OutboxMessageModel.find({ to: lead.email, subject: /A reply was reported/ }).lean();
    expect(emails).to.have.length(1);
    expect(emails[0]!.text).to.include('reported a reply to the post "\u2068Interview tips?\u2069"');

    const page = await (await signIn(app, lead.email, testPassword)).get(`/networks/${network.id}`).expect(200);
    expect(page.text)
      .to.include(`href="/posts/${postId}#reply-${replyId}"`)
      .and.include('A reply to “Interview tips?”');
  });

  it('a report of a reply she cannot read, an unknown or malformed id, or no reason: 404 or 422, nothing stored, never 500', async () => {
    const { replyId } = await conversation();
    const outsider = await buildUser();
    auth.set(outsider.id, `Bearer ${await tokenFor(outsider)}`);
    await reportReply(outsider, replyId, 'Unkind').expect(404);
    await reportReply(member, '000000000000000000000000', 'Unkind').expect(404);
    await reportReply(member, 'not-an-id', 'Unkind').expect(404);
    const refused = await reportReply(member, replyId, '').expect(422);
    expect(refused.headers['content-type']).to.include('application/problem+json');
    expect(await NetworkPostReportModel.countDocuments({ replyId })).to.equal(0);
  });

  it('a lead hides a reply with a reason: members see that a reply was hidden, not its words or author; the count stays; audited; shown again', async () => {
    const { postId, replyId } = await conversation();
    const hide = (u: TestUser, body: Record<string, unknown>) =>
      supertest(app).patch(`/api/v1/replies/${replyId}`).set('Authorization', bearer(u)).send(body);
    await hide(member, { hidden: true, reason: 'mine' }).expect(403);
    await hide(lead, { hidden: true }).expect(422);
    const hidden = await hide(lead, { hidden: true, reason: 'Names a colleague' }).expect(200);
    expect(hidden.body).to.include({ id: replyId, hidden: true, hiddenReason: 'Names a colleague' });
    // A second click finds it hidden already: the same answer, nothing written, not audited again.
    expect((await hide(lead, { hidden: true, reason: 'Again' }).expect(200)).body).to.include({
      hidden: true,
      hiddenReason: 'Names a colleague',
    });
    expect(await AuditEventModel.countDocuments({ action: 'reply-hidden', targetId: replyId })).to.equal(1);
    const audit = await AuditEventModel.findOne({ action: 'reply-hidden', targetId: replyId }).lean();
    expect(audit).to.include({ actorName: lead.name });
    expect(audit!.detail).to.include('Names a colleague');
    expect((await NetworkPostModel.findById(postId).lean())!.replyCount).to.equal(1);

    const asMember = await (await signIn(app, member.email, testPassword)).get(`/posts/${postId}`).expect(200);
    expect(asMember.text).to.include('A reply hidden by the network’s leads').and.include('1 reply');
    expect(asMember.text).to.not.include('named colleague').and.not.include('Rhona Replier');
    expect(asMember.text).to.not.include(`/replies/${replyId}/report`);
    await reportReply(member, replyId, 'Still there').expect(404);

    const asAdmin = await (await signIn(app, admin.email, testPassword)).get(`/posts/${postId}`).expect(200);
    expect(asAdmin.text).to.include('named colleague').and.include('Rhona Replier').and.include('Names a colleague');

    await hide(admin, { hidden: false }).expect(200);
    await hide(lead, { hidden: false }).expect(200);
    expect(await AuditEventModel.countDocuments({ action: 'reply-shown', targetId: replyId })).to.equal(1);
    const again = await (await signIn(app, member.email, testPassword)).get(`/posts/${postId}`).expect(200);
    expect(again.text).to.include('named colleague');
  });

  it('on the post page: a refused reply report keeps her text at that reply, linked from the summary; a lead hides a reply by its form', async () => {
    const { postId, replyId } = await conversation();
    const agent = await signIn(app, member.email, testPassword);
    const page = await agent.get(`/posts/${postId}`).expect(200);
    const tooLong = 'x'.repeat(1001);
    const refused = await agent
      .post(`/replies/${replyId}/report`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reason: tooLong })
      .expect(422);
    expect(refused.text).to.include('href="#field-reason"').and.include(tooLong);
    expect(refused.text.match(/id="field-reason"/g)).to.have.length(1);
    expect(refused.text).to.match(new RegExp(`<details open>\\s*<summary>Report this reply`));
    expect(await NetworkPostReportModel.countDocuments({ replyId })).to.equal(0);

    const leadAgent = await signIn(app, lead.email, testPassword);
    const leadPage = await leadAgent.get(`/posts/${postId}`).expect(200);
    await leadAgent
      .post(`/replies/${replyId}/hide`)
      .type('form')
      .send({ _csrf: csrfFrom(leadPage.text), hideReason: 'Names a colleague' })
      .expect(303)
      .expect('Location', `/posts/${postId}#reply-${replyId}`);
    const shown = await leadAgent.get(`/posts/${postId}`).expect(200);
    expect(shown.text).to.include('Hidden from members.').and.include('Show the reply again');
    await agent
      .post(`/replies/${replyId}/hide`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), hideReason: 'Not mine to hide' })
      .expect(404);
  });
});
