import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkEventModel } from '../../models/NetworkEvent.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkReplyModel } from '../../models/NetworkReply.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** A double-clicked or retried post or reply is stored once (server/submissions.ts). */
describe('networks: a repeated post or reply (double-click, retry) is stored once', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const submissionOf = (html: string) => /name="_submission" value="([^"]+)"/.exec(html)![1]!;

  it('over the API: the same post or reply sent twice at once is one (same 201 body), counted once; another key is a second', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const auth = `Bearer ${await tokenFor(member)}`;
    const story = { kind: 'story', title: 'First headship', body: 'What I wish I had known.' };
    const posts = await Promise.all(
      [1, 2].map(() =>
        supertest(app).post(`/api/v1/networks/${network.id}/posts`).set('Authorization', auth).send(story),
      ),
    );
    expect(posts.map((p) => p.status)).to.deep.equal([201, 201]);
    expect(posts[0]!.body).to.deep.equal(posts[1]!.body);
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(1);

    const postId = posts[0]!.body.id as string;
    const reply = () =>
      supertest(app)
        .post(`/api/v1/posts/${postId}/replies`)
        .set('Authorization', auth)
        .set('Idempotency-Key', 'reply-one');
    const replies = await Promise.all([reply().send({ body: 'Thank you.' }), reply().send({ body: 'Thank you.' })]);
    expect(replies.map((r) => r.status)).to.deep.equal([201, 201]);
    expect(replies[0]!.body.id).to.equal(replies[1]!.body.id);
    await supertest(app)
      .post(`/api/v1/posts/${postId}/replies`)
      .set('Authorization', auth)
      .set('Idempotency-Key', 'reply-two')
      .send({ body: 'Thank you.' })
      .expect(201);
    expect(await NetworkReplyModel.countDocuments({ postId })).to.equal(2);
    expect((await NetworkPostModel.findById(postId).lean())!.replyCount).to.equal(2);
  });

  it('through the forms: a double-click posts one post and one reply (303 twice); a new page load posts again', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const agent = await signIn(app, member.email, testPassword);
    const page = (await agent.get(`/networks/${network.id}`).expect(200)).text;
    const form = {
      _csrf: csrfFrom(page),
      _submission: submissionOf(page),
      kind: 'question',
      title: 'Interview tasks?',
      body: 'What did yours ask?',
    };
    const posted = await Promise.all(
      [1, 2].map(() => agent.post(`/networks/${network.id}/posts`).type('form').send(form)),
    );
    expect(posted.map((p) => p.status)).to.deep.equal([303, 303]);
    expect(posted[0]!.headers.location).to.equal(posted[1]!.headers.location);
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(1);

    const path = posted[0]!.headers.location as string;
    const postPage = (await agent.get(path).expect(200)).text;
    const reply = { _csrf: csrfFrom(postPage), _submission: submissionOf(postPage), body: 'An in-tray exercise.' };
    const replied = await Promise.all([1, 2].map(() => agent.post(`${path}/replies`).type('form').send(reply)));
    expect(replied.map((p) => p.status)).to.deep.equal([303, 303]);
    const postId = path.split('/')[2];
    expect(await NetworkReplyModel.countDocuments({ postId })).to.equal(1);
    expect((await NetworkPostModel.findById(postId).lean())!.replyCount).to.equal(1);
    const again = (await agent.get(path).expect(200)).text;
    await agent
      .post(`${path}/replies`)
      .type('form')
      .send({ ...reply, _csrf: csrfFrom(again), _submission: submissionOf(again) })
      .expect(303);
    expect(await NetworkReplyModel.countDocuments({ postId })).to.equal(2);
  });

  it('a lead’s event created twice at once is one event (API 201 twice, form 303 twice); another key is a second', async () => {
    const lead = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { leads: [lead] });
    const auth = `Bearer ${await tokenFor(lead)}`;
    const event = {
      title: 'Evening clinic',
      startsAt: '2027-03-10T18:00:00.000Z',
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/clinic',
    };
    const create = () =>
      supertest(app).post(`/api/v1/networks/${network.id}/events`).set('Authorization', auth).send(event);
    const [a, b] = await Promise.all([create(), create()]);
    expect([a!.status, b!.status]).to.deep.equal([201, 201]);
    expect(a!.body).to.deep.equal(b!.body);
    expect(await NetworkEventModel.countDocuments({ networkId: network.id })).to.equal(1);

    const agent = await signIn(app, lead.email, testPassword);
    const page = (await agent.get(`/networks/${network.id}/events`).expect(200)).text;
    const form = {
      _csrf: csrfFrom(page),
      _submission: submissionOf(page),
      title: 'Interview practice',
      startsAtLocal: '2027-04-01T17:00',
      durationMinutes: '45',
      mode: 'in-person',
      location: 'Hillside School, room 4',
    };
    const posted = await Promise.all(
      [1, 2].map(() => agent.post(`/networks/${network.id}/events`).type('form').send(form)),
    );
    expect(
      posted.map((p) => p.status),
      posted[0]!.text.slice(0, 300),
    ).to.deep.equal([303, 303]);
    expect(posted[0]!.headers.location).to.equal(posted[1]!.headers.location);
    expect(await NetworkEventModel.countDocuments({ networkId: network.id })).to.equal(2);
    const again = (await agent.get(`/networks/${network.id}/events`).expect(200)).text;
    await agent
      .post(`/networks/${network.id}/events`)
      .type('form')
      .send({ ...form, _csrf: csrfFrom(again), _submission: submissionOf(again) })
      .expect(303);
    expect(await NetworkEventModel.countDocuments({ networkId: network.id })).to.equal(3);
  });
});
