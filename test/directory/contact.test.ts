import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { DirectoryMessageModel } from '../../models/DirectoryMessage.ts';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

describe('directory: contact without sharing addresses, rate-limited, reportable, and blocking', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  const api = async (user: TestUser) => {
    const token = await tokenFor(user);
    const auth = (t: supertest.Test) => t.set('Authorization', `Bearer ${token}`);
    return {
      get: (p: string) => auth(supertest(app).get(p)),
      put: (p: string) => auth(supertest(app).put(p)),
      post: (p: string) => auth(supertest(app).post(p)),
      delete: (p: string) => auth(supertest(app).delete(p)),
    };
  };
  const publish = async (user: TestUser, visibility = 'everyone') =>
    (await api(user)).put('/api/v1/me/directory-profile').send({ visibility, headline: 'Hello' }).expect(200);

  /** She writes to him through the API (201): the message as the API answers it. */
  const sendMessage = async (writer: TestUser, reader: TestUser, body: string) =>
    (await api(writer)).post(`/api/v1/directory/${reader.id}/messages`).send({ body }).expect(201);

  before(() => {
    app = testApp();
  });

  it('when she writes, the recipient is emailed through the reminders pipeline, and neither address is in it', async () => {
    const writer = await buildUser({ name: 'Wendy Writer' });
    const reader = await buildUser({ name: 'Rita Reader' });
    await publish(reader);
    const res = await sendMessage(writer, reader, 'Would you talk to me about flexible working?');
    expect(res.body).to.include({ fromName: 'Wendy Writer', toName: 'Rita Reader' });
    const notification = await NotificationModel.findOne({ key: `directory-message:${res.body.id}` }).lean();
    expect(notification?.kind).to.equal('directory-message');
    const emails = await OutboxMessageModel.find({ to: reader.email }).lean();
    expect(emails).to.have.length(1);
    expect(emails[0]!.text).to.include('Would you talk to me about flexible working?');
    expect(emails[0]!.text).to.include(`http://pathways.test/directory/messages/${res.body.id}`);
    expect(emails[0]!.text).to.not.include(writer.email);
    expect(JSON.stringify(emails[0]!.headers)).to.not.include(writer.email);
  });

  it('when the recipient replies, the writer is emailed the reply with the replier’s address, and only hers', async () => {
    const writer = await buildUser({ name: 'Wanda Writer' });
    const reader = await buildUser({ name: 'Rosa Reader' });
    await publish(reader);
    const sent = await sendMessage(writer, reader, 'Hello Rosa');
    const agent = await signIn(app, reader.email, testPassword);
    const csrf = await csrfOf(agent, `/directory/messages/${sent.body.id}`);
    await agent
      .post(`/directory/messages/${sent.body.id}/reply`)
      .type('form')
      .send({ _csrf: csrf, body: 'Happy to talk, Wanda' })
      .expect(303);
    const toWriter = await OutboxMessageModel.find({ to: writer.email }).lean();
    expect(toWriter).to.have.length(1);
    expect(toWriter[0]!.subject).to.equal('Rosa Reader replied to your message through Pathways');
    expect(toWriter[0]!.text).to.include('Happy to talk, Wanda');
    expect(toWriter[0]!.text).to.include(reader.email);
    const toReader = await OutboxMessageModel.find({ to: reader.email }).lean();
    expect(toReader.map((m) => m.text).join()).to.not.include(writer.email);
  });

  it('when either of them blocks the other after the message was sent, the reply answers 403 and emails no one', async () => {
    for (const blocks of ['writer', 'recipient'] as const) {
      const writer = await buildUser({ name: 'Willa Writer' });
      const reader = await buildUser({ name: 'Rhea Reader' });
      await publish(reader);
      const sent = await sendMessage(writer, reader, 'May I ask about your job share?');
      const [blocker, blocked] = blocks === 'writer' ? [writer, reader] : [reader, writer];
      await (await api(blocker)).put(`/api/v1/me/blocks/${blocked.id}`).expect(204);
      const agent = await signIn(app, reader.email, testPassword);
      const csrf = await csrfOf(agent, `/directory/messages/${sent.body.id}`);
      const refused = await agent
        .post(`/directory/messages/${sent.body.id}/reply`)
        .type('form')
        .send({ _csrf: csrf, body: 'Yes, write to me at my address' })
        .expect(403);
      expect(refused.text).to.include('You can write only to people whose directory profile you can see.');
      expect(await DirectoryMessageModel.countDocuments({ inReplyTo: sent.body.id }), blocks).to.equal(0);
      expect(await OutboxMessageModel.countDocuments({ to: writer.email }), blocks).to.equal(0);
    }
  });

  it('when an admin disabled the writer after her message, the reply answers 409 saying her account is disabled, and nothing is stored or planned', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const writer = await buildUser({ name: 'Wren Writer' });
    const reader = await buildUser({ name: 'Rosa Reader' });
    await publish(reader);
    const sent = await sendMessage(writer, reader, 'May I ask about your deputy headship?');
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: writer.id,
      changes: { status: 'disabled' },
    });
    const agent = await signIn(app, reader.email, testPassword);
    const csrf = await csrfOf(agent, `/directory/messages/${sent.body.id}`);
    const refused = await agent
      .post(`/directory/messages/${sent.body.id}/reply`)
      .type('form')
      .send({ _csrf: csrf, body: 'Yes, write to me at my address' })
      .expect(409);
    expect(refused.text).to.include('account is disabled');
    expect(await DirectoryMessageModel.countDocuments({ inReplyTo: sent.body.id })).to.equal(0);
    expect(await NotificationModel.countDocuments({ userId: writer.id, kind: 'directory-message' })).to.equal(0);
  });

  it('when she writes to someone she cannot see (hidden or networks-only profile), it answers as for an unknown person (404, web and API) and sends nothing', async () => {
    const writer = await buildUser();
    const hidden = await buildUser();
    const networksOnly = await buildUser();
    const withoutProfile = await buildUser();
    await publish(hidden, 'hidden');
    await publish(networksOnly, 'networks');
    const writerApi = await api(writer);
    const write = (toId: string) => writerApi.post(`/api/v1/directory/${toId}/messages`).send({ body: 'Hi' });
    const unknown = await write(String(new Types.ObjectId())).expect(404);
    for (const to of [hidden, networksOnly, withoutProfile]) {
      const refused = await write(to.id).expect(404);
      expect(refused.body).to.deep.equal(unknown.body);
    }
    const agent = await signIn(app, writer.email, testPassword);
    const csrf = await csrfOf(agent, '/directory');
    const viaForm = (toId: string) =>
      agent.post(`/directory/people/${toId}/contact`).type('form').send({ _csrf: csrf, body: 'Hi' });
    const withoutTokens = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '');
    const unknownPage = await viaForm(String(new Types.ObjectId())).expect(404);
    const hiddenPage = await viaForm(hidden.id).expect(404);
    expect(withoutTokens(hiddenPage.text)).to.equal(withoutTokens(unknownPage.text));
    for (const to of [hidden, networksOnly]) {
      expect(await DirectoryMessageModel.countDocuments({ toId: to.id })).to.equal(0);
      expect(await OutboxMessageModel.countDocuments({ to: to.email })).to.equal(0);
    }
  });

  it('a message refused because the profile was hidden (or she was blocked) while she wrote keeps her text on the page, read-only, to copy', async () => {
    const writer = await buildUser();
    const reader = await buildUser();
    await publish(reader);
    const agent = await signIn(app, writer.email, testPassword);
    const person = `/directory/people/${reader.id}`;
    const csrf = await csrfOf(agent, person);
    const long = 'Dear Rana,\n\nI read your headline and would love to talk about headship in small schools.';
    await publish(reader, 'hidden');
    const refused = await agent.post(`${person}/contact`).type('form').send({ _csrf: csrf, body: long }).expect(404);
    expect(refused.text).to.match(/<textarea id="field-body"[^>]*readonly>/);
    expect(refused.text).to.include(`${long.replace(/\n/g, '\n')}</textarea>`);
    expect(refused.text).to.include('<title>Error:');
    expect(await DirectoryMessageModel.countDocuments({ toId: reader.id })).to.equal(0);
  });

  it('when she writes to herself, it answers 403 (she sees her own profile) and sends nothing', async () => {
    const writer = await buildUser();
    await publish(writer);
    await (
      await api(writer)
    )
      .post(`/api/v1/directory/${writer.id}/messages`)
      .send({ body: 'Note to self' })
      .expect(403);
    expect(await DirectoryMessageModel.countDocuments({ toId: writer.id })).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: writer.email })).to.equal(0);
  });

  it('after 5 messages in an hour, the 6th answers 429 and stores nothing', async () => {
    const writer = await buildUser();
    const readers = await Promise.all(Array.from({ length: 6 }, () => buildUser()));
    for (const r of readers) await publish(r);
    const client = await api(writer);
    for (const r of readers.slice(0, 5))
      await client.post(`/api/v1/directory/${r.id}/messages`).send({ body: 'Hi' }).expect(201);
    const refused = await client.post(`/api/v1/directory/${readers[5]!.id}/messages`).send({ body: 'Hi' }).expect(429);
    expect(refused.headers['retry-after']).to.match(/^\d+$/);
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(5);
  });

  it('a repeated message (a retry with the same key) is not counted again: she can still send 5 an hour', async () => {
    const writer = await buildUser();
    const readers = await Promise.all(Array.from({ length: 5 }, () => buildUser()));
    for (const r of readers) await publish(r);
    const client = await api(writer);
    const send = (r: TestUser, key: string) =>
      client.post(`/api/v1/directory/${r.id}/messages`).set('Idempotency-Key', key).send({ body: 'Hi' });
    const first = await send(readers[0]!, 'contact-retry-1').expect(201);
    const again = await send(readers[0]!, 'contact-retry-1').expect(201);
    expect(again.body.id).to.equal(first.body.id);
    for (const [i, r] of readers.slice(1).entries()) await send(r, `contact-next-${i}`).expect(201);
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(5);
  });

  it('with one message of her 5 left, the same message sent twice at once (one key) is one message, both answered 201 with it; a retry later is answered with it too, not 429', async () => {
    const writer = await buildUser();
    const readers = await Promise.all(Array.from({ length: 6 }, () => buildUser()));
    for (const r of readers) await publish(r);
    const client = await api(writer);
    for (const r of readers.slice(0, 4))
      await client.post(`/api/v1/directory/${r.id}/messages`).send({ body: 'Hi' }).expect(201);
    const send = (r: TestUser, key: string) =>
      client.post(`/api/v1/directory/${r.id}/messages`).set('Idempotency-Key', key).send({ body: 'Last one' });
    const [a, b] = await Promise.all([send(readers[4]!, 'contact-fifth-1'), send(readers[4]!, 'contact-fifth-1')]);
    expect([a!.status, b!.status]).to.deep.equal([201, 201]);
    expect(b!.body).to.deep.equal(a!.body);
    const later = await send(readers[4]!, 'contact-fifth-1').expect(201);
    expect(later.body).to.deep.equal(a!.body);
    // Her allowance is spent by the five messages stored: a new one is still refused.
    await send(readers[5]!, 'contact-sixth-1').expect(429);
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(5);
    expect(await OutboxMessageModel.countDocuments({ to: readers[4]!.email })).to.equal(1);
  });

  it('when the hourly limit refuses a message or reply written in the web form, the page gives back what she wrote (429)', async () => {
    const writer = await buildUser();
    const readers = await Promise.all(Array.from({ length: 6 }, () => buildUser()));
    for (const r of readers) await publish(r);
    const client = await api(writer);
    const first = await client.post(`/api/v1/directory/${readers[0]!.id}/messages`).send({ body: 'Hi' }).expect(201);
    for (const r of readers.slice(1, 5))
      await client.post(`/api/v1/directory/${r.id}/messages`).send({ body: 'Hi' }).expect(201);
    const long = `Dear colleague, ${'I would value your advice on flexible working. '.repeat(20)}Thank you & “regards”.`;
    const agent = await signIn(app, writer.email, testPassword);
    const refused = await agent
      .post(`/directory/people/${readers[5]!.id}/contact`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/directory/people/${readers[5]!.id}`), body: long })
      .expect(429);
    expect(refused.headers['retry-after']).to.match(/^\d+$/);
    expect(refused.text).to.include('messages an hour');
    expect(refused.text).to.include('Thank you &amp; “regards”.');
    expect(refused.text).to.include('I would value your advice on flexible working.');
    expect(await DirectoryMessageModel.countDocuments({ fromId: writer.id })).to.equal(5);

    // She received a reply to her first message; answering it is refused alike (her own allowance is spent).
    const reader = readers[0]!;
    const readerClient = await api(reader);
    for (const r of readers.slice(1, 6))
      await readerClient.post(`/api/v1/directory/${r.id}/messages`).send({ body: 'Hi' }).expect(201);
    const readerAgent = await signIn(app, reader.email, testPassword);
    const reply = await readerAgent
      .post(`/directory/messages/${first.body.id}/reply`)
      .type('form')
      .send({ _csrf: await csrfOf(readerAgent, `/directory/messages/${first.body.id}`), body: long })
      .expect(429);
    expect(reply.text).to.include('Thank you &amp; “regards”.');
    expect(await DirectoryMessageModel.countDocuments({ inReplyTo: first.body.id })).to.equal(0);
  });

  it('when she reports a message, admins see it on their page and the report is audited', async () => {
    const writer = await buildUser({ name: 'Ursula Unwelcome' });
    const reader = await buildUser();
    const admin = await buildUser({ roles: ['admin'] });
    await publish(reader);
    const sent = await sendMessage(writer, reader, 'Something unkind');
    const agent = await signIn(app, reader.email, testPassword);
    const csrf = await csrfOf(agent, `/directory/messages/${sent.body.id}`);
    await agent
      .post(`/directory/messages/${sent.body.id}/report`)
      .type('form')
      .send({ _csrf: csrf, reason: 'Unkind' })
      .expect(303);
    expect(
      await AuditEventModel.countDocuments({ action: 'directory-message-reported', targetId: sent.body.id }),
    ).to.equal(1);
    const adminAgent = await signIn(app, admin.email, testPassword);
    const page = await adminAgent.get('/admin/directory/reports').expect(200);
    expect(page.text).to.include('Something unkind');
    expect(page.text).to.include('Ursula Unwelcome');
    // Someone else cannot read, let alone report, the message.
    const other = await signIn(app, (await buildUser()).email, testPassword);
    await other.get(`/directory/messages/${sent.body.id}`).expect(404);
    const reporterOnly = await signIn(app, writer.email, testPassword);
    await reporterOnly.get('/admin/directory/reports').expect(403);
  });

  it('the writer never learns that she reported his message, not even from a retry of it', async () => {
    const writer = await buildUser();
    const reader = await buildUser();
    await publish(reader);
    const send = async () =>
      (await api(writer))
        .post(`/api/v1/directory/${reader.id}/messages`)
        .set('Idempotency-Key', 'reported-retry-1')
        .send({ body: 'Something unkind' })
        .expect(201);
    const sent = await send();
    expect(sent.body.reported).to.equal(false);
    const agent = await signIn(app, reader.email, testPassword);
    await agent
      .post(`/directory/messages/${sent.body.id}/report`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/directory/messages/${sent.body.id}`), reason: 'Unkind' })
      .expect(303);
    const retried = await send();
    expect(retried.body).to.include({ id: sent.body.id, reported: false });
  });

  it('when she blocks someone, that person cannot write to her (404, as she cannot see her), and neither sees the other in the directory', async () => {
    const blocker = await buildUser();
    const blocked = await buildUser();
    await publish(blocker);
    await publish(blocked);
    const blockerApi = await api(blocker);
    const blockedApi = await api(blocked);
    const ids = async (client: typeof blockerApi) =>
      ((await client.get('/api/v1/directory?limit=200').expect(200)).body.items as { userId: string }[]).map(
        (p) => p.userId,
      );
    expect(await ids(blockerApi)).to.include(blocked.id);
    await blockerApi.put(`/api/v1/me/blocks/${blocked.id}`).expect(204);
    await blockerApi.put(`/api/v1/me/blocks/${blocked.id}`).expect(204);
    expect(await ids(blockerApi)).to.not.include(blocked.id);
    expect(await ids(blockedApi)).to.not.include(blocker.id);
    await blockedApi.get(`/api/v1/directory/${blocker.id}`).expect(404);
    await blockedApi.post(`/api/v1/directory/${blocker.id}/messages`).send({ body: 'Let me in' }).expect(404);
    expect(await OutboxMessageModel.countDocuments({ to: blocker.email })).to.equal(0);
    await blockerApi.put(`/api/v1/me/blocks/${blocker.id}`).expect(422);
    await blockerApi.delete(`/api/v1/me/blocks/${blocked.id}`).expect(204);
    expect(await ids(blockedApi)).to.include(blocker.id);
  });

  it('she blocks only someone she has come across: anyone else (a hidden profile, an admin, an invited account) is the 404 of an unknown id, and no name reaches her list or export', async () => {
    const me = await buildUser({ name: 'Mia Probing' });
    const hidden = await buildUser({ name: 'Hana Hidden' });
    await publish(hidden, 'hidden');
    const admin = await buildUser({ name: 'Ada Admin', roles: ['admin'] });
    const invited = await buildUser({ name: 'Ivy Invited', status: 'invited' });
    const mine = await api(me);
    for (const stranger of [hidden, admin, invited]) {
      const refused = await mine.put(`/api/v1/me/blocks/${stranger.id}`).expect(404);
      // The same answer as for an id that is nobody's: whether the account exists is not given away.
      const nobody = await mine.put(`/api/v1/me/blocks/${new Types.ObjectId().toHexString()}`).expect(404);
      expect(refused.body.detail).to.equal(nobody.body.detail);
    }
    const exported = JSON.stringify((await mine.get('/api/v1/me/export').expect(200)).body);
    for (const name of ['Hana Hidden', 'Ada Admin', 'Ivy Invited']) expect(exported).not.to.include(name);
    // Someone who wrote to her, she may block, hidden profile or not.
    await publish(me);
    await sendMessage(hidden, me, 'Hello from a hidden profile');
    await mine.put(`/api/v1/me/blocks/${hidden.id}`).expect(204);
  });

  it('unblocking is idempotent, but a malformed id is the 404 problem (as blocking one is), never a 204', async () => {
    const blockerApi = await api(await buildUser());
    await blockerApi.delete(`/api/v1/me/blocks/${new Types.ObjectId().toHexString()}`).expect(204);
    for (const id of ['not-an-id', '%24ne', '6b1297284708095720c0b1c8x']) {
      await blockerApi.put(`/api/v1/me/blocks/${id}`).expect(404);
      const res = await blockerApi.delete(`/api/v1/me/blocks/${id}`).expect(404);
      expect(res.type, id).to.equal('application/problem+json');
    }
  });

  it('with nobody in the directory she can see, it says so and asks her to add herself, rather than blaming a search nobody made', async () => {
    await DirectoryProfileModel.deleteMany({});
    const user = await buildUser({ name: 'Nia Newcomer' });
    const agent = await signIn(app, user.email, testPassword);
    expect((await agent.get('/directory').expect(200)).text)
      .to.include('Nobody you can see is in the directory yet. Add yourself, so that others can find you.')
      .and.not.include('matches this search');
    expect((await agent.get('/directory?q=zora').expect(200)).text).to.include(
      'Nobody you can see matches this search.',
    );
  });

  it('her profile, a message, a reply and a report are held to the text rule: a direction override, a NUL or nothing visible is a 422 at its field (API and web form), and nothing is stored or sent', async () => {
    const ipek = await buildUser({ name: 'İpek Yılmaz' });
    const priya = await buildUser({ name: 'Priya Shah' });
    await publish(ipek);
    const ipekApi = await api(ipek);
    const profile = await ipekApi
      .put('/api/v1/me/directory-profile')
      .send({ visibility: 'everyone', headline: 'Head \u202egnitirw', role: '\u202eDeputy', region: 'İzmir\u0000' })
      .expect(422);
    expect(profile.body.errors).to.deep.equal([
      {
        path: 'headline',
        message:
          'must not contain a text-direction override (U+202A to U+202E, U+2066 to U+2069): it reverses the letters after it',
      },
      {
        path: 'role',
        message:
          'must not contain a text-direction override (U+202A to U+202E, U+2066 to U+2069): it reverses the letters after it',
      },
      { path: 'region', message: 'contains a control character (such as NUL) that cannot be saved: remove it' },
    ]);
    expect((await DirectoryProfileModel.findOne({ userId: ipek.id }).lean())!.headline).to.equal('Hello');
    // Nothing visible in an optional field is nothing: no headline, not a blank one.
    const blank = await ipekApi
      .put('/api/v1/me/directory-profile')
      .send({ visibility: 'everyone', headline: '\u200b\u034f', role: 'Deputy head', region: 'İzmir' })
      .expect(200);
    expect(blank.body).to.include({ headline: '', role: 'Deputy head', region: 'İzmir' });

    const priyaApi = await api(priya);
    for (const [body, message] of [
      ['\u200b\u200b\u200b', 'is required: it has only spaces or invisible characters'],
      [
        'Hello \u202eevil',
        'must not contain a text-direction override (U+202A to U+202E, U+2066 to U+2069): it reverses the letters after it',
      ],
      ['Hello \u0000', 'contains a control character (such as NUL) that cannot be saved: remove it'],
      [
        'Hello \ufffe',
        'must not contain a character that is not text (such as U+FFFE or U+FFFF, or half of a character): remove it',
      ],
    ]) {
      const res = await priyaApi.post(`/api/v1/directory/${ipek.id}/messages`).send({ body }).expect(422);
      expect(res.body.errors).to.deep.equal([{ path: 'body', message }]);
    }
    expect(await DirectoryMessageModel.countDocuments({ fromId: priya.id })).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: ipek.email })).to.equal(0);

    const priyaWeb = await signIn(app, priya.email, testPassword);
    const contact = await priyaWeb
      .post(`/directory/people/${ipek.id}/contact`)
      .type('form')
      .send({ _csrf: await csrfOf(priyaWeb, `/directory/people/${ipek.id}`), body: '\u200b \u200b' })
      .expect(422);
    expect(contact.text).to.include('href="#field-body"').and.include('it has only spaces or invisible characters');

    const sent = await sendMessage(priya, ipek, 'Hello İpek');
    const ipekWeb = await signIn(app, ipek.email, testPassword);
    const csrf = await csrfOf(ipekWeb, `/directory/messages/${sent.body.id}`);
    const reply = await ipekWeb
      .post(`/directory/messages/${sent.body.id}/reply`)
      .type('form')
      .send({ _csrf: csrf, body: 'Thanks \u202eevil' })
      .expect(422);
    expect(reply.text).to.include('href="#field-body"').and.include('must not contain a text-direction override');
    const report = await ipekWeb
      .post(`/directory/messages/${sent.body.id}/report`)
      .type('form')
      .send({ _csrf: csrf, reason: '\u3164\u200b' })
      .expect(422);
    expect(report.text).to.include('href="#field-reason"').and.include('it has only spaces or invisible characters');
    expect(await OutboxMessageModel.countDocuments({ to: priya.email })).to.equal(0);
    const profileForm = await ipekWeb
      .post('/directory/profile')
      .type('form')
      .send({ _csrf: await csrfOf(ipekWeb, '/directory/profile'), visibility: 'everyone', role: '\u202eDeputy' })
      .expect(422);
    expect(profileForm.text).to.include('href="#field-role"').and.include('must not contain a text-direction override');
    // A search box needs no such rule, but whatever is typed in it is a search, never a 500.
    await priyaWeb.get('/directory?q=%E2%80%AE%00%EF%BF%BE').expect(200);
    await priyaApi.get('/api/v1/directory?q=%E2%80%AE%00').expect(200);
  });

  it('the pages work without JavaScript: search form, profile form with field errors, a person with contact', async () => {
    const user = await buildUser({ name: 'Pia Pages' });
    const other = await buildUser({ name: 'Quinn Visible' });
    await publish(other);
    const agent = await signIn(app, user.email, testPassword);
    const search = await agent.get('/directory?q=quinn&topic=&country=').expect(200);
    expect(search.text).to.include('Quinn Visible');
    expect(search.text).to.not.include(other.email);
    const csrf = await csrfOf(agent, '/directory/profile');
    const bad = await agent
      .post('/directory/profile')
      .type('form')
      .send({ _csrf: csrf, visibility: 'everyone', country: 'ZZ', headline: 'x'.repeat(200) })
      .expect(422);
    expect(bad.text).to.include('There is a problem');
    await agent
      .post('/directory/profile')
      .type('form')
      .send({
        _csrf: csrf,
        visibility: 'everyone',
        country: 'CA',
        topics: 'interviews',
        openTo: ['mentoring', 'speaking'],
      })
      .expect(303);
    const person = await agent.get(`/directory/people/${other.id}`).expect(200);
    expect(person.text).to.include('Write to Quinn Visible');
    const mine = await agent.get(`/directory/people/${user.id}`).expect(200);
    expect(mine.text).to.include('Interviews');
    expect(mine.text).to.include('Canada');
  });
});
