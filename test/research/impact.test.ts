import { Types } from 'mongoose';
import { expect } from 'chai';
import { newSubmissionKey } from '../../server/submissions.ts';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { SurveyModel } from '../../models/Survey.ts';
import { SurveyResponseModel } from '../../models/SurveyResponse.ts';
import { rebuildResearchOverview, refreshAllCohortFigures } from '../../server/services/research/cohortFigures.ts';
import { saveResearchContext, setResearchConsent } from '../../server/services/research/consent.ts';
import { closeRound, recordGenderFigures } from '../../server/services/boards/rounds.ts';
import { researchImpact, researchImpactFromSource } from '../../server/services/research/impact.ts';
import { signIn, testApp } from '../support/app.ts';
import { asActor, buildBoard, buildRound } from '../support/boardsFactories.ts';
import { enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const at = (iso: string) => new Date(iso);

describe('research: impact figures and the anonymised export', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let researcher: TestUser;
  let programmeId: string;
  const people: TestUser[] = [];
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;

  before(async function () {
    this.timeout(60_000);
    app = testApp();
    researcher = await buildUser({ roles: ['researcher'] });
    const aspiring = await ProgrammeModel.create({
      title: 'Aspiring',
      track: 'aspiring-leader',
      summary: 's',
      status: 'published',
    });
    const newHeads = await ProgrammeModel.create({
      title: 'New heads',
      track: 'new-head',
      summary: 's',
      status: 'published',
    });
    programmeId = String(aspiring._id);
    const cohortOf = (p: typeof aspiring) =>
      CohortModel.create({
        programmeId: p._id,
        name: 'C',
        capacity: 50,
        timezone: 'Europe/London',
        startsOn: '2026-01-10',
        endsOn: '2026-07-31',
      });
    const [a, n] = await Promise.all([cohortOf(aspiring), cohortOf(newHeads)]);
    const survey = await SurveyModel.create({
      title: 'Start',
      programmeId: aspiring._id,
      moment: 'start',
      createdBy: researcher.id,
      questions: [
        { id: 'confidence', prompt: 'Confidence', type: 'likert5' },
        { id: 'notes', prompt: 'Notes', type: 'text' },
      ],
    });
    const endSurvey = await SurveyModel.create({
      title: 'End',
      programmeId: aspiring._id,
      moment: 'end',
      createdBy: researcher.id,
      questions: [{ id: 'confidence', prompt: 'Confidence', type: 'likert5' }],
    });
    // 8 consenting aspiring leaders, 2 consenting new heads, 3 aspiring leaders who never consent.
    for (let i = 0; i < 13; i++) {
      const user = await buildUser();
      people.push(user);
      const isNewHead = i >= 8 && i < 10;
      await enrolDirectly(isNewHead ? n : a, user.id, at('2026-01-15T10:00:00Z'));
      if (i < 10) {
        await setResearchConsent({ userId: user.id, consented: true, now: at('2026-01-20T10:00:00Z') });
        await saveResearchContext({
          userId: user.id,
          country: 'GB',
          region: i % 2 ? 'Kent' : 'Yorkshire',
          phase: i === 0 ? 'special' : 'primary',
        });
      }
      if (!isNewHead) {
        await SurveyResponseModel.create({
          surveyId: survey._id,
          userId: user.id,
          programmeId: aspiring._id,
          moment: 'start',
          answers: { confidence: i < 4 ? 2 : 3, notes: `private words ${user.email}` },
          answeredAt: at('2026-01-21T10:00:00Z'),
        });
        if (i < 3)
          await SurveyResponseModel.create({
            surveyId: endSurvey._id,
            userId: user.id,
            programmeId: aspiring._id,
            moment: 'end',
            answers: { confidence: 5 },
            answeredAt: at('2026-07-31T10:00:00Z'),
          });
      }
      // Every aspiring leader applied within the year; interviews for 6 of them.
      if (!isNewHead) await CareerOutcomeModel.create({ userId: user.id, kind: 'applied', on: '2026-09-01' });
      if (i < 6) await CareerOutcomeModel.create({ userId: user.id, kind: 'interviewed', on: '2026-10-01' });
    }
    // An outcome recorded before she consented does not count, nor one more than 12 months after enrolment.
    const early = people[0]!;
    await CareerOutcomeModel.collection.insertOne({
      submissionKey: newSubmissionKey(),
      userId: CareerOutcomeModel.castObject({ userId: early.id }).userId,
      kind: 'appointed',
      on: '2026-01-16',
      detail: '',
      createdAt: at('2026-01-16T00:00:00Z'),
      updatedAt: at('2026-01-16T00:00:00Z'),
    });
    await CareerOutcomeModel.create({ userId: people[1]!.id, kind: 'appointed', on: '2027-03-01' });
    // Records written straight into the collections above reach the figures when the scheduled job runs.
    await refreshAllCohortFigures();
  });

  it('counts only consenting participants and withholds small figures, and the cell that would give one away', async () => {
    const res = await supertest(app)
      .get('/api/v1/research/impact')
      .set('Authorization', await bearer(researcher))
      .expect(200);
    const body = res.body;
    expect(body.participants).to.equal(10);
    expect(body.cohorts).to.equal(2);
    // New heads: 2 people (primary); aspiring leaders would give them away by subtraction (secondary).
    expect(body.byTrack['new-head'].participants).to.equal(null);
    expect(body.byTrack['aspiring-leader'].participants).to.equal(null);
    expect(body.byTrack['aspiring-leader'].completionRate).to.equal(null);
    expect(body.suppressed).to.include.members([
      'byTrack.new-head.participants',
      'byTrack.aspiring-leader.participants',
    ]);
    expect(body.outcomes.applied).to.equal(8);
    expect(body.outcomes.interviewed).to.equal(6);
    expect(body.outcomes.appointed).to.equal(null);
    // Only the aspiring leaders were asked about confidence: everyone's 8 answers would be theirs, and would say at
    // least 8 of the 10 are aspiring leaders (so at most 2 new heads), which their withheld count keeps back.
    const confidence = body.likert.find((q: { questionId: string }) => q.questionId === 'confidence');
    expect(confidence.start).to.deep.equal({ mean: null, n: null });
    expect(confidence.end).to.deep.equal({ mean: null, n: null });
    expect(body.suppressed).to.include.members(['likert.confidence.start.n', 'likert.confidence.end.mean']);
    expect(JSON.stringify(body)).to.not.include('@');
    // The track's own view alike: its count withheld, its answers too.
    const track = await supertest(app)
      .get('/api/v1/research/impact?track=aspiring-leader')
      .set('Authorization', await bearer(researcher))
      .expect(200);
    expect(track.body.participants).to.equal(null);
    expect(track.body.likert.find((q: { questionId: string }) => q.questionId === 'confidence').start).to.deep.equal({
      mean: null,
      n: null,
    });
  });

  it('when she withdraws consent, she leaves the figures at once', async () => {
    await setResearchConsent({ userId: people[9]!.id, consented: false });
    const res = await supertest(app)
      .get('/api/v1/research/impact')
      .set('Authorization', await bearer(researcher))
      .expect(200);
    expect(res.body.participants).to.equal(9);
    await setResearchConsent({ userId: people[9]!.id, consented: true });
  });

  it("counts the boards' closed rounds by the UTC day they closed, both ends of the range included", async () => {
    const boardId = new Types.ObjectId();
    const closedRound = (closedAt: string, ready: boolean) => ({
      boardId,
      title: `Round closed ${closedAt}`,
      interviewDates: ['2026-03-20'],
      status: 'closed',
      closedAt: at(closedAt),
      readinessRecord: { ready, interviewDate: '2026-03-20', timezone: 'Europe/London', members: [] },
    });
    const rounds = await RecruitmentRoundModel.insertMany([
      closedRound('2026-02-28T23:59:00Z', true),
      closedRound('2026-03-01T00:00:00Z', true),
      closedRound('2026-03-31T23:59:00Z', false),
      closedRound('2026-04-01T00:00:00Z', true),
      { ...closedRound('2026-03-15T12:00:00Z', true), status: 'open' },
    ]);
    // Written straight to the database (closing through the service announces it): the refresh job's overview.
    await rebuildResearchOverview();
    try {
      const auth = await bearer(researcher);
      const march = await supertest(app)
        .get('/api/v1/research/impact?from=2026-03-01&to=2026-03-31')
        .set('Authorization', auth)
        .expect(200);
      expect(march.body.panels).to.include({ rounds: 2, readyBeforeInterview: 1 });
      const all = await supertest(app).get('/api/v1/research/impact').set('Authorization', auth).expect(200);
      expect(all.body.panels).to.include({ rounds: 4, readyBeforeInterview: 3 });
    } finally {
      await RecruitmentRoundModel.deleteMany({ _id: { $in: rounds.map((r) => r._id) } });
      await rebuildResearchOverview();
    }
  });

  it('a round closed or its figures recorded through Pathways shows on the dashboard over all time at once', async () => {
    const chair = await buildUser({ roles: ['governor'] });
    // Five on the panel: the panels' figures of fewer than 5 members are withheld (below).
    const governors = await Promise.all([1, 2, 3, 4].map(() => buildUser({ roles: ['governor'] })));
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      ...governors.map((user) => ({ user, role: 'governor' as const })),
    ]);
    const round = await buildRound(board.id, { interviewDates: ['2026-06-10'], panel: [chair, ...governors] });
    const overAllTime = () => researchImpact({ actor: researcher as unknown as Express.User, filters: {} });
    const before = await overAllTime();
    await closeRound({ actor: asActor(chair), roundId: round.id });
    const closed = await overAllTime();
    expect(closed.panels.rounds).to.equal((before.panels.rounds ?? 0) + 1);
    await recordGenderFigures({
      actor: asActor(chair),
      roundId: round.id,
      figures: { applicants: { women: 9, men: 6, other: 0, preferNotToSay: 0 } },
    });
    const recorded = await overAllTime();
    expect(recorded.recruitment.rounds).to.equal(before.recruitment.rounds + 1);
    const { computedAt: _c, refreshMinutes: _r, ...figures } = recorded;
    expect(figures).to.deep.equal(
      await researchImpactFromSource({ actor: researcher as unknown as Express.User, filters: {} }),
    );
    await RecruitmentRoundModel.deleteOne({ _id: round.id });
    await rebuildResearchOverview();
  });

  it('answers 403 to a participant and 422 to a bad filter', async () => {
    await supertest(app)
      .get('/api/v1/research/impact')
      .set('Authorization', await bearer(people[0]!))
      .expect(403);
    await supertest(app)
      .get('/api/v1/research/export.csv')
      .set('Authorization', await bearer(people[0]!))
      .expect(403);
    const auth = await bearer(researcher);
    await supertest(app)
      .get('/api/v1/research/impact?from=2027-01-01&to=2026-01-01')
      .set('Authorization', auth)
      .expect(422);
    await supertest(app).get('/api/v1/research/impact?programmeId[$ne]=x').set('Authorization', auth).expect(422);
  });

  it('the export has one row per consenting participant, random research ids, no identifying column, no unique row, and is audited', async () => {
    const auth = await bearer(researcher);
    const first = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${programmeId}`)
      .set('Authorization', auth)
      .expect(200);
    expect(first.headers['content-type']).to.match(/text\/csv/);
    const rows = parse(first.text, { columns: true }) as Record<string, string>[];
    expect(rows.length).to.be.at.most(8).and.at.least(7);
    const header = Object.keys(rows[0]!);
    expect(header).to.include.members([
      'researchId',
      'track',
      'cohortYear',
      'region',
      'phase',
      'completed',
      'attendanceRate',
      'start.confidence',
      'applied',
    ]);
    for (const forbidden of ['name', 'email', 'school', 'userId', 'start.notes'])
      expect(header).to.not.include(forbidden);
    for (const p of people) {
      expect(first.text).to.not.include(p.id);
      expect(first.text).to.not.include(p.email);
    }
    expect(first.text).to.not.include('private words');
    const combos = new Map<string, number>();
    for (const r of rows)
      combos.set(`${r.region}|${r.phase}|${r.track}`, (combos.get(`${r.region}|${r.phase}|${r.track}`) ?? 0) + 1);
    expect([...combos.values()].every((c) => c >= 2)).to.equal(true);
    expect(new Set(rows.map((r) => r.researchId)).size).to.equal(rows.length);

    const second = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${programmeId}`)
      .set('Authorization', auth)
      .expect(200);
    const ids = new Set((parse(second.text, { columns: true }) as Record<string, string>[]).map((r) => r.researchId));
    expect(rows.some((r) => ids.has(r.researchId))).to.equal(false);

    const events = await AuditEventModel.find({ action: 'research-exported', actorId: researcher.id }).lean();
    expect(events).to.have.length(2);
    expect(JSON.parse(events[0]!.detail).filters).to.deep.equal({ programmeId });
  });
  it('the export downloaded from the dashboard starts with a byte-order mark, so a spreadsheet reads regions such as Île-de-France as UTF-8; the API’s file is the CSV alone', async () => {
    const agent = await signIn(app, researcher.email, testPassword);
    const download = await agent
      .get(`/research/export.csv?programmeId=${programmeId}`)
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
    expect(bytes.subarray(3).toString('utf8')).to.match(/^researchId,track,/);
    const api = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${programmeId}`)
      .set('Authorization', await bearer(researcher))
      .expect(200);
    expect(api.text).to.match(/^researchId,track,/);
  });
});
