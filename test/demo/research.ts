import { expect } from 'chai';
import supertest from 'supertest';
import { PoolRequestModel } from '../../models/PoolRequest.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signIn, testApp } from '../support/app.ts';

export function researchDemo(): void {
  describe('research and pool: demo data', () => {
    let app: ReturnType<typeof testApp>;
    before(() => {
      app = testApp();
    });

    it('the demo researcher sees a dashboard with figures, start and end means, and at least one "fewer than 5" cell', async () => {
      const researcher = await signIn(app, 'researcher@pathways.test', demoPassword);
      const page = await researcher.get('/research').expect(200);
      expect(page.text).to.include('Impact dashboard');
      expect(page.text).to.include('fewer than 5');
      // When the figures were computed, in her zone with the zone named, and how often they are refreshed.
      expect(page.text).to.match(/Figures computed at <strong>[^<]+ \([A-Za-z_/]+\)<\/strong>/);
      expect(page.text).to.include('recomputed every 15 minutes');
      expect(page.text).to.include('How confident are you to apply for headship?');
      const api = await researcher.get('/api/v1/research/impact').expect(200);
      expect(api.body.participants).to.be.at.least(20);
      expect(api.body.suppressed.length).to.be.greaterThan(0);
      const confidence = api.body.likert.find((q: { questionId: string }) => q.questionId === 'confidence');
      expect(confidence.end.mean).to.be.greaterThan(confidence.start.mean);
      await researcher.get('/cohorts').expect(403);
    });

    it('on the demo data, no track or programme view shows a participant count the unfiltered breakdown withholds', async () => {
      const researcher = await signIn(app, 'researcher@pathways.test', demoPassword);
      const all = (await researcher.get('/api/v1/research/impact').expect(200)).body;
      expect(
        Object.values(all.byTrack).some((t) => (t as { participants: number | null }).participants === null),
      ).to.equal(true);
      for (const [track, figures] of Object.entries(all.byTrack) as [string, { participants: number | null }][]) {
        const view = (await researcher.get(`/api/v1/research/impact?track=${track}`).expect(200)).body;
        expect(view.participants, track).to.equal(figures.participants);
      }
      for (const p of await ProgrammeModel.find().select({ track: 1 }).lean()) {
        const view = (await researcher.get(`/api/v1/research/impact?programmeId=${String(p._id)}`).expect(200)).body;
        if (all.byTrack[p.track]?.participants === null) expect(view.participants, p.track).to.equal(null);
      }
    });

    it('the demo participant has a survey waiting, and the pool shows profiles and three requests in different states', async () => {
      const participant = await signIn(app, 'participant@pathways.test', demoPassword);
      const surveys = await participant.get('/api/v1/me/surveys').expect(200);
      expect(surveys.body.items.length).to.be.at.least(1);
      const pool = await participant.get('/api/v1/pool').expect(200);
      expect(pool.body.items.length).to.be.at.least(4);
      expect((await PoolRequestModel.distinct('status')).sort()).to.deep.equal(['accepted', 'open', 'unconfirmed']);
      const admin = await signIn(app, 'admin@pathways.test', demoPassword);
      const triage = await admin.get('/admin/pool').expect(200);
      expect(triage.text).to.include('Northern Schools Trust');
      await supertest(app).get('/pool/request').expect(200);
    });
  });
}
