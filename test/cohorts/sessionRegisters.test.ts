import { expect } from 'chai';
import { Types } from 'mongoose';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { checkIn, getRegister, recordAttendance } from '../../server/services/cohorts/index.ts';
import {
  heldSessionsOf,
  registerChanged,
  showAllRegisters,
  showRegister,
} from '../../server/services/cohorts/sessionRegisters.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import '../../server/subscriptions.ts';
import { buildCohort, buildSession, enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, type TestUser } from '../support/factories.ts';

const minutes = (n: number) => n * 60_000;

/**
 * The register copy a register page and an attendance report read instead of the attendance records (README "Derived
 * records"): however marks land, together or after a stopped process, what the copy says once they have returned is
 * what the records say.
 */
describe('cohorts: the register copy pages read is kept right', () => {
  useTestDatabase();
  let facilitators: TestUser[];
  let admin: TestUser;
  beforeEach(async () => {
    facilitators = [await buildUser({ roles: ['facilitator'] }), await buildUser({ roles: ['facilitator'] })];
    admin = await buildUser({ roles: ['admin'] });
  });

  async function setting(n: number) {
    const cohort = await buildCohort({ facilitatorIds: facilitators.map((f) => f.id), capacity: 40 });
    const people: TestUser[] = [];
    for (let i = 0; i < n; i++) {
      const person = await buildUser({ name: `Person ${String(i).padStart(2, '0')}` });
      await enrolDirectly(cohort, person.id);
      people.push(person);
    }
    const startsAt = new Date(Date.now() + minutes(5));
    const session = await buildSession(cohort._id, { startsAt, checkInCode: 'KQ7RTM' });
    return { cohort, people, session };
  }
  const key = (m: { userId: unknown; status: unknown; note?: unknown; markedBy: unknown; markedAt: Date }) =>
    [m.userId, m.status, m.note ?? '', m.markedBy, m.markedAt.toISOString()].map(String).join('|');
  const fromRecords = async (sessionId: Types.ObjectId | string) =>
    (await AttendanceRecordModel.find({ sessionId: new Types.ObjectId(String(sessionId)) }).lean()).map(key).sort();
  const fromCopy = async (sessionId: Types.ObjectId | string) =>
    ((await CohortSessionModel.findById(sessionId, { registerMarks: 1 }).lean())?.registerMarks ?? []).map(key).sort();

  it('registers saved by two facilitators at once, self check-ins and repairs beside them leave the copy as the records say', async () => {
    for (let round = 0; round < 2; round++) {
      const { people, session } = await setting(12);
      const sessionId = String(session._id);
      const half = (from: number) => people.slice(from, from + 6);
      await Promise.all([
        recordAttendance({
          actor: facilitators[0] as unknown as Express.User,
          sessionId,
          records: half(0).map((p) => ({ userId: p.id, status: 'present' })),
        }),
        recordAttendance({
          actor: facilitators[1] as unknown as Express.User,
          sessionId,
          records: people.slice(3, 9).map((p) => ({ userId: p.id, status: 'excused', note: 'Told us' })),
        }),
        ...half(6).map((p) => checkIn({ actor: p as unknown as Express.User, sessionId, code: 'KQ7RTM' })),
        showAllRegisters(),
        showRegister(sessionId),
      ]);
      const expected = await fromRecords(sessionId);
      expect(expected).to.have.length(12);
      expect(await fromCopy(sessionId)).to.deep.equal(expected);
      const rows = (await getRegister({ actor: facilitators[0] as unknown as Express.User, sessionId })).rows;
      expect(rows.filter((r) => r.status !== null)).to.have.length(12);
    }
  });

  it('a copy computed before a mark that returned meanwhile is not written over it', async () => {
    const { people, session } = await setting(2);
    const before = await CohortSessionModel.findById(session._id, { registerVersion: 1 }).lean();
    await recordAttendance({
      actor: facilitators[0] as unknown as Express.User,
      sessionId: String(session._id),
      records: [{ userId: people[0]!.id, status: 'late' }],
    });
    // A process that read the version before that mark and computed no marks: its write matches nothing.
    const stale = await CohortSessionModel.updateOne(
      { _id: session._id, registerVersion: before?.registerVersion ?? null },
      { $set: { registerMarks: [] } },
    );
    expect(stale.matchedCount).to.equal(0);
    expect(await fromCopy(session._id)).to.deep.equal(await fromRecords(session._id));
  });

  it('the repair, with a register saved in the middle of its reads, does not write the marks it read before over the newer ones', async () => {
    const { cohort, people, session } = await setting(2);
    const mark = (status: 'present' | 'late') =>
      recordAttendance({
        actor: facilitators[0] as unknown as Express.User,
        sessionId: String(session._id),
        records: [{ userId: people[0]!.id, status }],
      });
    await mark('present');
    // The repair is held before reading this cohort's registers (and then its records); a facilitator saves meanwhile.
    const held = holdNextCall(CohortSessionModel, 'find', {
      lean: true,
      before: true,
      when: (args) => String((args[0] as { cohortId?: unknown }).cohortId) === String(cohort._id),
    });
    try {
      const repairing = showAllRegisters();
      await held.reached;
      held.restore();
      await mark('late');
      held.release();
      await repairing;
    } finally {
      held.release();
      held.restore();
    }
    expect(await fromCopy(session._id)).to.deep.equal(await fromRecords(session._id));
    const copy = await CohortSessionModel.findById(session._id, { registerMarks: 1 }).lean();
    expect((copy?.registerMarks ?? []).map((m) => m.status)).to.deep.equal(['late']);
  });

  it('a mark whose writer stopped before the copy, or a session stored before copies existed, is read from the records, then healed by the repair', async () => {
    const { cohort, people, session } = await setting(2);
    await recordAttendance({
      actor: facilitators[0] as unknown as Express.User,
      sessionId: String(session._id),
      records: [{ userId: people[0]!.id, status: 'present' }],
    });
    // Written, and the process stopped before registerChanged.
    await AttendanceRecordModel.updateOne(
      { _id: `${String(session._id)}:${people[1]!.id}` },
      {
        $set: { status: 'absent', note: '', markedBy: facilitators[0]!.id, markedAt: new Date(), source: 'register' },
        $setOnInsert: { sessionId: session._id, cohortId: cohort._id, userId: people[1]!.id },
      },
      { upsert: true },
    );
    expect(await fromCopy(session._id)).to.have.length(1);
    // A session whose copy was never written reads its records.
    const older = await buildSession(cohort._id, { startsAt: new Date(Date.now() - minutes(600)) });
    await AttendanceRecordModel.create({
      _id: `${String(older._id)}:${people[0]!.id}`,
      sessionId: older._id,
      cohortId: cohort._id,
      userId: people[0]!.id,
      status: 'late',
      markedBy: facilitators[0]!.id,
      markedAt: new Date(),
    });
    const olderRows = (
      await getRegister({ actor: facilitators[0] as unknown as Express.User, sessionId: String(older._id) })
    ).rows;
    expect(olderRows.map((r) => r.status)).to.deep.equal(['late', null]);

    expect(await showAllRegisters()).to.be.at.least(2);
    expect(await fromCopy(session._id)).to.deep.equal(await fromRecords(session._id));
    expect(await fromCopy(older._id)).to.deep.equal(await fromRecords(older._id));
    expect(await showAllRegisters()).to.equal(0);
  });

  it("erasing a participant clears the notes about her in the registers' copies too", async () => {
    const { people, session } = await setting(2);
    await recordAttendance({
      actor: facilitators[0] as unknown as Express.User,
      sessionId: String(session._id),
      records: [
        { userId: people[0]!.id, status: 'excused', note: 'Her daughter was unwell' },
        { userId: people[1]!.id, status: 'present', note: 'Led the discussion' },
      ],
    });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: people[0]!.id, bySelf: false });
    const marks = (await CohortSessionModel.findById(session._id, { registerMarks: 1 }).lean())!.registerMarks!;
    expect(marks.map((m) => m.note).sort()).to.deep.equal(['', 'Led the discussion']);
    expect(await fromCopy(session._id)).to.deep.equal(await fromRecords(session._id));
  });

  it('moving the version on writes a register for a session that had none, and leaves the session as it was', async () => {
    const { session } = await setting(1);
    const unmarked = await CohortSessionModel.findById(session._id, { registerVersion: 1, registerMarks: 1 }).lean();
    expect(unmarked).to.not.have.any.keys('registerVersion', 'registerMarks');
    await Promise.all([registerChanged(session._id), registerChanged(session._id)]);
    const stored = await CohortSessionModel.findById(session._id).select('+registerVersion +registerMarks').lean();
    expect(stored).to.include({ registerVersion: 2 });
    expect(stored!.registerMarks).to.deep.equal([]);
    // A register taken is not a change of the session.
    expect(stored!.updatedAt).to.deep.equal(session.updatedAt);
  });

  it("a session read the ordinary way carries no register; the report's read of held sessions carries only what it counts", async () => {
    const { people, session } = await setting(2);
    await recordAttendance({
      actor: facilitators[0] as unknown as Express.User,
      sessionId: String(session._id),
      records: [{ userId: people[0]!.id, status: 'excused', note: 'Her daughter was unwell' }],
    });
    const plain = await CohortSessionModel.findById(session._id).lean();
    expect(plain).to.not.have.any.keys('registerVersion', 'registerMarks');
    const [held] = await heldSessionsOf(session.cohortId, new Date(Date.now() + minutes(10)));
    expect(held!.registerMarks).to.deep.equal([{ userId: new Types.ObjectId(people[0]!.id), status: 'excused' }]);
    const [withDates] = await heldSessionsOf(session.cohortId, new Date(Date.now() + minutes(10)), { withDates: true });
    expect(withDates!.registerMarks![0]).to.have.all.keys('userId', 'status', 'markedAt', 'firstMarkedAt');
  });
});
