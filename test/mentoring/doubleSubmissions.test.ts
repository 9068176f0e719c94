import { expect } from 'chai';
import { DateTime } from 'luxon';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { MentorshipMeetingModel } from '../../models/MentorshipMeeting.ts';
import { buildIndexes, isDuplicateKeyError } from '../../server/db.ts';
import { mentoringPersonalData } from '../../server/services/mentoring/personalData.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { matchedThroughApi } from '../support/mentorshipFactories.ts';

/** A double-click or a retried request creates one record, answered with the first one's result (server/submissions.ts). */
describe('mentoring: a repeated create (double-click, retry) stores one outcome or meeting', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const as = async (user: TestUser) => ({ Authorization: `Bearer ${await tokenFor(user)}` });
  const submissionOf = (html: string) => /name="_submission" value="([^"]+)"/.exec(html)![1]!;

  it('the same outcome posted three times at once is one record, each answer 201 with it; the overview counts 1', async () => {
    const woman = await buildUser();
    const admin = await buildUser({ roles: ['admin'] });
    const auth = await as(woman);
    const outcome = { kind: 'appointed', on: '2026-11-30', detail: 'Head of Hillside' };
    // No read decides: the three inserts race and the unique key lets one through.
    const answers = await Promise.all(
      [1, 2, 3].map(() => supertest(app).post('/api/v1/me/outcomes').set(auth).send(outcome)),
    );
    expect(answers.map((a) => a.status)).to.deep.equal([201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).to.equal(1);
    expect(answers[0]!.body).to.include(outcome);
    expect(await CareerOutcomeModel.countDocuments({ userId: woman.id })).to.equal(1);
    const overview = await supertest(app)
      .get('/api/v1/mentoring/overview')
      .set(await as(admin))
      .expect(200);
    expect(overview.body.outcomes.appointed).to.equal(1);
  });

  it('an Idempotency-Key decides: the same key twice at once is one record, another key a second one', async () => {
    const woman = await buildUser();
    const auth = await as(woman);
    const outcome = { kind: 'applied', on: '2026-11-02', detail: 'Deputy head, Riverside' };
    const [a, b] = await Promise.all(
      [1, 2].map(() =>
        supertest(app).post('/api/v1/me/outcomes').set(auth).set('Idempotency-Key', 'retry-0001').send(outcome),
      ),
    );
    expect([a!.status, b!.status]).to.deep.equal([201, 201]);
    expect(a!.body).to.deep.equal(b!.body);
    const other = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .set('Idempotency-Key', 'retry-0002')
      .send(outcome)
      .expect(201);
    expect(other.body.id).not.to.equal(a!.body.id);
    expect(await CareerOutcomeModel.countDocuments({ userId: woman.id })).to.equal(2);
    // Her key is hers: another woman sending the same key records her own outcome.
    const neighbour = await buildUser();
    const hers = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(await as(neighbour))
      .set('Idempotency-Key', 'retry-0001')
      .send(outcome)
      .expect(201);
    expect(hers.body.id).not.to.be.oneOf([a!.body.id, other.body.id]);
    const bad = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .set('Idempotency-Key', 'no spaces here!')
      .send(outcome)
      .expect(422);
    expect(bad.headers['content-type']).to.match(/application\/problem\+json/);
    expect(JSON.stringify(bad.body)).to.include('Idempotency-Key');
    expect(await CareerOutcomeModel.countDocuments({ userId: woman.id })).to.equal(2);
  });

  it('two identical meeting logs by one member at once are one meeting (201 twice, same id); another key is a second', async () => {
    const { mentor, id } = await matchedThroughApi(app);
    const auth = await as(mentor);
    const meeting = { heldAt: new Date(Date.now() - 3_600_000).toISOString(), minutes: 45, sharedNotes: 'CV review.' };
    const [a, b] = await Promise.all(
      [1, 2].map(() => supertest(app).post(`/api/v1/mentorships/${id}/meetings`).set(auth).send(meeting)),
    );
    expect([a!.status, b!.status], JSON.stringify([a!.body, b!.body])).to.deep.equal([201, 201]);
    expect(a!.body).to.deep.equal(b!.body);
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(1);
    const keyed = () =>
      supertest(app).post(`/api/v1/mentorships/${id}/meetings`).set(auth).set('Idempotency-Key', 'meeting-key-2');
    const [c, d] = await Promise.all([keyed().send(meeting), keyed().send(meeting)]);
    expect([c!.status, d!.status]).to.deep.equal([201, 201]);
    expect(c!.body.id).to.equal(d!.body.id).and.not.equal(a!.body.id);
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(2);
    const shown = await supertest(app).get(`/api/v1/mentorships/${id}`).set(auth).expect(200);
    expect(shown.body.meetings).to.have.length(2);
  });

  it('a meeting sent without a key at the time of an earlier one but with other notes is a second meeting, not a repeat', async () => {
    const { mentor, id } = await matchedThroughApi(app);
    const auth = await as(mentor);
    const heldAt = new Date(Date.now() - 7_200_000).toISOString();
    const first = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(auth)
      .send({ heldAt, minutes: 30, sharedNotes: 'Interview practice.' })
      .expect(201);
    const second = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(auth)
      .send({ heldAt, minutes: 30, sharedNotes: 'Salary negotiation.', privateNotes: 'She is ready.' })
      .expect(201);
    expect(second.body.id).to.not.equal(first.body.id);
    expect(second.body).to.include({ sharedNotes: 'Salary negotiation.' });
    const stored = await MentorshipMeetingModel.find({ mentorshipId: id }).sort({ _id: 1 }).lean();
    expect(stored.map((m) => m.sharedNotes)).to.deep.equal(['Interview practice.', 'Salary negotiation.']);
    // The same meeting sent again, notes and all, is still the one meeting.
    const again = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(auth)
      .send({ heldAt, minutes: 30, sharedNotes: 'Interview practice.' })
      .expect(201);
    expect(again.body.id).to.equal(first.body.id);
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(2);
  });

  it('a double-clicked form posts its key twice: one outcome, one meeting, both answers 303; a new page load records again', async () => {
    const { mentor, id } = await matchedThroughApi(app);
    const agent = await signIn(app, mentor.email, testPassword);
    const outcomesPage = (await agent.get('/mentoring/outcomes').expect(200)).text;
    const outcomeForm = {
      _csrf: await csrfOf(agent, '/mentoring/outcomes'),
      _submission: submissionOf(outcomesPage),
      kind: 'promoted',
      on: '2026-10-01',
      detail: 'Assistant head',
    };
    const posted = await Promise.all(
      [1, 2].map(() => agent.post('/mentoring/outcomes').type('form').send(outcomeForm)),
    );
    expect(posted.map((p) => [p.status, p.headers.location])).to.deep.equal([
      [303, '/mentoring/outcomes'],
      [303, '/mentoring/outcomes'],
    ]);
    expect(await CareerOutcomeModel.countDocuments({ userId: mentor.id })).to.equal(1);
    const again = (await agent.get('/mentoring/outcomes').expect(200)).text;
    expect(submissionOf(again)).not.to.equal(outcomeForm._submission);
    await agent
      .post('/mentoring/outcomes')
      .type('form')
      .send({ ...outcomeForm, _submission: submissionOf(again) })
      .expect(303);
    expect(await CareerOutcomeModel.countDocuments({ userId: mentor.id })).to.equal(2);

    const path = `/mentorships/${id}`;
    const page = (await agent.get(path).expect(200)).text;
    const meetingForm = {
      _csrf: await csrfOf(agent, path),
      _submission: submissionOf(page),
      heldAt: DateTime.now().minus({ hours: 3 }).toFormat("yyyy-LL-dd'T'HH:mm"),
      minutes: '30',
      sharedNotes: 'Interview practice.',
    };
    const logged = await Promise.all([1, 2].map(() => agent.post(`${path}/meetings`).type('form').send(meetingForm)));
    expect(logged.map((p) => [p.status, p.headers.location])).to.deep.equal([
      [303, path],
      [303, path],
    ]);
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(1);
    await agent
      .post(`${path}/meetings`)
      .type('form')
      .send({ ...meetingForm, _submission: submissionOf((await agent.get(path)).text) })
      .expect(303);
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(2);
  });

  it('an Idempotency-Key sent again with a different body is a 422 problem, and the first record stays as it was', async () => {
    const woman = await buildUser();
    const auth = await as(woman);
    const first = { kind: 'applied', on: '2026-11-02', detail: 'Deputy head, Riverside' };
    const created = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .set('Idempotency-Key', 'reused-key-01')
      .send(first)
      .expect(201);
    // The same body in another order of its fields is the same request.
    const repeat = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .set('Idempotency-Key', 'reused-key-01')
      .send({ detail: first.detail, on: first.on, kind: first.kind })
      .expect(201);
    expect(repeat.body.id).to.equal(created.body.id);
    const changed = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .set('Idempotency-Key', 'reused-key-01')
      .send({ ...first, detail: 'Head of Riverside' })
      .expect(422);
    expect(changed.headers['content-type']).to.match(/application\/problem\+json/);
    expect(changed.body.detail).to.match(/Idempotency-Key/);
    const stored = await CareerOutcomeModel.find({ userId: woman.id }).lean();
    expect(stored.map((o) => o.detail)).to.deep.equal([first.detail]);
  });

  it('a form sent again with the same key but changed content says it was already sent, links to what it created, and stores nothing new', async () => {
    const { mentor, id } = await matchedThroughApi(app);
    const agent = await signIn(app, mentor.email, testPassword);
    const path = `/mentorships/${id}`;
    const page = (await agent.get(path).expect(200)).text;
    const meetingForm = {
      _csrf: await csrfOf(agent, path),
      _submission: submissionOf(page),
      heldAt: DateTime.now().minus({ hours: 3 }).toFormat("yyyy-LL-dd'T'HH:mm"),
      minutes: '30',
      sharedNotes: 'Interview practice.',
    };
    await agent.post(`${path}/meetings`).type('form').send(meetingForm).expect(303);
    // Back in the browser, she changes the notes and sends the same page's form again.
    const edited = await agent
      .post(`${path}/meetings`)
      .type('form')
      .send({ ...meetingForm, sharedNotes: 'Interview practice and a CV review.' })
      .expect(422);
    expect(edited.text).to.include('This form was already sent');
    expect(edited.text).to.include(`href="${path}"`);
    // What she typed this time is not lost: it is on the page, read-only, to copy (not the form's hidden fields).
    expect(edited.text).to.match(/<textarea [^>]*readonly[^>]*>Interview practice and a CV review\.<\/textarea>/);
    expect(edited.text).to.match(/<label for="sent-sharedNotes">Shared notes<\/label>/);
    expect(edited.text).to.not.include(meetingForm._submission).and.to.not.include(`>${meetingForm._csrf}<`);
    const meetings = await MentorshipMeetingModel.find({ mentorshipId: id }).lean();
    expect(meetings.map((m) => m.sharedNotes)).to.deep.equal(['Interview practice.']);
  });

  it('on FerretDB the key index builds over rows stored before keys (given keys of their own), refuses a repeat, and erasure keeps rows apart', async () => {
    const woman = await buildUser();
    const userId = new mongoose.Types.ObjectId(woman.id);
    await CareerOutcomeModel.collection.dropIndex('submissionKey_1');
    // Two identical rows of an earlier version, without keys.
    const legacy = { userId, kind: 'appointed', on: '2026-01-05', detail: 'Head of Elm' };
    await CareerOutcomeModel.collection.insertMany([{ ...legacy }, { ...legacy }]);
    await buildIndexes();
    const indexes = await CareerOutcomeModel.collection.indexes();
    expect(indexes.find((i) => i.name === 'submissionKey_1')?.unique).to.equal(true);
    const rows = await CareerOutcomeModel.find({ userId }).lean();
    expect(rows.map((r) => r.submissionKey)).to.have.members(rows.map((r) => `legacy:${String(r._id)}`));
    const repeat = await CareerOutcomeModel.collection
      .insertOne({ ...legacy, submissionKey: rows[0]!.submissionKey })
      .catch((error: unknown) => error);
    expect(isDuplicateKeyError(repeat), String(repeat)).to.equal(true);

    // Two outcomes that differ only by their detail: erasing it (blanked) leaves them both, apart.
    const auth = await as(woman);
    for (const detail of ['Head of Ash', 'Head of Oak'])
      await supertest(app)
        .post('/api/v1/me/outcomes')
        .set(auth)
        .send({ kind: 'interviewed', on: '2026-03-01', detail })
        .expect(201);
    await mentoringPersonalData.eraseFor(userId);
    const erased = await CareerOutcomeModel.find({ userId, kind: 'interviewed' }).lean();
    expect(erased.map((o) => o.detail)).to.deep.equal(['', '']);
  });
});
