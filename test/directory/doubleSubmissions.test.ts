import { expect } from 'chai';
import supertest from 'supertest';
import { DirectoryMessageModel } from '../../models/DirectoryMessage.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

/** A double-clicked or retried directory message is sent, and emailed, once (server/submissions.ts). */
describe('directory: a repeated message or reply (double-click, retry) is sent once', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const submissionOf = (html: string) => /name="_submission" value="([^"]+)"/.exec(html)![1]!;

  it('over the API: the same message twice at once is one (same 201 body), one email; another key is a second', async () => {
    const writer = await buildUser();
    const reader = await buildUser();
    const readerAuth = `Bearer ${await tokenFor(reader)}`;
    await supertest(app)
      .put('/api/v1/me/directory-profile')
      .set('Authorization', readerAuth)
      .send({ visibility: 'everyone', headline: 'Hello' })
      .expect(200);
    const auth = `Bearer ${await tokenFor(writer)}`;
    const send = (key?: string) => {
      const t = supertest(app).post(`/api/v1/directory/${reader.id}/messages`).set('Authorization', auth);
      return (key ? t.set('Idempotency-Key', key) : t).send({ body: 'Could we talk about your first year?' });
    };
    const [a, b] = await Promise.all([send(), send()]);
    expect([a!.status, b!.status]).to.deep.equal([201, 201]);
    expect(a!.body).to.deep.equal(b!.body);
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(1);
    expect(await OutboxMessageModel.countDocuments({ to: reader.email })).to.equal(1);
    const [c, d] = await Promise.all([send('message-key-1'), send('message-key-1')]);
    expect(c!.body.id).to.equal(d!.body.id).and.not.equal(a!.body.id);
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(2);
  });

  it('through the forms: a double-clicked message and reply are each sent once (303 twice); a new page load sends again', async () => {
    const writer = await buildUser();
    const reader = await buildUser();
    const readerAgent = await signIn(app, reader.email, testPassword);
    await supertest(app)
      .put('/api/v1/me/directory-profile')
      .set('Authorization', `Bearer ${await tokenFor(reader)}`)
      .send({ visibility: 'everyone', headline: 'Hello' })
      .expect(200);
    const agent = await signIn(app, writer.email, testPassword);
    const personPath = `/directory/people/${reader.id}`;
    const page = (await agent.get(personPath).expect(200)).text;
    const form = { _csrf: csrfFrom(page), _submission: submissionOf(page), body: 'May I shadow you for a day?' };
    const sent = await Promise.all([1, 2].map(() => agent.post(`${personPath}/contact`).type('form').send(form)));
    expect(sent.map((s) => s.status)).to.deep.equal([303, 303]);
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(1);

    const message = (await DirectoryMessageModel.findOne({ fromId: writer.id }).lean())!;
    const messagePath = `/directory/messages/${String(message._id)}`;
    const readerPage = (await readerAgent.get(messagePath).expect(200)).text;
    const reply = { _csrf: csrfFrom(readerPage), _submission: submissionOf(readerPage), body: 'Yes, gladly.' };
    const replied = await Promise.all(
      [1, 2].map(() => readerAgent.post(`${messagePath}/reply`).type('form').send(reply)),
    );
    expect(replied.map((s) => s.status)).to.deep.equal([303, 303]);
    expect(await DirectoryMessageModel.countDocuments({ fromId: reader.id })).to.equal(1);
    expect(await OutboxMessageModel.countDocuments({ to: writer.email })).to.equal(1);

    const again = (await agent.get(personPath).expect(200)).text;
    await agent
      .post(`${personPath}/contact`)
      .type('form')
      .send({ ...form, _csrf: csrfFrom(again), _submission: submissionOf(again) })
      .expect(303);
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(2);
  });
});
