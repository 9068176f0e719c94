import { expect } from 'chai';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkPostReportModel } from '../../models/NetworkPostReport.ts';
import { NetworkReplyModel } from '../../models/NetworkReply.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { reportingLimit, writingLimit } from '../../server/services/networks/posts.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { readHits } from '../../server/services/rateLimits.ts';
import { runDueNotifications, settleNotifications } from '../../server/services/reminders/index.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

describe('networks: posts, replies, reports and hiding (safety)', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let lead: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  const auth = new Map<string, string>();
  const bearer = (u: TestUser) => auth.get(u.id)!;
  const post = (u: TestUser, networkId: string, body: Record<string, unknown>) =>
    supertest(app).post(`/api/v1/networks/${networkId}/posts`).set('Authorization', bearer(u)).send(body);
  const list = (u: TestUser, networkId: string) =>
    supertest(app).get(`/api/v1/networks/${networkId}/posts`).set('Authorization', bearer(u));
  const story = { kind: 'story', title: 'Back after five years', body: 'I felt **alone** as a leader.' };

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    lead = await buildUser();
    member = await buildUser();
    outsider = await buildUser();
    for (const u of [admin, lead, member, outsider]) auth.set(u.id, `Bearer ${await tokenFor(u)}`);
  });

  it('only members read the posts of an approval network (403 to others); an open network is read by anyone signed in', async () => {
    const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member] });
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const created = await post(member, closed.id, story).expect(201);
    await post(member, open.id, story).expect(201);
    expect((await list(member, closed.id).expect(200)).body.items.map((p: { id: string }) => p.id)).to.deep.equal([
      created.body.id,
    ]);
    const denied = await list(outsider, closed.id).expect(403);
    expect(denied.text).to.not.include('alone');
    await supertest(app).get(`/api/v1/networks/${closed.id}/posts`).expect(401);
    await supertest(app)
      .post(`/api/v1/posts/${created.body.id}/replies`)
      .set('Authorization', bearer(outsider))
      .send({ body: 'me too' })
      .expect(404);
    expect((await list(outsider, open.id).expect(200)).body.items).to.have.length(1);
  });

  it('a post’s headings fit under its page title and a reply’s under the replies heading, skipping no level', async () => {
    const network = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const created = await post(member, network.id, { ...story, body: '### What helped\n\n#### Detail' }).expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${created.body.id}/replies`)
      .set('Authorization', bearer(lead))
      .send({ body: '# Same here' })
      .expect(201);
    const agent = await signIn(app, member.email, testPassword);
    const page = (await agent.get(`/posts/${created.body.id}`).expect(200)).text;
    expect(page).to.include('<h2>What helped</h2>').and.include('<h3>Detail</h3>').and.include('<h3>Same here</h3>');
  });

  it('when a non-member posts or replies, it answers 403 and records nothing; announcements are for leads', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    await post(outsider, open.id, { ...story, title: 'Intruder' }).expect(403);
    const mine = await post(member, open.id, story).expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${mine.body.id}/replies`)
      .set('Authorization', bearer(outsider))
      .send({ body: 'Intruding reply' })
      .expect(403);
    await post(member, open.id, { kind: 'announcement', title: 'Not mine to announce', body: 'x' }).expect(403);
    await post(lead, open.id, { kind: 'announcement', title: 'Meet-up on Friday', body: 'All welcome.' }).expect(201);
    expect(await NetworkPostModel.countDocuments({ title: { $in: ['Intruder', 'Not mine to announce'] } })).to.equal(0);
    expect((await NetworkPostModel.findById(mine.body.id).lean())!.replyCount).to.equal(0);
  });

  it('a removed member loses access at once: the next read answers 403, the next post 403', async () => {
    const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member] });
    await post(member, closed.id, story).expect(201);
    await list(member, closed.id).expect(200);
    await supertest(app)
      .delete(`/api/v1/networks/${closed.id}/members/${member.id}`)
      .set('Authorization', bearer(lead))
      .expect(204);
    await list(member, closed.id).expect(403);
    await post(member, closed.id, { ...story, title: 'After removal' }).expect(403);
    expect(await NetworkPostModel.countDocuments({ title: 'After removal' })).to.equal(0);
  });

  it('a post or reply written while a lead removes her (another process) is not left behind: 403, nothing stays', async () => {
    for (const writing of ['post', 'reply'] as const) {
      const writer = await buildUser();
      auth.set(writer.id, `Bearer ${await tokenFor(writer)}`);
      const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member, writer] });
      const theirs = await post(member, closed.id, story).expect(201);
      // Her membership was checked; the insert lands after the removal.
      const model = writing === 'post' ? NetworkPostModel : NetworkReplyModel;
      const held = holdNextCall(model, 'create', {
        before: true,
        when: (args) => JSON.stringify(args[0]).includes(`Written as she is removed (${writing})`),
      });
      try {
        const sending = (
          writing === 'post'
            ? post(writer, closed.id, { ...story, title: 'Last word', body: `Written as she is removed (${writing})` })
            : supertest(app)
                .post(`/api/v1/posts/${theirs.body.id}/replies`)
                .set('Authorization', bearer(writer))
                .send({ body: `Written as she is removed (${writing})` })
        ).then((res) => res.status);
        await held.reached;
        held.restore();
        await supertest(app)
          .delete(`/api/v1/networks/${closed.id}/members/${writer.id}`)
          .set('Authorization', bearer(lead))
          .expect(204);
        held.release();
        expect(await sending, writing).to.equal(403);
      } finally {
        held.release();
        held.restore();
      }
      const left = { body: { $regex: 'Written as she is removed' } };
      expect(await NetworkPostModel.countDocuments(left), writing).to.equal(0);
      expect(await NetworkReplyModel.countDocuments(left), writing).to.equal(0);
      expect((await NetworkPostModel.findById(theirs.body.id).lean())!.replyCount).to.equal(0);
    }
  });

  it('a removed member who asks again and withdraws still cannot learn which posts were written after she left (404, as for no post); her leaving day is kept', async () => {
    const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member] });
    const before = await post(lead, closed.id, { ...story, title: 'While she was a member' }).expect(201);
    await supertest(app)
      .delete(`/api/v1/networks/${closed.id}/members/${member.id}`)
      .set('Authorization', bearer(lead))
      .expect(204);
    const left = (await NetworkMembershipModel.findOne({ networkId: closed.id, userId: member.id }).lean())!.removedAt;
    const after = await post(lead, closed.id, { ...story, title: 'After she left' }).expect(201);
    const reply = (postId: string) =>
      supertest(app)
        .post(`/api/v1/posts/${postId}/replies`)
        .set('Authorization', bearer(member))
        .send({ body: 'Probing' });
    await reply(after.body.id).expect(404);
    for (let round = 0; round < 2; round += 1) {
      const asked = await supertest(app)
        .post(`/api/v1/networks/${closed.id}/members`)
        .set('Authorization', bearer(member))
        .send({})
        .expect(201);
      expect(asked.body).to.deep.equal({ status: 'requested' });
      await supertest(app)
        .delete(`/api/v1/networks/${closed.id}/members/me`)
        .set('Authorization', bearer(member))
        .expect(204);
      await reply(after.body.id).expect(404);
    }
    // A post she could have read as a member is refused as hers no longer to answer.
    await reply(before.body.id).expect(403);
    const row = (await NetworkMembershipModel.findOne({ networkId: closed.id, userId: member.id }).lean())!;
    expect(row.removedAt?.toISOString()).to.equal(left?.toISOString());
  });

  it('hidden posts vanish for members, leads and admins see them marked with the reason, and hiding is audited', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const created = await post(member, open.id, { ...story, title: 'Will be hidden' }).expect(201);
    const id = created.body.id as string;
    await supertest(app)
      .patch(`/api/v1/posts/${id}`)
      .set('Authorization', bearer(member))
      .send({ hidden: true, reason: 'mine' })
      .expect(403);
    await supertest(app)
      .patch(`/api/v1/posts/${id}`)
      .set('Authorization', bearer(lead))
      .send({ hidden: true })
      .expect(422);
    const hidden = await supertest(app)
      .patch(`/api/v1/posts/${id}`)
      .set('Authorization', bearer(lead))
      .send({ hidden: true, reason: 'Names a colleague' })
      .expect(200);
    expect(hidden.body).to.include({ hidden: true, hiddenReason: 'Names a colleague' });
    expect((await list(member, open.id).expect(200)).body.items).to.have.length(0);
    await supertest(app).get(`/api/v1/networks/${open.id}/posts`).set('Authorization', bearer(outsider)).expect(200);
    expect((await list(outsider, open.id)).body.items).to.have.length(0);
    for (const moderator of [lead, admin]) {
      const seen = (await list(moderator, open.id).expect(200)).body.items;
      expect(seen).to.have.length(1);
      expect(seen[0]).to.include({ id, hidden: true, hiddenReason: 'Names a colleague' });
    }
    // A second click finds it hidden already: not audited again.
    await supertest(app)
      .patch(`/api/v1/posts/${id}`)
      .set('Authorization', bearer(lead))
      .send({ hidden: true, reason: 'Names a colleague' })
      .expect(200);
    expect(await AuditEventModel.countDocuments({ action: 'post-hidden', targetId: id })).to.equal(1);
    const audit = await AuditEventModel.findOne({ action: 'post-hidden', targetId: id }).lean();
    expect(audit).to.include({ actorName: lead.name });
    expect(audit!.detail).to.include('Names a colleague');
  });

  it('an admin who is not a lead of an approval network hides a post with a reason: members lose it, the audit names her and the reason', async () => {
    const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member] });
    const created = await post(member, closed.id, { ...story, title: 'Hidden by an admin' }).expect(201);
    const id = created.body.id as string;
    await supertest(app)
      .patch(`/api/v1/posts/${id}`)
      .set('Authorization', bearer(admin))
      .send({ hidden: true, reason: 'Shares a pupil’s name' })
      .expect(200);
    expect((await list(member, closed.id).expect(200)).body.items).to.have.length(0);
    await supertest(app)
      .post(`/api/v1/posts/${id}/replies`)
      .set('Authorization', bearer(member))
      .send({ body: 'Still here?' })
      .expect(404);
    expect((await list(admin, closed.id).expect(200)).body.items[0]).to.include({
      id,
      hidden: true,
      hiddenReason: 'Shares a pupil’s name',
    });
    const audit = await AuditEventModel.find({ action: 'post-hidden', targetId: id }).lean();
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ actorName: admin.name });
    expect(String(audit[0]!.actorId)).to.equal(admin.id);
    expect(audit[0]!.detail).to.include('Shares a pupil’s name');
  });

  it('a report reaches the network page of leads and admins and emails each of them once', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const created = await post(member, open.id, story).expect(201);
    for (let i = 0; i < 2; i++)
      await supertest(app)
        .post(`/api/v1/posts/${created.body.id}/report`)
        .set('Authorization', bearer(outsider))
        .send({ reason: `Not kind (${i})` })
        .expect(201);
    expect(await NetworkPostReportModel.countDocuments({ postId: created.body.id })).to.equal(1);
    const notified = await NotificationModel.find({ kind: 'network-report', 'about.id': created.body.id }).lean();
    expect(notified.map((n) => String(n.userId)).sort()).to.deep.equal([lead.id, admin.id].sort());
    await supertest(app)
      .post(`/api/v1/posts/${created.body.id}/report`)
      .set('Authorization', bearer(outsider))
      .send({ reason: '' })
      .expect(422);
  });

  /** A reporter (with her API token) and one more post than her hourly reports, in an open network. */
  async function reporterAndPostsToReport() {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const reporter = await buildUser();
    const token = `Bearer ${await tokenFor(reporter)}`;
    const posts = await NetworkPostModel.insertMany(
      Array.from({ length: reportingLimit.perHour + 1 }, (_, i) => ({
        networkId: open.id,
        authorId: member.id,
        authorName: member.name,
        authorVersion: 0,
        kind: 'story',
        title: `Post ${i}`,
        body: 'Body',
      })),
    );
    return { reporter, token, posts };
  }

  it('one person reports at most 20 posts an hour (each new report emails every lead and admin): the next is a 429 with nothing stored, a changed reason does not count, and the web form keeps her reason', async () => {
    const { reporter, token, posts } = await reporterAndPostsToReport();
    const report = (id: unknown, reason: string) =>
      supertest(app)
        .post(`/api/v1/posts/${String(id)}/report`)
        .set('Authorization', token)
        .send({ reason });
    for (let i = 0; i < reportingLimit.perHour; i++) await report(posts[i]!._id, 'Spam').expect(201);
    // Changing the reason of a report she made is not a new report, and emails nobody.
    await report(posts[0]!._id, 'Spam, and rude').expect(201);
    const last = posts[reportingLimit.perHour]!._id;
    const refused = await report(last, 'Spam').expect(429);
    expect(refused.headers['content-type']).to.include('application/problem+json');
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 3600);
    expect(await NetworkPostReportModel.countDocuments({ reporterId: reporter.id })).to.equal(reportingLimit.perHour);
    expect(await NetworkPostReportModel.countDocuments({ postId: last })).to.equal(0);
    expect(await NotificationModel.countDocuments({ kind: 'network-report', 'about.id': String(last) })).to.equal(0);

    const agent = await signIn(app, reporter.email, testPassword);
    const page = await agent.get(`/posts/${String(last)}`).expect(200);
    const web = await agent
      .post(`/posts/${String(last)}/report`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reason: 'My careful reason' })
      .expect(429);
    expect(web.text).to.include('My careful reason').and.to.include('report 20 posts and replies an hour');
    expect(await NetworkPostReportModel.countDocuments({ postId: last })).to.equal(0);
  });

  it('with one report of her 20 left, the same report sent twice at once is one report, both answered 201, and uses that last one', async () => {
    const { token, posts } = await reporterAndPostsToReport();
    const report = (id: unknown) =>
      supertest(app)
        .post(`/api/v1/posts/${String(id)}/report`)
        .set('Authorization', token)
        .send({ reason: 'Spam' });
    for (const p of posts.slice(0, reportingLimit.perHour - 1)) await report(p._id).expect(201);
    const last = posts[reportingLimit.perHour - 1]!._id;
    const both = await Promise.all([report(last), report(last)]);
    expect(both.map((r) => r.status)).to.deep.equal([201, 201]);
    expect(both[1]!.body.id).to.equal(both[0]!.body.id);
    expect(await NetworkPostReportModel.countDocuments({ postId: last })).to.equal(1);
    await report(posts[reportingLimit.perHour]!._id).expect(429);
  });

  it('a report’s email is not sent to a lead removed before it goes out: only to those who still moderate the network', async () => {
    const formerLead = await buildUser();
    auth.set(formerLead.id, `Bearer ${await tokenFor(formerLead)}`);
    const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead, formerLead], members: [member] });
    const created = await post(member, closed.id, { ...story, title: 'About a named colleague' }).expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${created.body.id}/report`)
      .set('Authorization', bearer(lead))
      .send({ reason: 'Names a colleague' })
      .expect(201);
    await supertest(app)
      .delete(`/api/v1/networks/${closed.id}/members/${formerLead.id}`)
      .set('Authorization', bearer(admin))
      .expect(204);
    const ids = (await NotificationModel.find({ kind: 'network-report', 'about.id': created.body.id }).lean()).map(
      (n) => n._id,
    );
    await runDueNotifications({ ids });
    await settleNotifications({ ids });
    const settled = await NotificationModel.find({ _id: { $in: ids } }).lean();
    const statusOf = (u: TestUser) => settled.find((n) => String(n.userId) === u.id)?.status;
    expect([lead, admin, formerLead].map(statusOf)).to.deep.equal(['sent', 'sent', 'skipped']);
  });

  it('a report’s email sent after the post’s author erased her account does not carry her erased title', async () => {
    const author = await buildUser();
    auth.set(author.id, `Bearer ${await tokenFor(author)}`);
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [author] });
    const created = await post(author, open.id, { ...story, title: 'My school, Greenfield Primary' }).expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${created.body.id}/report`)
      .set('Authorization', bearer(member))
      .send({ reason: 'Names a school' })
      .expect(201);
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: author.id, bySelf: false });
    const ids = (await NotificationModel.find({ kind: 'network-report', 'about.id': created.body.id }).lean()).map(
      (n) => n._id,
    );
    await runDueNotifications({ ids });
    await settleNotifications({ ids });
    const emails = await OutboxMessageModel.find({ to: lead.email, subject: /A post was reported/ }).lean();
    expect(emails.length).to.be.greaterThan(0);
    for (const e of emails) expect(`${e.text} ${e.html ?? ''}`).to.not.include('Greenfield');
  });

  it('sanitises markdown: no script, no event handler, no javascript: link survives in the stored or served post', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const created = await post(member, open.id, {
      kind: 'question',
      title: 'Links?',
      body: 'Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))',
    }).expect(201);
    const stored = (await NetworkPostModel.findById(created.body.id).lean())!.body;
    for (const text of [stored, created.body.bodyHtml as string]) {
      expect(text).to.not.match(/<script|onerror|javascript:/i);
    }
  });

  it('keeps a passage she marks in Welsh or French (lang, dir) in the stored and served post and reply, and drops a lang that names no language', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const created = await post(member, open.id, {
      kind: 'story',
      title: 'Bilingual school',
      body: 'We open with <span lang="cy">Bore da</span> and <span lang="French" dir="ltr">bonjour</span>.',
    }).expect(201);
    const stored = (await NetworkPostModel.findById(created.body.id).lean())!.body;
    expect(stored).to.equal('We open with <span lang="cy">Bore da</span> and <span dir="ltr">bonjour</span>.');
    expect(created.body.bodyHtml).to.include('<span lang="cy">Bore da</span>').and.include('<span dir="ltr">bonjour');
    const reply = await supertest(app)
      .post(`/api/v1/posts/${created.body.id}/replies`)
      .set('Authorization', bearer(lead))
      .send({ body: '<p lang="fr" dir="ltr">Très bien !</p>' })
      .expect(201);
    expect((await NetworkReplyModel.findById(reply.body.id).lean())!.body).to.equal(
      '<p lang="fr" dir="ltr">Très bien !</p>',
    );
    expect(reply.body.bodyHtml).to.equal('<p lang="fr" dir="ltr">Très bien !</p>');
  });

  it('when a post or reply is only unsafe HTML, it answers 422 naming the body field and stores nothing, never 500', async () => {
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const refused = await post(member, open.id, { ...story, body: '<script>alert(1)</script>' }).expect(422);
    expect(refused.body.errors).to.deep.equal([
      { path: 'body', message: 'has nothing left once unsafe HTML is removed: write it as text or Markdown' },
    ]);
    expect(await NetworkPostModel.countDocuments({ networkId: open.id })).to.equal(0);
    const mine = await post(member, open.id, story).expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${mine.body.id}/replies`)
      .set('Authorization', bearer(member))
      .send({ body: '<iframe src="https://example.org"></iframe>' })
      .expect(422);
    expect((await NetworkPostModel.findById(mine.body.id).lean())!.replyCount).to.equal(0);
  });

  it('8 copies of one post (one key) and of one reply sent at once are one post and one reply, each answered alike, and use 2 of her 30 an hour', async () => {
    const writer = await buildUser();
    auth.set(writer.id, `Bearer ${await tokenFor(writer)}`);
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [writer] });
    const copies = (send: () => supertest.Test) => Promise.all(Array.from({ length: 8 }, send));
    const posted = await copies(() => post(writer, open.id, story).set('Idempotency-Key', 'post-copies-1'));
    expect(posted.map((r) => r.status)).to.deep.equal(posted.map(() => 201));
    expect(new Set(posted.map((r) => r.body.id)).size).to.equal(1);
    const replied = await copies(() =>
      supertest(app)
        .post(`/api/v1/posts/${posted[0]!.body.id}/replies`)
        .set('Authorization', bearer(writer))
        .set('Idempotency-Key', 'reply-copies-1')
        .send({ body: 'Me too.' }),
    );
    expect(replied.map((r) => r.status)).to.deep.equal(replied.map(() => 201));
    expect(await NetworkPostModel.countDocuments({ networkId: open.id })).to.equal(1);
    expect(await NetworkReplyModel.countDocuments({ postId: posted[0]!.body.id })).to.equal(1);
    const counted = await readHits({ key: `network-writing:${writer.id}`, windowMs: writingLimit.windowMs });
    expect(counted?.hits).to.equal(2);
  });

  it('past 30 posts and replies in an hour she is refused with 429 and Retry-After, nothing stored, the form keeps her text; others write on', async () => {
    const writer = await buildUser();
    auth.set(writer.id, `Bearer ${await tokenFor(writer)}`);
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member, writer] });
    const first = await post(writer, open.id, story).expect(201);
    for (let n = 1; n < writingLimit.perHour; n += 1)
      await supertest(app)
        .post(`/api/v1/posts/${first.body.id}/replies`)
        .set('Authorization', bearer(writer))
        .send({ body: `Reply ${n}` })
        .expect(201);
    const refused = await post(writer, open.id, { ...story, title: 'One too many' }).expect(429);
    expect(refused.headers['content-type']).to.include('application/problem+json');
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 3600);
    await supertest(app)
      .post(`/api/v1/posts/${first.body.id}/replies`)
      .set('Authorization', bearer(writer))
      .send({ body: 'And another' })
      .expect(429);
    expect(await NetworkPostModel.countDocuments({ networkId: open.id, title: 'One too many' })).to.equal(0);
    expect((await NetworkPostModel.findById(first.body.id).lean())!.replyCount).to.equal(writingLimit.perHour - 1);
    // On the network page the refusal is on her form, with what she typed.
    const agent = await signIn(app, writer.email, testPassword);
    const page = await agent.get(`/networks/${open.id}`).expect(200);
    const form = await agent
      .post(`/networks/${open.id}/posts`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), kind: 'story', title: 'Typed with care', body: 'Every word of it' })
      .expect(429);
    expect(form.headers['retry-after']).to.be.a('string');
    expect(form.text)
      .to.include('There is a problem')
      .and.to.include('Typed with care')
      .and.to.include('Every word of it');
    // Her limit is hers alone.
    await post(member, open.id, story).expect(201);
  });

  it('when a member removed from an approval network replies to a post she had open, it answers problem+json 403 and writes nothing; posts written after she left stay 404', async () => {
    const former = await buildUser();
    auth.set(former.id, `Bearer ${await tokenFor(former)}`);
    const closed = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member, former] });
    const seen = await post(member, closed.id, { ...story, title: 'Seen before removal' }).expect(201);
    const hidden = await post(member, closed.id, { ...story, title: 'Hidden before removal' }).expect(201);
    await supertest(app)
      .patch(`/api/v1/posts/${hidden.body.id}`)
      .set('Authorization', bearer(lead))
      .send({ hidden: true, reason: 'Names a pupil' })
      .expect(200);
    await supertest(app)
      .delete(`/api/v1/networks/${closed.id}/members/${former.id}`)
      .set('Authorization', bearer(lead))
      .expect(204);
    const later = await post(member, closed.id, { ...story, title: 'Written after she left' }).expect(201);
    const reply = (postId: string) =>
      supertest(app)
        .post(`/api/v1/posts/${postId}/replies`)
        .set('Authorization', bearer(former))
        .send({ body: 'My careful answer' });

    const refused = await reply(seen.body.id).expect(403);
    expect(refused.headers['content-type']).to.include('application/problem+json');
    expect(refused.body).to.include({
      status: 403,
      detail: 'You are no longer a member of this network, so your reply was not posted.',
    });
    expect(refused.text).to.not.include('alone');
    await reply(hidden.body.id).expect(404);
    await reply(later.body.id).expect(404);
    expect(await NetworkReplyModel.countDocuments({ networkId: closed.id })).to.equal(0);
    const counts = await NetworkPostModel.find({ networkId: closed.id }).select({ replyCount: 1 }).lean();
    expect(counts.map((p) => p.replyCount)).to.deep.equal([0, 0, 0]);
  });

  it('answers 404 for unknown or malformed post ids and 422 for a bad body, never 500', async () => {
    await supertest(app)
      .post('/api/v1/posts/nope/replies')
      .set('Authorization', bearer(member))
      .send({ body: 'x' })
      .expect(404);
    await supertest(app)
      .patch('/api/v1/posts/0123456789abcdef01234567')
      .set('Authorization', bearer(admin))
      .send({ hidden: true, reason: 'x' })
      .expect(404);
    const open = await buildNetwork({ joining: 'open' }, { members: [member] });
    await post(member, open.id, { kind: 'rant', title: '', body: { $gt: '' } }).expect(422);
  });
});
