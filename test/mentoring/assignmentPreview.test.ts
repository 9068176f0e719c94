import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { NotificationModel } from '../../models/Notification.ts';
import supertest from 'supertest';
import { signIn, testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentoringFactories.ts';
import { listInDirectory } from '../support/directoryFactories.ts';
import { previewAssignment } from '../../server/services/mentoring/assignmentPreview.ts';
import { workerEntry } from '../../server/services/mentoring/assignmentScoring.ts';

describe('mentoring: the assignment preview', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  beforeEach(clearDatabase);

  const preview = async (body: Record<string, unknown>, status: number) => {
    const admin = await buildUser({ roles: ['admin'] });
    return supertest(app)
      .post('/api/v1/mentoring/assignments/preview')
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .send(body)
      .expect(status);
  };

  it('when one mentee fits two mentors and another only one of them, both are matched (first-come would match one)', async () => {
    const xin = await buildMentor({ capacity: 1, schoolName: 'Oakfield' }, { name: 'Xin' });
    const yusra = await buildMentor(
      { capacity: 1, expertise: ['interviews'], schoolName: 'Beech Hill' },
      { name: 'Yusra' },
    );
    // Amina fits both and Xin best; Beth works at Yusra's school, so only Xin may mentor her.
    const amina = await buildMentee({ schoolName: 'Elm Park' }, { name: 'Amina' });
    const beth = await buildMentee({ schoolName: 'beech  hill', goals: ['finance-and-budget'] }, { name: 'Beth' });
    const res = await preview({}, 200);
    expect(res.body.items).to.have.length(2);
    expect(res.body.unassigned).to.deep.equal([]);
    const pairs = Object.fromEntries(
      res.body.items.map((i: { menteeId: string; mentorId: string }) => [i.menteeId, i.mentorId]),
    );
    expect(pairs).to.deep.equal({ [amina.id]: yusra.id, [beth.id]: xin.id });
    // The score of a pair is the one her suggestions show.
    const suggested = await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${await tokenFor(amina)}`)
      .expect(200);
    const aminaYusra = res.body.items.find((i: { menteeId: string }) => i.menteeId === amina.id);
    expect(suggested.body.items.find((s: { mentorId: string }) => s.mentorId === yusra.id).score).to.equal(
      aminaYusra.score,
    );
    expect(res.body.totalScore).to.equal(res.body.items.reduce((s: number, i: { score: number }) => s + i.score, 0));
  });

  it('scored on a worker thread (as a large assignment is), the proposal is the one scored in place, and the process keeps answering meanwhile', async () => {
    for (let i = 0; i < 4; i++) await buildMentor({ capacity: 2, schoolName: `School ${i}` }, { name: `Mentor ${i}` });
    for (let i = 0; i < 9; i++) await buildMentee({ schoolName: `Academy ${i}` }, { name: `Mentee ${i}` });
    const now = new Date('2027-03-01T09:00:00Z');
    const inPlace = await previewAssignment({ now, onWorker: false });
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 1);
    const onWorker = await previewAssignment({ now, onWorker: true }).finally(() => clearInterval(ticking));
    expect(onWorker).to.deep.equal(inPlace);
    expect(inPlace.items).to.have.length(8);
    // The worker takes a while to start; this thread ran timers all the while.
    expect(ticks).to.be.greaterThan(1);
    // The app as `npm start` runs it (built, dist/server.js; the test run builds it first) starts its own bundle.
    const built = workerEntry(pathToFileURL(path.resolve('dist/server.js')).href);
    expect(built.href).to.equal(pathToFileURL(path.resolve('dist/assignmentWorker.js')).href);
    expect(await previewAssignment({ now, onWorker: true, workerEntry: built })).to.deep.equal(inPlace);
  });

  it('leaves out mentees already in an active mentorship, and only those named when menteeIds is given', async () => {
    await buildMentor({ capacity: 3 });
    const matched = await buildMentee();
    const named = await buildMentee();
    const other = await buildMentee();
    await mongoose.connection
      .collection('mentorships')
      .insertOne({ menteeId: new Types.ObjectId(matched.id), mentorId: new Types.ObjectId(), status: 'active' });
    const all = await preview({}, 200);
    expect(all.body.items.map((i: { menteeId: string }) => i.menteeId)).to.have.members([named.id, other.id]);
    const some = await preview({ menteeIds: [named.id, matched.id] }, 200);
    expect(some.body.items.map((i: { menteeId: string }) => i.menteeId)).to.deep.equal([named.id]);
  });

  it('never gives a mentor more mentees than her free places, and names the mentees left over', async () => {
    await buildMentor({ capacity: 1 });
    const mentees = [await buildMentee(), await buildMentee()];
    const res = await preview({}, 200);
    expect(res.body.items).to.have.length(1);
    expect(res.body.unassigned).to.have.length(1);
    expect(mentees.map((m) => m.id)).to.include(res.body.unassigned[0]);
  });

  it('never pairs two people of whom one blocked the other in the directory, either way round', async () => {
    const mentors = [await buildMentor({ capacity: 1 }), await buildMentor({ capacity: 1 })];
    const mentees = [await buildMentee(), await buildMentee()];
    const block = async (blocker: { id: string } & Parameters<typeof tokenFor>[0], blocked: { id: string }) =>
      supertest(app)
        .put(`/api/v1/me/blocks/${blocked.id}`)
        .set('Authorization', `Bearer ${await tokenFor(blocker)}`)
        .expect(204);
    // The first mentor blocked the first mentee (listed in the directory: someone she came across); the second mentee
    // blocked the second mentor.
    await listInDirectory(mentees[0]!);
    await block(mentors[0]!, mentees[0]!);
    await block(mentees[1]!, mentors[1]!);
    const res = await preview({}, 200);
    const pairs = Object.fromEntries(
      res.body.items.map((i: { menteeId: string; mentorId: string }) => [i.menteeId, i.mentorId]),
    );
    expect(pairs).to.deep.equal({ [mentees[0]!.id]: mentors[1]!.id, [mentees[1]!.id]: mentors[0]!.id });
  });

  it('never proposes a mentor or a mentee whose account was disabled or erased: her requests could never be answered', async () => {
    const gone = await buildMentor({ capacity: 2, expertise: ['interviews', 'salary-negotiation'] }, { name: 'Gone' });
    const here = await buildMentor({ capacity: 1, expertise: ['finance-and-budget'] }, { name: 'Here' });
    const left = await buildMentee({}, { name: 'Left' });
    const stays = await buildMentee({}, { name: 'Stays' });
    await mongoose.connection
      .collection('users')
      .updateMany(
        { _id: { $in: [new Types.ObjectId(gone.id), new Types.ObjectId(left.id)] } },
        { $set: { status: 'disabled' } },
      );
    const res = await preview({}, 200);
    expect(res.body.items.map((i: { menteeId: string; mentorId: string }) => [i.menteeId, i.mentorId])).to.deep.equal([
      [stays.id, here.id],
    ]);
    expect(res.body.unassigned).to.deep.equal([]);
    // Nor can she be asked directly: as for an unknown mentor.
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set('Authorization', `Bearer ${await tokenFor(stays)}`)
      .send({ mentorId: gone.id, message: 'Hello' })
      .expect(404);
  });

  it('never proposes a mentor who declined that mentee; sent by the assignment, the mentor is told the programme team asks, not the mentee', async () => {
    const declining = await buildMentor({ capacity: 2 });
    const mentee = await buildMentee();
    const asked = await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set('Authorization', `Bearer ${await tokenFor(mentee)}`)
      .send({ mentorId: declining.id, message: 'Hello' })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${asked.body.id}/decline`)
      .set('Authorization', `Bearer ${await tokenFor(declining)}`)
      .send({ reason: 'Fully booked until spring.' })
      .expect(200);
    // She fits the mentor who declined her, and no one else: nothing is proposed.
    expect((await preview({}, 200)).body.items).to.deep.equal([]);
    const other = await buildMentor({ capacity: 2 });
    const res = await preview({}, 200);
    expect(res.body.items.map((i: { mentorId: string }) => i.mentorId)).to.deep.equal([other.id]);
    const admin = await buildUser({ roles: ['admin'] });
    await supertest(app)
      .post('/api/v1/mentoring/assignments')
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .send({ items: [{ menteeId: mentee.id, mentorId: other.id }] })
      .expect(200);
    const toMentor = await NotificationModel.findOne({ userId: other.id, kind: 'mentoring-request' }).lean();
    expect(toMentor!.subject).to.match(/^The programme team asks you to mentor /);
  });

  it('never proposes a pair that sending would refuse: she already asked that mentor, or holds 3 pending requests', async () => {
    const mentors = [
      await buildMentor({ capacity: 3 }),
      await buildMentor({ capacity: 3 }),
      await buildMentor({ capacity: 3 }),
      await buildMentor({ capacity: 3 }),
    ];
    const [asked, full] = [await buildMentee(), await buildMentee()];
    const ask = async (mentee: typeof asked, mentor: (typeof mentors)[number]) =>
      supertest(app)
        .post('/api/v1/mentoring/requests')
        .set('Authorization', `Bearer ${await tokenFor(mentee)}`)
        .send({ mentorId: mentor.id, message: 'Hello' })
        .expect(201);
    // One mentee asked the first three mentors (her limit); the other asked the first and the fourth.
    for (const m of mentors.slice(0, 3)) await ask(full, m);
    await ask(asked, mentors[0]!);
    await ask(asked, mentors[3]!);
    const res = await preview({}, 200);
    expect(res.body.items.map((i: { menteeId: string }) => i.menteeId)).to.deep.equal([asked.id]);
    expect(res.body.unassigned).to.deep.equal([full.id]);
    const proposed = res.body.items[0] as { menteeId: string; mentorId: string };
    expect([mentors[1]!.id, mentors[2]!.id]).to.include(proposed.mentorId);
    const admin = await buildUser({ roles: ['admin'] });
    const sent = await supertest(app)
      .post('/api/v1/mentoring/assignments')
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .send({
        items: res.body.items.map((i: { menteeId: string; mentorId: string }) => ({
          menteeId: i.menteeId,
          mentorId: i.mentorId,
        })),
      });
    expect(sent.status).to.equal(200);
    expect(sent.body.items.map((i: { status: number }) => i.status)).to.deep.equal([201]);
  });

  it('when a non-admin asks, it answers 403; malformed mentee ids are a 422', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    await supertest(app)
      .post('/api/v1/mentoring/assignments/preview')
      .set('Authorization', `Bearer ${await tokenFor(mentor)}`)
      .send({})
      .expect(403);
    const bad = await preview({ menteeIds: [{ $ne: null }] }, 422);
    expect(bad.body.errors[0].path).to.equal('menteeIds.0');
  });

  it('the admin review page shows the proposed pairs with names and scores, a form to send them, and the weights', async () => {
    await buildMentor({ capacity: 1 }, { name: 'Helen Mentor' });
    await buildMentee({}, { name: 'Grace Mentee' });
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get('/mentoring/assignments').expect(200);
    expect(page.text).to.include('Grace Mentee');
    expect(page.text).to.include('Helen Mentor');
    expect(page.text).to.include('action="/mentoring/assignments"');
    expect(page.text).to.include('How the score is made');
    const participant = await buildUser();
    const other = await signIn(app, participant.email, testPassword);
    await other.get('/mentoring/assignments').expect(403);
  });
});
