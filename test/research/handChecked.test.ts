import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { cohortAttendanceReport } from '../../server/services/cohorts/attendance.ts';
import { cancelSession } from '../../server/services/cohorts/sessions.ts';
import { refreshAllCohortFigures } from '../../server/services/research/cohortFigures.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { researchImpactFromSource } from '../../server/services/research/impact.ts';
import { newSubmissionKey } from '../../server/submissions.ts';
import { testApp } from '../support/app.ts';
import { buildProgramme, buildSession, enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';

const at = (iso: string) => new Date(iso);

/**
 * A set small enough to count by hand: six women in one cohort, five of whom consent. Every figure expected below is
 * worked out from the rows seeded here, not from the code under test.
 */
describe('research: figures checked by hand against a small seeded set', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let researcher: TestUser;
  let facilitator: TestUser;
  let programmeId: string;
  let cohortId: string;
  const people: TestUser[] = [];

  before(async function () {
    this.timeout(60_000);
    app = testApp();
    researcher = await buildUser({ roles: ['researcher'] });
    facilitator = await buildUser({ roles: ['facilitator'] });
    const programme = await buildProgramme({ title: 'Aspiring' });
    programmeId = String(programme._id);
    const cohort = await CohortModel.create({
      programmeId: programme._id,
      name: 'Spring',
      capacity: 20,
      timezone: 'Europe/London',
      startsOn: '2026-01-10',
      endsOn: '2026-07-31',
      facilitatorIds: [facilitator.id],
    });
    cohortId = String(cohort._id);
    const first = await buildSession(cohort._id, { startsAt: at('2026-02-02T10:00:00Z') });
    const second = await buildSession(cohort._id, { startsAt: at('2026-02-09T10:00:00Z') });
    for (let i = 0; i < 6; i++) {
      const user = await buildUser();
      people.push(user);
      await enrolDirectly(cohort, user.id, at('2026-01-15T10:00:00Z'));
      // p0–p4 consent; p5 never does.
      if (i < 5) await setResearchConsent({ userId: user.id, consented: true, now: at('2026-01-12T10:00:00Z') });
      // First session: p4 absent, everyone else present. Second: everyone absent (it is then cancelled).
      for (const [session, status] of [
        [first, i === 4 ? 'absent' : 'present'],
        [second, 'absent'],
      ] as const)
        await AttendanceRecordModel.create({
          _id: `${String(session._id)}:${user.id}`,
          sessionId: session._id,
          cohortId: cohort._id,
          userId: user.id,
          status,
          markedBy: facilitator.id,
          markedAt: new Date(session.startsAt.getTime() + 60_000),
        });
      // p0 and p1 completed.
      if (i < 2)
        await CertificateModel.create({
          userId: user.id,
          programmeId: programme._id,
          cohortId: cohort._id,
          track: 'aspiring-leader',
          holderName: user.name,
          programmeTitle: 'Aspiring',
          issuedAt: at('2026-07-20T10:00:00Z'),
          verificationCode: `hand-${i}`,
        });
    }
    // The second session is called off after its register was taken: reports skip it.
    await cancelSession({
      actor: { ...facilitator, roles: ['facilitator'] } as Express.User,
      sessionId: String(second._id),
    });
    await refreshAllCohortFigures();
  });

  it('a cancelled session counts in research attendance no more than in the cohort report', async () => {
    const report = await cohortAttendanceReport({ cohortId, now: at('2026-03-01T00:00:00Z') });
    // The cohort report: one session held; p4 absent, the others present.
    expect(report.rows.map((r) => r.rate).sort()).to.deep.equal([0, 1, 1, 1, 1, 1]);
    const impact = (
      await supertest(app)
        .get(`/api/v1/research/impact?programmeId=${programmeId}`)
        .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
        .expect(200)
    ).body;
    // Five consenting women; 2 of 5 completed; attended 4 of 5 marked sessions (p5's marks are not hers to give).
    expect(impact.participants).to.equal(5);
    expect(impact.completionRate).to.equal(0.4);
    expect(impact.attendanceRate).to.equal(0.8);
    const source = await researchImpactFromSource({
      actor: researcher as unknown as Express.User,
      filters: { programmeId },
    });
    expect(source.attendanceRate).to.equal(0.8);
    const csv = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${programmeId}`)
      .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
      .expect(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows).to.have.length(5);
    expect(rows.map((r) => r.attendanceRate).sort()).to.deep.equal(['0', '1', '1', '1', '1']);
  });
  it('in the export, a career step counts for the enrolment on her row (within 12 months of it), not for an earlier one', async () => {
    const programme = await buildProgramme({ title: 'Renewed' });
    const cohortOf = (name: string, startsOn: string, endsOn: string) =>
      CohortModel.create({
        programmeId: programme._id,
        name,
        capacity: 20,
        timezone: 'Europe/London',
        startsOn,
        endsOn,
      });
    const earlier = await cohortOf('2024', '2024-01-10', '2024-07-31');
    const later = await cohortOf('2026', '2026-01-10', '2026-07-31');
    const [renewing, other] = [await buildUser(), await buildUser()];
    await enrolDirectly(earlier, renewing.id, at('2024-01-15T10:00:00Z'));
    for (const u of [renewing, other]) {
      await enrolDirectly(later, u.id, at('2026-01-15T10:00:00Z'));
      await setResearchConsent({ userId: u.id, consented: true, now: at('2024-01-12T10:00:00Z') });
    }
    // Appointed in June 2024: within 12 months of her 2024 enrolment, long before her 2026 one.
    await CareerOutcomeModel.collection.insertOne({
      submissionKey: newSubmissionKey(),
      userId: new Types.ObjectId(renewing.id),
      kind: 'appointed',
      on: '2024-06-01',
      detail: '',
      createdAt: at('2024-06-02T10:00:00Z'),
      updatedAt: at('2024-06-02T10:00:00Z'),
    });
    const csv = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${String(programme._id)}`)
      .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
      .expect(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    // One row each, for the 2026 enrolment: neither was appointed within 12 months of it.
    expect(rows.map((r) => r.cohortYear)).to.deep.equal(['2026', '2026']);
    expect(rows.map((r) => r.appointed)).to.deep.equal(['no', 'no']);
  });
});
