import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CheckInFailureModel } from '../../models/CheckInFailure.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import {
  attendanceCsv,
  checkIn,
  checkInFailureLimit,
  cohortAttendanceReport,
  getRegister,
  recordAttendance,
  type RecordInput,
} from '../../server/services/cohorts/attendance.ts';
import { checkInCodeFor } from '../../server/services/cohorts/sessions.ts';
import { showAllRegisters } from '../../server/services/cohorts/sessionRegisters.ts';
import { enrolParticipant, withdrawParticipant } from '../../server/services/cohorts/enrolment.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { SeatModel } from '../../models/Seat.ts';
import { UserModel } from '../../models/User.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { buildCohort, buildSession, enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { ConflictError } from '../../server/errors.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const minutes = (n: number) => n * 60_000;
/** A session already held, so its register is open (a register opens 15 minutes before the start). */
const held = { startsAt: new Date('2026-03-02T09:30:00Z') };

describe('cohorts: registers, self check-in and attendance reports', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let facilitator: TestUser;
  let auth: { Authorization: string };
  before(async () => {
    app = testApp();
    facilitator = await buildUser({ roles: ['facilitator'] });
    auth = { Authorization: `Bearer ${await tokenFor(facilitator)}` };
  });

  async function cohortWith(n: number, overrides: Parameters<typeof buildCohort>[0] = {}) {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id], ...overrides });
    const people: TestUser[] = [];
    for (let i = 0; i < n; i += 1) {
      const p = await buildUser({ name: `Person ${String.fromCharCode(65 + i)}` });
      await enrolDirectly(cohort, p.id);
      people.push(p);
    }
    return { cohort, people };
  }

  it('PUT writes the records sent, keeps the others, and GET lists one row per active participant', async () => {
    const { cohort, people } = await cohortWith(3);
    const session = await buildSession(cohort._id, held);
    const url = `/api/v1/sessions/${String(session._id)}/attendance`;
    await supertest(app)
      .put(url)
      .set(auth)
      .send({
        records: [
          { userId: people[0]!.id, status: 'present' },
          { userId: people[1]!.id, status: 'late', note: 'Train delayed' },
        ],
      })
      .expect(200);
    const res = await supertest(app)
      .put(url)
      .set(auth)
      .send({ records: [{ userId: people[2]!.id, status: 'excused' }] })
      .expect(200);
    expect(res.body.records).to.have.length(3);
    expect(res.body.records.map((r: { status: string }) => r.status)).to.deep.equal(['present', 'late', 'excused']);
    expect(res.body.records[1]).to.include({ note: 'Train delayed', markedBy: facilitator.id });
    const again = await supertest(app).get(url).set(auth).expect(200);
    expect(again.body).to.deep.equal(res.body);
  });

  it('PUT sent again unchanged keeps each mark as it was (who marked it and when); a changed note is a new mark', async () => {
    const { cohort, people } = await cohortWith(2);
    const colleague = await buildUser({ roles: ['facilitator'] });
    await CohortModel.updateOne({ _id: cohort._id }, { $addToSet: { facilitatorIds: colleague.id } });
    const session = await buildSession(cohort._id, held);
    const url = `/api/v1/sessions/${String(session._id)}/attendance`;
    const records = [
      { userId: people[0]!.id, status: 'present' },
      { userId: people[1]!.id, status: 'late', note: 'Train delayed' },
    ];
    await supertest(app).put(url).set(auth).send({ records }).expect(200);
    const marks = async () =>
      (await AttendanceRecordModel.find({ sessionId: session._id }).sort({ userId: 1 }).lean()).map((r) => ({
        userId: String(r.userId),
        markedBy: String(r.markedBy),
        markedAt: r.markedAt?.toISOString(),
      }));
    const first = await marks();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await supertest(app)
      .put(url)
      .set({ Authorization: `Bearer ${await tokenFor(colleague)}` })
      .send({ records: [records[0], { ...records[1], note: ' Train delayed ' }] })
      .expect(200);
    expect(await marks()).to.deep.equal(first);
    const row = again.body.records.find((r: { userId: string }) => r.userId === people[0]!.id);
    expect(row).to.include({
      markedBy: facilitator.id,
      markedAt: first.find((m) => m.userId === people[0]!.id)!.markedAt,
    });

    await supertest(app)
      .put(url)
      .set({ Authorization: `Bearer ${await tokenFor(colleague)}` })
      .send({ records: [{ ...records[1], note: 'Train cancelled' }] })
      .expect(200);
    const changed = (await marks()).find((m) => m.userId === people[1]!.id)!;
    expect(changed.markedBy).to.equal(colleague.id);
    expect(changed.markedAt).to.not.equal(first.find((m) => m.userId === people[1]!.id)!.markedAt);
  });

  it('a register with one invalid row is refused whole with 422 naming the failing rows, and nothing is written', async () => {
    const { cohort, people } = await cohortWith(2);
    const outsider = await buildUser();
    const session = await buildSession(cohort._id, held);
    const url = `/api/v1/sessions/${String(session._id)}/attendance`;
    const res = await supertest(app)
      .put(url)
      .set(auth)
      .send({
        records: [
          { userId: people[0]!.id, status: 'present' },
          { userId: outsider.id, status: 'present' },
          { userId: people[1]!.id, status: 'absent' },
        ],
      })
      .expect(422);
    expect(res.body.errors).to.deep.equal([
      { path: 'records.1.userId', message: 'is not actively enrolled in this cohort' },
    ]);
    const badStatus = await supertest(app)
      .put(url)
      .set(auth)
      .send({ records: [{ userId: people[0]!.id, status: 'asleep' }] })
      .expect(422);
    expect(badStatus.body.errors[0].path).to.equal('records.0.status');
    await supertest(app)
      .put(url)
      .set(auth)
      .send({ records: [{ userId: people[0]!.id, status: 'present', extra: 1 }] })
      .expect(422);
    expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
  });

  it('a register with an unknown status, an outsider, a malformed id and a note too long names every such row in one 422', async () => {
    const { cohort, people } = await cohortWith(3);
    const outsider = await buildUser();
    const session = await buildSession(cohort._id, held);
    const res = await supertest(app)
      .put(`/api/v1/sessions/${String(session._id)}/attendance`)
      .set(auth)
      .send({
        records: [
          { userId: people[0]!.id, status: 'present' },
          { userId: outsider.id, status: 'present' },
          { userId: people[1]!.id, status: 'asleep' },
          { userId: 'not-an-id', status: 'late' },
          { userId: people[2]!.id, status: 'late', note: 'x'.repeat(501) },
        ],
      })
      .expect(422);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal([
      'records.1.userId',
      'records.2.status',
      'records.3.userId',
      'records.4.note',
    ]);
    expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
  });

  it('two facilitators saving the same register at the same moment lose no record', async () => {
    const { cohort, people } = await cohortWith(10);
    const other = await buildUser({ roles: ['facilitator'] });
    await CohortModel.updateOne({ _id: cohort._id }, { $push: { facilitatorIds: other.id } });
    const session = await buildSession(cohort._id, held);
    const half = (from: number) =>
      people.slice(from, from + 5).map((p) => ({ userId: p.id, status: 'present' as const }));
    await Promise.all([
      recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [...half(0), { userId: people[5]!.id, status: 'late' }],
      }),
      recordAttendance({ actor: other, sessionId: String(session._id), records: half(5) }),
    ]);
    expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(10);
    // people[5] was marked by both saves: one record, whichever write landed last; the report and the register read
    // the records themselves, so they agree with them whatever the order the writes landed in.
    const report = await cohortAttendanceReport({
      cohortId: String(cohort._id),
      now: new Date(session.startsAt.getTime() + minutes(1)),
    });
    const late = await AttendanceRecordModel.countDocuments({ sessionId: session._id, status: 'late' });
    expect(report.sessions[0]).to.include({ present: 10 - late, late, unmarked: 0 });
    expect(late).to.be.within(0, 1);
    const register = await getRegister({ actor: facilitator, sessionId: String(session._id) });
    expect(register.rows.filter((r) => r.status === 'late')).to.have.length(late);
    expect(register.rows.every((r) => r.status !== null)).to.equal(true);
  });

  it('eight saves of the same unmarked register at once leave one record per person, each as one save wrote it', async () => {
    const { cohort, people } = await cohortWith(10);
    const session = await buildSession(cohort._id, held);
    const statuses = ['present', 'late', 'excused', 'absent'] as const;
    const saves = Array.from({ length: 8 }, (_, n) =>
      people.map((p) => ({ userId: p.id, status: statuses[n % statuses.length]!, note: `save ${n}` })),
    );
    await Promise.all(
      saves.map((records) => recordAttendance({ actor: facilitator, sessionId: String(session._id), records })),
    );
    const records = await AttendanceRecordModel.find({ sessionId: session._id }).lean();
    expect(records).to.have.length(10);
    for (const r of records) {
      const n = Number(/^save (\d)$/.exec(r.note)?.[1]);
      expect(r.status).to.equal(statuses[n % statuses.length]);
      expect(String(r.cohortId)).to.equal(String(cohort._id));
    }
  });

  it("a facilitator cannot read or mark another cohort's register (403/404), a participant neither, and nothing is written", async () => {
    const { cohort, people } = await cohortWith(1);
    const session = await buildSession(cohort._id, held);
    const url = `/api/v1/sessions/${String(session._id)}/attendance`;
    const other = await buildUser({ roles: ['facilitator'] });
    const otherAuth = { Authorization: `Bearer ${await tokenFor(other)}` };
    const body = { records: [{ userId: people[0]!.id, status: 'present' }] };
    expect([403, 404]).to.include((await supertest(app).get(url).set(otherAuth)).status);
    expect([403, 404]).to.include((await supertest(app).put(url).set(otherAuth).send(body)).status);
    const pAuth = { Authorization: `Bearer ${await tokenFor(people[0]!)}` };
    await supertest(app).put(url).set(pAuth).send(body).expect(403);
    await supertest(app).get(url).set(pAuth).expect(403);
    expect([403, 404]).to.include(
      (
        await supertest(app)
          .get(`/api/v1/cohorts/${String(cohort._id)}/attendance`)
          .set(otherAuth)
      ).status,
    );
    const agent = await signIn(app, other.email, testPassword);
    expect([403, 404]).to.include((await agent.get(`/sessions/${String(session._id)}/register`)).status);
    expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
  });

  it('every write route answers 403 to the wrong role and changes nothing', async () => {
    const { cohort, people } = await cohortWith(1);
    const session = await buildSession(cohort._id, { startsAt: new Date('2027-05-05T09:00:00Z') });
    const pAuth = { Authorization: `Bearer ${await tokenFor(people[0]!)}` };
    const c = `/api/v1/cohorts/${String(cohort._id)}`;
    const s = `/api/v1/sessions/${String(session._id)}`;
    const stranger = await buildUser();
    await supertest(app)
      .post('/api/v1/cohorts')
      .set(auth)
      .send({
        programmeId: String(cohort.programmeId),
        name: 'X',
        capacity: 5,
        timezone: 'Europe/London',
        startsOn: '2027-01-01',
        endsOn: '2027-02-01',
        facilitatorIds: [],
      })
      .expect(403);
    await supertest(app)
      .post('/api/v1/cohorts')
      .set(pAuth)
      .send({
        programmeId: String(cohort.programmeId),
        name: 'X',
        capacity: 5,
        timezone: 'Europe/London',
        startsOn: '2027-01-01',
        endsOn: '2027-02-01',
        facilitatorIds: [],
      })
      .expect(403);
    await supertest(app).post(`${c}/enrolments`).set(pAuth).send({ userId: stranger.id }).expect(403);
    await supertest(app).delete(`${c}/enrolments/${stranger.id}`).set(pAuth).expect(403);
    await supertest(app)
      .post(`${c}/sessions`)
      .set(pAuth)
      .send({ title: 'T', startsAt: '2027-05-01T09:00', durationMinutes: 60, mode: 'in-person', location: 'Here' })
      .expect(403);
    await supertest(app).patch(s).set(pAuth).send({ title: 'Hijacked' }).expect(403);
    await supertest(app).delete(s).set(pAuth).expect(403);
    await supertest(app)
      .put(`${s}/attendance`)
      .set(pAuth)
      .send({ records: [{ userId: people[0]!.id, status: 'present' }] })
      .expect(403);
    const agent = await signIn(app, people[0]!.email, testPassword);
    const csrf = await csrfOf(agent, `/cohorts/${String(cohort._id)}`);
    await agent
      .post(`/sessions/${String(session._id)}/register`)
      .type('form')
      .send({ _csrf: csrf, [`status-${people[0]!.id}`]: 'present' })
      .expect(403);
    await agent
      .post(`/sessions/${String(session._id)}/cancel`)
      .type('form')
      .send({ _csrf: csrf })
      .expect(403);
    await agent
      .post(`/cohorts/${String(cohort._id)}/sessions`)
      .type('form')
      .send({
        _csrf: csrf,
        title: 'T',
        startsAt: '2027-05-01T09:00',
        durationMinutes: '60',
        mode: 'online',
        joinUrl: 'https://x.org',
      })
      .expect(403);
    await agent
      .post(`/cohorts/${String(cohort._id)}/people`)
      .type('form')
      .send({ _csrf: csrf, email: stranger.email })
      .expect(403);
    await agent.post('/cohorts').type('form').send({ _csrf: csrf, name: 'X' }).expect(403);
    expect(await CohortModel.countDocuments({ name: 'X' })).to.equal(0);
    expect(await CohortSessionModel.findById(session._id).lean()).to.include({
      title: 'Workshop',
      status: 'scheduled',
    });
    expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
  });

  describe('self check-in', () => {
    it('opens 15 minutes before the start, marks present, then late after the grace period, and closes at the end', async () => {
      const { cohort, people } = await cohortWith(3, { lateAfterMinutes: 10 });
      const start = new Date('2027-04-10T09:00:00Z');
      const session = await buildSession(cohort._id, { startsAt: start, durationMinutes: 60 });
      const id = String(session._id);
      const closed = await checkInCodeFor({
        actor: facilitator,
        sessionId: id,
        now: new Date(start.getTime() - minutes(16)),
      });
      expect(closed.open).to.equal(false);
      const shown = await checkInCodeFor({
        actor: facilitator,
        sessionId: id,
        now: new Date(start.getTime() - minutes(15)),
      });
      if (!shown.open) throw new Error('should be open');
      expect(shown.code).to.match(/^[A-Z2-9]{6}$/);
      try {
        await checkIn({
          actor: people[0]!,
          sessionId: id,
          code: shown.code,
          now: new Date(start.getTime() - minutes(16)),
        });
        expect.fail('too early');
      } catch (error) {
        expect((error as Error).message)
          .to.include('not open yet')
          .and.to.include('(Europe/London)');
      }
      expect(
        await checkIn({
          actor: people[0]!,
          sessionId: id,
          code: shown.code.toLowerCase(),
          now: new Date(start.getTime() - minutes(15)),
        }),
      ).to.deep.equal({ status: 'present' });
      expect(
        await checkIn({
          actor: people[1]!,
          sessionId: id,
          code: shown.code,
          now: new Date(start.getTime() + minutes(10)),
        }),
      ).to.deep.equal({ status: 'present' });
      expect(
        await checkIn({
          actor: people[2]!,
          sessionId: id,
          code: shown.code,
          now: new Date(start.getTime() + minutes(11)),
        }),
      ).to.deep.equal({ status: 'late' });
      const outsider = await buildUser();
      try {
        await checkIn({ actor: outsider, sessionId: id, code: shown.code, now: start });
        expect.fail('not enrolled');
      } catch (error) {
        expect((error as { status: number }).status).to.equal(404);
      }
      try {
        await checkIn({
          actor: people[0]!,
          sessionId: id,
          code: shown.code,
          now: new Date(start.getTime() + minutes(61)),
        });
        expect.fail('too late');
      } catch (error) {
        expect((error as Error).message).to.include('closed at');
      }
      expect(
        await AttendanceRecordModel.find({ sessionId: session._id })
          .sort({ status: 1 })
          .lean()
          .then((r) => r.map((x) => [x.status, x.source])),
      ).to.deep.equal([
        ['late', 'check-in'],
        ['present', 'check-in'],
        ['present', 'check-in'],
      ]);
    });

    it('when a participant has withdrawn, she cannot check in, straight after withdrawal (403), and nothing is recorded', async () => {
      const { cohort, people } = await cohortWith(3);
      const start = new Date(Date.now() + minutes(5));
      const session = await buildSession(cohort._id, { startsAt: start, durationMinutes: 60 });
      const id = String(session._id);
      const shown = await checkInCodeFor({ actor: facilitator, sessionId: id, now: new Date() });
      if (!shown.open) throw new Error('should be open');
      // Someone checks in first, so a register of the session has been read and written.
      expect(await checkIn({ actor: people[0]!, sessionId: id, code: shown.code })).to.deep.equal({
        status: 'present',
      });
      const refused = async (who: TestUser) => {
        try {
          await checkIn({ actor: who, sessionId: id, code: shown.code });
          expect.fail('a withdrawn participant checked in');
        } catch (error) {
          expect((error as { status: number }).status).to.be.oneOf([403, 404]);
        }
      };
      // Withdrawn through the service (she is no longer shown the session: 404)...
      await withdrawParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: people[1]!.id });
      await refused(people[1]!);
      // ...or by a write another process made a moment ago (her enrolment row only): 403, she is not enrolled now.
      await EnrolmentModel.updateOne(
        { cohortId: cohort._id, userId: people[2]!.id },
        { $set: { status: 'withdrawn', withdrawnAt: new Date() } },
      );
      try {
        await checkIn({ actor: people[2]!, sessionId: id, code: shown.code });
        expect.fail('a withdrawn participant checked in');
      } catch (error) {
        expect((error as { status: number }).status).to.equal(403);
      }
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(1);
    });

    /** One participant's cohort and a session that started 5 minutes ago, its check-in open, and the code shown. */
    const openCheckIn = async () => {
      const { cohort, people } = await cohortWith(1);
      const now = new Date();
      const session = await buildSession(cohort._id, {
        startsAt: new Date(now.getTime() - minutes(5)),
        durationMinutes: 60,
      });
      const shown = await checkInCodeFor({ actor: facilitator, sessionId: String(session._id), now });
      if (!shown.open) throw new Error('should be open');
      return { cohort, people, now, session, shown };
    };

    it('over the API: a wrong code is 422, and after 5 wrong codes even the right one is refused with 429', async () => {
      const { cohort, people, now, session, shown } = await openCheckIn();
      const pAuth = { Authorization: `Bearer ${await tokenFor(people[0]!)}` };
      const url = `/api/v1/sessions/${String(session._id)}/check-in`;
      const wrong = shown.code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
      const attempts = await Promise.all(
        Array.from({ length: checkInFailureLimit + 3 }, () =>
          supertest(app).post(url).set(pAuth).send({ code: wrong }),
        ),
      );
      expect(attempts.filter((a) => a.status === 422)).to.have.length(checkInFailureLimit);
      expect(attempts.filter((a) => a.status === 429)).to.have.length(3);
      const blocked = await supertest(app).post(url).set(pAuth).send({ code: shown.code }).expect(429);
      expect(blocked.headers['retry-after']).to.match(/^\d+$/);
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
      const otherSession = await buildSession(cohort._id, {
        startsAt: new Date(now.getTime() - minutes(5)),
        durationMinutes: 60,
      });
      const code2 = await checkInCodeFor({ actor: facilitator, sessionId: String(otherSession._id), now });
      if (!code2.open) throw new Error('should be open');
      const ok = await supertest(app)
        .post(`/api/v1/sessions/${String(otherSession._id)}/check-in`)
        .set(pAuth)
        .send({ code: code2.code })
        .expect(200);
      expect(ok.body).to.deep.equal({ status: 'present' });
    });
    it('when more guesses than the limit arrive at once, at most 5 wrong codes are judged; the rest wait (429)', async () => {
      for (let round = 0; round < 3; round++) {
        const { people, session, shown } = await openCheckIn();
        const pAuth = { Authorization: `Bearer ${await tokenFor(people[0]!)}` };
        const url = `/api/v1/sessions/${String(session._id)}/check-in`;
        const guesses = Array.from({ length: 12 }, (_, i) => `${'ABCDEFGHJKLM'[i]!.repeat(5)}Z`);
        guesses[11] = shown.code;
        const answers = await Promise.all(guesses.map((code) => supertest(app).post(url).set(pAuth).send({ code })));
        // The rule is on wrong codes (README): a right one gives its numbered attempt back, which a guess still
        // waiting may then take, so 5 wrong and the right one can all be judged, never a 6th wrong one.
        const wrong = answers.filter((a) => a.status === 422).length;
        const right = answers.filter((a) => a.status === 200).length;
        expect(wrong).to.be.at.most(checkInFailureLimit);
        expect(right).to.be.at.most(1);
        expect(answers.filter((a) => a.status === 429)).to.have.length(12 - wrong - right);
        expect(await CheckInFailureModel.countDocuments({ sessionId: session._id })).to.be.at.most(checkInFailureLimit);
      }
    });

    it('a facilitator marking her excused while she checks in (on another process) leaves her excused', async () => {
      const { people, now, session, shown } = await openCheckIn();
      // Her check-in reads her (missing) record, then stalls until the facilitator's register is written.
      const held = holdNextCall(AttendanceRecordModel, 'findById', { lean: true });
      try {
        const checkingIn = checkIn({ actor: people[0]!, sessionId: String(session._id), code: shown.code, now });
        await held.reached;
        held.restore();
        await recordAttendance({
          actor: facilitator,
          sessionId: String(session._id),
          records: [{ userId: people[0]!.id, status: 'excused', note: 'Ill' }],
          now,
        });
        held.release();
        await checkingIn;
      } finally {
        held.release();
        held.restore();
      }
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id }).lean()).to.include({
        status: 'excused',
        note: 'Ill',
      });
    });

    it('on the web: the facilitator sees the code while the session runs, the participant enters it, a wrong one is explained', async () => {
      const { cohort, people } = await cohortWith(1);
      const session = await buildSession(cohort._id, {
        startsAt: new Date(Date.now() - minutes(20)),
        durationMinutes: 90,
      });
      const page = `/sessions/${String(session._id)}`;
      const facilitatorAgent = await signIn(app, facilitator.email, testPassword);
      const shown = await facilitatorAgent.get(page).expect(200);
      const code = /class="check-in-code">.*?<span aria-hidden="true">([A-Z2-9]{6})</.exec(shown.text)![1]!;
      const agent = await signIn(app, people[0]!.email, testPassword);
      const form = await agent.get(page).expect(200);
      expect(form.text).to.include('Code shown by your facilitator');
      // A wrong code is the code field's error: the page comes back with it in the summary and tied to the field.
      const wrong = await agent
        .post(`${page}/check-in`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, page), code: 'WRONG9' })
        .expect(422);
      expect(wrong.text).to.match(/<title>Error: /);
      expect(wrong.text).to.include(
        '<a href="#field-code">Code shown by your facilitator: That code is not right. Check it with your facilitator and try again.</a>',
      );
      expect(wrong.text).to.match(/id="field-code"[^>]*aria-invalid="true" aria-describedby="field-code-error"/);
      await agent
        .post(`${page}/check-in`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, page), code })
        .expect(303);
      const after = (await agent.get(page)).text;
      expect(after).to.include('You are checked in (marked late).');
      // Seen again later, the page says where she stands rather than offering the form again.
      const later = (await agent.get(page)).text;
      expect(later).to.not.include('You are checked in (marked late).');
      expect(later).to.match(/Your attendance: <strong>Late<\/strong>, you checked in at [^<]*\(Europe\/London\)\./);
      expect(later).to.not.include('Code shown by your facilitator');
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id, userId: people[0]!.id }).lean()).to.include({
        status: 'late',
        source: 'check-in',
      });
    });
    it('her home page offers "Check in now" while check-in is open, and says "Checked in" once she has; a facilitator’s "absent" still offers it', async () => {
      const { cohort, people } = await cohortWith(2);
      const session = await buildSession(cohort._id, {
        startsAt: new Date(Date.now() - minutes(5)),
        durationMinutes: 90,
      });
      const [her, other] = people as [TestUser, TestUser];
      const checkInLink = `href="/sessions/${String(session._id)}">Check in now`;
      const home = async (who: TestUser) => (await (await signIn(app, who.email, testPassword)).get('/')).text;
      expect(await home(her)).to.include(checkInLink);
      const shown = await checkInCodeFor({ actor: facilitator, sessionId: String(session._id), now: new Date() });
      if (!shown.open) throw new Error('should be open');
      await checkIn({ actor: her, sessionId: String(session._id), code: shown.code });
      const after = await home(her);
      expect(after).to.not.include(checkInLink);
      expect(after).to.include('Checked in: Present');
      await recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [{ userId: other.id, status: 'absent' }],
      });
      expect(await home(other)).to.include(checkInLink);
    });
  });

  describe('reports', () => {
    it('counts sessions once started, never before she enrolled, skips cancelled ones, and flags low rates and two misses in a row', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id], attendanceThreshold: 75 });
      const early = await buildUser({ name: 'Early Ada' });
      const late = await buildUser({ name: 'Late Bea' });
      const steady = await buildUser({ name: 'Steady Cat' });
      const t = (day: number) => new Date(Date.UTC(2027, 2, day, 9));
      await enrolDirectly(cohort, early.id, t(1));
      await enrolDirectly(cohort, steady.id, t(1));
      await enrolDirectly(cohort, late.id, t(10));
      // Each enrolled for the first time then (her enrolment row made that day).
      for (const [who, day] of [
        [early, 1],
        [steady, 1],
        [late, 10],
      ] as const)
        await EnrolmentModel.collection.updateOne(
          { cohortId: cohort._id, userId: new Types.ObjectId(who.id) },
          { $set: { createdAt: t(day) } },
        );
      const sessions: Awaited<ReturnType<typeof buildSession>>[] = [];
      for (const day of [2, 5, 8, 12, 15])
        sessions.push(await buildSession(cohort._id, { startsAt: t(day), title: `Day ${day}` }));
      await buildSession(cohort._id, { startsAt: t(9), status: 'cancelled' });
      const future = await buildSession(cohort._id, { startsAt: t(25) });
      const mark = (
        s: { _id: unknown },
        records: { userId: string; status: 'present' | 'late' | 'excused' | 'absent' }[],
      ) => recordAttendance({ actor: facilitator, sessionId: String(s._id), records, now: t(20) });
      await mark(sessions[0]!, [
        { userId: early.id, status: 'present' },
        { userId: steady.id, status: 'present' },
        { userId: late.id, status: 'present' },
      ]);
      await mark(sessions[1]!, [
        { userId: early.id, status: 'late' },
        { userId: steady.id, status: 'present' },
      ]);
      await mark(sessions[2]!, [
        { userId: early.id, status: 'excused' },
        { userId: steady.id, status: 'present' },
      ]);
      await mark(sessions[3]!, [
        { userId: early.id, status: 'absent' },
        { userId: steady.id, status: 'absent' },
        { userId: late.id, status: 'present' },
      ]);
      await mark(sessions[4]!, [
        { userId: early.id, status: 'absent' },
        { userId: steady.id, status: 'present' },
      ]);
      // Marked once it has begun (a register opens then), and still not counted in a report made before it.
      await recordAttendance({
        actor: facilitator,
        sessionId: String(future._id),
        records: [{ userId: steady.id, status: 'excused' }],
        now: t(26),
      });

      const report = await cohortAttendanceReport({ cohortId: String(cohort._id), now: t(20) });
      const row = (name: string) => report.rows.find((r) => r.name === name)!;
      expect(row('Early Ada')).to.include({
        sessions: 5,
        present: 1,
        late: 1,
        excused: 1,
        absent: 2,
        unmarked: 0,
        rate: 0.5,
      });
      expect(row('Early Ada').flags).to.deep.equal(['low-rate', 'missed-two-in-a-row']);
      // Bea enrolled on day 10; her class list came late, and day 2's register, taken after, marks her present: it
      // counts (a mark for a session before she first enrolled). Day 15 has no mark.
      expect(row('Late Bea')).to.include({ sessions: 3, present: 2, absent: 0, unmarked: 1, rate: 1 });
      expect(row('Late Bea').flags).to.deep.equal([]);
      expect(row('Steady Cat')).to.include({ sessions: 5, present: 4, absent: 1, excused: 0, rate: 0.8 });
      expect(row('Steady Cat').flags).to.deep.equal([]);
      expect(report.sessions.map((s) => [s.present, s.late, s.excused, s.absent, s.unmarked])).to.deep.equal([
        [3, 0, 0, 0, 0],
        [1, 1, 0, 0, 0],
        [1, 0, 1, 0, 0],
        [1, 0, 0, 2, 0],
        [1, 0, 0, 1, 1],
      ]);
      expect(report.flagged.map((r) => r.name)).to.deep.equal(['Early Ada']);

      const api = await supertest(app)
        .get(`/api/v1/cohorts/${String(cohort._id)}/attendance`)
        .set(auth)
        .expect(200);
      // The API counts up to the real present time: these sessions lie ahead of it.
      expect(api.body.items.map((i: { userId: string }) => i.userId).sort()).to.deep.equal(
        [early.id, late.id, steady.id].sort(),
      );
      expect(api.body.items[0]).to.have.all.keys(
        'userId',
        'name',
        'sessions',
        'present',
        'late',
        'excused',
        'absent',
        'unmarked',
        'rate',
        'flags',
      );
    });

    it('a session held while she was withdrawn is not hers, even marked after she came back; one before she first enrolled counts once marked', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const her = await buildUser({ name: 'Away Ama' });
      const t = (day: number) => new Date(Date.UTC(2027, 2, day, 9));
      const before = await buildSession(cohort._id, { startsAt: t(2), title: 'Before she joined' });
      const away = await buildSession(cohort._id, { startsAt: t(8), title: 'While she was away' });
      const back = await buildSession(cohort._id, { startsAt: t(14), title: 'After she came back' });
      await enrolDirectly(cohort, her.id, t(5));
      // Withdrawn on day 6, enrolled again on day 10: the same row, first made on day 5.
      await EnrolmentModel.collection.updateOne(
        { cohortId: cohort._id, userId: new Types.ObjectId(her.id) },
        { $set: { createdAt: t(5), enrolledAt: t(10) } },
      );
      for (const s of [before, away, back])
        await recordAttendance({
          actor: facilitator,
          sessionId: String(s._id),
          records: [{ userId: her.id, status: 'present' }],
          now: t(20),
        });
      const report = await cohortAttendanceReport({ cohortId: String(cohort._id), now: t(20) });
      expect(report.rows[0]).to.include({ sessions: 2, present: 2, unmarked: 0 });
      expect(report.sessions.map((s) => s.present)).to.deep.equal([1, 0, 1]);
    });

    it('shows the marks as they stand: one written on another process shows at once, one an operator wrote straight to the records once the repair ran, and someone who joined since is counted from her enrolment', async () => {
      const { cohort, people } = await cohortWith(2);
      const session = await buildSession(cohort._id, { startsAt: new Date(Date.now() - minutes(60)) });
      const sessionUrl = `/api/v1/sessions/${String(session._id)}/attendance`;
      await recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [{ userId: people[0]!.id, status: 'present' }],
      });
      const counts = async () =>
        (await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date() })).sessions[0];
      expect(await counts()).to.include({ present: 1, absent: 0, unmarked: 1 });

      // Another process changes the mark: the next report and register show it.
      await recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [{ userId: people[0]!.id, status: 'absent' }],
      });
      expect(await counts()).to.include({ present: 0, absent: 1, unmarked: 1 });
      // An operator changes the record itself, and back: the register's copy follows once the repair has run (hourly
      // and at start: cohorts:repair-copies).
      const recordId = `${String(session._id)}:${people[0]!.id}`;
      await AttendanceRecordModel.updateOne({ _id: recordId }, { $set: { status: 'excused' } });
      expect(await showAllRegisters()).to.be.at.least(1);
      expect(await counts()).to.include({ present: 0, absent: 0, excused: 1, unmarked: 1 });
      await AttendanceRecordModel.updateOne({ _id: recordId }, { $set: { status: 'absent' } });
      await showAllRegisters();
      expect(await showAllRegisters()).to.equal(0);
      expect(await counts()).to.include({ present: 0, absent: 1, unmarked: 1 });
      const register = await supertest(app).get(sessionUrl).set(auth).expect(200);
      expect(register.body.records.map((r: { status: string | null }) => r.status).sort()).to.deep.equal([
        'absent',
        null,
      ]);

      // She joins after the session was marked, and is marked late.
      const newcomer = await buildUser({ name: 'Newcomer Dee' });
      await enrolDirectly(cohort, newcomer.id, new Date(session.startsAt.getTime() - minutes(5)));
      await recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [{ userId: newcomer.id, status: 'late' }],
      });
      expect(await counts()).to.include({ late: 1, absent: 1, unmarked: 1 });
      const withNewcomer = await supertest(app).get(sessionUrl).set(auth).expect(200);
      expect(withNewcomer.body.records.find((r: { userId: string }) => r.userId === newcomer.id)).to.include({
        status: 'late',
        markedBy: facilitator.id,
      });

      // Withdrawn: off the register and the report's rows at once, her record kept, and still counted in what
      // happened at the session.
      await EnrolmentModel.updateOne(
        { cohortId: cohort._id, userId: newcomer.id },
        { $set: { status: 'withdrawn', withdrawnAt: new Date() } },
      );
      expect(await counts()).to.include({ late: 1, absent: 1, unmarked: 1 });
      const report = await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date() });
      expect(report.rows.map((r) => r.userId)).to.not.include(newcomer.id);
      const without = await supertest(app).get(sessionUrl).set(auth).expect(200);
      expect(without.body.records.map((r: { userId: string }) => r.userId)).to.not.include(newcomer.id);
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id, userId: newcomer.id })).to.equal(1);
    });

    it('someone withdrawn and enrolled again keeps the marks she had; sessions while she was away do not count', async () => {
      const { cohort, people } = await cohortWith(2);
      const [her] = people as [TestUser, TestUser];
      const day = 24 * 60 * minutes(1);
      const held = async (daysAgo: number, status: 'present' | 'absent' | null) => {
        const startsAt = new Date(Date.now() - daysAgo * day);
        const session = await buildSession(cohort._id, { startsAt });
        if (status)
          await recordAttendance({
            actor: facilitator,
            sessionId: String(session._id),
            records: [{ userId: her.id, status }],
            now: new Date(startsAt.getTime() + minutes(30)),
          });
      };
      await held(10, 'present');
      await held(9, 'present');
      await held(8, 'absent');
      // Withdrawn by mistake (a session passes meanwhile), then enrolled again by the facilitator.
      await withdrawParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: her.id });
      await held(5, null);
      await enrolParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: her.id });
      const row = (await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date() })).rows.find(
        (r) => r.userId === her.id,
      );
      expect(row).to.include({ sessions: 3, present: 2, absent: 1, unmarked: 0 });
      expect(row!.rate).to.equal(0.667);
    });

    it('a mark of her earlier enrolment corrected after she enrolled again keeps the session hers, with the new mark, on every page', async () => {
      const { cohort, people } = await cohortWith(2);
      const [her] = people as [TestUser, TestUser];
      const day = 24 * 60 * minutes(1);
      // Enrolled before the sessions were held (not a class list loaded late).
      await EnrolmentModel.collection.updateOne(
        { cohortId: cohort._id, userId: new Types.ObjectId(her.id) },
        { $set: { createdAt: new Date(Date.now() - 20 * day), enrolledAt: new Date(Date.now() - 20 * day) } },
      );
      const sessions = [];
      for (const [daysAgo, status] of [
        [10, 'absent'],
        [9, 'absent'],
        [8, 'absent'],
      ] as const) {
        const startsAt = new Date(Date.now() - daysAgo * day);
        const session = await buildSession(cohort._id, { startsAt });
        await recordAttendance({
          actor: facilitator,
          sessionId: String(session._id),
          records: [{ userId: her.id, status }],
          now: new Date(startsAt.getTime() + minutes(30)),
        });
        sessions.push(session);
      }
      await withdrawParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: her.id });
      await enrolParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: her.id });
      // She sends a doctor's note; the facilitator corrects the last mark of her earlier enrolment.
      const corrected = String(sessions[2]!._id);
      await supertest(app)
        .put(`/api/v1/sessions/${corrected}/attendance`)
        .set(auth)
        .send({ records: [{ userId: her.id, status: 'excused', note: 'was ill, told us later' }] })
        .expect(200);

      const report = await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date() });
      expect(report.rows.find((r) => r.userId === her.id)).to.include({ sessions: 3, absent: 2, excused: 1 });
      expect(report.sessions.find((s) => s.sessionId === corrected)).to.include({ excused: 1, absent: 0 });
      const hers = { Authorization: `Bearer ${await tokenFor(her)}` };
      const api = await supertest(app)
        .get(`/api/v1/cohorts/${String(cohort._id)}/attendance`)
        .set(hers)
        .expect(200);
      expect(api.body.items[0]).to.include({ sessions: 3, absent: 2, excused: 1 });
      const register = await getRegister({ actor: facilitator, sessionId: corrected });
      expect(register.rows.find((r) => r.userId === her.id)).to.include({ status: 'excused' });
      expect(register.counts).to.include({ excused: 1 });
      const page = (
        await (await signIn(app, her.email, testPassword)).get(`/cohorts/${String(cohort._id)}`).expect(200)
      ).text;
      expect(page).to.include('of 2 marked sessions').and.include('1 excused left out of the rate');

      // A register copy written before it kept when each mark was first made is read as before, and the repair
      // writes it again with it.
      const copy = (await CohortSessionModel.findById(sessions[2]!._id, { registerMarks: 1 }).lean())!;
      const marksBefore = copy.registerMarks!.map(({ firstMarkedAt, ...mark }) => (void firstMarkedAt, mark));
      await CohortSessionModel.collection.updateOne({ _id: copy._id }, { $set: { registerMarks: marksBefore } });
      expect(await showAllRegisters()).to.be.at.least(1);
      const repaired = await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date() });
      expect(repaired.rows.find((r) => r.userId === her.id)).to.include({ sessions: 3, excused: 1 });
    });

    it("a held session's totals count everyone marked at it, on the report, the register and the session page, whoever has left the cohort since or come back", async () => {
      const { cohort, people } = await cohortWith(4);
      const session = await buildSession(cohort._id, held);
      await recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [
          { userId: people[0]!.id, status: 'present' },
          { userId: people[1]!.id, status: 'present' },
          { userId: people[2]!.id, status: 'present' },
          { userId: people[3]!.id, status: 'absent' },
        ],
      });
      const totals = async () => {
        const report = await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date() });
        const { present, late, excused, absent, unmarked } = report.sessions[0]!;
        return { present, late, excused, absent, unmarked };
      };
      const asHeld = { present: 3, late: 0, excused: 0, absent: 1, unmarked: 0 };
      expect(await totals()).to.deep.equal(asHeld);
      // One moves to another cohort, one leaves: what happened at the session stays as it was.
      const other = await buildCohort({ facilitatorIds: [facilitator.id] });
      await withdrawParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: people[1]!.id });
      await enrolParticipant({ actor: facilitator, cohortId: String(other._id), userId: people[1]!.id });
      await withdrawParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: people[3]!.id });
      expect(await totals()).to.deep.equal(asHeld);
      const agent = await signIn(app, facilitator.email, testPassword);
      const register = (await agent.get(`/sessions/${String(session._id)}/register`).expect(200)).text;
      expect(register).to.include('3 present, 0 late, 0 excused, 1 absent, 0 not marked.');
      expect(register).to.include('These include the marks of 2 people no longer enrolled, who have no row below.');
      expect(register).to.not.include(`id="row-${people[1]!.id}"`);
      const page = (await agent.get(`/sessions/${String(session._id)}`).expect(200)).text;
      expect(page).to.include('Register: 3 present, 0 late, 0 excused, 1 absent, 0 not marked.');
      // Back on the cohort, her mark is counted once.
      await enrolParticipant({ actor: facilitator, cohortId: String(cohort._id), userId: people[3]!.id });
      expect(await totals()).to.deep.equal(asHeld);
    });

    it('a facilitator with many cohorts sees the flags of her current ones on her home page, not only of her oldest', async () => {
      const runner = await buildUser({ roles: ['facilitator'] });
      for (let year = 2000; year < 2021; year += 1)
        await buildCohort({ facilitatorIds: [runner.id], startsOn: `${year}-01-01`, endsOn: `${year}-06-30` });
      const current = await buildCohort({
        name: 'This year’s cohort',
        facilitatorIds: [runner.id],
        startsOn: '2026-09-01',
        endsOn: '2027-07-31',
      });
      const missing = await buildUser({ name: 'Often Absent' });
      await enrolDirectly(current, missing.id);
      const day = 24 * 60 * minutes(1);
      for (const daysAgo of [3, 2, 1]) {
        const session = await buildSession(current._id, { startsAt: new Date(Date.now() - daysAgo * day) });
        await recordAttendance({
          actor: runner,
          sessionId: String(session._id),
          records: [{ userId: missing.id, status: 'absent' }],
        });
      }
      const agent = await signIn(app, runner.email, testPassword);
      const home = (await agent.get('/').expect(200)).text;
      expect(home).to.include('<strong>Often Absent</strong> in');
    });

    /** A cohort she joined, with six sessions held so far: present, late, excused, absent, absent and one unmarked. */
    async function heldSixSessions(overrides: Parameters<typeof buildCohort>[0] = {}) {
      const { cohort, people } = await cohortWith(2, overrides);
      const [her, classmate] = people as [TestUser, TestUser];
      const day = 24 * 60 * minutes(1);
      const statuses = ['present', 'late', 'excused', 'absent', 'absent'] as const;
      for (const [i, status] of [...statuses, null].entries()) {
        const session = await buildSession(cohort._id, { startsAt: new Date(Date.now() - (10 - i) * day) });
        const records: RecordInput[] = [{ userId: classmate.id, status: 'present' }];
        if (status) records.push({ userId: her.id, status });
        await recordAttendance({ actor: facilitator, sessionId: String(session._id), records });
      }
      return { cohort, her, classmate };
    }
    const textOf = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

    it('her cohort page gives her rate with the numbers it is computed from, as the report computes it', async () => {
      const { cohort, her } = await heldSixSessions();
      const agent = await signIn(app, her.email, testPassword);
      const page = textOf((await agent.get(`/cohorts/${String(cohort._id)}`).expect(200)).text);
      expect(page).to.include(
        'You attended 2 of 4 marked sessions (50%); 1 excused and 1 not yet marked left out of the rate.',
      );
      const report = await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date() });
      expect(report.rows.find((r) => r.userId === her.id)).to.include({
        sessions: 6,
        present: 1,
        late: 1,
        excused: 1,
        absent: 2,
        unmarked: 1,
        rate: 0.5,
      });
    });

    it('the chart draws each letter and count on a plain chip it reads on at 4.5:1 or more, never straight on a striped, dotted or crossed fill', async () => {
      const { cohort } = await heldSixSessions();
      const agent = await signIn(app, facilitator.email, testPassword);
      const page = (await agent.get(`/cohorts/${String(cohort._id)}/attendance`).expect(200)).text;
      const svg = /<svg class="chart"[\s\S]*?<\/svg>/.exec(page)![0];
      const labels = [
        ...svg.matchAll(
          /(?:<rect class="chart-label-chip" x="([\d.]+)" y="([\d.]+)" width="(\d+)" height="(\d+)" rx="2" fill="([^"]+)"\/>)?<text x="([\d.]+)" y="([\d.]+)"[^>]*font-weight="700" fill="([^"]+)"([^>]*)>([^<]+)<\/text>/g,
        ),
      ].map(([, cx, cy, cw, ch, chipFill, x, y, ink, rest, text]) => ({
        text: text!,
        ink: ink!,
        rest: rest!,
        x: Number(x),
        baseline: Number(y),
        chip: chipFill
          ? { x: Number(cx), y: Number(cy), width: Number(cw), height: Number(ch), fill: chipFill }
          : undefined,
      }));
      // One participant in two each session: half of each bar is hers, tall enough for a label.
      expect(labels.map((l) => l.text)).to.include.members(['L1', 'E1', 'A1', 'N1']);
      const luminance = (hex: string) => {
        const [r, g, b] = [1, 3, 5].map((i) => {
          const c = parseInt(hex.slice(i, i + 2), 16) / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        }) as [number, number, number];
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const contrast = (a: string, b: string) => {
        const [hi, lo] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
        return (hi + 0.05) / (lo + 0.05);
      };
      for (const label of labels) {
        const chip = label.chip;
        expect(chip, `${label.text} has a chip`).to.not.equal(undefined);
        expect(chip!.fill, `${label.text}'s chip is a plain colour`).to.match(/^#[0-9a-f]{6}$/);
        expect(contrast(label.ink, chip!.fill), `${label.text} on its chip`).to.be.at.least(4.5);
        expect(label.rest, `${label.text} has no outline of another colour`).to.not.include('stroke');
        // The glyphs (11 px bold: at most 7 px wide each, 8 px above the baseline) lie inside the chip.
        const half = (label.text.length * 7) / 2;
        expect(chip!.x).to.be.at.most(label.x - half);
        expect(chip!.x + chip!.width).to.be.at.least(label.x + half);
        expect(chip!.y).to.be.at.most(label.baseline - 8);
        expect(chip!.y + chip!.height).to.be.at.least(label.baseline + 1);
      }
    });

    it('a participant reads her own row only (JSON and CSV), someone who only sees the open cohort gets 403, one who cannot see it the 404 of an unknown id, and the facilitator every row', async () => {
      const { cohort, her, classmate } = await heldSixSessions({ selfEnrolment: true });
      const hidden = await buildCohort({ facilitatorIds: [facilitator.id] });
      const url = (id: unknown) => `/api/v1/cohorts/${String(id)}/attendance`;
      const herAuth = { Authorization: `Bearer ${await tokenFor(her)}` };
      const mine = await supertest(app).get(url(cohort._id)).set(herAuth).expect(200);
      const all = await supertest(app).get(url(cohort._id)).set(auth).expect(200);
      expect(mine.body.items).to.have.length(1);
      expect(mine.body).to.deep.equal({
        items: all.body.items.filter((i: { userId: string }) => i.userId === her.id),
        nextCursor: null,
      });
      expect(mine.body.items[0]).to.include({ present: 1, late: 1, excused: 1, absent: 2, unmarked: 1, rate: 0.5 });
      expect(all.body.items.map((i: { userId: string }) => i.userId).sort()).to.deep.equal(
        [her.id, classmate.id].sort(),
      );
      const csv = await supertest(app)
        .get(`${url(cohort._id)}.csv`)
        .set(herAuth)
        .expect(200)
        .expect('Content-Type', /text\/csv/);
      const lines = csv.text.split('\r\n').filter(Boolean);
      expect(lines).to.have.length(2);
      expect(lines[1]).to.include(her.email).and.not.to.include(classmate.email);

      const outsider = await buildUser();
      const outsiderAuth = { Authorization: `Bearer ${await tokenFor(outsider)}` };
      await supertest(app).get(url(cohort._id)).set(outsiderAuth).expect(403);
      await supertest(app)
        .get(`${url(cohort._id)}.csv`)
        .set(outsiderAuth)
        .expect(403);
      const unknown = await supertest(app).get(url(new Types.ObjectId())).set(herAuth).expect(404);
      const notHers = await supertest(app).get(url(hidden._id)).set(herAuth).expect(404);
      expect(notHers.body).to.deep.equal(unknown.body);
      await supertest(app)
        .get(`${url(hidden._id)}.csv`)
        .set(herAuth)
        .expect(404);
    });

    it('the report page (read while who may see it is checked) is 403 for a participant, the 404 of an unknown id for one who cannot see the cohort or a malformed id, and whole for its facilitator', async () => {
      const { cohort, her, classmate } = await heldSixSessions();
      const hidden = await buildCohort({ facilitatorIds: [facilitator.id] });
      const page = (id: unknown) => `/cohorts/${String(id)}/attendance`;
      const agent = await signIn(app, her.email, testPassword);
      const refused = await agent.get(page(cohort._id)).expect(403);
      expect(refused.text).to.not.include(classmate.name);
      const unknown = textOf((await agent.get(page(new Types.ObjectId())).expect(404)).text);
      expect(textOf((await agent.get(page(hidden._id)).expect(404)).text)).to.equal(unknown);
      await agent.get(page('not-an-id')).expect(404);
      const facilitatorAgent = await signIn(app, facilitator.email, testPassword);
      const whole = textOf((await facilitatorAgent.get(page(cohort._id)).expect(200)).text);
      expect(whole).to.include(her.name).and.to.include(classmate.name).and.to.include(cohort.name);
    });

    // The cell rules themselves are tested once, in test/server/csv.test.ts.
    it('makes CSV cells safe: commas, quotes, line breaks and formulas such as =1+1', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const p = await buildUser({ name: '=1+1, "Formula" Person' });
      await enrolDirectly(cohort, p.id, new Date('2027-01-01T00:00:00Z'));
      const csv = attendanceCsv(
        await cohortAttendanceReport({ cohortId: String(cohort._id), now: new Date('2027-02-01T00:00:00Z') }),
      );
      expect(csv.split('\r\n')[1]).to.match(/^"'=1\+1, ""Formula"" Person",/);
      const res = await supertest(app)
        .get(`/api/v1/cohorts/${String(cohort._id)}/attendance.csv`)
        .set(auth)
        .expect(200)
        .expect('Content-Type', /text\/csv/);
      expect(res.text.split('\r\n')[0]).to.equal(
        'Name,Email,Sessions,Present,Late,Excused,Absent,Unmarked,Attendance rate (%),Flags',
      );
      // The page's download is opened in spreadsheets: a byte-order mark says UTF-8, so "Siân" stays Siân.
      const sian = await buildUser({ name: 'Siân Ó Dálaigh' });
      await enrolDirectly(cohort, sian.id);
      const agent = await signIn(app, facilitator.email, testPassword);
      const download = await agent
        .get(`/cohorts/${String(cohort._id)}/attendance.csv`)
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200)
        .expect('Content-Type', /text\/csv; charset=utf-8/);
      const bytes = download.body as Buffer;
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      expect(bytes.subarray(3).toString('utf8'))
        .to.match(/^Name,Email,/)
        .and.to.include('Siân Ó Dálaigh');
    });

    it('quotes a name holding a semicolon, so Excel splitting on ";" never reads its =1+2 as a cell of its own', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const eve = await buildUser({ name: 'Eve;=1+2;@SUM(1;1);-3', email: 'eve.semicolon@example.org' });
      await enrolDirectly(cohort, eve.id);
      const agent = await signIn(app, facilitator.email, testPassword);
      const download = await agent
        .get(`/cohorts/${String(cohort._id)}/attendance.csv`)
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      const lines = (download.body as Buffer).toString('utf8').split('\r\n');
      expect(lines[1]).to.match(/^"Eve;=1\+2;@SUM\(1;1\);-3",eve\.semicolon@example\.org,/);
    });
  });

  describe('the register page', () => {
    /** The fields a browser sends for the register form as the page shows it: hidden fields, checked radios, notes. */
    function formAsShown(html: string): Record<string, string> {
      const start = html.indexOf('class="register-form"');
      const form = html.slice(start, html.indexOf('</form>', start));
      const fields: Record<string, string> = {};
      for (const [tag] of form.matchAll(/<input[^>]*>/g)) {
        const name = /name="([^"]*)"/.exec(tag)?.[1];
        const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
        if (!name || (/type="radio"/.test(tag) && !/ checked/.test(tag))) continue;
        fields[name] = value;
      }
      return fields;
    }

    it('saving after marking one person leaves the marks already shown as they were: a self check-in stays hers, with its time', async () => {
      const { cohort, people } = await cohortWith(2);
      const start = new Date('2026-04-10T09:00:00Z');
      const session = await buildSession(cohort._id, { startsAt: start, checkInCode: 'ABCDEF' });
      const checkedInAt = new Date(start.getTime() - minutes(5));
      await checkIn({ actor: people[0]!, sessionId: String(session._id), code: 'ABCDEF', now: checkedInAt });
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const fields = formAsShown((await agent.get(page).expect(200)).text);
      expect(fields[`status-${people[0]!.id}`]).to.equal('present');
      const saved = await agent
        .post(page)
        .type('form')
        .send({ ...fields, [`status-${people[1]!.id}`]: 'absent' })
        .expect(303);
      const after = await agent.get(saved.headers.location!).expect(200);
      expect(after.text).to.include('Register saved (1 row)');
      const hers = await AttendanceRecordModel.findOne({ sessionId: session._id, userId: people[0]!.id }).lean();
      expect(hers).to.include({ status: 'present', source: 'check-in' });
      expect(String(hers!.markedBy)).to.equal(people[0]!.id);
      expect(hers!.markedAt.toISOString()).to.equal(checkedInAt.toISOString());

      // Saved again as shown, nothing changes and she is told so; a changed note alone is written.
      const again = formAsShown(after.text);
      const unchanged = await agent.post(page).type('form').send(again).expect(303);
      expect((await agent.get(unchanged.headers.location!).expect(200)).text).to.include('Nothing changed');
      await agent
        .post(page)
        .type('form')
        .send({ ...again, [`note-${people[0]!.id}`]: 'Arrived early' })
        .expect(303);
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id, userId: people[0]!.id }).lean()).to.include({
        status: 'present',
        note: 'Arrived early',
        source: 'register',
      });
    });

    it('the check-in window’s close gives its date when it falls on another day than its opening (a session past midnight), only its time on the same day; a held session’s window is told in the past', async () => {
      const { cohort } = await cohortWith(0);
      const newYear = await buildSession(cohort._id, {
        startsAt: new Date('2026-12-31T23:30:00Z'),
        durationMinutes: 90,
      });
      const morning = await buildSession(cohort._id, { startsAt: new Date('2027-03-02T09:30:00Z') });
      const agent = await signIn(app, facilitator.email, testPassword);
      expect((await agent.get(`/sessions/${String(newYear._id)}`).expect(200)).text).to.include(
        'Self check-in is open from Thursday 31 December 2026, 23:15 GMT (Europe/London) to Friday 1 January 2027, 01:00 GMT (Europe/London);',
      );
      expect((await agent.get(`/sessions/${String(morning._id)}`).expect(200)).text).to.include(
        'Self check-in is open from Tuesday 2 March 2027, 09:15 GMT (Europe/London) to 10:30 GMT;',
      );
      // Held: the window is told in the past, with no code to come.
      const past = await buildSession(cohort._id, held);
      const pastPage = (await agent.get(`/sessions/${String(past._id)}`).expect(200)).text;
      expect(pastPage).to.include(
        'Self check-in was open from Monday 2 March 2026, 09:15 GMT (Europe/London) to 10:30 GMT.',
      );
      expect(pastPage).to.not.include('Self check-in is open').and.not.include('the code appears here then');
      // Open now, until this time tomorrow.
      const overnight = await buildSession(cohort._id, {
        startsAt: new Date(Date.now() + minutes(10)),
        durationMinutes: 24 * 60 - 10,
      });
      expect((await agent.get(`/sessions/${String(overnight._id)}`).expect(200)).text).to.match(
        /Self check-in is open until [A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d \S+ \(Europe\/London\)\. Show this code/,
      );
    });

    it('a note with a direction override or a NUL is refused at its row, on the register form and in the API, and nothing is written', async () => {
      const { cohort, people } = await cohortWith(2);
      const session = await buildSession(cohort._id, held);
      const api = await supertest(app)
        .put(`/api/v1/sessions/${String(session._id)}/attendance`)
        .set(auth)
        .send({
          records: [
            { userId: people[0]!.id, status: 'present', note: '\u202eevil' },
            { userId: people[1]!.id, status: 'late', note: 'Train\u0000' },
          ],
        })
        .expect(422);
      expect(api.body.errors).to.deep.equal([
        {
          path: 'records.0.note',
          message:
            'must not contain a text-direction override (U+202A to U+202E, U+2066 to U+2069): it reverses the letters after it',
        },
        {
          path: 'records.1.note',
          message: 'contains a control character (such as NUL) that cannot be saved: remove it',
        },
      ]);
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const fields = formAsShown((await agent.get(page).expect(200)).text);
      const form = await agent
        .post(page)
        .type('form')
        .send({ ...fields, [`status-${people[0]!.id}`]: 'present', [`note-${people[0]!.id}`]: 'Left \u2067early' })
        .expect(422);
      // The register names a refused row at its person (as a note too long): her row, with what is wrong.
      expect(form.text).to.include(`href="#field-status-${people[0]!.id}"`);
      expect(form.text).to.include('must not contain a text-direction override');
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
    });

    it('a note of only spaces or invisible characters is no note: stored empty from the API and the register form, and a row otherwise as shown is not changed by one', async () => {
      const { cohort, people } = await cohortWith(2);
      const session = await buildSession(cohort._id, held);
      const invisible = ' \u200b\u2060\u034f\u200e ';
      await supertest(app)
        .put(`/api/v1/sessions/${String(session._id)}/attendance`)
        .set(auth)
        .send({ records: [{ userId: people[0]!.id, status: 'present', note: invisible }] })
        .expect(200);
      const stored = (userId: string) =>
        AttendanceRecordModel.findOne({ sessionId: session._id, userId }, { status: 1, note: 1, _id: 0 }).lean();
      expect(await stored(people[0]!.id)).to.deep.equal({ status: 'present', note: '' });
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const fields = formAsShown((await agent.get(page).expect(200)).text);
      const saved = await agent
        .post(page)
        .type('form')
        .send({
          ...fields,
          [`note-${people[0]!.id}`]: invisible,
          [`status-${people[1]!.id}`]: 'late',
          [`note-${people[1]!.id}`]: '\u200b\u200b',
        })
        .expect(303);
      // Her row, shown with no note, is as shown: only the other row is saved.
      expect((await agent.get(saved.headers.location!).expect(200)).text).to.include('Register saved (1 row)');
      expect(await stored(people[1]!.id)).to.deep.equal({ status: 'late', note: '' });
    });

    it('"Last marked" gives the date of a mark made on another day than the session, and only the time of one made that day', async () => {
      const { cohort, people } = await cohortWith(2);
      const start = new Date('2026-04-10T09:00:00Z');
      const session = await buildSession(cohort._id, { startsAt: start, checkInCode: 'ABCDEF' });
      await checkIn({
        actor: people[0]!,
        sessionId: String(session._id),
        code: 'ABCDEF',
        now: new Date(start.getTime() - minutes(5)),
      });
      const twoDaysOn = new Date('2026-04-12T16:30:00Z');
      await recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [{ userId: people[1]!.id, status: 'excused' }],
        now: twoDaysOn,
      });
      const agent = await signIn(app, facilitator.email, testPassword);
      const text = (await agent.get(`/sessions/${String(session._id)}/register`).expect(200)).text;
      const cellOf = (userId: string) =>
        new RegExp(`id="row-${userId}"[\\s\\S]*?<td class="muted">([^<]*)</td>`).exec(text)![1]!;
      expect(cellOf(people[0]!.id)).to.match(/^Checked in \d\d:\d\d \S+$/);
      expect(cellOf(people[1]!.id)).to.match(/, 12 April 2026, \d\d:\d\d \S+$/);
    });

    it('a register saved after its session was cancelled (page left open) says the register is closed, shows no form and writes nothing', async () => {
      const { cohort, people } = await cohortWith(1);
      const session = await buildSession(cohort._id, held);
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const fields = formAsShown((await agent.get(page).expect(200)).text);
      await CohortSessionModel.updateOne({ _id: session._id }, { $set: { status: 'cancelled' } });
      const saved = await agent
        .post(page)
        .type('form')
        .send({ ...fields, [`status-${people[0]!.id}`]: 'present' })
        .expect(303);
      expect(saved.headers.location).to.equal(page);
      const after = (await agent.get(page).expect(200)).text;
      expect(after)
        .to.include('Nothing was saved: this session has been cancelled')
        .and.include('its register is closed');
      expect(after).to.not.include('<form method="post" action="' + page);
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
    });

    it('a register opens when check-in does, 15 minutes before the start: before then the page says when instead of a form, and a save (web or API) is refused and writes nothing', async () => {
      const { cohort, people } = await cohortWith(1);
      const startsAt = new Date(Date.now() + 150 * 24 * 60 * 60_000);
      const session = await buildSession(cohort._id, { startsAt });
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const shown = (await agent.get(page).expect(200)).text;
      expect(shown).to.include('This session has not started yet: its register opens at');
      expect(shown).to.not.include('class="register-form"');
      const saved = await agent
        .post(page)
        .type('form')
        .send({ _csrf: await csrfOf(agent, `/cohorts/${String(cohort._id)}`), [`status-${people[0]!.id}`]: 'present' })
        .expect(303);
      expect(saved.headers.location).to.equal(page);
      expect((await agent.get(page).expect(200)).text).to.include(
        'Nothing was saved: this session has not started yet',
      );
      const api = await supertest(app)
        .put(`/api/v1/sessions/${String(session._id)}/attendance`)
        .set(auth)
        .send({ records: [{ userId: people[0]!.id, status: 'absent' }] })
        .expect(409);
      expect(api.headers['content-type']).to.include('application/problem+json');
      expect(api.body.detail).to.include('this session has not started yet. Its register opens at');
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);

      const record = (now: Date) =>
        recordAttendance({
          actor: facilitator,
          sessionId: String(session._id),
          records: [{ userId: people[0]!.id, status: 'present' }],
          now,
        });
      const opens = new Date(startsAt.getTime() - minutes(15));
      let refused: unknown;
      await record(new Date(opens.getTime() - 1000)).catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(ConflictError);
      const rows = await record(opens);
      expect(rows[0]).to.include({ status: 'present' });
    });

    /**
     * She opens the register of a session where the first person is marked present; then a colleague, made a
     * facilitator of the cohort, marks that person excused. Gives what her page showed (its form fields).
     */
    async function registerShownThenMarkedByColleague() {
      const { cohort, people } = await cohortWith(2);
      const session = await buildSession(cohort._id, held);
      await recordAttendance({
        actor: facilitator,
        sessionId: String(session._id),
        records: [{ userId: people[0]!.id, status: 'present' }],
      });
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const fields = formAsShown((await agent.get(page).expect(200)).text);
      const colleague = await buildUser({ roles: ['facilitator'], name: 'Ruth Adebayo' });
      await CohortModel.updateOne({ _id: cohort._id }, { $push: { facilitatorIds: new Types.ObjectId(colleague.id) } });
      await recordAttendance({
        actor: colleague,
        sessionId: String(session._id),
        records: [{ userId: people[0]!.id, status: 'excused', note: 'Phoned in ill' }],
      });
      return { people, session, page, agent, fields };
    }

    it('a mark another facilitator saved after the page was shown stands when this page is saved for someone else', async () => {
      const { people, session, page, agent, fields } = await registerShownThenMarkedByColleague();
      await agent
        .post(page)
        .type('form')
        .send({ ...fields, [`status-${people[1]!.id}`]: 'present' })
        .expect(303);
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id, userId: people[0]!.id }).lean()).to.include({
        status: 'excused',
        note: 'Phoned in ill',
      });
    });

    it('a register refused and sent again still leaves a mark another facilitator saved after the page was shown', async () => {
      const { people, session, page, agent, fields } = await registerShownThenMarkedByColleague();
      const refused = await agent
        .post(page)
        .type('form')
        .send({ ...fields, [`status-${people[1]!.id}`]: 'snoozing' })
        .expect(422);
      // She corrects the row the page names and sends the page as it came back.
      await agent
        .post(page)
        .type('form')
        .send({ ...formAsShown(refused.text), [`status-${people[1]!.id}`]: 'absent' })
        .expect(303);
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id, userId: people[0]!.id }).lean()).to.include({
        status: 'excused',
        note: 'Phoned in ill',
      });
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id, userId: people[1]!.id }).lean()).to.include({
        status: 'absent',
      });
    });

    it('changing a row a colleague marked after the page was shown is refused whole (409) naming the row and her mark; nothing is written, the choices stay on the form, and saving it again replaces the mark', async () => {
      const { people, session, page, agent, fields } = await registerShownThenMarkedByColleague();
      const [marked, other] = [people[0]!.id, people[1]!.id];
      const refused = await agent
        .post(page)
        .type('form')
        .send({ ...fields, [`status-${marked}`]: 'absent', [`status-${other}`]: 'present' })
        .expect(409);
      expect(refused.text).to.include('Nothing was saved: one row was marked by someone else after you opened');
      expect(refused.text).to.include(
        'Person A: Marked “excused” by Ruth Adebayo after you opened the register (it showed “present”); your choice was not saved',
      );
      const stored = async (userId: string) => AttendanceRecordModel.findOne({ sessionId: session._id, userId }).lean();
      expect(await stored(marked)).to.include({ status: 'excused', note: 'Phoned in ill' });
      expect(await stored(other)).to.equal(null);
      // Her choices are kept; the row now shows the colleague's mark as the one she replaces.
      const again = formAsShown(refused.text);
      expect(again).to.include({
        [`status-${marked}`]: 'absent',
        [`status-${other}`]: 'present',
        [`shown-status-${marked}`]: 'excused',
        [`note-${marked}`]: '',
      });
      await agent.post(page).type('form').send(again).expect(303);
      expect(await stored(marked)).to.include({ status: 'absent' });
      expect(await stored(other)).to.include({ status: 'present' });
    });

    it('a self check-in made after the page was shown is not overwritten by a mark chosen on that page: 409 saying she checked herself in', async () => {
      const { cohort, people } = await cohortWith(1);
      const start = new Date(Date.now() + minutes(5));
      const session = await buildSession(cohort._id, { startsAt: start, checkInCode: 'ABCDEF' });
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const fields = formAsShown((await agent.get(page).expect(200)).text);
      await checkIn({ actor: people[0]!, sessionId: String(session._id), code: 'ABCDEF' });
      const refused = await agent
        .post(page)
        .type('form')
        .send({ ...fields, [`status-${people[0]!.id}`]: 'absent' })
        .expect(409);
      expect(refused.text).to.include(
        'Person A: She checked herself in (“present”) after you opened the register (it showed no mark)',
      );
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id }).lean()).to.include({
        status: 'present',
        source: 'check-in',
      });
    });

    it('a mark saved between the look at the stored marks and the write is not overwritten: that row is refused (409), the others are saved and the answer says so', async () => {
      const { people, session } = await registerShownThenMarkedByColleague();
      // Her page showed the first person excused (the colleague's mark) and nobody else marked.
      const records: RecordInput[] = [
        { userId: people[0]!.id, status: 'absent', shown: { status: 'excused', note: 'Phoned in ill' } },
        { userId: people[1]!.id, status: 'present', shown: { status: null, note: '' } },
      ];
      const held = holdNextCall(AttendanceRecordModel, 'find', {
        lean: true,
        when: (args) => JSON.stringify(args[0]).includes('$in'),
      });
      let answer: unknown;
      try {
        const saving = recordAttendance({ actor: facilitator, sessionId: String(session._id), records }).catch(
          (error: unknown) => error,
        );
        await Promise.race([held.reached, saving]);
        held.restore();
        await recordAttendance({
          actor: facilitator,
          sessionId: String(session._id),
          records: [{ userId: people[0]!.id, status: 'late', note: 'Came at ten' }],
        });
        held.release();
        answer = await saving;
      } finally {
        held.release();
        held.restore();
      }
      expect(answer).to.be.instanceOf(ConflictError);
      const conflict = answer as ConflictError;
      expect(conflict.status).to.equal(409);
      expect(conflict.message).to.include('your other rows were saved');
      expect(conflict.errors.map((e) => e.path)).to.deep.equal(['records.0.status']);
      expect(conflict.errors[0]!.message).to.match(/^Marked “late” by you after you opened the register/);
      const stored = await AttendanceRecordModel.find({ sessionId: session._id }).lean();
      expect(stored.find((r) => String(r.userId) === people[0]!.id)).to.include({
        status: 'late',
        note: 'Came at ten',
      });
      expect(stored.find((r) => String(r.userId) === people[1]!.id)).to.include({ status: 'present' });
    });

    it('the register of a cohort of 300 is saved from its page (four fields a person: more than a form parser reads by default)', async () => {
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id], capacity: 300 });
      const users = await UserModel.insertMany(
        Array.from({ length: 300 }, (_, n) => ({
          email: `big-register-${n}@example.org`,
          name: `Member ${String(n).padStart(3, '0')}`,
          roles: ['participant'],
          timezone: 'Europe/London',
          status: 'active',
        })),
      );
      await SeatModel.insertMany(users.map((u, n) => ({ cohortId: cohort._id, number: n + 1, userId: u._id })));
      await EnrolmentModel.insertMany(
        users.map((u) => ({
          cohortId: cohort._id,
          userId: u._id,
          programmeId: cohort.programmeId,
          status: 'active',
          enrolledAt: new Date('2026-01-01T00:00:00Z'),
          participantName: u.name,
          participantNameVersion: 0,
        })),
      );
      const session = await buildSession(cohort._id, held);
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const fields = formAsShown((await agent.get(page).expect(200)).text);
      for (const u of users) fields[`status-${String(u._id)}`] = 'present';
      expect(Object.keys(fields).length).to.be.greaterThan(1000);
      await agent.post(page).type('form').send(fields).expect(303);
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id, status: 'present' })).to.equal(300);
    });

    it('saves the rows chosen, refuses the whole form naming the failing row, and marks everyone left empty present without JavaScript', async () => {
      const { cohort, people } = await cohortWith(3);
      const session = await buildSession(cohort._id, held);
      const page = `/sessions/${String(session._id)}/register`;
      const agent = await signIn(app, facilitator.email, testPassword);
      const view = await agent.get(page).expect(200);
      expect(view.text).to.include('data-mark-all="present"').and.to.include('Person A');
      await agent
        .post(page)
        .type('form')
        .send({
          _csrf: await csrfOf(agent, page),
          [`status-${people[0]!.id}`]: 'absent',
          [`note-${people[0]!.id}`]: 'Ill',
        })
        .expect(303);
      expect(await AttendanceRecordModel.findOne({ sessionId: session._id, userId: people[0]!.id }).lean()).to.include({
        status: 'absent',
        note: 'Ill',
      });
      const refused = await agent
        .post(page)
        .type('form')
        .send({
          _csrf: await csrfOf(agent, page),
          [`status-${people[1]!.id}`]: 'present',
          [`status-${people[2]!.id}`]: 'snoozing',
        })
        .expect(422);
      expect(refused.text).to.include('Person C: must be one of').and.to.include('Nothing was saved');
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(1);
      // A note over 500 characters (the field stops a browser at 500; a script is not stopped) is refused on its row,
      // never saved cut short; the page gives it back whole.
      const longNote = `${'Left at the break to collect her daughter. '.repeat(12)}End.`;
      expect(longNote.length).to.be.greaterThan(500);
      const tooLong = await agent
        .post(page)
        .type('form')
        .send({
          _csrf: await csrfOf(agent, page),
          [`status-${people[1]!.id}`]: 'late',
          [`note-${people[1]!.id}`]: longNote,
        })
        .expect(422);
      expect(tooLong.text).to.include(`Person B: the note must be at most 500 characters (it has ${longNote.length})`);
      expect(tooLong.text).to.include(longNote);
      expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(1);
      await agent
        .post(page)
        .type('form')
        .send({ _csrf: await csrfOf(agent, page), markAll: 'present' })
        .expect(303);
      const rows = await AttendanceRecordModel.find({ sessionId: session._id }).lean();
      expect(rows.map((r) => r.status).sort()).to.deep.equal(['absent', 'present', 'present']);
    });
  });
});
