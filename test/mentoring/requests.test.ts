import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { MentoringRequestModel, type MentoringRequest } from '../../models/MentoringRequest.ts';
import { MentorCandidatesModel } from '../../models/MentorCandidates.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { ConflictError } from '../../server/errors.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import {
  refreshCandidatesOfChangedMentors,
  refreshMenteeCandidates,
} from '../../server/services/mentoring/candidates.ts';
import { hardRules } from '../../server/services/mentoring/matching.ts';
import { runDueNotifications, settleNotifications } from '../../server/services/reminders/index.ts';
import {
  completeAccept,
  expireRequests,
  finishInterruptedAccepts,
  messages,
  tellInterruptedBeginnings,
} from '../../server/services/mentoring/requests.ts';
import { testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';
import { listInDirectory } from '../support/directoryFactories.ts';

describe('mentoring: requests and accepting them', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const as = async (user: TestUser) => ({ Authorization: `Bearer ${await tokenFor(user)}` });
  const ask = async (mentee: TestUser, mentor: TestUser, message = 'I am applying for headship this spring.') =>
    supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(await as(mentee))
      .send({ mentorId: mentor.id, message });
  const askExpecting = async (status: number, mentee: TestUser, mentor: TestUser) => {
    const res = await ask(mentee, mentor);
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    return res;
  };

  it('when a mentee asks a mentor, it answers 201 pending and the mentor is told', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const res = await askExpecting(201, mentee, mentor);
    expect(res.body).to.include({ status: 'pending', mentorId: mentor.id, menteeId: mentee.id });
    const told = await NotificationModel.find({ 'about.id': res.body.id }).lean();
    expect(told.map((n) => `${n.kind}:${String(n.userId)}`).sort()).to.deep.equal(
      [
        `mentoring-request-expired:${mentee.id}`,
        `mentoring-request-reminder:${mentor.id}`,
        `mentoring-request:${mentor.id}`,
      ].sort(),
    );
  });

  it('a mentor whose role an admin took away is no mentor: not suggested, proposed or counted, not asked (404), and a request sent before cannot be accepted (409)', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [mentor, mentee, waiting] = [await buildMentor(), await buildMentee(), await buildMentee()];
    const before = await askExpecting(201, waiting, mentor);
    const suggested = async () =>
      (
        await supertest(app)
          .get('/api/v1/me/mentor-suggestions')
          .set(await as(mentee))
          .expect(200)
      ).body.items.map((i: { mentorId: string }) => i.mentorId);
    expect(await suggested()).to.include(mentor.id);
    const mentorsCounted = async () =>
      (
        await supertest(app)
          .get('/api/v1/mentoring/overview')
          .set(await as(admin))
          .expect(200)
      ).body.mentors as number;
    const countedBefore = await mentorsCounted();
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: mentor.id,
      changes: { roles: ['participant'] },
    });
    expect(await suggested()).not.to.include(mentor.id);
    const preview = await supertest(app)
      .post('/api/v1/mentoring/assignments/preview')
      .set(await as(admin))
      .send({})
      .expect(200);
    expect(preview.body.items.map((i: { mentorId: string }) => i.mentorId)).not.to.include(mentor.id);
    expect(await mentorsCounted()).to.equal(countedBefore - 1);
    await askExpecting(404, mentee, mentor);
    const accepted = await supertest(app)
      .post(`/api/v1/mentoring/requests/${before.body.id}/accept`)
      .set(await as(mentor))
      .expect(409);
    expect(accepted.body.detail).to.equal(messages.mentorNoLonger);
    expect(await MentorshipModel.countDocuments({ mentorId: mentor.id })).to.equal(0);
  });

  it('when an admin disabled the mentee after she asked, the mentor accepting her request gets a 409 saying so: no mentorship, no place taken', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const r = await askExpecting(201, mentee, mentor);
    const placesBefore = (await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces;
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: mentee.id,
      changes: { status: 'disabled' },
    });
    const res = await supertest(app)
      .post(`/api/v1/mentoring/requests/${r.body.id}/accept`)
      .set(await as(mentor))
      .expect(409);
    expect(res.body.detail).to.match(/account is disabled/);
    expect(await MentorshipModel.countDocuments({ menteeId: mentee.id })).to.equal(0);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(placesBefore);
    expect((await MentoringRequestModel.findById(r.body.id).lean())!.status).to.equal('pending');
  });

  it('when she asks the same mentor twice at once, one request is made and the other answers 409', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const answers = await Promise.all([ask(mentee, mentor), ask(mentee, mentor), ask(mentee, mentor)]);
    expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 409, 409]);
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id, status: 'pending' })).to.equal(1);
  });

  it('when she already has an active mentorship with that mentor, a new request answers 409', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const r = await askExpecting(201, mentee, mentor);
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${r.body.id}/accept`)
      .set(await as(mentor))
      .expect(201);
    const again = await askExpecting(409, mentee, mentor);
    expect(again.body.detail).to.match(/already mentoring you/);
  });

  it('when she holds 3 pending requests, a fourth answers 422 even when sent at the same moment as others', async () => {
    const mentee = await buildMentee();
    const mentors = await Promise.all([1, 2, 3, 4, 5].map(() => buildMentor()));
    const answers = await Promise.all(mentors.map((m) => ask(mentee, m)));
    expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 201, 201, 422, 422]);
    const refused = answers.find((a) => a.status === 422)!;
    expect(refused.type).to.equal('application/problem+json');
    expect(refused.body.detail).to.match(/3 requests waiting/);
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id, status: 'pending' })).to.equal(3);
  });

  it('when a hard rule excludes the pair (her own school, no free place, herself), it answers 422 and records nothing', async () => {
    const mentee = await buildMentee({ schoolName: 'St  Anne’s Primary' });
    const sameSchool = await buildMentor({ schoolName: 'st anne’s primary' });
    const full = await buildMentor({ capacity: 1, freePlaces: 0 });
    const ownSchool = await askExpecting(422, mentee, sameSchool);
    expect(ownSchool.body.errors[0]).to.include({ path: 'mentorId' });
    await askExpecting(422, mentee, full);
    const selfMentor = await buildMentor();
    await askExpecting(422, selfMentor, selfMentor);
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id })).to.equal(0);
  });

  it('when the two share under 120 minutes a week (London and Sydney evenings), it answers 422 naming the rule', async () => {
    const mentor = await buildMentor({ timezone: 'Europe/London' });
    const mentee = await buildMentee({ timezone: 'Australia/Sydney' });
    const res = await askExpecting(422, mentee, mentor);
    expect(res.body.errors[0].message).to.match(/less than 2 hours|free time/);
  });

  it('when the pair stops fitting between request and accept (her mentor moves to her school, or their free time no longer meets), the accept answers 422 naming why, makes no mentorship and leaves the request pending', async () => {
    const changes = [
      { set: { schoolName: ' OAKFIELD  academy' }, why: hardRules['same-school'] },
      { set: { availability: [{ day: 'mon', from: '06:00', to: '07:00' }] }, why: hardRules['too-little-shared-time'] },
    ];
    for (const change of changes) {
      const [mentor, mentee] = [await buildMentor(), await buildMentee({ schoolName: 'Oakfield Academy' })];
      const id = (await askExpecting(201, mentee, mentor)).body.id as string;
      await MentorProfileModel.updateOne({ userId: mentor.id }, { $set: change.set });
      const res = await supertest(app)
        .post(`/api/v1/mentoring/requests/${id}/accept`)
        .set(await as(mentor))
        .expect(422);
      expect(res.type).to.equal('application/problem+json');
      expect(res.body.errors).to.deep.equal([{ path: 'requestId', message: change.why }]);
      expect(await MentorshipModel.countDocuments({ mentorId: mentor.id })).to.equal(0);
      expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('pending');
      expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(2);
    }
  });

  it('when the mentor id is unknown or malformed, or the body carries an operator, it answers 404 or 422, never 500', async () => {
    const mentee = await buildMentee();
    const auth = await as(mentee);
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(auth)
      .send({ mentorId: '0'.repeat(24), message: 'hi' })
      .expect(404);
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(auth)
      .send({ mentorId: 'nope', message: 'hi' })
      .expect(422);
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(auth)
      .send({ mentorId: { $ne: null }, message: 'hi' })
      .expect(422);
  });

  it('when six accepts for a mentor with two free places run at once, exactly two mentorships are made and four answer 409 with the reason', async function () {
    this.timeout(60_000);
    const mentor = await buildMentor({ capacity: 2 });
    const mentees = await Promise.all([1, 2, 3, 4, 5, 6].map(() => buildMentee()));
    const ids: string[] = [];
    for (const mentee of mentees) ids.push((await askExpecting(201, mentee, mentor)).body.id);
    const auth = await as(mentor);
    const answers = await Promise.all(
      ids.map((id) => supertest(app).post(`/api/v1/mentoring/requests/${id}/accept`).set(auth)),
    );
    expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 201, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409))
      expect(refused.body.detail).to.match(/no free place|last free place/);
    expect(await MentorshipModel.countDocuments({ mentorId: mentor.id, status: 'active' })).to.equal(2);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(0);
    // The four refused stay pending: she may decline them, or accept one once a place is free.
    expect(await MentoringRequestModel.countDocuments({ mentorId: mentor.id, status: 'pending' })).to.equal(4);
  });

  it('when one request is accepted twice at once, one mentorship is made and the other answers 409', async () => {
    const [mentor, mentee] = [await buildMentor({ capacity: 3 }), await buildMentee()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    const auth = await as(mentor);
    const answers = await Promise.all(
      [1, 2, 3].map(() => supertest(app).post(`/api/v1/mentoring/requests/${id}/accept`).set(auth)),
    );
    expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 409, 409]);
    expect(await MentorshipModel.countDocuments({ mentorId: mentor.id })).to.equal(1);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(2);
  });

  it('when each of two requests is accepted twice at once for a mentor with one place, every refusal gives a reason that is true when it is read', async function () {
    this.timeout(60_000);
    for (let run = 0; run < 3; run += 1) {
      const mentor = await buildMentor({ capacity: 1 });
      const ids: string[] = [];
      for (const mentee of [await buildMentee(), await buildMentee()])
        ids.push((await askExpecting(201, mentee, mentor)).body.id);
      const auth = await as(mentor);
      const sent = ids.flatMap((id) => [1, 2].map(() => ({ id })));
      const answers = await Promise.all(
        sent.map(({ id }) => supertest(app).post(`/api/v1/mentoring/requests/${id}/accept`).set(auth)),
      );
      expect(answers.filter((a) => a.status === 201)).to.have.length(1);
      const final = new Map(
        (await MentoringRequestModel.find({ _id: { $in: ids } }).lean()).map((r) => [String(r._id), r.status]),
      );
      answers.forEach((answer, i) => {
        if (answer.status !== 409) return;
        const detail = String(answer.body.detail);
        // "It is pending" is no reason; "it is accepted" only of a request that was.
        expect(detail).not.to.include('(it is pending)');
        if (detail.includes('(it is accepted)')) expect(final.get(sent[i]!.id)).to.equal('accepted');
      });
    }
  });

  it('when the mentorship cannot be inserted (the pair is already active), the accept answers 409, the place is given back and the request is answered by that mentorship', async () => {
    const [mentor, mentee] = [await buildMentor({ capacity: 2 }), await buildMentee()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    // The pair became active in the instant before this accept (another request of theirs, accepted elsewhere).
    const active = await MentorshipModel.create({
      requestId: new Types.ObjectId(),
      mentorId: mentor.id,
      menteeId: mentee.id,
      activeKey: `${mentor.id}:${mentee.id}`,
      startedAt: new Date(),
      requestedAt: new Date(),
    });
    const res = await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/accept`)
      .set(await as(mentor))
      .expect(409);
    expect(res.body.detail).to.match(/already mentoring/);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(2);
    // Left pending, it could only ever be refused again.
    const request = (await MentoringRequestModel.findById(id).lean())!;
    expect(request.status).to.equal('accepted');
    expect(String(request.mentorshipId)).to.equal(String(active._id));
    // Her keys are free: once that mentorship closes she may ask this mentor again.
    await MentorshipModel.updateOne(
      { _id: active._id },
      { $set: { status: 'closed', activeKey: `${mentor.id}:${mentee.id}:${active.id}` } },
    );
    await askExpecting(201, mentee, mentor);
  });

  it('when she asks a mentor again while the mentor accepts her earlier request, no request stays pending beside the new mentorship: the ask answers 409', async () => {
    const [mentor, mentee] = [await buildMentor({ capacity: 2 }), await buildMentee()];
    const first = (await askExpecting(201, mentee, mentor)).body.id as string;
    const [herAuth, mentorAuth] = [await as(mentee), await as(mentor)];
    // Her second ask finds no mentorship of the pair, then waits while the first is accepted (which frees its key).
    const held = holdNextCall(MentorshipModel, 'exists', {
      when: (args) => (args[0] as { activeKey?: string }).activeKey === `${mentor.id}:${mentee.id}`,
    });
    try {
      const asking = supertest(app)
        .post('/api/v1/mentoring/requests')
        .set(herAuth)
        .send({ mentorId: mentor.id, message: 'Again, in case.' })
        .then((r) => r);
      await held.reached;
      held.restore();
      await supertest(app).post(`/api/v1/mentoring/requests/${first}/accept`).set(mentorAuth).expect(201);
      held.release();
      const answer = await asking;
      expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
      expect(answer.type).to.equal('application/problem+json');
      expect(answer.body.detail).to.equal(messages.alreadyMentored);
    } finally {
      held.release();
      held.restore();
    }
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id, status: 'pending' })).to.equal(0);
    expect(await MentorshipModel.countDocuments({ menteeId: mentee.id, status: 'active' })).to.equal(1);
  });

  /**
   * Two pending requests of one pair. Her unique keys allow one pending request per mentor, so the second is written
   * directly, past them: accepting must keep the rule without leaning on them.
   */
  const twoPendingOfOnePair = async () => {
    const [mentor, mentee] = [await buildMentor({ capacity: 3 }), await buildMentee()];
    const first = (await askExpecting(201, mentee, mentor)).body.id as string;
    const second = await MentoringRequestModel.create({
      menteeId: mentee.id,
      mentorId: mentor.id,
      message: 'Again.',
      openKey: `legacy:${new Types.ObjectId().toHexString()}`,
      slotKey: `legacy:${new Types.ObjectId().toHexString()}`,
      sentAt: new Date(),
      expiresAt: new Date(Date.now() + 14 * 86_400_000),
      sentBy: mentee.id,
    });
    return { mentor, mentee, ids: [first, String(second._id)] };
  };
  /** Both requests end accepted, linked to the pair's one mentorship, and the mentor holds one place less. */
  const answeredByOneMentorship = async (mentor: TestUser, mentee: TestUser) => {
    const mentorships = await MentorshipModel.find({ mentorId: mentor.id }).lean();
    expect(mentorships.map((m) => m.status)).to.deep.equal(['active']);
    const requests = await MentoringRequestModel.find({ menteeId: mentee.id }).lean();
    expect(requests.map((r) => [r.status, String(r.mentorshipId)])).to.deep.equal([
      ['accepted', String(mentorships[0]!._id)],
      ['accepted', String(mentorships[0]!._id)],
    ]);
    const profile = (await MentorProfileModel.findOne({ userId: mentor.id }).lean())!;
    expect([profile.freePlaces, profile.placesHeldFor]).to.deep.equal([2, []]);
  };

  it('when a mentorship begins for a pair, her other pending request to that mentor is answered by it, and accepting that one answers 409', async () => {
    const { mentor, mentee, ids } = await twoPendingOfOnePair();
    const auth = await as(mentor);
    await supertest(app).post(`/api/v1/mentoring/requests/${ids[0]}/accept`).set(auth).expect(201);
    await answeredByOneMentorship(mentor, mentee);
    const again = await supertest(app).post(`/api/v1/mentoring/requests/${ids[1]}/accept`).set(auth).expect(409);
    expect(again.type).to.equal('application/problem+json');
    expect(again.body.detail).to.equal(messages.answered('accepted'));
    await answeredByOneMentorship(mentor, mentee);
  });

  it('when two pending requests of one pair are accepted at once, one mentorship is made, the other answers 409, and neither stays pending', async function () {
    this.timeout(60_000);
    for (let round = 0; round < 4; round += 1) {
      const { mentor, mentee, ids } = await twoPendingOfOnePair();
      const auth = await as(mentor);
      const answers = await Promise.all(
        ids.map((id) => supertest(app).post(`/api/v1/mentoring/requests/${id}/accept`).set(auth)),
      );
      expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 409]);
      expect(answers.find((a) => a.status === 409)!.type).to.equal('application/problem+json');
      await answeredByOneMentorship(mentor, mentee);
    }
  });

  describe('an accept a killed process left half done', () => {
    const tenMinutesAgo = () => new Date(Date.now() - 10 * 60 * 1000);
    const profileOf = async (mentor: TestUser) => (await MentorProfileModel.findOne({ userId: mentor.id }).lean())!;
    /** The state an accept leaves when its process dies after claiming the request (and perhaps taking a place). */
    const halfAccepted = async (opts: { placeTaken: boolean; answeredAt?: Date }) => {
      const [mentor, mentee] = [await buildMentor({ capacity: 2 }), await buildMentee()];
      const id = (await askExpecting(201, mentee, mentor)).body.id as string;
      await MentoringRequestModel.updateOne(
        { _id: id },
        { $set: { status: 'accepted', answeredAt: opts.answeredAt ?? tenMinutesAgo() } },
      );
      if (opts.placeTaken)
        await MentorProfileModel.updateOne(
          { userId: mentor.id },
          { $inc: { freePlaces: -1 }, $push: { placesHeldFor: new Types.ObjectId(id) } },
        );
      return { mentor, mentee, id };
    };

    /** A request a mentor with two places accepted through the API, every step done. */
    const acceptedNormally = async () => {
      const [mentor, mentee] = [await buildMentor({ capacity: 2 }), await buildMentee()];
      const id = (await askExpecting(201, mentee, mentor)).body.id as string;
      await supertest(app)
        .post(`/api/v1/mentoring/requests/${id}/accept`)
        .set(await as(mentor))
        .expect(201);
      return { mentor, id };
    };

    it('after a normal accept no place is left marked as held', async () => {
      const { mentor } = await acceptedNormally();
      expect((await profileOf(mentor)).placesHeldFor).to.deep.equal([]);
      expect((await profileOf(mentor)).freePlaces).to.equal(1);
    });

    it('when it died after linking its request but before telling, the repair tells the mentee once and plans the mentorship’s reminders', async () => {
      const { id } = await acceptedNormally();
      const m = (await MentorshipModel.findOne({ requestId: id }).lean())!;
      expect(m.beginning ?? null).to.equal(null);
      // As its process left it, stopped after linking the request: nothing told, nothing planned.
      const told = () =>
        NotificationModel.countDocuments({
          $or: [{ key: `mentoring-request-answered:${id}` }, { 'about.id': String(m._id) }],
        });
      await NotificationModel.deleteMany({
        $or: [{ key: `mentoring-request-answered:${id}` }, { 'about.id': String(m._id) }],
      });
      await MentorshipModel.updateOne(
        { _id: m._id },
        { $set: { beginning: true, startedAt: new Date(Date.now() - 10 * 60_000) } },
      );
      expect(await tellInterruptedBeginnings({ now: new Date(Date.now() - 9 * 60_000) })).to.equal(0);
      // Two repairs at once (two processes): the mentee is still told once.
      const runs = await Promise.all([tellInterruptedBeginnings(), tellInterruptedBeginnings()]);
      expect(runs[0] + runs[1]).to.be.within(1, 2);
      expect(await tellInterruptedBeginnings()).to.equal(0);
      expect((await MentorshipModel.findById(m._id).lean())!.beginning ?? null).to.equal(null);
      expect(await NotificationModel.countDocuments({ key: `mentoring-request-answered:${id}` })).to.equal(1);
      expect(await told()).to.be.greaterThan(1);
    });

    it('when it died after taking the place, the repair gives the place back once and the request is pending again', async () => {
      const { mentor, id } = await halfAccepted({ placeTaken: true });
      expect((await profileOf(mentor)).freePlaces).to.equal(1);
      await Promise.all([finishInterruptedAccepts(), finishInterruptedAccepts()]);
      await finishInterruptedAccepts();
      expect((await profileOf(mentor)).freePlaces).to.equal(2);
      expect((await profileOf(mentor)).placesHeldFor).to.deep.equal([]);
      expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('pending');
      // The mentor can accept it again.
      await supertest(app)
        .post(`/api/v1/mentoring/requests/${id}/accept`)
        .set(await as(mentor))
        .expect(201);
      expect((await profileOf(mentor)).freePlaces).to.equal(1);
    });

    it('when it died before taking a place, the repair makes the request pending again and gives nothing back', async () => {
      const { mentor, id } = await halfAccepted({ placeTaken: false });
      await finishInterruptedAccepts();
      expect((await profileOf(mentor)).freePlaces).to.equal(2);
      expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('pending');
    });

    it('when it died after making the mentorship, the repair links the request to it and keeps the place taken', async () => {
      const { mentor, mentee, id } = await halfAccepted({ placeTaken: true });
      const mentorship = await MentorshipModel.create({
        requestId: id,
        mentorId: mentor.id,
        menteeId: mentee.id,
        activeKey: `${mentor.id}:${mentee.id}`,
        startedAt: tenMinutesAgo(),
        requestedAt: tenMinutesAgo(),
      });
      await Promise.all([finishInterruptedAccepts(), finishInterruptedAccepts()]);
      await finishInterruptedAccepts();
      const request = (await MentoringRequestModel.findById(id).lean())!;
      expect(request.status).to.equal('accepted');
      expect(String(request.mentorshipId)).to.equal(String(mentorship._id));
      expect((await profileOf(mentor)).freePlaces).to.equal(1);
      expect((await profileOf(mentor)).placesHeldFor).to.deep.equal([]);
      // The accept that died told nobody: the repair tells her, once, and the mentor's reminders about it stop.
      const told = await NotificationModel.find({ kind: 'mentoring-request-answered', userId: mentee.id }).lean();
      expect(told).to.have.length(1);
      expect(told[0]!.status).to.equal('scheduled');
      expect(
        await NotificationModel.countDocuments({ 'about.id': id, userId: mentor.id, status: 'scheduled' }),
      ).to.equal(0);
    });

    /** An accept that claimed the request and took a place ten minutes ago, and has not been heard of since. */
    const slowAccept = async (mentor: TestUser, mentee: TestUser) => {
      const id = (await askExpecting(201, mentee, mentor)).body.id as string;
      const attempt = new Types.ObjectId();
      await MentoringRequestModel.updateOne(
        { _id: id },
        { $set: { status: 'accepted', answeredAt: tenMinutesAgo(), acceptAttempt: attempt } },
      );
      await MentorProfileModel.updateOne(
        { userId: mentor.id },
        { $inc: { freePlaces: -1 }, $push: { placesHeldFor: attempt } },
      );
      const request = (await MentoringRequestModel.findById(id).lean<MentoringRequest>())!;
      return { id, finish: () => completeAccept({ request, attempt, now: new Date() }) };
    };

    it('when an accept was only slow and its place went to someone else meanwhile, it answers 409 and undoes its mentorship: the mentor is never over capacity', async () => {
      const mentor = await buildMentor({ capacity: 1 });
      const [first, second] = [await buildMentee(), await buildMentee()];
      const slow = await slowAccept(mentor, first);
      await finishInterruptedAccepts(); // takes the slow accept for dead: its place is free again
      expect((await profileOf(mentor)).freePlaces).to.equal(1);
      const other = (await askExpecting(201, second, mentor)).body.id as string;
      await supertest(app)
        .post(`/api/v1/mentoring/requests/${other}/accept`)
        .set(await as(mentor))
        .expect(201);
      let refused: unknown;
      await slow.finish().catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(ConflictError);
      const active = await MentorshipModel.find({ mentorId: mentor.id, status: 'active' }).lean();
      expect(active.map((m) => String(m.menteeId))).to.deep.equal([second.id]);
      expect((await profileOf(mentor)).freePlaces).to.equal(0);
      expect((await profileOf(mentor)).placesHeldFor).to.deep.equal([]);
      expect((await MentoringRequestModel.findById(slow.id).lean())!.status).to.equal('pending');
    });

    it('a place given back by the repair of a stopped accept marks the mentor for the rankings sweep: a mentee whose record was ranked while she was full is suggested her again', async () => {
      const mentor = await buildMentor({ capacity: 1 });
      const [first, other] = [await buildMentee(), await buildMentee()];
      await slowAccept(mentor, first);
      const listed = async () =>
        ((await MentorCandidatesModel.findOne({ menteeId: other.id }).lean())?.candidates ?? []).map((c) =>
          String(c.mentorId),
        );
      // Her record is ranked while the mentor is full, and the sweep has nothing left to do.
      expect(await refreshMenteeCandidates({ userId: other.id })).to.equal(true);
      expect(await listed()).to.not.include(mentor.id);
      await refreshCandidatesOfChangedMentors();
      await finishInterruptedAccepts();
      expect(await profileOf(mentor)).to.include({ freePlaces: 1, candidatesStale: true });
      await refreshCandidatesOfChangedMentors();
      expect(await listed()).to.include(mentor.id);
    });

    it('when an accept was only slow and a place is still free, it takes that place and the request is accepted', async () => {
      const [mentor, mentee] = [await buildMentor({ capacity: 2 }), await buildMentee()];
      const slow = await slowAccept(mentor, mentee);
      await finishInterruptedAccepts();
      expect((await profileOf(mentor)).freePlaces).to.equal(2);
      const mentorship = await slow.finish();
      const request = (await MentoringRequestModel.findById(slow.id).lean())!;
      expect(request.status).to.equal('accepted');
      expect(String(request.mentorshipId)).to.equal(String(mentorship._id));
      expect((await profileOf(mentor)).freePlaces).to.equal(1);
      expect((await profileOf(mentor)).placesHeldFor).to.deep.equal([]);
    });

    it('when an accept was only slow and the mentor declined the request meanwhile, the decline stands and no place is lost', async () => {
      const [mentor, mentee] = [await buildMentor({ capacity: 2 }), await buildMentee()];
      const slow = await slowAccept(mentor, mentee);
      await finishInterruptedAccepts();
      await supertest(app)
        .post(`/api/v1/mentoring/requests/${slow.id}/decline`)
        .set(await as(mentor))
        .send({ reason: 'My places are promised this term.' })
        .expect(200);
      let refused: unknown;
      await slow.finish().catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(ConflictError);
      expect(await MentorshipModel.countDocuments({ requestId: slow.id })).to.equal(0);
      expect((await MentoringRequestModel.findById(slow.id).lean())!.status).to.equal('declined');
      expect((await profileOf(mentor)).freePlaces).to.equal(2);
      expect((await profileOf(mentor)).placesHeldFor).to.deep.equal([]);
    });

    it('an accept still within its five minutes is left alone', async () => {
      const { mentor, id } = await halfAccepted({ placeTaken: true, answeredAt: new Date() });
      await finishInterruptedAccepts();
      expect((await profileOf(mentor)).freePlaces).to.equal(1);
      expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('accepted');
    });
  });

  it('when someone other than its mentor accepts or declines a request, it answers 404 and changes nothing', async () => {
    const [mentor, mentee, other] = [await buildMentor(), await buildMentee(), await buildMentor()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/accept`)
      .set(await as(other))
      .expect(404);
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/accept`)
      .set(await as(mentee))
      .expect(404);
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/decline`)
      .set(await as(other))
      .send({})
      .expect(404);
    await supertest(app)
      .post(`/api/v1/mentoring/requests/nope/accept`)
      .set(await as(mentor))
      .expect(404);
    expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('pending');
  });

  it('when the mentor declines with a reason, it answers 200, the mentee may ask again later, and a second answer is 409', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    const res = await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/decline`)
      .set(await as(mentor))
      .send({ reason: 'I am full until September.' })
      .expect(200);
    expect(res.body).to.include({ status: 'declined', declineReason: 'I am full until September.' });
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/accept`)
      .set(await as(mentor))
      .expect(409);
    // The mentor hears nothing more of it; the mentee is told the answer.
    expect(await NotificationModel.countDocuments({ 'about.id': id, status: 'scheduled', userId: mentor.id })).to.equal(
      0,
    );
    const told = await NotificationModel.find({ 'about.id': id, status: 'scheduled' }).lean();
    expect(told.map((n) => `${n.kind}:${String(n.userId)}`)).to.deep.equal([`mentoring-request-answered:${mentee.id}`]);
    await askExpecting(201, mentee, mentor);
  });

  it('when the mentee withdraws a waiting request, it answers 200 withdrawn, the mentor hears nothing more and cannot accept it, and her place with that mentor and her slot are free again', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const others = await Promise.all([buildMentor(), buildMentor()]);
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    for (const other of others) await askExpecting(201, mentee, other);
    const stranger = await buildUser();
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/withdraw`)
      .set(await as(stranger))
      .expect(404);
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/withdraw`)
      .set(await as(mentor))
      .expect(404);
    const res = await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/withdraw`)
      .set(await as(mentee))
      .expect(200);
    expect(res.body).to.include({ id, status: 'withdrawn' });
    expect(await NotificationModel.countDocuments({ 'about.id': id, status: 'scheduled' })).to.equal(0);
    const accept = await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/accept`)
      .set(await as(mentor))
      .expect(409);
    expect(accept.body.detail).to.match(/withdrawn/);
    expect(await MentorshipModel.countDocuments({ mentorId: mentor.id })).to.equal(0);
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/withdraw`)
      .set(await as(mentee))
      .expect(409);
    // Three were waiting; with one withdrawn she may ask again, the same mentor included.
    await askExpecting(201, mentee, mentor);
  });

  it('when a withdrawal and the mentor’s accept race, exactly one of them wins and the request is never both', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    const [withdrawn, accepted] = await Promise.all([
      supertest(app)
        .post(`/api/v1/mentoring/requests/${id}/withdraw`)
        .set(await as(mentee)),
      supertest(app)
        .post(`/api/v1/mentoring/requests/${id}/accept`)
        .set(await as(mentor)),
    ]);
    expect([withdrawn.status, accepted.status].sort()).to.deep.equal(
      withdrawn.status === 200 ? [200, 409] : [201, 409],
    );
    const status = (await MentoringRequestModel.findById(id).lean())!.status;
    const mentorships = await MentorshipModel.countDocuments({ mentorId: mentor.id, status: 'active' });
    expect({ status, mentorships }).to.deep.equal(
      withdrawn.status === 200 ? { status: 'withdrawn', mentorships: 0 } : { status: 'accepted', mentorships: 1 },
    );
    const place = await MentorProfileModel.findOne({ userId: mentor.id }).lean();
    expect(place!.freePlaces).to.equal(2 - mentorships);
  });

  it('when either of the two has blocked the other in the directory, her request answers 404 as for an unknown mentor, nothing is sent, and the mentor is not suggested to her', async () => {
    await clearDatabase(); // the suggestions below rank every mentor: only this test's
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const [blockedByMentee, otherMentee] = [await buildMentor(), await buildMentee()];
    await listInDirectory(mentee);
    await supertest(app)
      .put(`/api/v1/me/blocks/${mentee.id}`)
      .set(await as(mentor))
      .expect(204);
    await supertest(app)
      .put(`/api/v1/me/blocks/${blockedByMentee.id}`)
      .set(await as(otherMentee))
      .expect(204);
    const refused = await askExpecting(404, mentee, mentor);
    expect(refused.body.detail).to.equal(messages.noMentor);
    await askExpecting(404, otherMentee, blockedByMentee);
    expect(await MentoringRequestModel.countDocuments({ menteeId: { $in: [mentee.id, otherMentee.id] } })).to.equal(0);
    expect(await NotificationModel.countDocuments({ userId: { $in: [mentor.id, blockedByMentee.id] } })).to.equal(0);
    const suggested = async (who: TestUser) =>
      (
        await supertest(app)
          .get('/api/v1/me/mentor-suggestions')
          .set(await as(who))
          .expect(200)
      ).body.items.map((i: { mentorId: string }) => i.mentorId);
    expect(await suggested(mentee))
      .to.include(blockedByMentee.id)
      .and.not.include(mentor.id);
    expect(await suggested(otherMentee))
      .to.include(mentor.id)
      .and.not.include(blockedByMentee.id);
    // Unblocked, she may ask.
    await supertest(app)
      .delete(`/api/v1/me/blocks/${mentee.id}`)
      .set(await as(mentor))
      .expect(204);
    await askExpecting(201, mentee, mentor);
  });

  it('when she blocks the mentor after asking him, he cannot accept (404: no mentorship, no place taken) and his decline reaches her without his reason', async () => {
    const [mentor, other, mentee] = [await buildMentor(), await buildMentor(), await buildMentee()];
    const toMentor = (await askExpecting(201, mentee, mentor)).body.id as string;
    const toOther = (await askExpecting(201, mentee, other)).body.id as string;
    const placesBefore = (await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces;
    for (const blocked of [mentor, other])
      await supertest(app)
        .put(`/api/v1/me/blocks/${blocked.id}`)
        .set(await as(mentee))
        .expect(204);

    const refused = await supertest(app)
      .post(`/api/v1/mentoring/requests/${toMentor}/accept`)
      .set(await as(mentor))
      .expect(404);
    expect(refused.body.detail).to.equal(messages.noRequest);
    expect(await MentorshipModel.countDocuments({ menteeId: mentee.id })).to.equal(0);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(placesBefore);
    expect((await MentoringRequestModel.findById(toMentor).lean())!.status).to.equal('pending');

    await supertest(app)
      .post(`/api/v1/mentoring/requests/${toOther}/decline`)
      .set(await as(other))
      .send({ reason: 'Write to me at mentor@example.org instead' })
      .expect(200);
    const declined = (await MentoringRequestModel.findById(toOther).lean())!;
    expect({ status: declined.status, reason: declined.declineReason ?? null }).to.deep.equal({
      status: 'declined',
      reason: null,
    });
    const answer = await NotificationModel.findOne({ kind: 'mentoring-request-answered', 'about.id': toOther }).lean();
    expect(answer!.data).to.include({ accepted: false, reason: null });
  });

  it('when one of the two blocked the other after the request, the mentor is not reminded of it at 7 days', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    await supertest(app)
      .put(`/api/v1/me/blocks/${mentee.id}`)
      .set(await as(mentor))
      .expect(204);
    const reminder = (await NotificationModel.findOne({ kind: 'mentoring-request-reminder', 'about.id': id }).lean())!;
    const ids = [reminder._id];
    const now = new Date(reminder.sendAt.getTime() + 1000);
    await runDueNotifications({ ids, now });
    await settleNotifications({ ids, now });
    const settled = (await NotificationModel.findById(reminder._id).lean())!;
    expect(settled.status).to.equal('skipped');
  });

  it('when she blocks the mentor after his decline but before its email is sent, the email does not carry his reason', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/decline`)
      .set(await as(mentor))
      .send({ reason: 'Call me on 07700 900123 instead' })
      .expect(200);
    await supertest(app)
      .put(`/api/v1/me/blocks/${mentor.id}`)
      .set(await as(mentee))
      .expect(204);
    const answer = (await NotificationModel.findOne({ kind: 'mentoring-request-answered', 'about.id': id }).lean())!;
    await runDueNotifications({ ids: [answer._id] });
    const emails = await OutboxMessageModel.find({
      to: mentee.email,
      subject: /declined your mentoring request/,
    }).lean();
    expect(emails).to.have.length(1);
    expect(`${emails[0]!.text} ${emails[0]!.html ?? ''}`).to.not.include('07700');
  });

  it('when a request waits 14 days it expires: accepting answers 409, her slot is free again, and the sweep is idempotent', async () => {
    const [mentor, mentee] = [await buildMentor(), await buildMentee()];
    const id = (await askExpecting(201, mentee, mentor)).body.id as string;
    const later = new Date(Date.now() + 14 * 86_400_000 + 1000);
    expect(await expireRequests({ now: later })).to.be.greaterThanOrEqual(1);
    expect(await expireRequests({ now: later })).to.equal(0);
    expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('expired');
    await supertest(app)
      .post(`/api/v1/mentoring/requests/${id}/accept`)
      .set(await as(mentor))
      .expect(409);
    await askExpecting(201, mentee, mentor);
  });

  describe('a request past its 14 days that the 15-minute sweep has not reached yet', () => {
    /** Makes a pending request look sent 15 days ago, as the sweep would find it on its next run. */
    const leaveUnswept = (id: string) =>
      MentoringRequestModel.updateOne(
        { _id: id },
        { $set: { sentAt: new Date(Date.now() - 15 * 86_400_000), expiresAt: new Date(Date.now() - 86_400_000) } },
      );

    it('no longer counts toward her 3 pending requests: she can ask another mentor, and the old one reads expired', async () => {
      const mentee = await buildMentee();
      const mentors = await Promise.all([1, 2, 3, 4, 5].map(() => buildMentor()));
      const ids: string[] = [];
      for (const mentor of mentors.slice(0, 3)) ids.push((await askExpecting(201, mentee, mentor)).body.id);
      await leaveUnswept(ids[0]!);
      await askExpecting(201, mentee, mentors[3]!);
      expect((await MentoringRequestModel.findById(ids[0]).lean())!.status).to.equal('expired');
      const fifth = await askExpecting(422, mentee, mentors[4]!);
      expect(fifth.body.detail).to.match(/3 requests waiting/);
      expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id, status: 'pending' })).to.equal(3);
    });

    it('does not count as a request waiting with that mentor: she can ask her again', async () => {
      const [mentor, mentee] = [await buildMentor(), await buildMentee()];
      const old = (await askExpecting(201, mentee, mentor)).body.id as string;
      await leaveUnswept(old);
      const again = await askExpecting(201, mentee, mentor);
      expect(again.body.id).not.to.equal(old);
      const statuses = await MentoringRequestModel.find({ menteeId: mentee.id }).select('status').lean();
      expect(statuses.map((r) => r.status).sort()).to.deep.equal(['expired', 'pending']);
    });

    it('cannot be accepted: it answers 409 saying it expired, and no mentorship or place is taken', async () => {
      const [mentor, mentee] = [await buildMentor(), await buildMentee()];
      const id = (await askExpecting(201, mentee, mentor)).body.id as string;
      await leaveUnswept(id);
      const res = await supertest(app)
        .post(`/api/v1/mentoring/requests/${id}/accept`)
        .set(await as(mentor))
        .expect(409);
      expect(res.body.detail).to.equal(messages.expired);
      expect(await MentorshipModel.countDocuments({ mentorId: mentor.id })).to.equal(0);
      expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(2);
      // Still waiting for the sweep, which expires it as usual.
      await expireRequests();
      expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('expired');
    });

    it('cannot be declined either: it answers 409 saying it expired, and the sweep then expires it (her notice says so)', async () => {
      const [mentor, mentee] = [await buildMentor(), await buildMentee()];
      const id = (await askExpecting(201, mentee, mentor)).body.id as string;
      await leaveUnswept(id);
      const res = await supertest(app)
        .post(`/api/v1/mentoring/requests/${id}/decline`)
        .set(await as(mentor))
        .send({ reason: 'Too late, sorry.' })
        .expect(409);
      expect(res.body.detail).to.equal(messages.expired);
      expect((await MentoringRequestModel.findById(id).lean())!.declineReason).to.equal(undefined);
      await expireRequests();
      expect((await MentoringRequestModel.findById(id).lean())!.status).to.equal('expired');
    });
  });

  it('when a signed-out visitor posts a request, it answers 401', async () => {
    const mentor = await buildMentor();
    await supertest(app).post('/api/v1/mentoring/requests').send({ mentorId: mentor.id, message: 'x' }).expect(401);
    void buildUser;
  });
});
