import { expect } from 'chai';
import { newSubmissionKey } from '../../server/submissions.ts';
import { Types } from 'mongoose';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import {
  ResearchCohortFiguresModel,
  ResearchOverviewModel,
  ResearchProgrammeFiguresModel,
  ResearchProgrammeMonthModel,
} from '../../models/ResearchCohortFigures.ts';
import { ResearchConsentModel } from '../../models/ResearchConsent.ts';
import { SurveyModel } from '../../models/Survey.ts';
import { SurveyResponseModel } from '../../models/SurveyResponse.ts';
import {
  computeCohortBuckets,
  rebuildResearchOverview,
  refreshAllCohortFigures,
  refreshCohortFigures,
  rollUpProgrammeFigures,
  storeCohortFigures,
  takeTicket,
} from '../../server/services/research/cohortFigures.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { impactDashboard, researchImpact, researchImpactFromSource } from '../../server/services/research/impact.ts';
import { createSurvey } from '../../server/services/research/surveys.ts';
import { updateProgramme } from '../../server/services/learning/programmes.ts';
import '../../server/subscriptions.ts';
import type { ResearchFilters } from '../../server/services/research/population.ts';
import { enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, type TestUser } from '../support/factories.ts';

const at = (iso: string) => new Date(iso);
const day = 24 * 60 * 60 * 1000;

/** The dashboard's answer without the fields that say when it was computed (the source has no such time). */
async function fromRecords(actor: Express.User, filters: ResearchFilters) {
  const {
    computedAt: _computedAt,
    refreshMinutes: _refreshMinutes,
    ...rest
  } = await researchImpact({
    actor,
    filters,
  });
  return rest;
}

describe('research: the per-cohort records behind the impact dashboard', () => {
  useTestDatabase();
  let researcher: Express.User;
  const people: TestUser[] = [];
  const cohortIds: Types.ObjectId[] = [];
  let aspiringId: string;
  const filterSets: ResearchFilters[] = [];

  before(async function () {
    this.timeout(120_000);
    researcher = (await buildUser({ roles: ['researcher'] })) as unknown as Express.User;
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const programme = (title: string, track: 'aspiring-leader' | 'new-head' | 'governing-board') =>
      ProgrammeModel.create({ title, track, summary: 's', status: 'published' });
    const [aspiring, newHeads, boards] = await Promise.all([
      programme('Aspiring', 'aspiring-leader'),
      programme('New heads', 'new-head'),
      programme('Boards', 'governing-board'),
    ]);
    aspiringId = String(aspiring._id);
    const cohort = (p: typeof aspiring, startsOn: string) =>
      CohortModel.create({
        programmeId: p._id,
        name: `C ${startsOn}`,
        capacity: 80,
        timezone: 'Europe/London',
        startsOn,
        endsOn: '2026-12-31',
      });
    // Two cohorts of one programme (one person in both), one of each other track.
    const cohorts = [
      await cohort(aspiring, '2026-01-10'),
      await cohort(aspiring, '2026-03-10'),
      await cohort(newHeads, '2026-02-01'),
      await cohort(boards, '2026-02-15'),
    ];
    cohortIds.push(...cohorts.map((c) => c._id));
    const surveys = await Promise.all(
      [aspiring, newHeads].flatMap((p) =>
        (['start', 'end'] as const).map((moment) =>
          SurveyModel.create({
            title: moment,
            programmeId: p._id,
            moment,
            createdBy: researcher.id,
            questions: [
              { id: 'confidence', prompt: 'Confidence', type: 'likert5' },
              { id: 'role', prompt: 'Role', type: 'choice', choices: ['a', 'b'] },
            ],
          }),
        ),
      ),
    );
    const surveyOf = (programmeId: Types.ObjectId, moment: string) =>
      surveys.find((s) => s.programmeId.equals(programmeId) && s.moment === moment)!;

    for (let i = 0; i < 44; i++) {
      const user = await buildUser();
      people.push(user);
      const c = cohorts[i % 4]!;
      // Enrolment days spread over two weeks, so date ranges cut through a cohort.
      const enrolledAt = new Date(at(`${c.startsOn}T09:00:00Z`).getTime() - (i % 7) * 2 * day);
      const enrolment = await enrolDirectly(c, user.id, enrolledAt);
      if (i % 11 === 3) await EnrolmentModel.updateOne({ _id: enrolment._id }, { status: 'withdrawn' });
      if (i % 13 === 5) await EnrolmentModel.updateOne({ _id: enrolment._id }, { status: 'waitlisted' });
      // Consent: most before they enrol, some only later (after their start answer), some never, one withdrew.
      const consentAt = i % 5 === 1 ? new Date(enrolledAt.getTime() + 10 * day) : new Date(enrolledAt.getTime() - day);
      const consents = [];
      if (i % 9 !== 8) consents.push({ consented: true, at: consentAt });
      if (i === 6) consents.push({ consented: false, at: new Date(consentAt.getTime() + 5 * day) });
      for (const change of consents)
        await ResearchConsentModel.create({ userId: user.id, textVersion: 'test', ...change });
      if (i % 3 !== 2)
        await CertificateModel.create({
          userId: user.id,
          programmeId: c.programmeId,
          cohortId: c._id,
          track: (await ProgrammeModel.findById(c.programmeId).lean())!.track,
          holderName: user.name,
          programmeTitle: 'P',
          issuedAt: new Date(enrolledAt.getTime() + 100 * day),
          verificationCode: `code-${i}`,
        });
      for (let s = 0; s < 4; s++) {
        const status = (['present', 'late', 'absent', 'excused'] as const)[(i + s) % 4];
        if ((i + s) % 5 === 0) continue;
        const sessionId = new Types.ObjectId();
        await AttendanceRecordModel.create({
          _id: `${String(sessionId)}:${user.id}`,
          sessionId,
          cohortId: c._id,
          userId: user.id,
          status,
          markedBy: facilitator.id,
          markedAt: new Date(enrolledAt.getTime() + (s + 1) * 14 * day),
        });
      }
      const survey = surveyOf(c.programmeId, 'start');
      if (i % 4 !== 3 && survey) {
        await SurveyResponseModel.create({
          surveyId: survey._id,
          userId: user.id,
          programmeId: c.programmeId,
          moment: 'start',
          answers: { confidence: 1 + (i % 5), role: 'a' },
          answeredAt: new Date(enrolledAt.getTime() + 2 * day),
        });
        if (i % 2 === 0)
          await SurveyResponseModel.create({
            surveyId: surveyOf(c.programmeId, 'end')._id,
            userId: user.id,
            programmeId: c.programmeId,
            moment: 'end',
            answers: { confidence: 2 + (i % 4) },
            answeredAt: new Date(enrolledAt.getTime() + 150 * day),
          });
      }
      const outcome = (kind: string, on: Date, createdAt: Date) =>
        CareerOutcomeModel.collection.insertOne({
          submissionKey: newSubmissionKey(),
          userId: new Types.ObjectId(user.id),
          kind,
          on: on.toISOString().slice(0, 10),
          detail: '',
          createdAt,
          updatedAt: createdAt,
        });
      if (i % 2 === 0) await outcome('applied', new Date(enrolledAt.getTime() + 200 * day), at('2026-11-01T00:00:00Z'));
      if (i % 4 === 0)
        await outcome('interviewed', new Date(enrolledAt.getTime() + 250 * day), at('2026-11-01T00:00:00Z'));
      if (i % 8 === 0)
        await outcome('appointed', new Date(enrolledAt.getTime() + 400 * day), at('2026-11-01T00:00:00Z'));
      if (i % 6 === 0) await outcome('appointed', new Date(enrolledAt.getTime() + 20 * day), enrolledAt);
    }
    // She took the second aspiring cohort too: her one start answer belongs to her first enrolment.
    await enrolDirectly(cohorts[1]!, people[0]!.id, at('2026-03-05T09:00:00Z'));

    filterSets.push(
      {},
      { programmeId: aspiringId },
      { track: 'new-head' },
      { from: '2026-01-01', to: '2026-02-10' },
      { programmeId: aspiringId, from: '2026-03-01' },
      // Ranges that cut through months (Dec 2025 to Mar 2026 hold enrolment days) and ranges of whole months.
      { from: '2026-01-05', to: '2026-01-25' },
      { to: '2026-01-31' },
      { from: '2026-02-01', to: '2026-02-28' },
      { from: '2025-12-31', to: '2026-03-01' },
      { track: 'aspiring-leader', from: '2026-02-01' },
      { from: '2026-04-01' },
    );
    await refreshAllCohortFigures();
  });

  it('the dashboard summed from the records equals the dashboard computed from the source, for every filter', async () => {
    for (const filters of filterSets) {
      const records = await fromRecords(researcher, filters);
      const source = await researchImpactFromSource({ actor: researcher, filters });
      expect(records, JSON.stringify(filters)).to.deep.equal(source);
    }
    const all = await fromRecords(researcher, {});
    // Not trivially equal: real figures, Likert means, and withheld cells.
    expect(all.participants).to.be.greaterThan(20);
    expect(all.cohorts).to.equal(4);
    expect(all.likert[0]!.start.n).to.be.greaterThan(10);
    expect(all.suppressed.length).to.be.greaterThan(0);
  });

  it('a programme or cohort with no record yet is computed when the dashboard is read', async () => {
    // A new database: no overview, no programme record, a cohort without its record.
    await ResearchCohortFiguresModel.deleteOne({ _id: cohortIds[2] });
    await ResearchProgrammeFiguresModel.deleteMany({});
    await ResearchOverviewModel.deleteMany({});
    const records = await fromRecords(researcher, {});
    expect(records).to.deep.equal(await researchImpactFromSource({ actor: researcher, filters: {} }));
    expect(await ResearchCohortFiguresModel.countDocuments({ _id: cohortIds[2] })).to.equal(1);
    expect(await ResearchProgrammeFiguresModel.countDocuments()).to.equal(3);
  });

  it('when she withdraws consent, she leaves the figures as soon as the change is saved, and counts again when she consents', async () => {
    const before = await fromRecords(researcher, { programmeId: aspiringId });
    const her = people[4]!; // consenting, in the first aspiring cohort
    await setResearchConsent({ userId: her.id, consented: false });
    const after = await fromRecords(researcher, { programmeId: aspiringId });
    expect(after.participants).to.equal(before.participants! - 1);
    expect(after).to.deep.equal(
      await researchImpactFromSource({ actor: researcher, filters: { programmeId: aspiringId } }),
    );
    await setResearchConsent({ userId: her.id, consented: true });
    const again = await fromRecords(researcher, { programmeId: aspiringId });
    expect(again.participants).to.equal(before.participants);
  });

  it('when she withdraws twice at once, and consents twice at once, each is one change and the figures follow', async () => {
    const her = people[4]!; // consenting, in the first aspiring cohort
    const changes = () => ResearchConsentModel.countDocuments({ userId: her.id });
    const twice = (consented: boolean) =>
      Promise.all([
        setResearchConsent({ userId: her.id, consented }),
        setResearchConsent({ userId: her.id, consented }),
      ]);
    const recorded = await changes();
    const before = await fromRecords(researcher, { programmeId: aspiringId });
    await twice(false);
    expect(await changes()).to.equal(recorded + 1);
    const after = await fromRecords(researcher, { programmeId: aspiringId });
    expect(after.participants).to.equal(before.participants! - 1);
    expect(after).to.deep.equal(
      await researchImpactFromSource({ actor: researcher, filters: { programmeId: aspiringId } }),
    );
    await twice(true);
    expect(await changes()).to.equal(recorded + 2);
    const again = await fromRecords(researcher, { programmeId: aspiringId });
    expect(again.participants).to.equal(before.participants);
    expect(again).to.deep.equal(
      await researchImpactFromSource({ actor: researcher, filters: { programmeId: aspiringId } }),
    );
  });

  it('a change with no hook of its own (an outcome she records) reaches the figures at the scheduled refresh', async () => {
    const her = people[10]!; // consenting new head, enrolled in January 2026, no interview recorded
    const cohortId = cohortIds[2]!;
    const interviewed = async () =>
      (await ResearchCohortFiguresModel.findById(cohortId).lean())!.buckets.reduce((s, b) => s + b.interviewed, 0);
    const before = await interviewed();
    await CareerOutcomeModel.create({ userId: her.id, kind: 'interviewed', on: new Date().toISOString().slice(0, 10) });
    await refreshAllCohortFigures();
    expect(await interviewed()).to.equal(before + 1);
    expect(await fromRecords(researcher, { track: 'new-head' })).to.deep.equal(
      await researchImpactFromSource({ actor: researcher, filters: { track: 'new-head' } }),
    );
  });

  it('two rebuilds at once leave one record, the later ticket’s, equal to a fresh computation; rebuilding again changes no figure', async () => {
    const cohortId = cohortIds[0]!;
    const results = await Promise.all([1, 2, 3].map(() => refreshCohortFigures({ cohortId })));
    expect(await ResearchCohortFiguresModel.countDocuments({ _id: cohortId })).to.equal(1);
    const stored = (await ResearchCohortFiguresModel.findById(cohortId).lean())!;
    expect(stored.version).to.equal(stored.ticket);
    for (const r of results) expect(r!.version).to.be.at.most(stored.version);
    const cohort = (await CohortModel.findById(cohortId).lean())!;
    const fresh = await computeCohortBuckets({ cohortId, programmeId: cohort.programmeId, now: new Date() });
    expect(JSON.parse(JSON.stringify(stored.buckets))).to.deep.equal(fresh);
    await refreshCohortFigures({ cohortId });
    const again = (await ResearchCohortFiguresModel.findById(cohortId).lean())!;
    expect(again.version).to.equal(stored.version + 1);
    expect(JSON.parse(JSON.stringify(again.buckets))).to.deep.equal(JSON.parse(JSON.stringify(stored.buckets)));
  });

  it('three roll-ups of a programme at once leave one record, the latest ticket’s, equal to a roll-up done alone', async () => {
    const programmeId = new Types.ObjectId(aspiringId);
    await Promise.all([1, 2, 3].map(() => rollUpProgrammeFigures({ programmeId })));
    const stored = (await ResearchProgrammeFiguresModel.findById(programmeId).lean())!;
    expect(stored.version).to.equal(stored.ticket);
    await rollUpProgrammeFigures({ programmeId });
    const alone = (await ResearchProgrammeFiguresModel.findById(programmeId).lean())!;
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
    expect(plain(alone.total)).to.deep.equal(plain(stored.total));
    expect(plain(alone.months)).to.deep.equal(plain(stored.months));
    expect(await ResearchProgrammeFiguresModel.countDocuments({ _id: programmeId })).to.equal(1);
    // One document of day rows per month listed, no other, each as new as the record.
    const months = await ResearchProgrammeMonthModel.find({ programmeId }).sort({ _id: 1 }).lean();
    expect(months.map((m) => m.month)).to.deep.equal(alone.months.map((m) => m.month));
    expect(months.every((m) => m.version === alone.version)).to.equal(true);
    expect(months.flatMap((m) => m.days).reduce((n, d) => n + d.participants, 0)).to.equal(alone.total!.participants);
  });

  it('three overview rebuilds at once leave one document, the latest ticket’s, equal to a rebuild done alone', async () => {
    await Promise.all([1, 2, 3].map(() => rebuildResearchOverview()));
    const stored = (await ResearchOverviewModel.findById('all').lean())!;
    expect(stored.version).to.equal(stored.ticket);
    const alone = await rebuildResearchOverview();
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
    expect(plain(alone.programmes)).to.deep.equal(plain(stored.programmes));
    expect(await ResearchOverviewModel.countDocuments()).to.equal(1);
    expect(await fromRecords(researcher, {})).to.deep.equal(
      await researchImpactFromSource({ actor: researcher, filters: {} }),
    );
  });

  it('an older computation that finishes last never overwrites a newer one', async () => {
    const cohortId = cohortIds[0]!;
    const cohort = (await CohortModel.findById(cohortId).lean())!;
    const programme = (await ProgrammeModel.findById(cohort.programmeId).lean())!;
    // A slow computation takes its ticket and reads the sources ...
    const oldTicket = await takeTicket({ cohortId, programmeId: cohort.programmeId, track: programme.track });
    const oldBuckets = await computeCohortBuckets({ cohortId, programmeId: cohort.programmeId, now: new Date() });
    // ... meanwhile she withdraws, and her cohort is recomputed at once (a later ticket) ...
    const her = people[12]!; // consenting, in the first aspiring cohort
    await setResearchConsent({ userId: her.id, consented: false });
    const newer = (await ResearchCohortFiguresModel.findById(cohortId).lean())!;
    expect(newer.version).to.be.greaterThan(oldTicket);
    // ... and the slow one's write, arriving last, is refused.
    const written = await storeCohortFigures({
      cohortId,
      ticket: oldTicket,
      computedAt: new Date(),
      buckets: oldBuckets,
    });
    expect(written).to.equal(null);
    const stored = (await ResearchCohortFiguresModel.findById(cohortId).lean())!;
    expect(stored.version).to.equal(newer.version);
    const participants = (b: { participants: number }[]) => b.reduce((s, x) => s + x.participants, 0);
    expect(participants(stored.buckets)).to.equal(participants(oldBuckets) - 1);
    await setResearchConsent({ userId: her.id, consented: true });
  });

  it('a month left with no counted enrolment loses its document of days, and ranges over it still add up', async () => {
    const cohortId = cohortIds[0]!; // enrolment days from 29 December 2025 to 10 January 2026
    const december = { cohortId, enrolledAt: { $lt: at('2026-01-01T00:00:00Z') } };
    expect(await EnrolmentModel.countDocuments(december)).to.be.greaterThan(0);
    const monthId = `${aspiringId}:2025-12`;
    expect(await ResearchProgrammeMonthModel.countDocuments({ _id: monthId })).to.equal(1);
    // Waitlisted enrolments are not counted (withdrawn ones are: she was in the cohort).
    await EnrolmentModel.updateMany(december, { $set: { status: 'waitlisted' } });
    await refreshCohortFigures({ cohortId });
    expect(await ResearchProgrammeMonthModel.countDocuments({ _id: monthId })).to.equal(0);
    const record = (await ResearchProgrammeFiguresModel.findById(aspiringId).lean())!;
    expect(record.months.map((m) => m.month)).to.not.include('2025-12');
    for (const filters of [{ to: '2026-01-31' }, { from: '2025-12-15', to: '2026-01-05' }, {}])
      expect(await fromRecords(researcher, filters), JSON.stringify(filters)).to.deep.equal(
        await researchImpactFromSource({ actor: researcher, filters }),
      );
  });
  it('the dashboard reads the programmes’ records alone: a new survey’s Likert items and a renamed programme show at once', async () => {
    const admin = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    const newHeadsId = String((await ProgrammeModel.findOne({ track: 'new-head' }).lean())!._id);
    await createSurvey({
      actor: researcher,
      title: 'Six months on',
      programmeId: newHeadsId,
      moment: 'followup-6m',
      questions: [{ id: 'belonging', prompt: 'I belong in headship', type: 'likert5' }],
    });
    await updateProgramme({ actor: admin, programmeId: newHeadsId, changes: { title: 'New heads, first year' } });
    const { impact, programmes } = await impactDashboard({ actor: researcher, filters: {} });
    expect(programmes.map((p) => p.title)).to.include('New heads, first year');
    expect(impact.likert.map((q) => q.questionId)).to.deep.equal(['confidence', 'belonging']);
    expect(impact.likert[1]).to.include({ prompt: 'I belong in headship' });
    expect(impact).to.deep.include(await researchImpactFromSource({ actor: researcher, filters: {} }));
    // A rename written straight to the database (no event) is a copy's lag: it shows from the next refresh.
    await ProgrammeModel.updateOne({ _id: newHeadsId }, { $set: { title: 'Renamed by hand' } });
    expect((await impactDashboard({ actor: researcher, filters: {} })).programmes.map((p) => p.title)).to.not.include(
      'Renamed by hand',
    );
    await refreshAllCohortFigures();
    expect((await impactDashboard({ actor: researcher, filters: {} })).programmes.map((p) => p.title)).to.include(
      'Renamed by hand',
    );
  });

  it('a record written before the copies existed, or a programme named by the filter that has none, is rolled up when read', async () => {
    // An upgrade: no overview yet, and a record from before the copies.
    await ResearchOverviewModel.deleteMany({});
    await ResearchProgrammeFiguresModel.updateOne({ _id: aspiringId }, { $unset: { title: '', likertQuestions: '' } });
    const boards = (await ProgrammeModel.findOne({ track: 'governing-board' }).lean())!._id;
    await ResearchProgrammeFiguresModel.deleteOne({ _id: boards });
    const filtered = await fromRecords(researcher, { programmeId: String(boards) });
    expect(filtered).to.deep.equal(
      await researchImpactFromSource({ actor: researcher, filters: { programmeId: String(boards) } }),
    );
    expect(await fromRecords(researcher, {})).to.deep.equal(
      await researchImpactFromSource({ actor: researcher, filters: {} }),
    );
    expect((await ResearchProgrammeFiguresModel.findById(aspiringId).lean())!.title).to.equal('Aspiring');
    const unknown = new Types.ObjectId().toString();
    const refused = await fromRecords(researcher, { programmeId: unknown }).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(Error).with.property('message', 'No such programme.');
    // A made-up id, over all time or over a range, writes nothing.
    const ranged = await fromRecords(researcher, { programmeId: unknown, from: '2026-01-01' }).catch((e: unknown) => e);
    expect(ranged).to.be.instanceOf(Error).with.property('message', 'No such programme.');
    expect(await ResearchProgrammeFiguresModel.countDocuments({ _id: unknown })).to.equal(0);
  });
});
