import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ProgrammeModel, type Track } from '../../models/Programme.ts';
import { refreshAllCohortFigures } from '../../server/services/research/cohortFigures.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { researchImpact, researchImpactFromSource } from '../../server/services/research/impact.ts';
import type { ResearchFilters } from '../../server/services/research/population.ts';
import { newSubmissionKey } from '../../server/submissions.ts';
import { signIn, testApp } from '../support/app.ts';
import { buildSession, enrolDirectly } from '../support/cohortFactories.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const at = (iso: string) => new Date(iso);

/**
 * Small-cell suppression counts people, not enrolments: a woman enrolled in several cohorts (a renewal) or several
 * programmes is one person behind a figure, so five of her enrolments never make a figure of five.
 */
describe('research: figures count people, however many cohorts each is in', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let researcher: TestUser;
  let facilitator: TestUser;

  beforeEach(async () => {
    await clearDatabase();
    app = testApp();
    researcher = await buildUser({ roles: ['researcher'] });
    facilitator = await buildUser({ roles: ['facilitator'] });
  });

  const programme = (title: string, track: Track = 'new-head') =>
    ProgrammeModel.create({ title, track, summary: 's', status: 'published' });
  /** A cohort of the programme starting in the given month of 2026 (its enrolment day is the 5th). */
  const cohort = (p: { _id: Types.ObjectId }, month: number) =>
    CohortModel.create({
      programmeId: p._id,
      name: `Cohort ${month}`,
      capacity: 20,
      timezone: 'Europe/London',
      startsOn: `2026-${String(month).padStart(2, '0')}-10`,
      endsOn: '2026-12-31',
    });
  const enrolmentDay = (month: number) => at(`2026-${String(month).padStart(2, '0')}-05T10:00:00Z`);

  /** A woman who consents from January 2026. */
  const consentingWoman = async () => {
    const her = await buildUser();
    await setResearchConsent({ userId: her.id, consented: true, now: at('2026-01-01T10:00:00Z') });
    return her;
  };
  const enrol = (c: Awaited<ReturnType<typeof cohort>>, her: TestUser, month: number) =>
    enrolDirectly(c, her.id, enrolmentDay(month));
  /** A career step she records while consenting. */
  const step = (her: TestUser, kind: 'applied' | 'interviewed' | 'appointed', on: string) =>
    CareerOutcomeModel.collection.insertOne({
      submissionKey: newSubmissionKey(),
      userId: new Types.ObjectId(her.id),
      kind,
      on,
      detail: '',
      createdAt: at(`${on}T12:00:00Z`),
      updatedAt: at(`${on}T12:00:00Z`),
    });
  /** She is marked present at one session of the cohort. */
  const markPresent = async (c: Awaited<ReturnType<typeof cohort>>, her: TestUser) => {
    const session = await buildSession(c._id, { startsAt: at('2026-11-02T10:00:00Z') });
    await AttendanceRecordModel.create({
      _id: `${String(session._id)}:${her.id}`,
      sessionId: session._id,
      cohortId: c._id,
      userId: her.id,
      status: 'present',
      markedBy: facilitator.id,
      markedAt: at('2026-11-02T11:00:00Z'),
    });
  };
  const impactOf = async (query: string) =>
    (
      await supertest(app)
        .get(`/api/v1/research/impact?${query}`)
        .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
        .expect(200)
    ).body;
  /** The records' figures equal the source's, for each filter. */
  const expectRecordsMatchSource = async (filterSets: ResearchFilters[]) => {
    const actor = researcher as unknown as Express.User;
    for (const filters of filterSets) {
      const { computedAt: _c, refreshMinutes: _r, ...fromRecords } = await researchImpact({ actor, filters });
      expect(fromRecords, JSON.stringify(filters)).to.deep.equal(await researchImpactFromSource({ actor, filters }));
    }
  };

  it('one consenting woman in five cohorts of a programme: every figure of it is withheld, not shown as 5 participants', async () => {
    const solo = await programme('Solo');
    const her = await consentingWoman();
    for (let month = 1; month <= 5; month++) {
      const c = await cohort(solo, month);
      await enrol(c, her, month);
      await markPresent(c, her);
    }
    await step(her, 'applied', '2026-06-06');
    await refreshAllCohortFigures();

    for (const query of [`programmeId=${String(solo._id)}`, 'track=new-head', '']) {
      const impact = await impactOf(query);
      expect(impact.participants, query).to.equal(null);
      expect(impact.cohorts, query).to.equal(null);
      expect(impact.completionRate, query).to.equal(null);
      expect(impact.attendanceRate, query).to.equal(null);
      expect(impact.outcomes.applied, query).to.equal(null);
      expect(impact.suppressed).to.include.members(['participants', 'outcomes.applied', 'attendanceRate']);
    }
    // The page says the same: fewer than 5, never 5.
    const agent = await signIn(app, researcher.email, testPassword);
    const page = await agent.get(`/research?programmeId=${String(solo._id)}`).expect(200);
    expect(page.text).not.to.match(/<th scope="row">Participants<\/th><td>5<\/td>/);
    expect(page.text).to.match(/<th scope="row">Participants<\/th><td>[^<]*fewer than 5/);
    await expectRecordsMatchSource([
      { programmeId: String(solo._id) },
      { from: '2026-02-01', to: '2026-04-30' },
      { from: '2026-03-01' },
    ]);
  });

  it('five different women, one cohort each: the figures are shown', async () => {
    const shared = await programme('Shared');
    for (let month = 1; month <= 5; month++) {
      const her = await consentingWoman();
      const c = await cohort(shared, month);
      await enrol(c, her, month);
      await markPresent(c, her);
      await step(her, 'applied', '2026-06-06');
    }
    await refreshAllCohortFigures();

    const impact = await impactOf(`programmeId=${String(shared._id)}`);
    expect(impact.participants).to.equal(5);
    expect(impact.cohorts).to.equal(5);
    expect(impact.completionRate).to.equal(0);
    expect(impact.attendanceRate).to.equal(1);
    expect(impact.outcomes.applied).to.equal(5);
    await expectRecordsMatchSource([{ programmeId: String(shared._id) }, { from: '2026-01-01', to: '2026-12-31' }]);
  });

  it('a renewing woman counts once: six women in eight enrolments are 6 participants, and a step four of them took stays withheld', async () => {
    const mixed = await programme('Mixed');
    const cohorts = [await cohort(mixed, 1), await cohort(mixed, 2), await cohort(mixed, 3)];
    const renewing = await consentingWoman();
    for (const [i, c] of cohorts.entries()) {
      await enrol(c, renewing, i + 1);
      await markPresent(c, renewing);
    }
    await step(renewing, 'applied', '2026-06-06');
    await step(renewing, 'interviewed', '2026-07-06');
    const others: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const her = await consentingWoman();
      others.push(her);
      await enrol(cohorts[i % 3]!, her, (i % 3) + 1);
      // Two more are marked (3 people marked, in 5 enrolments); four apply (5 people); three are interviewed (4).
      if (i < 2) await markPresent(cohorts[i % 3]!, her);
      if (i < 4) await step(her, 'applied', '2026-06-06');
      if (i < 3) await step(her, 'interviewed', '2026-07-06');
    }
    await refreshAllCohortFigures();

    const impact = await impactOf(`programmeId=${String(mixed._id)}`);
    expect(impact.participants).to.equal(6);
    expect(impact.cohorts).to.equal(3);
    expect(impact.outcomes.applied).to.equal(5);
    // Six enrolments, four people: withheld.
    expect(impact.outcomes.interviewed).to.equal(null);
    // Five marked enrolments, three people: withheld.
    expect(impact.attendanceRate).to.equal(null);

    // A range holding two of her cohorts and three other women (four people in five enrolments): withheld.
    const ranged = await impactOf(`programmeId=${String(mixed._id)}&from=2026-02-01&to=2026-03-31`);
    expect(ranged.participants).to.equal(null);

    // Three women, one of them in three cohorts (five enrolments) of another programme: withheld.
    const small = await programme('Small');
    const smallCohorts = [await cohort(small, 1), await cohort(small, 2), await cohort(small, 3)];
    const [again, ...two] = [await consentingWoman(), await consentingWoman(), await consentingWoman()];
    for (const [i, c] of smallCohorts.entries()) await enrol(c, again!, i + 1);
    for (const her of two) await enrol(smallCohorts[0]!, her, 1);
    await refreshAllCohortFigures();
    expect((await impactOf(`programmeId=${String(small._id)}`)).participants).to.equal(null);

    await expectRecordsMatchSource([
      {},
      { programmeId: String(mixed._id) },
      { programmeId: String(mixed._id), from: '2026-02-01', to: '2026-03-31' },
      { from: '2026-02-01' },
      { to: '2026-01-31' },
      { track: 'new-head', from: '2026-02-05', to: '2026-02-05' },
    ]);
  });

  it('a woman in two programmes of a track is one person in the track and in everyone: four women are not shown as 5', async () => {
    const first = await programme('First');
    const second = await programme('Second');
    const [a, b] = [await cohort(first, 1), await cohort(second, 2)];
    const women: TestUser[] = [];
    for (let i = 0; i < 4; i++) {
      const her = await consentingWoman();
      women.push(her);
      await enrol(a, her, 1);
    }
    await enrol(b, women[0]!, 2);
    await refreshAllCohortFigures();

    for (const query of ['track=new-head', '']) {
      const impact = await impactOf(query);
      expect(impact.participants, query).to.equal(null);
      expect(impact.byTrack['new-head'].participants, query).to.equal(null);
    }
    await expectRecordsMatchSource([{}, { track: 'new-head' }, { from: '2026-01-05', to: '2026-02-05' }]);

    // A fifth woman in the first programme: five people, shown as 5 in the track and overall.
    const fifth = await consentingWoman();
    await enrol(a, fifth, 1);
    await refreshAllCohortFigures();
    expect((await impactOf('track=new-head')).participants).to.equal(5);
    expect((await impactOf('')).participants).to.equal(5);
    await expectRecordsMatchSource([{}, { track: 'new-head' }, { from: '2026-02-01' }]);
  });
});
