import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { ResearchCohortFiguresModel } from '../../models/ResearchCohortFigures.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import { refreshAllCohortFigures } from '../../server/services/research/cohortFigures.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { researchImpactFromSource } from '../../server/services/research/impact.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol, moveCohort } from '../support/learningFactories.ts';

/** Research counts a completion of the programme a cohort runs now, not of one it was moved from. */
describe('research: a cohort moved to another programme', () => {
  useTestDatabase();

  it('the export and the dashboard count as completed only those who completed the programme it runs now', async () => {
    const app = testApp();
    const researcher = await buildUser({ roles: ['researcher'] });
    const actorOf = (u: TestUser) => ({ id: u.id, email: u.email, name: u.name, roles: u.roles, timezone: u.timezone });
    const first = await buildProgramme({ track: 'new-head', title: 'New heads, first' });
    const firstModule = await buildModule(first.id);
    const cohort = await buildCohort(first.id);
    const people: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const her = await buildUser();
      await setResearchConsent({ userId: her.id, consented: true });
      await enrol(her.id, cohort.id, first.id);
      people.push(her);
    }
    // Three finish the first programme (its certificates issued), and the figures are computed.
    for (const her of people.slice(0, 3))
      await completeModule({ actor: actorOf(her), moduleId: firstModule.id, input: {}, now: new Date() });
    await refreshAllCohortFigures();

    // The cohort moves to a programme of two modules; one woman (who held none) completes both.
    const next = await buildProgramme({ track: 'new-head', title: 'New heads, moved to' });
    const nextModules = [await buildModule(next.id), await buildModule(next.id)];
    await moveCohort(cohort.id, next.id);
    for (const m of nextModules)
      await completeModule({ actor: actorOf(people[4]!), moduleId: m.id, input: {}, now: new Date() });
    await refreshAllCohortFigures();

    const auth = { Authorization: `Bearer ${await tokenFor(researcher)}` };
    const exported = await supertest(app)
      .get(`/api/v1/research/export.csv?programmeId=${next.id}`)
      .set(auth)
      .expect(200);
    const rows = parse(exported.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.completed).sort()).to.deep.equal(['no', 'no', 'no', 'no', 'yes']);

    const impact = await supertest(app).get(`/api/v1/research/impact?programmeId=${next.id}`).set(auth).expect(200);
    expect(impact.body).to.include({ participants: 5, completionRate: 0.2 });
    const record = (await ResearchCohortFiguresModel.findById(cohort.id).lean())!;
    expect(String(record.programmeId)).to.equal(next.id);
    expect(record.buckets.reduce((sum, b) => sum + b.completed, 0)).to.equal(1);
    const { computedAt: _c, refreshMinutes: _r, ...figures } = impact.body as Record<string, unknown>;
    expect(figures).to.deep.equal(
      await researchImpactFromSource({
        actor: researcher as unknown as Express.User,
        filters: { programmeId: next.id },
      }),
    );
  });
});
