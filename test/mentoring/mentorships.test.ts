import { expect } from 'chai';
import { DateTime } from 'luxon';
import supertest from 'supertest';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { MentorshipMeetingModel } from '../../models/MentorshipMeeting.ts';
import { NotificationModel } from '../../models/Notification.ts';
import {
  logMeeting,
  mentorshipMessages,
  recordOutcome,
  saveAgreement,
} from '../../server/services/mentoring/mentorships.ts';
import { ValidationError } from '../../server/errors.ts';
import { saveMentorProfile } from '../../server/services/mentoring/profiles.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';

describe('mentoring: mentorships, meetings, privacy and outcomes', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const as = async (user: TestUser) => ({ Authorization: `Bearer ${await tokenFor(user)}` });

  type Matched = Awaited<ReturnType<typeof matched>>;
  async function matched(capacity = 2) {
    const mentor = await buildMentor({ capacity });
    const mentee = await buildMentee();
    const req = await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(await as(mentee))
      .send({ mentorId: mentor.id, message: 'Please.' });
    expect(req.status, JSON.stringify(req.body)).to.equal(201);
    const acc = await supertest(app)
      .post(`/api/v1/mentoring/requests/${req.body.id}/accept`)
      .set(await as(mentor));
    expect(acc.status, JSON.stringify(acc.body)).to.equal(201);
    expect(acc.body).to.include({ status: 'active', mentorId: mentor.id, menteeId: mentee.id });
    return { mentor, mentee, id: acc.body.id as string };
  }

  it('dates she gives are days on her own calendar: today and the day a mentorship started are hers, not UTC', async () => {
    const newYork = { ...(await buildUser()), timezone: 'America/New_York' };
    const evening = new Date('2027-05-01T02:00:00Z'); // 30 April, 22:00 in New York
    const refused = await recordOutcome({ actor: newYork, kind: 'appointed', on: '2027-05-01', now: evening }).catch(
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(ValidationError);
    await recordOutcome({ actor: newYork, kind: 'appointed', on: '2027-04-30', now: evening });
    const sydney = { ...(await buildUser()), timezone: 'Australia/Sydney' };
    await recordOutcome({ actor: sydney, kind: 'appointed', on: '2027-05-02', now: new Date('2027-05-01T20:00:00Z') });

    const { mentee, id } = await matched();
    // It started at 23:30 UTC on 1 May: 2 May in Tokyo, so an end on 2 May is not after it started, for her.
    await MentorshipModel.updateOne({ _id: id }, { $set: { startedAt: new Date('2027-05-01T23:30:00Z') } });
    const tokyo = { ...mentee, roles: ['participant'], timezone: 'Asia/Tokyo' };
    const agreement = { mentorshipId: id, goals: ['Lead a staff meeting'], meetingFrequency: 'monthly' as const };
    const tooSoon = await saveAgreement({ actor: tokyo, ...agreement, endsOn: '2027-05-02' }).catch((e: unknown) => e);
    expect(tooSoon).to.be.instanceOf(ValidationError);
    await saveAgreement({ actor: tokyo, ...agreement, endsOn: '2027-05-03' });
  });

  it('when a third person or a malformed id asks for a mentorship, it answers 404; its members and admins see it', async () => {
    const { mentor, mentee, id } = await matched();
    const stranger = await buildUser();
    const otherMentor = await buildMentor();
    const admin = await buildUser({ roles: ['admin'] });
    await supertest(app)
      .get(`/api/v1/mentorships/${id}`)
      .set(await as(stranger))
      .expect(404);
    await supertest(app)
      .get(`/api/v1/mentorships/${id}`)
      .set(await as(otherMentor))
      .expect(404);
    await supertest(app)
      .get('/api/v1/mentorships/not-an-id')
      .set(await as(mentor))
      .expect(404);
    await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(await as(stranger))
      .send({ heldAt: new Date().toISOString(), minutes: 30 })
      .expect(404);
    for (const viewer of [mentor, mentee, admin]) {
      const res = await supertest(app)
        .get(`/api/v1/mentorships/${id}`)
        .set(await as(viewer))
        .expect(200);
      expect(res.body).to.include({ id, status: 'active' });
      expect(JSON.stringify(res.body)).not.to.match(/@/);
    }
  });

  it('an admin may close a mentorship she sees (both members hear, from the programme team), but not log its meetings or speak for its members (403, not 404)', async () => {
    const { mentor, mentee, id } = await matched();
    const admin = await buildUser({ roles: ['admin'] });
    const refused = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(await as(admin))
      .send({ heldAt: new Date().toISOString(), minutes: 30 })
      .expect(403);
    expect(refused.body.detail).to.equal(mentorshipMessages.membersOnly);
    const withFeedback = await supertest(app)
      .post(`/api/v1/mentorships/${id}/close`)
      .set(await as(admin))
      .send({ reason: 'The mentor has left the programme.', feedback: 'Not hers to give.' })
      .expect(422);
    expect(withFeedback.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['feedback']);
    const closed = await supertest(app)
      .post(`/api/v1/mentorships/${id}/close`)
      .set(await as(admin))
      .send({ reason: 'The mentor has left the programme.' })
      .expect(200);
    expect(closed.body).to.include({ status: 'closed', closeReason: 'The mentor has left the programme.' });
    const notices = await NotificationModel.find({ kind: 'mentorship-closed', 'about.id': id }).lean();
    expect(notices.map((n) => String(n.userId)).sort()).to.deep.equal([mentor.id, mentee.id].sort());
    expect(notices.every((n) => n.subject === 'The programme team closed your mentorship')).to.equal(true);
    // The mentor's place is given back, as for any close.
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(2);
    // Closed, it has nothing left for her to do: she is not told she can close it.
    const rating = await supertest(app)
      .post(`/api/v1/mentorships/${id}/rating`)
      .set(await as(admin))
      .send({ rating: 4 })
      .expect(403);
    expect(rating.body.detail).to.equal(mentorshipMessages.membersOnlyClosed);
  });

  it('when a member logs a meeting, both see the shared notes and only she sees her private notes (admins neither)', async () => {
    const { mentor, mentee, id } = await matched();
    const admin = await buildUser({ roles: ['admin'] });
    await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(await as(mentor))
      .send({
        heldAt: new Date(Date.now() - 3_600_000).toISOString(),
        minutes: 45,
        sharedNotes: 'Practised the panel questions.',
        privateNotes: 'She undersells her budget work.',
      })
      .expect(201);
    const read = async (who: TestUser) =>
      (
        await supertest(app)
          .get(`/api/v1/mentorships/${id}`)
          .set(await as(who))
          .expect(200)
      ).body.meetings[0];
    expect(await read(mentor)).to.include({
      sharedNotes: 'Practised the panel questions.',
      privateNotes: 'She undersells her budget work.',
    });
    const menteeView = await read(mentee);
    expect(menteeView.sharedNotes).to.equal('Practised the panel questions.');
    expect(menteeView).not.to.have.property('privateNotes');
    const adminView = await read(admin);
    expect(adminView).not.to.have.property('privateNotes');
    expect(JSON.stringify(adminView)).not.to.include('undersells');
  });

  it('when a meeting is in the future or the minutes are out of range, it answers 422 naming the field', async () => {
    const { mentee, id } = await matched();
    const future = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(await as(mentee))
      .send({ heldAt: new Date(Date.now() + 86_400_000).toISOString(), minutes: 30 })
      .expect(422);
    expect(future.body.errors[0].path).to.equal('heldAt');
    const minutes = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(await as(mentee))
      .send({ heldAt: new Date().toISOString(), minutes: 0 })
      .expect(422);
    expect(minutes.body.errors[0].path).to.equal('minutes');
  });

  it('a meeting may be logged up to a day before the mentorship started (a first talk just before the accept), not earlier, and the message says so', async () => {
    const { mentee, id } = await matched();
    const startedAt = new Date('2027-03-02T02:00:00Z');
    await MentorshipModel.updateOne({ _id: id }, { $set: { startedAt } });
    const now = new Date('2027-03-05T02:00:00Z');
    const log = (heldAt: string) =>
      logMeeting({ actor: mentee, mentorshipId: id, heldAt: new Date(heldAt), minutes: 30, now }).catch(
        (e: unknown) => e,
      );
    expect(await log('2027-03-01T07:00:00Z')).to.have.property('heldAt');
    const before = await log('2027-02-28T07:00:00Z');
    expect(before).to.be.instanceOf(ValidationError);
    expect((before as ValidationError).errors[0]).to.deep.include({
      path: 'heldAt',
      message: 'must be no more than a day before the mentorship started',
    });
  });

  it('when the members agree goals, a rhythm and an end date, the agreement is kept; an end before the start is 422', async () => {
    const { mentee, id } = await matched();
    const endsOn = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
    const res = await supertest(app)
      .put(`/api/v1/mentorships/${id}/agreement`)
      .set(await as(mentee))
      .send({ goals: ['Apply for two headships', 'Negotiate the pay band'], meetingFrequency: 'fortnightly', endsOn })
      .expect(200);
    expect(res.body.agreement).to.deep.equal({
      goals: ['Apply for two headships', 'Negotiate the pay band'],
      meetingFrequency: 'fortnightly',
      endsOn,
    });
    const bad = await supertest(app)
      .put(`/api/v1/mentorships/${id}/agreement`)
      .set(await as(mentee))
      .send({ goals: ['x'], meetingFrequency: 'fortnightly', endsOn: '2001-01-01' })
      .expect(422);
    expect(bad.body.errors[0].path).to.equal('endsOn');
    await supertest(app)
      .put(`/api/v1/mentorships/${id}/agreement`)
      .set(await as(mentee))
      .send({ goals: ['x'], meetingFrequency: 'daily', endsOn })
      .expect(422);
  });

  it('when the mentorship closes after her agreement was checked, the agreement answers 409 and nothing is saved', async () => {
    const { mentee, mentor, id } = await matched();
    const endsOn = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
    // Her save has read the mentorship as active; the mentor's close lands before its write.
    const held = holdNextCall(MentorshipModel, 'updateOne', {
      before: true,
      when: (args) => !!(args[1] as { $set?: { agreement?: unknown } }).$set?.agreement,
    });
    try {
      const saving = supertest(app)
        .put(`/api/v1/mentorships/${id}/agreement`)
        .set(await as(mentee))
        .send({ goals: ['Apply for headship'], meetingFrequency: 'monthly', endsOn });
      const sending = saving.then((r) => r);
      await held.reached;
      await supertest(app)
        .post(`/api/v1/mentorships/${id}/close`)
        .set(await as(mentor))
        .send({ reason: 'She moved abroad.' })
        .expect(200);
      held.release();
      const answer = await sending;
      expect(answer.status).to.equal(409);
      expect(answer.type).to.equal('application/problem+json');
    } finally {
      held.release();
      held.restore();
    }
    expect((await MentorshipModel.findById(id).lean())!.agreement?.goals ?? []).to.deep.equal([]);
  });

  it('when a mentorship closes, the mentor’s place is free again exactly once, and a second close answers 409', async () => {
    const { mentor, mentee, id } = await matched(1);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(0);
    // A mentor does not rate her own mentoring: that is the mentee's (422 at the field, nothing closed).
    const selfRated = await supertest(app)
      .post(`/api/v1/mentorships/${id}/close`)
      .set(await as(mentor))
      .send({ reason: 'Done.', rating: 5 })
      .expect(422);
    expect(selfRated.body.errors[0].path).to.equal('rating');
    const answers = await Promise.all(
      [mentor, mentee].map(async (who) =>
        supertest(app)
          .post(`/api/v1/mentorships/${id}/close`)
          .set(await as(who))
          .send({ reason: 'She was appointed head.', ...(who === mentee ? { rating: 5 } : {}) }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409]);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(1);
    const closed = await supertest(app)
      .get(`/api/v1/mentorships/${id}`)
      .set(await as(mentee))
      .expect(200);
    expect(closed.body.status).to.equal('closed');
    const rating = await supertest(app)
      .post(`/api/v1/mentorships/${id}/close`)
      .set(await as(mentee))
      .send({ reason: 'x', rating: 6 })
      .expect(422);
    expect(rating.body.errors[0].path).to.equal('rating');
  });

  it('when her mentor closed the mentorship, the mentee rates it afterwards, once, through the API or its page; nobody else may, nor while it is active', async () => {
    const viaApi = await matched();
    const rate = async (who: TestUser, id: string, rating: number) =>
      supertest(app)
        .post(`/api/v1/mentorships/${id}/rating`)
        .set(await as(who))
        .send({ rating });
    expect((await rate(viaApi.mentee, viaApi.id, 4)).status).to.equal(409);
    await supertest(app)
      .post(`/api/v1/mentorships/${viaApi.id}/close`)
      .set(await as(viaApi.mentor))
      .send({ reason: 'Moving schools' })
      .expect(200);
    const byMentor = await rate(viaApi.mentor, viaApi.id, 5);
    expect(byMentor.status).to.equal(422);
    expect(byMentor.body.errors[0].path).to.equal('rating');
    expect((await rate(await buildUser(), viaApi.id, 5)).status).to.equal(404);
    expect((await rate(viaApi.mentee, viaApi.id, 6)).status).to.equal(422);
    const rated = await rate(viaApi.mentee, viaApi.id, 4);
    expect(rated.status, JSON.stringify(rated.body)).to.equal(200);
    expect(rated.body.status).to.equal('closed');
    expect((await rate(viaApi.mentee, viaApi.id, 2)).status).to.equal(409);
    expect((await MentorshipModel.findById(viaApi.id).lean())!.rating).to.equal(4);

    const viaPage = await matched();
    await supertest(app)
      .post(`/api/v1/mentorships/${viaPage.id}/close`)
      .set(await as(viaPage.mentor))
      .send({ reason: 'Moving schools' })
      .expect(200);
    const her = await signIn(app, viaPage.mentee.email, testPassword);
    const page = await her.get(`/mentorships/${viaPage.id}`).expect(200);
    expect(page.text).to.include(`action="/mentorships/${viaPage.id}/rating"`);
    await her
      .post(`/mentorships/${viaPage.id}/rating`)
      .type('form')
      .send({ _csrf: await csrfOf(her, `/mentorships/${viaPage.id}`), rating: '3' })
      .expect(303);
    const after = await her.get(`/mentorships/${viaPage.id}`).expect(200);
    expect(after.text).to.include('your rating was recorded').and.not.to.include(`/mentorships/${viaPage.id}/rating"`);
    expect((await MentorshipModel.findById(viaPage.id).lean())!.rating).to.equal(3);
  });

  it('when a member closes a mentorship with a logged meeting, the answer is the mentorship as GET shows it, meetings included', async () => {
    const { mentee, id } = await matched();
    const meeting = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(await as(mentee))
      .send({ heldAt: new Date(Date.now() - 3_600_000).toISOString(), minutes: 45, sharedNotes: 'CV reviewed.' })
      .expect(201);
    const closed = await supertest(app)
      .post(`/api/v1/mentorships/${id}/close`)
      .set(await as(mentee))
      .send({ reason: 'She was appointed head.', rating: 5, feedback: 'Thank you.' })
      .expect(200);
    expect(closed.body.status).to.equal('closed');
    expect(closed.body.meetings.map((m: { id: string }) => m.id)).to.deep.equal([meeting.body.id]);
    const read = await supertest(app)
      .get(`/api/v1/mentorships/${id}`)
      .set(await as(mentee))
      .expect(200);
    expect(closed.body).to.deep.equal(read.body);
  });

  it('when the mentorship closes between a meeting’s check and its insert, the meeting is not kept and its log answers 409 (API and form)', async () => {
    const heldAt = DateTime.now().minus({ hours: 1 }).startOf('minute');
    /** Her log has read the mentorship as active, and its insert lands late: after the mentee's close. */
    const logDuringClose = async (m: Matched, log: () => Promise<supertest.Response>) => {
      const closeAuth = await as(m.mentee);
      const held = holdNextCall(MentorshipMeetingModel, 'create', { before: true });
      try {
        const logging = log();
        await held.reached;
        held.restore();
        await supertest(app)
          .post(`/api/v1/mentorships/${m.id}/close`)
          .set(closeAuth)
          .send({ reason: 'She was appointed head.' })
          .expect(200);
        held.release();
        return await logging;
      } finally {
        held.release();
        held.restore();
      }
    };

    const overApi = await matched();
    const auth = await as(overApi.mentor);
    const api = await logDuringClose(overApi, async () =>
      supertest(app)
        .post(`/api/v1/mentorships/${overApi.id}/meetings`)
        .set(auth)
        .send({ heldAt: heldAt.toISO(), minutes: 45, sharedNotes: 'Mock interview.' }),
    );
    expect(api.status).to.equal(409);
    expect(api.type).to.equal('application/problem+json');
    expect(api.body.detail).to.equal(mentorshipMessages.closed);

    const overForm = await matched();
    const she = await signIn(app, overForm.mentor.email, testPassword);
    const path = `/mentorships/${overForm.id}`;
    const csrf = await csrfOf(she, path);
    const form = await logDuringClose(overForm, async () =>
      she
        .post(`${path}/meetings`)
        .type('form')
        .send({
          _csrf: csrf,
          // Her zone is London's: the form takes the wall-clock time there.
          heldAt: heldAt.setZone('Europe/London').toFormat("yyyy-LL-dd'T'HH:mm"),
          minutes: '45',
          sharedNotes: 'Mock interview.',
        }),
    );
    expect(form.status).to.equal(409);
    expect(form.text).to.include(mentorshipMessages.closed);

    for (const m of [overApi, overForm]) {
      expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: m.id })).to.equal(0);
      const closed = (await MentorshipModel.findById(m.id).lean())!;
      expect(closed.status).to.equal('closed');
      expect(closed.lastMeetingAt).to.equal(null);
    }
  });

  it('the meeting form refuses a time her clocks skipped (01:30 the night London sprang forward) by saying so, and a date that does not exist as not a date, and logs nothing', async () => {
    const { mentor, id } = await matched();
    const she = await signIn(app, mentor.email, testPassword);
    const path = `/mentorships/${id}`;
    const res = await she
      .post(`${path}/meetings`)
      .type('form')
      .send({ _csrf: await csrfOf(she, path), heldAt: '2026-03-29T01:30', minutes: '45' })
      .expect(422);
    expect(res.text).to.include('does not exist in your zone (the clocks go forward then)');
    const noSuchDay = await she
      .post(`${path}/meetings`)
      .type('form')
      .send({ _csrf: await csrfOf(she, path), heldAt: '2026-02-30T10:00', minutes: '45' })
      .expect(422);
    expect(noSuchDay.text).to.include('must be a date and time').and.not.include('clocks go forward');
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(0);
  });

  it('the meeting form refuses minutes that are not plain digits ("1e2" was logged as 100) at the field, and logs nothing', async () => {
    const { mentor, id } = await matched();
    const she = await signIn(app, mentor.email, testPassword);
    const path = `/mentorships/${id}`;
    // Her zone is London's; an hour ago is after the mentorship started, so only the minutes can be refused.
    const anHourAgoInLondon = DateTime.now()
      .minus({ hours: 1 })
      .setZone('Europe/London')
      .toFormat("yyyy-LL-dd'T'HH:mm");
    for (const minutes of ['1e2', '0x3c']) {
      const res = await she
        .post(`${path}/meetings`)
        .type('form')
        .send({ _csrf: await csrfOf(she, path), heldAt: anHourAgoInLondon, minutes, sharedNotes: 'Mock interview.' })
        .expect(422);
      expect(res.text).to.include('must be a whole number');
      expect(res.text).to.include('Mock interview.');
    }
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(0);
  });

  it('notes, feedback and an outcome’s detail are held to the text rule: a direction override or a NUL is a 422 at the field (API and form); notes of nothing visible are no notes', async () => {
    const { mentor, id } = await matched();
    const auth = await as(mentor);
    const anHourAgo = new Date(Date.now() - 3600_000).toISOString();
    const meeting = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(auth)
      .send({ heldAt: anHourAgo, minutes: 30, sharedNotes: 'Mock \u202eweivretni', privateNotes: 'Fine\u0000' })
      .expect(422);
    expect(meeting.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['sharedNotes', 'privateNotes']);
    const close = await supertest(app)
      .post(`/api/v1/mentorships/${id}/close`)
      .set(auth)
      .send({ reason: 'We met our goals.', feedback: 'Great \ufffe' })
      .expect(422);
    expect(close.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['feedback']);
    const outcome = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .send({ kind: 'appointed', on: '2026-09-01', detail: '\u202eDeputy head' })
      .expect(422);
    expect(outcome.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['detail']);
    const blank = await supertest(app)
      .post(`/api/v1/mentorships/${id}/meetings`)
      .set(auth)
      .send({ heldAt: anHourAgo, minutes: 30, sharedNotes: '\u200b\u200b' })
      .expect(201);
    expect(blank.body.sharedNotes).to.equal('');
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(1);

    const she = await signIn(app, mentor.email, testPassword);
    const form = await she
      .post('/mentoring/outcomes')
      .type('form')
      .send({
        _csrf: await csrfOf(she, '/mentoring/outcomes'),
        kind: 'appointed',
        on: '2026-09-01',
        detail: 'Head\u0000',
      })
      .expect(422);
    expect(form.text).to.include('href="#field-detail"').and.include('contains a control character (such as NUL)');
    const path = `/mentorships/${id}`;
    const notes = await she
      .post(`${path}/meetings`)
      .type('form')
      .send({
        _csrf: await csrfOf(she, path),
        heldAt: DateTime.fromISO(anHourAgo).setZone('Europe/London').toFormat("yyyy-LL-dd'T'HH:mm"),
        minutes: '30',
        sharedNotes: '\u2066x',
      })
      .expect(422);
    expect(notes.text)
      .to.include('href="#field-sharedNotes"')
      .and.include('must not contain a text-direction override');
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId: id })).to.equal(1);
  });

  it('when a mentor pauses (capacity 0), she keeps her mentees and takes no new one', async () => {
    const { mentor, mentee, id } = await matched(2);
    // She pauses through her profile (capacity 0): the profile service moves freePlaces by the difference.
    const p = (await MentorProfileModel.findOne({ userId: mentor.id }).lean())!;
    await saveMentorProfile({
      userId: mentor.id,
      profile: {
        phase: p.phase,
        yearsAsHead: p.yearsAsHead,
        schoolName: p.schoolName,
        country: p.country,
        region: p.region ?? '',
        timezone: p.timezone,
        languages: [...p.languages],
        expertise: [...p.expertise] as never,
        capacity: 0,
        availability: p.availability.map((w) => ({ day: w.day as never, from: w.from, to: w.to })),
        bio: p.bio ?? '',
      },
    });
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(-1);
    const mine = await supertest(app)
      .get('/api/v1/me/mentorships')
      .set(await as(mentor))
      .expect(200);
    expect(mine.body.items.map((m: { id: string }) => m.id)).to.deep.equal([id]);
    await supertest(app)
      .get(`/api/v1/mentorships/${id}`)
      .set(await as(mentee))
      .expect(200);
    const newcomer = await buildMentee();
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(await as(newcomer))
      .send({ mentorId: mentor.id, message: 'Please.' })
      .expect(422);
    expect(await MentorshipModel.countDocuments({ mentorId: mentor.id, status: 'active' })).to.equal(1);
  });

  it('when she records outcomes, she reads them back; an unknown kind or a future day is 422', async () => {
    const woman = await buildUser();
    const auth = await as(woman);
    await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .send({ kind: 'salary-negotiated', on: '2026-09-01', detail: 'Up 4 points.' })
      .expect(201);
    await supertest(app).post('/api/v1/me/outcomes').set(auth).send({ kind: 'knighted', on: '2026-09-01' }).expect(422);
    const future = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set(auth)
      .send({ kind: 'applied', on: '2099-01-01' })
      .expect(422);
    expect(future.body.errors[0].path).to.equal('on');
    const mine = await supertest(app).get('/api/v1/me/outcomes').set(auth).expect(200);
    expect(mine.body.items).to.have.length(1);
    expect(mine.body.items[0]).to.include({ kind: 'salary-negotiated', on: '2026-09-01', detail: 'Up 4 points.' });
    const other = await supertest(app)
      .get('/api/v1/me/outcomes')
      .set(await as(await buildUser()))
      .expect(200);
    expect(other.body.items).to.have.length(0);
  });
});
