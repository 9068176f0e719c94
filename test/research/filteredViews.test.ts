import { expect } from 'chai';
import supertest from 'supertest';
import { CohortModel } from '../../models/Cohort.ts';
import { ProgrammeModel, type Track } from '../../models/Programme.ts';
import { refreshAllCohortFigures } from '../../server/services/research/cohortFigures.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { researchImpactFromSource } from '../../server/services/research/impact.ts';
import type { ResearchFilters } from '../../server/services/research/population.ts';
import { signIn, testApp } from '../support/app.ts';
import { enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const at = (iso: string) => new Date(iso);

/**
 * The reviewer's attack: the unfiltered breakdown withholds governing boards (4, primary) and new heads (8, the
 * complementary cell), but a view filtered to new heads showed 8, so boards = 24 − 12 − 8. Every view must show a
 * figure only where the breakdown shows the same cell.
 */
describe('research: filtered views of the impact figures', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let researcher: TestUser;
  const programmeIds: Record<string, string> = {};

  before(async function () {
    this.timeout(120_000);
    app = testApp();
    researcher = await buildUser({ roles: ['researcher'] });
    // Boards 4, aspiring leaders 12 (two programmes: 9 and 3), new heads 8: 24 in all.
    const groups: { title: string; track: Track; people: number; march?: number }[] = [
      { title: 'Boards', track: 'governing-board', people: 4 },
      { title: 'Aspiring A', track: 'aspiring-leader', people: 9, march: 2 },
      { title: 'Aspiring B', track: 'aspiring-leader', people: 3 },
      { title: 'New heads', track: 'new-head', people: 8 },
    ];
    for (const g of groups) {
      const programme = await ProgrammeModel.create({
        title: g.title,
        track: g.track,
        summary: 's',
        status: 'published',
      });
      programmeIds[g.title] = String(programme._id);
      const cohort = await CohortModel.create({
        programmeId: programme._id,
        name: 'C',
        capacity: 50,
        timezone: 'Europe/London',
        startsOn: '2026-01-10',
        endsOn: '2026-07-31',
      });
      for (let i = 0; i < g.people; i++) {
        const user = await buildUser();
        // Two of Aspiring A enrolled in March, the others in January.
        const enrolled = i < (g.march ?? 0) ? '2026-03-10T10:00:00Z' : '2026-01-15T10:00:00Z';
        await enrolDirectly(cohort, user.id, at(enrolled));
        await setResearchConsent({ userId: user.id, consented: true, now: at('2026-01-01T10:00:00Z') });
      }
    }
    await refreshAllCohortFigures();
  });

  const impact = async (query: string) =>
    (
      await supertest(app)
        .get(`/api/v1/research/impact${query}`)
        .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
        .expect(200)
    ).body;

  it('when a track is withheld only as the complementary cell, its filtered view withholds it too, on the API and the page', async () => {
    const all = await impact('');
    expect(all.participants).to.equal(24);
    expect(all.byTrack['aspiring-leader'].participants).to.equal(12);
    expect(all.byTrack['governing-board'].participants).to.equal(null);
    expect(all.byTrack['new-head'].participants).to.equal(null);
    for (const query of ['?track=new-head', `?programmeId=${programmeIds['New heads']}`]) {
      const view = await impact(query);
      expect(view.participants, query).to.equal(null);
      expect(view.completionRate, query).to.equal(null);
      expect(view.byTrack['new-head'].participants, query).to.equal(null);
      expect(view.suppressed, query).to.include.members(['participants', 'completionRate']);
    }
    const agent = await signIn(app, researcher.email, testPassword);
    const page = await agent.get('/research?track=new-head').expect(200);
    expect(page.text).to.match(/<th scope="row">Participants<\/th><td>fewer than 5<\/td>/);
  });

  it('for every track and programme, the filtered view shows exactly what the unfiltered breakdown shows of it', async () => {
    const all = await impact('');
    for (const track of ['governing-board', 'aspiring-leader', 'new-head'])
      expect((await impact(`?track=${track}`)).participants, track).to.equal(all.byTrack[track].participants);
    // Aspiring A (9) shown beside aspiring leaders (12) would give Aspiring B (3) away by subtraction.
    expect((await impact(`?programmeId=${programmeIds['Aspiring B']}`)).participants).to.equal(null);
    expect((await impact(`?programmeId=${programmeIds['Aspiring A']}`)).participants).to.equal(null);
    expect((await impact('?track=aspiring-leader')).participants).to.equal(12);
  });

  it('a date range withholds what all time withholds, and any figure only a few people away from all time’s', async () => {
    // Every enrolment is in this range: new heads (8) stay withheld as over all time.
    const whole = await impact('?from=2026-01-01');
    expect(whole.participants).to.equal(24);
    expect(whole.byTrack['new-head'].participants).to.equal(null);
    expect(whole.byTrack['aspiring-leader'].participants).to.equal(12);
    // Until February: aspiring leaders 10 and everyone 22, each 2 away from all time's (the two March enrolments).
    const january = await impact('?to=2026-02-28');
    expect(january.participants).to.equal(null);
    expect(january.byTrack['aspiring-leader']?.participants ?? null).to.equal(null);
    expect((await impact('?track=aspiring-leader&to=2026-02-28')).participants).to.equal(null);
  });

  it('the figures computed from the source agree with the records for each of these views', async () => {
    const actor = researcher as unknown as Express.User;
    const views: ResearchFilters[] = [
      {},
      { track: 'new-head' },
      { programmeId: programmeIds['Aspiring A'] },
      { from: '2026-01-01' },
      { to: '2026-02-28' },
      { track: 'aspiring-leader', to: '2026-02-28' },
    ];
    for (const filters of views) {
      const {
        computedAt: _c,
        refreshMinutes: _r,
        ...fromRecords
      } = await impact(`?${new URLSearchParams(filters as Record<string, string>)}`);
      const source = JSON.parse(JSON.stringify(await researchImpactFromSource({ actor, filters })));
      expect(fromRecords, JSON.stringify(filters)).to.deep.equal(source);
    }
  });
  it('a programme chosen with a track it is not in answers empty figures, keeping both filters, on the page, the API and the export', async () => {
    const aspiring = programmeIds['Aspiring A']!;
    const view = await impact(`?programmeId=${aspiring}&track=governing-board`);
    expect(view.cohorts).to.equal(0);
    expect(view.participants).to.equal(null);
    expect(view.byTrack).to.deep.equal({});
    expect(view.filters).to.deep.equal({ programmeId: aspiring, track: 'governing-board' });
    const agent = await signIn(app, researcher.email, testPassword);
    const page = await agent.get(`/research?programmeId=${aspiring}&track=governing-board`).expect(200);
    expect(page.text).to.include(`<option value="${aspiring}" selected>Aspiring A</option>`);
    expect(page.text).to.include('<option value="governing-board" selected>Governing boards</option>');
    expect(page.text).to.include('Aspiring A is a programme for Aspiring leaders, not Governing boards');
    const csv = await agent.get(`/research/export.csv?programmeId=${aspiring}&track=governing-board`).expect(200);
    expect(csv.text.trim().split('\n')).to.have.length(1);
    // A programme that does not exist is still not found.
    await agent.get('/research?programmeId=0123456789abcdef01234567').expect(404);
  });

  it('when a filter of the dashboard cannot be read, it answers 422 at that field, keeps what she typed and shows no figures', async () => {
    const agent = await signIn(app, researcher.email, testPassword);
    const inverted = await agent.get('/research?track=new-head&from=2026-03-01&to=2026-01-31').expect(422);
    expect(inverted.text).to.include('<a href="#field-to">');
    expect(inverted.text).to.include('aria-describedby="field-to-hint field-to-error"');
    expect(inverted.text).to.include('value="2026-03-01"').and.to.include('value="2026-01-31"');
    expect(inverted.text).to.include('<option value="new-head" selected>');
    // Not everyone's figures in place of the ones she asked for.
    expect(inverted.text).to.not.match(/<th scope="row">Participants<\/th><td>24<\/td>/);
    expect(inverted.text).to.include('No figures are shown until the filters are corrected');
    const malformed = await agent.get('/research?from=2026-02-30&track=juggler').expect(422);
    expect(malformed.text).to.include('<a href="#field-from">').and.to.include('<a href="#field-track">');
    expect(malformed.text).to.include('value="2026-02-30"');
    expect(malformed.text).to.match(/<select id="field-track" name="track" aria-invalid="true"/);
    expect(malformed.text).to.not.match(/<th scope="row">Participants<\/th><td>24<\/td>/);
    // A start that is no date is said once, at the start: the end is not "before" a start that does not exist.
    const noStart = await agent.get('/research?from=2026-13-01&to=2026-01-01').expect(422);
    expect(noStart.text).to.include('<a href="#field-from">').and.not.include('<a href="#field-to">');
    expect(noStart.text).not.to.include('must not be before the start date');
  });

  it('the export link carries the programme and track filters and says the dates are not applied', async () => {
    const agent = await signIn(app, researcher.email, testPassword);
    const aspiring = programmeIds['Aspiring A']!;
    const page = await agent.get(`/research?programmeId=${aspiring}&track=aspiring-leader&from=2026-01-01`).expect(200);
    const href = /<a href="([^"]+)" download>/.exec(page.text)![1]!.replaceAll('&amp;', '&');
    expect(href).to.equal(`/research/export.csv?programmeId=${aspiring}&track=aspiring-leader`);
    expect(page.text).to.include('The export is not limited to the enrolment dates chosen');
    await agent.get(href).expect(200);
    const plain = await agent.get('/research?track=new-head').expect(200);
    expect(plain.text).to.include('href="/research/export.csv?track=new-head"');
    expect(plain.text).to.not.include('The export is not limited to the enrolment dates chosen');
  });
});
