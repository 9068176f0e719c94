import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import ical from 'node-ical';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { UserModel } from '../../models/User.ts';
import { onDomainEvent } from '../../server/events.ts';
import { calendarFeedUrl, rotateCalendarToken } from '../../server/services/cohorts/calendar.ts';
import { enrolParticipant, withdrawParticipant } from '../../server/services/cohorts/enrolment.ts';
import { settings } from '../../server/settings.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { buildCohort, buildSession } from '../support/cohortFactories.ts';
import { confirmationPage, dialogOf } from '../support/confirmation.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const events: { name: string; sessionId: string }[] = [];
for (const name of ['session.scheduled', 'session.rescheduled', 'session.cancelled'] as const) {
  onDomainEvent(name, async (e) => {
    events.push({ name, sessionId: String(e.sessionId) });
  });
}

describe('cohorts: sessions, time zones and calendars', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let facilitator: Awaited<ReturnType<typeof buildUser>>;
  let participant: Awaited<ReturnType<typeof buildUser>>;
  let auth: { Authorization: string };
  let cohortId: string;
  before(async () => {
    app = testApp();
    facilitator = await buildUser({ roles: ['facilitator'], timezone: 'Europe/London' });
    participant = await buildUser({ timezone: 'America/Toronto', name: 'Priya Toronto' });
    auth = { Authorization: `Bearer ${await tokenFor(facilitator)}` };
    const cohort = await buildCohort({
      timezone: 'Europe/London',
      startsOn: '2027-01-01',
      endsOn: '2027-12-31',
      facilitatorIds: [facilitator.id],
    });
    cohortId = String(cohort._id);
    await enrolParticipant({ actor: 'system', cohortId, userId: participant.id });
  });

  const day = 24 * 60 * 60_000;
  const isoDate = (at: number) => new Date(at).toISOString().slice(0, 10);
  /** A UTC wall-clock time, as the session forms and the API take it. */
  const wallClock = (at: number) => new Date(at).toISOString().slice(0, 16);
  /** A cohort (in UTC, run by the facilitator) from two months ago to two months ahead: room for held and coming sessions. */
  const cohortAroundToday = () =>
    buildCohort({
      startsOn: isoDate(Date.now() - 60 * day),
      endsOn: isoDate(Date.now() + 60 * day),
      timezone: 'UTC',
      facilitatorIds: [facilitator.id],
    });

  /** The facilitator moves a session (its API path) to a UTC wall-clock start: the request, to expect on. */
  const moveTo = (url: string, startsAt: string) => supertest(app).patch(url).set(auth).send({ startsAt });

  const schedule = (body: Record<string, unknown>) =>
    supertest(app)
      .post(`/api/v1/cohorts/${cohortId}/sessions`)
      .set(auth)
      .send({ title: 'Workshop', durationMinutes: 90, mode: 'online', joinUrl: 'https://meet.example.org/w', ...body });

  it("reads a wall-clock start in the cohort's zone (London), stores UTC, and shows a Toronto participant her own time across the DST change", async () => {
    // 26 March 2027: London is still on GMT (UTC+0), Toronto already on EDT (UTC-4) — the weeks the offsets differ.
    const march = await schedule({ startsAt: '2027-03-26T09:30' }).expect(201);
    expect(march.body.startsAt).to.equal('2027-03-26T09:30:00.000Z');
    // 2 April 2027: London on BST (UTC+1).
    const april = await schedule({ startsAt: '2027-04-02T09:30' }).expect(201);
    expect(april.body.startsAt).to.equal('2027-04-02T08:30:00.000Z');
    const agent = await signIn(app, participant.email, testPassword);
    const page = await agent.get(`/sessions/${march.body.id}`).expect(200);
    expect(page.text).to.include('Friday 26 March 2027, 05:30 EDT (America/Toronto)');
    expect(page.text).to.include('Friday 26 March 2027, 09:30 GMT (Europe/London)');
    const page2 = await agent.get(`/sessions/${april.body.id}`).expect(200);
    expect(page2.text).to.include('Friday 2 April 2027, 04:30 EDT (America/Toronto)');
    const cohortPage = await agent.get(`/cohorts/${cohortId}`).expect(200);
    expect(cohortPage.text)
      .to.include('Friday 2 April 2027, 09:30 GMT+1 (Europe/London)')
      .and.to.include("cohort's time zone (Europe/London)");
  });

  it('scheduling sent twice (a double-click on the form, an API retry with its Idempotency-Key) makes one session, announced once; without a key, two alike are two', async () => {
    const agent = await signIn(app, facilitator.email, testPassword);
    const page = await agent.get(`/cohorts/${cohortId}/sessions/new`).expect(200);
    const fields = {
      _csrf: csrfFrom(page.text),
      _submission: /name="_submission" value="([^"]+)"/.exec(page.text)![1]!,
      title: 'Double click workshop',
      startsAt: '2027-05-04T10:00',
      durationMinutes: '60',
      mode: 'online',
      joinUrl: 'https://meet.example.org/double',
    };
    const clicks = await Promise.all(
      [1, 2].map(() => agent.post(`/cohorts/${cohortId}/sessions`).type('form').send(fields)),
    );
    expect(clicks.map((c) => c.status)).to.deep.equal([303, 303]);
    expect(clicks[0]!.headers.location).to.equal(clicks[1]!.headers.location);
    const stored = await CohortSessionModel.find({ cohortId, title: 'Double click workshop' }).lean();
    expect(stored).to.have.length(1);
    expect(
      events.filter((e) => e.name === 'session.scheduled' && e.sessionId === String(stored[0]!._id)),
    ).to.have.length(1);

    const retry = () =>
      schedule({ title: 'Retried workshop', startsAt: '2027-05-05T10:00' }).set('Idempotency-Key', 'retry-key-0001');
    const [first, second] = await Promise.all([retry(), retry()]);
    expect([first.status, second.status]).to.deep.equal([201, 201]);
    expect(second.body.id).to.equal(first.body.id);
    await schedule({ title: 'Retried workshop', startsAt: '2027-05-05T10:00' }).expect(201);
    expect(await CohortSessionModel.countDocuments({ cohortId, title: 'Retried workshop' })).to.equal(2);
  });

  it('a session running across the night the clocks go forward lasts its real length, shown in both zones', async () => {
    // London, 28 March 2027: 01:00 GMT becomes 02:00 BST. 00:30 GMT + 120 minutes ends at 03:30 BST.
    const res = await schedule({ startsAt: '2027-03-28T00:30', durationMinutes: 120 }).expect(201);
    expect(res.body).to.include({ startsAt: '2027-03-28T00:30:00.000Z', endsAt: '2027-03-28T02:30:00.000Z' });
    const agent = await signIn(app, participant.email, testPassword);
    const page = await agent.get(`/sessions/${res.body.id}`).expect(200);
    expect(page.text)
      .to.include('Saturday 27 March 2027, 20:30 EDT (America/Toronto)')
      .and.to.include('Sunday 28 March 2027, 00:30 GMT (Europe/London)');
  });

  it('every cohorts and sessions operation is in the OpenAPI document', async () => {
    const doc = await supertest(app).get('/api/v1/openapi.json').expect(200);
    const paths = Object.keys(doc.body.paths);
    for (const p of [
      '/cohorts',
      '/cohorts/{id}',
      '/cohorts/{id}/enrolments',
      '/cohorts/{id}/enrolments/{userId}',
      '/cohorts/{id}/sessions',
      '/sessions/{id}',
      '/sessions/{id}/attendance',
      '/sessions/{id}/check-in',
      '/cohorts/{id}/attendance',
      '/cohorts/{id}/attendance.csv',
    ]) {
      expect(paths, p).to.include(p);
    }
    expect(doc.body.paths['/sessions/{id}/attendance']).to.have.keys('get', 'put');
  });

  it('refuses a wall-clock time the clocks skip, a start outside the cohort dates, and an online session without a link (422, nothing stored)', async () => {
    const before = await CohortSessionModel.countDocuments();
    const gap = await schedule({ startsAt: '2027-03-28T01:30' }).expect(422);
    expect(gap.body.errors[0]).to.include({ path: 'startsAt' });
    expect(gap.body.errors[0].message).to.include('does not exist in Europe/London');
    await schedule({ startsAt: '2028-01-05T09:00' }).expect(422);
    await schedule({ startsAt: '2027-05-01T09:00', joinUrl: undefined }).expect(422);
    await schedule({ startsAt: '2027-05-01T09:00', isAdmin: true }).expect(422);
    await schedule({ startsAt: { $gt: '' } }).expect(422);
    expect(await CohortSessionModel.countDocuments()).to.equal(before);
  });

  it('a start on the cohort’s first day in Auckland but the day before in London is refused with the cohort’s zone named (422)', async () => {
    // 09:00 on 1 January 2027 in Auckland (NZDT, UTC+13) is 20:00 on 31 December 2026 in London, before the cohort.
    const res = await schedule({ startsAt: '2027-01-01T09:00:00+13:00' }).expect(422);
    expect(res.body.errors[0]).to.deep.equal({
      path: 'startsAt',
      message: "must fall within the cohort's dates, 2027-01-01 to 2027-12-31 in its time zone (Europe/London)",
    });
  });

  it('a wall-clock start the clocks show twice (01:30 the night London falls back) is the first 01:30, BST, and says so', async () => {
    const res = await schedule({ startsAt: '2027-10-31T01:30' }).expect(201);
    expect(res.body.startsAt).to.equal('2027-10-31T00:30:00.000Z');
    const agent = await signIn(app, participant.email, testPassword);
    const page = await agent.get(`/sessions/${res.body.id}`).expect(200);
    expect(page.text).to.include('Sunday 31 October 2027, 01:30 GMT+1 (Europe/London)');
  });

  it('a session at the second 01:30 the night London falls back (GMT) stays there when its form is saved unchanged', async () => {
    const created = await schedule({ startsAt: '2027-10-31T01:30:00Z' }).expect(201);
    const res = await supertest(app)
      .patch(`/api/v1/sessions/${created.body.id}`)
      .set(auth)
      .send({ startsAt: '2027-10-31T01:30', title: 'Workshop, renamed' })
      .expect(200);
    expect(res.body).to.include({ startsAt: '2027-10-31T01:30:00.000Z', title: 'Workshop, renamed' });
  });

  it('refuses a start with an expanded ISO year (past the last date JavaScript can hold) as a 422 on startsAt, and nothing is stored', async () => {
    const before = await CohortSessionModel.countDocuments();
    for (const startsAt of ['+275760-09-13T00:00:00Z', '+002027-05-01T09:00:00Z', '-000001-01-01T00:00:00Z']) {
      const res = await schedule({ startsAt }).expect(422);
      expect(res.type, startsAt).to.equal('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['startsAt']);
    }
    expect(await CohortSessionModel.countDocuments()).to.equal(before);
    // The cohort's sessions stay readable (one stored session with such a start once broke the list and every feed).
    await supertest(app).get(`/api/v1/cohorts/${cohortId}/sessions`).set(auth).expect(200);
  });

  it('reads a start with an hour-only offset as that instant, and refuses a start with a zone name, text after it or 99 seconds', async () => {
    const res = await schedule({ startsAt: '2027-01-04T10:00:00-03' }).expect(201);
    expect(res.body.startsAt).to.equal('2027-01-04T13:00:00.000Z');
    const moved = await supertest(app)
      .patch(`/api/v1/sessions/${res.body.id}`)
      .set(auth)
      .send({ startsAt: '2027-01-05T18:30:00+0530' })
      .expect(200);
    expect(moved.body.startsAt).to.equal('2027-01-05T13:00:00.000Z');
    const before = await CohortSessionModel.countDocuments();
    for (const startsAt of [
      '2027-01-04T10:00:00 Europe/Paris',
      '2027-01-04T10:00:00[America/New_York]',
      '2027-01-04T10:00:99',
      '2027-01-04T10:00 and more',
    ]) {
      const refused = await schedule({ startsAt }).expect(422);
      expect(
        refused.body.errors.map((e: { path: string }) => e.path),
        startsAt,
      ).to.deep.equal(['startsAt']);
    }
    expect(await CohortSessionModel.countDocuments()).to.equal(before);
  });

  it('a cohort’s dates cannot move past its scheduled sessions (422 naming the field and the session, nothing saved); a session left outside them can still be renamed', async () => {
    const runner = await buildUser({ roles: ['facilitator'], timezone: 'Australia/Sydney' });
    const cohort = await buildCohort({
      timezone: 'Australia/Sydney',
      startsOn: '2027-01-01',
      endsOn: '2027-06-30',
      facilitatorIds: [runner.id],
    });
    const id = String(cohort._id);
    // 10:00 on 1 February in Sydney is still 31 January in UTC: the cohort's own calendar decides.
    const first = await buildSession(cohort._id, { title: 'Opening', startsAt: new Date('2027-01-31T23:00:00Z') });
    await buildSession(cohort._id, { title: 'Week 6', startsAt: new Date('2027-05-20T00:00:00Z') });
    await buildSession(cohort._id, {
      title: 'Dropped',
      startsAt: new Date('2027-06-20T00:00:00Z'),
      status: 'cancelled',
    });
    const agent = await signIn(app, runner.email, testPassword);
    const fields = {
      name: cohort.name,
      capacity: '20',
      timezone: cohort.timezone,
      startsOn: '2027-02-02',
      endsOn: '2027-05-01',
      attendanceThreshold: '75',
      lateAfterMinutes: '10',
    };
    const refused = await agent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/cohorts/${id}/edit`), ...fields })
      .expect(422);
    expect(refused.text).to.include('1 scheduled session falls before this date (the first: “Opening” on 2027-02-01)');
    expect(refused.text).to.include('1 scheduled session falls after this date (the last: “Week 6” on 2027-05-20)');
    expect(refused.text).to.match(/name="endsOn"[^>]*value="2027-05-01"|value="2027-05-01"[^>]*name="endsOn"/);
    expect(await CohortModel.findById(id).lean()).to.include({ startsOn: '2027-01-01', endsOn: '2027-06-30' });
    // Dates that keep them (the cancelled session is history, not held to them) are saved.
    await agent
      .post(`/cohorts/${id}/edit`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/cohorts/${id}/edit`),
        ...fields,
        startsOn: '2027-02-01',
        endsOn: '2027-05-20',
      })
      .expect(303);
    expect(await CohortModel.findById(id).lean()).to.include({ startsOn: '2027-02-01', endsOn: '2027-05-20' });

    // Dates moved by another process while a session was being scheduled can still leave one outside them: it can be
    // renamed, keeping its time, and moved back within the dates, but not to another time outside them.
    await CohortModel.updateOne({ _id: cohort._id }, { $set: { startsOn: '2027-02-10' } });
    const runnerAuth = { Authorization: `Bearer ${await tokenFor(runner)}` };
    const renamed = await supertest(app)
      .patch(`/api/v1/sessions/${String(first._id)}`)
      .set(runnerAuth)
      .send({ title: 'Opening (online)' })
      .expect(200);
    expect(renamed.body).to.include({ title: 'Opening (online)', startsAt: '2027-01-31T23:00:00.000Z' });
    const elsewhere = await supertest(app)
      .patch(`/api/v1/sessions/${String(first._id)}`)
      .set(runnerAuth)
      .send({ startsAt: '2027-02-03T10:00' })
      .expect(422);
    expect(JSON.stringify(elsewhere.body.errors)).to.include('startsAt');
    await supertest(app)
      .patch(`/api/v1/sessions/${String(first._id)}`)
      .set(runnerAuth)
      .send({ startsAt: '2027-02-11T10:00' })
      .expect(200);
  });

  it('accepts a session in the past (a register after the fact) and an instant with an offset', async () => {
    const res = await schedule({ startsAt: '2027-01-04T10:00:00-05:00' }).expect(201);
    expect(res.body.startsAt).to.equal('2027-01-04T15:00:00.000Z');
  });

  it('reschedule and cancel keep the history, bump SEQUENCE and announce the change', async () => {
    const created = await schedule({ startsAt: '2027-06-01T14:00' }).expect(201);
    const id = created.body.id;
    expect(events).to.deep.include({ name: 'session.scheduled', sessionId: id });
    const moved = await supertest(app)
      .patch(`/api/v1/sessions/${id}`)
      .set(auth)
      .send({ startsAt: '2027-06-02T15:00' })
      .expect(200);
    expect(moved.body).to.include({ startsAt: '2027-06-02T14:00:00.000Z', sequence: 1 });
    expect(moved.body.history.at(-1)).to.include({
      change: 'rescheduled',
      previousStartsAt: '2027-06-01T13:00:00.000Z',
    });
    expect(events).to.deep.include({ name: 'session.rescheduled', sessionId: id });
    await supertest(app).delete(`/api/v1/sessions/${id}`).set(auth).expect(204);
    const stored = await CohortSessionModel.findById(id).lean();
    expect(stored).to.include({ status: 'cancelled', sequence: 2 });
    expect(stored!.history.map((h) => h.change)).to.deep.equal(['scheduled', 'rescheduled', 'cancelled']);
    expect(events).to.deep.include({ name: 'session.cancelled', sessionId: id });
    await supertest(app).patch(`/api/v1/sessions/${id}`).set(auth).send({ title: 'Again' }).expect(409);
  });

  it('a held session whose register holds marks cannot move to a time still to come (409 saying to cancel it and schedule a new one; nothing changes, web and API); into the past, or unmarked, it moves', async () => {
    const cohort = await cohortAroundToday();
    await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: participant.id });
    const heldAt = Date.now() - 10 * day;
    const marked = await buildSession(cohort._id, { startsAt: new Date(heldAt) });
    const unmarked = await buildSession(cohort._id, { startsAt: new Date(heldAt) });
    const url = `/api/v1/sessions/${String(marked._id)}`;
    await supertest(app)
      .put(`${url}/attendance`)
      .set(auth)
      .send({ records: [{ userId: participant.id, status: 'late' }] })
      .expect(200);

    const refused = await moveTo(url, wallClock(Date.now() + 10 * day)).expect(409);
    expect(refused.body.detail).to.include('1 mark').and.include('Cancel it and schedule a new session');
    const agent = await signIn(app, facilitator.email, testPassword);
    const edit = `/sessions/${String(marked._id)}/edit`;
    const page = await agent.get(edit).expect(200);
    const onTheWeb = await agent
      .post(edit)
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        version: /name="version" value="([^"]*)"/.exec(page.text)![1],
        title: 'Workshop',
        startsAt: wallClock(Date.now() + 10 * day),
        durationMinutes: '60',
        mode: 'online',
        joinUrl: 'https://meet.example.org/x',
      })
      .expect(409);
    expect(onTheWeb.text).to.include('cannot move to a time still to come');
    const stored = await CohortSessionModel.findById(marked._id).lean();
    expect(stored).to.include({ sequence: 0 });
    expect(stored!.startsAt.getTime()).to.equal(heldAt);
    const register = await supertest(app).get(`${url}/attendance`).set(auth).expect(200);
    expect(register.body.records[0]).to.include({ status: 'late' });

    // A correction of when it was held stays in the past: it moves, its marks with it.
    await moveTo(url, wallClock(heldAt - day)).expect(200);
    // Nobody was marked at the other: it moves to a time still to come.
    await moveTo(`/api/v1/sessions/${String(unmarked._id)}`, wallClock(Date.now() + 10 * day)).expect(200);
  });

  it('a session whose first mark is being written (marked, no record yet) cannot move to a time still to come; into the past it moves', async () => {
    const cohort = await cohortAroundToday();
    const heldAt = Date.now() - 10 * day;
    const session = await buildSession(cohort._id, { startsAt: new Date(heldAt) });
    // What a register's first save leaves on the session in the moment before its records are written.
    await CohortSessionModel.updateOne({ _id: session._id }, { $set: { marked: true } });
    const url = `/api/v1/sessions/${String(session._id)}`;
    const refused = await moveTo(url, wallClock(Date.now() + 10 * day)).expect(409);
    expect(refused.body.detail).to.include('register has been taken').and.include('Cancel it');
    expect((await CohortSessionModel.findById(session._id).lean())!.startsAt.getTime()).to.equal(heldAt);
    await moveTo(url, wallClock(heldAt - day)).expect(200);
  });

  it("a register's first save or a check-in, sent at the same moment as a move to a time still to come: one of the two is refused, never a session moved ahead of its marks", async function () {
    this.timeout(120_000);
    const cohort = await cohortAroundToday();
    await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: participant.id });
    const participantAuth = { Authorization: `Bearer ${await tokenFor(participant)}` };
    const nextWeek = wallClock(Date.now() + 7 * day);
    const outcomes: string[] = [];
    for (let round = 0; round < 8; round++) {
      // Held ten days ago (its register open), and one running now (check-in open).
      const held = await buildSession(cohort._id, { startsAt: new Date(Date.now() - 10 * day) });
      const running = await buildSession(cohort._id, {
        startsAt: new Date(Date.now() - 5 * 60_000),
        checkInCode: 'K7Q2',
      });
      const [saved, movedHeld, checkedIn, movedRunning] = await Promise.all([
        supertest(app)
          .put(`/api/v1/sessions/${String(held._id)}/attendance`)
          .set(auth)
          .send({ records: [{ userId: participant.id, status: 'present' }] }),
        supertest(app)
          .patch(`/api/v1/sessions/${String(held._id)}`)
          .set(auth)
          .send({ startsAt: nextWeek }),
        supertest(app)
          .post(`/api/v1/sessions/${String(running._id)}/check-in`)
          .set(participantAuth)
          .send({ code: 'K7Q2' }),
        supertest(app)
          .patch(`/api/v1/sessions/${String(running._id)}`)
          .set(auth)
          .send({ startsAt: nextWeek }),
      ]);
      for (const [session, mark, move] of [
        [held, saved, movedHeld],
        [running, checkedIn, movedRunning],
      ] as const) {
        const stored = (await CohortSessionModel.findById(session._id).lean())!;
        const marks = (
          await supertest(app)
            .get(`/api/v1/sessions/${String(session._id)}/attendance`)
            .set(auth)
        ).body.records.filter((r: { status: string | null }) => r.status).length;
        const movedAhead = stored.startsAt.getTime() > Date.now();
        expect({ movedAhead, marks }, `round ${round}`).to.not.deep.equal({ movedAhead: true, marks: 1 });
        // Exactly one of the two took effect, and the other was told so.
        if (movedAhead) expect([move.status, mark.status]).to.deep.equal([200, 409]);
        else expect([mark.status, move.status, marks]).to.deep.equal([200, 409, 1]);
        outcomes.push(movedAhead ? 'moved' : 'marked');
      }
    }
    expect(outcomes).to.have.length(16);
  });

  it('a PATCH that changes nothing (an empty body, or the values stored) keeps SEQUENCE and history and announces no change', async () => {
    const created = await schedule({ title: 'Unchanged', startsAt: '2027-06-03T10:00' }).expect(201);
    const id = created.body.id;
    const patch = (body: Record<string, unknown>) =>
      supertest(app).patch(`/api/v1/sessions/${id}`).set(auth).send(body).expect(200);
    expect((await patch({})).body).to.include({ sequence: 0, startsAt: '2027-06-03T09:00:00.000Z' });
    const same = await patch({
      title: 'Unchanged',
      startsAt: '2027-06-03T09:00:00Z',
      durationMinutes: 90,
      mode: 'online',
      joinUrl: 'https://meet.example.org/w',
    });
    expect(same.body.sequence).to.equal(0);
    const stored = await CohortSessionModel.findById(id).lean();
    expect(stored).to.include({ sequence: 0 });
    expect(stored!.history.map((h) => h.change)).to.deep.equal(['scheduled']);
    expect(events).to.not.deep.include({ name: 'session.rescheduled', sessionId: id });
    expect((await patch({ title: 'Renamed' })).body).to.include({ sequence: 1, title: 'Renamed' });
    expect(events).to.deep.include({ name: 'session.rescheduled', sessionId: id });
  });

  it('the .ics download and the private feed parse back with stable UIDs, SEQUENCE and cancellations', async () => {
    const created = await schedule({ title: 'Feed test, "quoted"', startsAt: '2027-07-01T09:00' }).expect(201);
    const agent = await signIn(app, participant.email, testPassword);
    const single = await agent
      .get(`/sessions/${created.body.id}.ics`)
      .expect(200)
      .expect('Content-Type', /text\/calendar/);
    const parsed = Object.values(ical.sync.parseICS(single.text)).filter((c) => c?.type === 'VEVENT') as ical.VEvent[];
    expect(parsed).to.have.length(1);
    expect(parsed[0]!.uid).to.equal(`session-${created.body.id}@pathways`);
    expect(new Date(parsed[0]!.start).toISOString()).to.equal('2027-07-01T08:00:00.000Z');
    expect(String(parsed[0]!.summary)).to.include('Feed test, "quoted"');

    const calendarPage = await agent.get('/calendar').expect(200);
    const feedPath = /http:\/\/pathways\.test(\/calendar\/[A-Za-z0-9_-]+\.ics)/.exec(calendarPage.text)![1]!;
    await supertest(app)
      .patch(`/api/v1/sessions/${created.body.id}`)
      .set(auth)
      .send({ startsAt: '2027-07-01T10:00' })
      .expect(200);
    const feed = await supertest(app).get(feedPath).expect(200);
    // A calendar app polls the feed: asked again with its ETag and nothing changed, the answer is 304 with no body.
    expect(feed.headers.etag).to.be.a('string');
    await supertest(app).get(feedPath).set('If-None-Match', feed.headers.etag!).expect(304);
    const events = Object.values(ical.sync.parseICS(feed.text)).filter((c) => c?.type === 'VEVENT') as ical.VEvent[];
    const event = events.find((e) => e.uid === `session-${created.body.id}@pathways`)!;
    expect(Number(event.sequence)).to.equal(1);
    expect(new Date(event.start).toISOString()).to.equal('2027-07-01T09:00:00.000Z');
    expect(events.filter((e) => e.uid === event.uid)).to.have.length(1);
    expect(events.some((e) => e.status === 'CANCELLED')).to.equal(true);

    await agent
      .post('/calendar/token')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/calendar'), confirmed: 'yes' })
      .expect(303);
    await supertest(app).get(feedPath).expect(404);
    // The address names her (so the feed is found by _id); her id with any other secret, or no id, is a 404.
    const fresh = /http:\/\/pathways\.test(\/calendar\/[A-Za-z0-9_-]+\.ics)/.exec(
      (await agent.get('/calendar')).text,
    )![1]!;
    expect(fresh.startsWith(`/calendar/${participant.id}_`)).to.equal(true);
    await supertest(app).get(fresh).expect(200);
    await supertest(app)
      .get(fresh.replace(/(.)\.ics$/, (_, last: string) => `${last === 'A' ? 'B' : 'A'}.ics`))
      .expect(404);
    await supertest(app)
      .get(fresh.replace(`${participant.id}_`, ''))
      .expect(404);
  });

  it('a facilitator whose role an admin took away no longer finds the sessions of a cohort she is still named on in her feed', async () => {
    const former = await buildUser({ roles: ['facilitator'] });
    const named = await buildCohort({
      timezone: 'Europe/London',
      startsOn: '2027-01-01',
      endsOn: '2027-12-31',
      facilitatorIds: [facilitator.id, former.id],
    });
    await supertest(app)
      .post(`/api/v1/cohorts/${String(named._id)}/sessions`)
      .set(auth)
      .send({
        title: 'Named cohort session',
        startsAt: '2027-08-01T09:00',
        durationMinutes: 60,
        mode: 'online',
        joinUrl: 'https://meet.example.org/named-only',
      })
      .expect(201);
    const feedPath = new URL(await calendarFeedUrl({ userId: former.id })).pathname;
    expect((await supertest(app).get(feedPath).expect(200)).text).to.include('named-only');
    await UserModel.updateOne({ _id: former.id }, { $set: { roles: ['participant'] } });
    const feed = await supertest(app).get(feedPath).expect(200);
    expect(feed.text).to.not.include('named-only').and.not.include('Named cohort session');
  });

  it('making a new calendar address without JavaScript first asks, saying the old one stops working, and changes it only once she says yes', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const calendarPage = await agent.get('/calendar').expect(200);
    const feedPath = /http:\/\/pathways\.test(\/calendar\/[A-Za-z0-9_-]+\.ics)/.exec(calendarPage.text)![1]!;
    const _csrf = csrfFrom(calendarPage.text);
    const asked = await agent.post('/calendar/token').type('form').send({ _csrf, confirmed: '' }).expect(200);
    const page = confirmationPage(asked.text);
    expect(page).to.deep.include({
      question: 'Make a new calendar address?',
      consequences: [
        'The old address stops working at once: calendars subscribed to it stop showing your sessions until you subscribe again with the new one.',
      ],
      action: '/calendar/token',
      fields: { _csrf, confirmed: 'yes' },
      yes: 'Yes, make a new address',
      back: '/calendar',
    });
    expect(dialogOf(calendarPage.text, '/calendar/token')).to.equal([page.question, ...page.consequences].join(' '));
    await supertest(app).get(feedPath).expect(200);
    expect((await agent.get('/calendar')).text).to.include(feedPath);

    await agent.post(page.action).type('form').send(page.fields).expect(303);
    await supertest(app).get(feedPath).expect(404);
    expect((await agent.get('/calendar')).text).not.to.include(feedPath);
  });

  it('with SECRETS_ENCRYPTION_KEY the feed secret is stored sealed; an address made before the key still works', async () => {
    const user = await buildUser();
    const feedPath = async () => new URL(await calendarFeedUrl({ userId: user.id })).pathname;
    const stored = async () => (await UserModel.findById(user.id).lean())!.calendarToken!;
    const before = await feedPath();
    expect(before).to.include(`_${await stored()}.ics`, 'stored as it is without a key');
    settings.secretsEncryptionKey = randomBytes(32);
    try {
      expect(await feedPath()).to.equal(before);
      await supertest(app).get(before).expect(200);
      await rotateCalendarToken({ userId: user.id });
      const sealed = await feedPath();
      expect(await stored())
        .to.match(/^sealed1:/)
        // The address is /calendar/<user id>_<secret>.ics; the secret itself may hold "_" (base64url).
        .and.not.include(sealed.slice(`/calendar/${user.id}_`.length, -'.ics'.length));
      await supertest(app).get(sealed).expect(200);
      await supertest(app).get(before).expect(404);
      // Under another key the sealed secret opens for nobody: the old address stops, and her page offers a new one.
      settings.secretsEncryptionKey = randomBytes(32);
      await supertest(app).get(sealed).expect(404);
      const renewed = await feedPath();
      expect(renewed).to.not.equal(sealed);
      await supertest(app).get(renewed).expect(200);
    } finally {
      settings.secretsEncryptionKey = undefined;
    }
  });

  it('someone outside the cohort cannot read its sessions or their .ics (404), and a malformed id is a 404', async () => {
    const created = await schedule({ startsAt: '2027-08-01T09:00' }).expect(201);
    const stranger = await buildUser();
    const agent = await signIn(app, stranger.email, testPassword);
    await agent.get(`/sessions/${created.body.id}`).expect(404);
    await agent.get(`/sessions/${created.body.id}.ics`).expect(404);
    await agent.get('/sessions/not-an-id').expect(404);
    await agent.get('/cohorts/zzz').expect(404);
  });

  it('the join link is for those with a place: someone waitlisted or withdrawn sees the session but not its link (page, .ics and API); its participant and facilitator still do', async () => {
    const cohort = await buildCohort({ capacity: 1, facilitatorIds: [facilitator.id] });
    const id = String(cohort._id);
    const [holder, waiting, leaver] = [await buildUser(), await buildUser(), await buildUser()];
    await enrolParticipant({ actor: 'system', cohortId: id, userId: leaver.id });
    await withdrawParticipant({ actor: 'system', cohortId: id, userId: leaver.id });
    await enrolParticipant({ actor: 'system', cohortId: id, userId: holder.id });
    expect((await enrolParticipant({ actor: 'system', cohortId: id, userId: waiting.id })).status).to.equal(
      'waitlisted',
    );
    const joinUrl = 'https://meet.example.org/only-for-the-cohort';
    const created = await supertest(app)
      .post(`/api/v1/cohorts/${id}/sessions`)
      .set(auth)
      .send({ title: 'Coaching circle', startsAt: '2027-09-01T09:00', durationMinutes: 60, mode: 'online', joinUrl })
      .expect(201);
    const sessionId = created.body.id as string;
    const seenBy = async (user: TestUser) => {
      const agent = await signIn(app, user.email, testPassword);
      const bearer = { Authorization: `Bearer ${await tokenFor(user)}` };
      const ics = (await agent.get(`/sessions/${sessionId}.ics`).expect(200)).text;
      const event = Object.values(ical.sync.parseICS(ics)).find((c) => c?.type === 'VEVENT') as ical.VEvent;
      return {
        page: (await agent.get(`/sessions/${sessionId}`).expect(200)).text,
        ics: `${String(event.summary)} ${String(event.description)} ${String(event.location ?? '')}`,
        one: (await supertest(app).get(`/api/v1/sessions/${sessionId}`).set(bearer).expect(200)).body,
        list: (await supertest(app).get(`/api/v1/cohorts/${id}/sessions`).set(bearer).expect(200)).body.items,
      };
    };
    for (const outside of [waiting, leaver]) {
      const { page, ics, one, list } = await seenBy(outside);
      expect(page).to.include('Coaching circle').and.to.include('the join link is for those with a place');
      expect(page).to.not.include(joinUrl);
      expect(ics).to.include('Coaching circle').and.to.not.include('only-for-the-cohort');
      expect(one).to.include({ title: 'Coaching circle', mode: 'online', startsAt: '2027-09-01T08:00:00.000Z' });
      expect(one).to.not.have.property('joinUrl');
      expect(list).to.have.length(1);
      expect(list[0]).to.not.have.property('joinUrl');
    }
    for (const inside of [holder, facilitator]) {
      const { page, ics, one, list } = await seenBy(inside);
      expect(page).to.include(`href="${joinUrl}"`);
      expect(ics).to.include('only-for-the-cohort');
      expect(one.joinUrl).to.equal(joinUrl);
      expect(list[0].joinUrl).to.equal(joinUrl);
    }
  });

  it('a facilitator scheduling in a cohort she cannot see is answered as for an unknown id (404, web and API), in one she sees but does not run 403, and nothing is stored', async () => {
    const other = await buildUser({ roles: ['facilitator'] });
    const otherAuth = { Authorization: `Bearer ${await tokenFor(other)}` };
    const open = await buildCohort({ facilitatorIds: [facilitator.id], selfEnrolment: true });
    const body = {
      title: 'Not hers to schedule',
      startsAt: '2027-08-02T09:00',
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/x',
    };
    const viaApi = (id: unknown) =>
      supertest(app)
        .post(`/api/v1/cohorts/${String(id)}/sessions`)
        .set(otherAuth)
        .send(body);
    const unknown = await viaApi(new Types.ObjectId()).expect(404);
    const hidden = await viaApi(cohortId).expect(404);
    expect(hidden.body).to.deep.equal(unknown.body);
    await viaApi(open._id).expect(403);
    const agent = await signIn(app, other.email, testPassword);
    const csrf = await csrfOf(agent, '/');
    const viaForm = (id: unknown) =>
      agent
        .post(`/cohorts/${String(id)}/sessions`)
        .type('form')
        .send({ ...body, durationMinutes: '60', _csrf: csrf });
    const unknownPage = await viaForm(new Types.ObjectId()).expect(404);
    const hiddenPage = await viaForm(cohortId).expect(404);
    const withoutTokens = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '');
    expect(withoutTokens(hiddenPage.text)).to.equal(withoutTokens(unknownPage.text));
    await viaForm(open._id).expect(403);
    expect(await CohortSessionModel.countDocuments({ title: body.title })).to.equal(0);
  });

  it('the web form schedules a session, and bad input re-renders it with 422 keeping what was typed', async () => {
    const agent = await signIn(app, facilitator.email, testPassword);
    const form = `/cohorts/${cohortId}/sessions/new`;
    const bad = await agent
      .post(`/cohorts/${cohortId}/sessions`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, form),
        title: 'Typed title',
        startsAt: '2030-01-01T09:00',
        durationMinutes: '60',
        mode: 'online',
        joinUrl: 'https://meet.example.org/a',
      })
      .expect(422);
    expect(bad.text).to.include('Typed title').and.to.include('within the cohort');
    // The error summary names the field by its label and says what is wrong in plain words.
    const notANumber = await agent
      .post(`/cohorts/${cohortId}/sessions`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, form),
        title: 'Typed title',
        startsAt: '2027-09-01T09:00',
        durationMinutes: 'an hour',
        mode: 'online',
        joinUrl: 'https://meet.example.org/a',
      })
      .expect(422);
    expect(notANumber.text).to.include('Length (minutes): must be a number').and.not.include('Invalid input');
    const ok = await agent
      .post(`/cohorts/${cohortId}/sessions`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, form),
        title: 'Web session',
        startsAt: '2027-09-01T09:00',
        durationMinutes: '60',
        mode: 'in-person',
        location: 'Room 4',
      })
      .expect(303);
    const page = await agent.get(ok.headers.location!).expect(200);
    expect(page.text).to.include('Wednesday 1 September 2027, 09:00 GMT+1 (Europe/London)').and.to.include('Room 4');
  });

  it('cancelling on the web without JavaScript first asks, naming the session, its time in her own zone and who is emailed, and cancels only once she says yes', async () => {
    const admin = await buildUser({ roles: ['admin'], timezone: 'Asia/Tokyo' });
    const created = await schedule({ title: 'Governors’ briefing', startsAt: '2027-09-15T10:00' }).expect(201);
    const id = created.body.id as string;
    const agent = await signIn(app, admin.email, testPassword);
    const form = await agent.get(`/sessions/${id}/edit`).expect(200);
    const _csrf = csrfFrom(form.text);
    const announced = events.length;
    const asked = await agent.post(`/sessions/${id}/cancel`).type('form').send({ _csrf, confirmed: '' }).expect(200);
    const page = confirmationPage(asked.text);
    expect(page).to.deep.include({
      question: 'Cancel the session “Governors’ briefing” on Wednesday 15 September 2027, 18:00 GMT+9 (Asia/Tokyo)?',
      consequences: [
        'Everyone enrolled will be emailed that it is cancelled, and it is marked cancelled in their calendars.',
      ],
      action: `/sessions/${id}/cancel`,
      fields: { _csrf, confirmed: 'yes' },
      yes: 'Yes, cancel the session',
      back: `/sessions/${id}/edit`,
    });
    // With JavaScript, the form's dialog asks the same.
    expect(dialogOf(form.text, `/sessions/${id}/cancel`)).to.equal([page.question, ...page.consequences].join(' '));
    // A post with no field at all (an older page, a script) is asked too.
    confirmationPage((await agent.post(`/sessions/${id}/cancel`).type('form').send({ _csrf }).expect(200)).text);
    expect(await CohortSessionModel.findById(id).lean()).to.include({ status: 'scheduled', sequence: 0 });
    expect(events.slice(announced)).to.deep.equal([]);

    await agent.post(page.action).type('form').send(page.fields).expect(303);
    expect(await CohortSessionModel.findById(id).lean()).to.include({ status: 'cancelled', sequence: 1 });
    expect(events.slice(announced)).to.deep.equal([{ name: 'session.cancelled', sessionId: id }]);
    // Cancelled already: nothing to ask, and nothing more happens.
    await agent.post(`/sessions/${id}/cancel`).type('form').send({ _csrf }).expect(303);
    expect(await CohortSessionModel.findById(id).lean()).to.include({ sequence: 1 });
  });
});
