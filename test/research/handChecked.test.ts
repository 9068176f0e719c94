import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { SurveyModel } from '../../models/Survey.ts';
import { SurveyResponseModel } from '../../models/SurveyResponse.ts';
import { cohortAttendanceReport } from '../../server/services/cohorts/attendance.ts';
import { cancelSession } from '../../server/services/cohorts/sessions.ts';
import { refreshAllCohortFigures } from '../../server/services/research/cohortFigures.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { researchImpactFromSource } from '../../server/services/research/impact.ts';
import { newSubmissionKey } from '../../server/submissions.ts';
import { signIn, testApp } from '../support/app.ts';
import { buildProgramme, buildSession, enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

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
  /** A new heads' programme and one cohort of it, January to July 2026, named alike. */
  const newHeadsCohort = async (title: string) => {
    const programme = await ProgrammeModel.create({ title, track: 'new-head', summary: 's', status: 'published' });
    const cohort = await CohortModel.create({
      programmeId: programme._id,
      name: title,
      capacity: 20,
      timezone: 'Europe/London',
      startsOn: '2026-01-10',
      endsOn: '2026-07-31',
    });
    return { programme, cohort };
  };
  it('a woman who answers a revised survey of the same moment counts once for a question both ask: n is people, and small groups stay withheld', async () => {
    const { programme, cohort } = await newHeadsCohort('Revised');
    // Surveys are never edited: a revision is a second start survey asking the same question id.
    const survey = (title: string) =>
      SurveyModel.create({
        title,
        programmeId: programme._id,
        moment: 'start',
        createdBy: researcher.id,
        questions: [{ id: 'confidence', prompt: 'Confidence', type: 'likert5' }],
      });
    const [original, revision] = [await survey('Start'), await survey('Start (revised)')];
    const women: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const user = await buildUser();
      women.push(user);
      await enrolDirectly(cohort, user.id, at('2026-01-15T10:00:00Z'));
      await setResearchConsent({ userId: user.id, consented: true, now: at('2026-01-12T10:00:00Z') });
    }
    const answer = (user: TestUser, s: typeof original, value: number, day: string) =>
      SurveyResponseModel.create({
        surveyId: s._id,
        userId: user.id,
        programmeId: programme._id,
        moment: 'start',
        answers: { confidence: value },
        answeredAt: at(`${day}T10:00:00Z`),
      });
    // Three women answer both: 2 first, then 4 on the revision.
    for (const w of women.slice(0, 3)) {
      await answer(w, original, 2, '2026-01-16');
      await answer(w, revision, 4, '2026-01-20');
    }
    await refreshAllCohortFigures();
    const auth = `Bearer ${await tokenFor(researcher)}`;
    const view = async () =>
      (
        await supertest(app)
          .get(`/api/v1/research/impact?programmeId=${String(programme._id)}`)
          .set('Authorization', auth)
          .expect(200)
      ).body.likert as { questionId: string; start: { mean: number | null; n: number | null } }[];
    // Six answers, three women: fewer than 5 people, so withheld.
    expect((await view()).find((q) => q.questionId === 'confidence')!.start).to.deep.equal({ mean: null, n: null });
    // Two more women answer the original with 5: five women, each counted by her first answer.
    for (const w of women.slice(3)) await answer(w, original, 5, '2026-01-16');
    await refreshAllCohortFigures();
    const expected = { mean: (2 + 2 + 2 + 5 + 5) / 5, n: 5 };
    expect((await view()).find((q) => q.questionId === 'confidence')!.start).to.deep.equal(expected);
    const source = await researchImpactFromSource({
      actor: researcher as unknown as Express.User,
      filters: { programmeId: String(programme._id) },
    });
    expect(source.likert.find((q) => q.questionId === 'confidence')!.start).to.deep.equal(expected);
    const csv = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${String(programme._id)}`)
      .set('Authorization', auth)
      .expect(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r['start.confidence']).sort()).to.deep.equal(['2', '2', '2', '5', '5']);
  });
  it('a free-text answer is never exported, even filed under a question id another survey of the programme asks as Likert', async () => {
    const { programme, cohort } = await newHeadsCohort('Mixed');
    // Stored straight, as a revision made before surveys.ts refused another type under a known id.
    const survey = (title: string, type: 'likert5' | 'text') =>
      SurveyModel.create({
        title,
        programmeId: programme._id,
        moment: 'start',
        createdBy: researcher.id,
        questions: [{ id: 'confidence', prompt: 'Confidence', type }],
      });
    const [likert, text] = [await survey('Start', 'likert5'), await survey('Start (revised)', 'text')];
    for (let i = 0; i < 6; i++) {
      const user = await buildUser();
      await enrolDirectly(cohort, user.id, at('2026-01-15T10:00:00Z'));
      await setResearchConsent({ userId: user.id, consented: true, now: at('2026-01-12T10:00:00Z') });
      await SurveyResponseModel.create({
        surveyId: i === 0 ? text._id : likert._id,
        userId: user.id,
        programmeId: programme._id,
        moment: 'start',
        answers: { confidence: i === 0 ? 'Priya Shah from Maple Leaf School' : 3 },
        answeredAt: at('2026-01-16T10:00:00Z'),
      });
    }
    const csv = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${String(programme._id)}`)
      .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
      .expect(200);
    expect(csv.text).not.to.include('Priya').and.not.to.include('Maple Leaf');
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r['start.confidence']).sort()).to.deep.equal(['', '3', '3', '3', '3', '3']);
  });

  it('a withheld group is not given away by its number of cohorts, nor by which tracks are listed: a programme with 4 women reads as one with none', async () => {
    const programmeOf = async (title: string, cohorts: number, consenting: boolean) => {
      const programme = await ProgrammeModel.create({
        title,
        track: 'governing-board',
        summary: 's',
        status: 'published',
      });
      for (let c = 0; c < cohorts; c++) {
        const cohort = await CohortModel.create({
          programmeId: programme._id,
          name: `${title} ${c}`,
          capacity: 20,
          timezone: 'Europe/London',
          startsOn: '2026-01-10',
          endsOn: '2026-07-31',
        });
        const user = await buildUser();
        await enrolDirectly(cohort, user.id, at('2026-01-15T10:00:00Z'));
        if (consenting) await setResearchConsent({ userId: user.id, consented: true, now: at('2026-01-12T10:00:00Z') });
      }
      return String(programme._id);
    };
    // Four women, one in each of four cohorts; and a programme where nobody consents.
    const four = await programmeOf('Four cohorts', 4, true);
    const none = await programmeOf('Nobody counted', 1, false);
    await refreshAllCohortFigures();
    const auth = `Bearer ${await tokenFor(researcher)}`;
    const view = async (query: string) => {
      const body = (await supertest(app).get(`/api/v1/research/impact?${query}`).set('Authorization', auth).expect(200))
        .body as Record<string, unknown>;
      const { filters: _f, computedAt: _c, ...figures } = body;
      return figures;
    };
    const small = await view(`programmeId=${four}`);
    expect(small.participants).to.equal(null);
    // "4 cohorts" beside "fewer than 5 participants" would say there are exactly 4.
    expect(small.cohorts).to.equal(null);
    expect(small.suppressed).to.include('cohorts');
    expect(small).to.deep.equal(await view(`programmeId=${none}`));
    // Every track is listed whether or not anyone in it is counted.
    expect(Object.keys((await view('')).byTrack as object)).to.have.members([
      'governing-board',
      'aspiring-leader',
      'new-head',
    ]);
    const page = await (
      await signIn(app, researcher.email, testPassword)
    )
      .get(`/research?programmeId=${four}`)
      .expect(200);
    expect(page.text).to.match(/<th scope="row">Cohorts<\/th><td>fewer than 5<\/td>/);
  });
});
