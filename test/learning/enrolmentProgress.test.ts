import { expect } from 'chai';
import { CertificateModel } from '../../models/Certificate.ts';
import { CompletionModel } from '../../models/Completion.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import {
  showAllProgress,
  showProgress,
  showProgressOfCohort,
} from '../../server/services/learning/enrolmentProgress.ts';
import '../../server/subscriptions.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';

/**
 * The progress a learner's home page reads from her enrolment instead of her completions and certificates (README
 * "Derived records"): however completions land, together or after a stopped process, what her enrolment says once
 * they have returned is what the completions and certificates say.
 */
describe('learning: the progress her home page reads from her enrolment is kept right', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(async () => {
    app = testApp();
  });

  const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: u.roles }) as unknown as Express.User;
  // A view module's completion carries nothing.
  const view = {};

  /** A programme of `count` view modules with no prerequisites, a cohort, and a learner enrolled in it. */
  async function setting(count: number) {
    const programme = await buildProgramme({ title: 'Applying for headship' });
    const modules = [];
    for (let i = 0; i < count; i++) modules.push(await buildModule(programme.id, { title: `Step ${i + 1}` }));
    const cohort = await buildCohort(programme.id, { name: 'Spring cohort' });
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, cohort.id, programme.id);
    return { programme, modules, cohort, learner };
  }
  const copy = async (userId: string, cohortId: string) => {
    const e = await EnrolmentModel.findOne({ userId, cohortId }).lean();
    return {
      completed: (e?.completedModuleIds ?? []).map(String).sort(),
      certificate: e?.certificate?.certificateId ? String(e.certificate.certificateId) : null,
    };
  };
  const sources = async (userId: string, cohortId: string) => {
    const completions = await CompletionModel.find({ userId, cohortId }).lean();
    const certificate = await CertificateModel.findOne({ userId, cohortId }).lean();
    return {
      completed: completions.map((c) => String(c.moduleId)).sort(),
      certificate: certificate ? String(certificate._id) : null,
    };
  };

  it('each completion is on her enrolment when it returns, and the certificate of her last one; her home page shows them', async () => {
    const { modules, cohort, learner } = await setting(2);
    const agent = await signIn(app, learner.email, testPassword);
    expect((await agent.get('/').expect(200)).text).to.match(/0 of 2 modules completed/);

    await completeModule({ actor: actor(learner), moduleId: modules[0]!.id, input: view, now: new Date() });
    expect(await copy(learner.id, cohort.id)).to.deep.equal({ completed: [modules[0]!.id], certificate: null });
    expect((await agent.get('/').expect(200)).text).to.match(/1 of 2 modules completed/);

    await completeModule({ actor: actor(learner), moduleId: modules[1]!.id, input: view, now: new Date() });
    const after = await copy(learner.id, cohort.id);
    expect(after.certificate).to.be.a('string');
    expect(after).to.deep.equal(await sources(learner.id, cohort.id));
    const home = (await agent.get('/').expect(200)).text;
    expect(home).to.match(/2 of 2 modules completed/);
    expect(home).to.include(`/certificates/${after.certificate}`);
  });

  it('completions sent all at once, twice each, with repairs beside them, leave her enrolment as the completions say, with one certificate', async () => {
    for (let round = 0; round < 3; round++) {
      const { modules, cohort, learner } = await setting(4);
      await Promise.all([
        ...modules.flatMap((m) => [
          completeModule({ actor: actor(learner), moduleId: m.id, input: view, now: new Date() }),
          completeModule({ actor: actor(learner), moduleId: m.id, input: view, now: new Date() }),
        ]),
        showProgress(learner.id, cohort.id),
        showProgressOfCohort(cohort.id),
        showAllProgress(),
      ]);
      expect(await CertificateModel.countDocuments({ userId: learner.id, cohortId: cohort.id })).to.equal(1);
      const expected = await sources(learner.id, cohort.id);
      expect(expected.completed).to.have.length(4);
      expect(await copy(learner.id, cohort.id)).to.deep.equal(expected);
    }
  });

  it('progress computed before a completion that returned meanwhile is not written over it', async () => {
    const { modules, cohort, learner } = await setting(2);
    const before = await EnrolmentModel.findOne({ userId: learner.id, cohortId: cohort.id }).lean();
    await completeModule({ actor: actor(learner), moduleId: modules[0]!.id, input: view, now: new Date() });
    // A process that read the version before the completion and computed nothing done: its write matches nothing.
    const stale = await EnrolmentModel.updateOne(
      { _id: before!._id, progressVersion: before!.progressVersion ?? null },
      { $set: { completedModuleIds: [], certificate: null } },
    );
    expect(stale.matchedCount).to.equal(0);
    expect((await copy(learner.id, cohort.id)).completed).to.deep.equal([modules[0]!.id]);
  });

  it('a completion whose writer stopped before her progress is healed by sending it again, or by the repair, which then changes nothing', async () => {
    const { modules, cohort, learner, programme } = await setting(3);
    // Written, and the process stopped before progressChanged.
    const stopped = async (moduleId: string) =>
      CompletionModel.create({
        userId: learner.id,
        moduleId,
        cohortId: cohort.id,
        programmeId: programme.id,
        completedAt: new Date(),
      });
    await stopped(modules[0]!.id);
    expect((await copy(learner.id, cohort.id)).completed).to.deep.equal([]);
    const again = await completeModule({
      actor: actor(learner),
      moduleId: modules[0]!.id,
      input: view,
      now: new Date(),
    });
    expect(again.alreadyCompleted).to.equal(true);
    expect((await copy(learner.id, cohort.id)).completed).to.deep.equal([modules[0]!.id]);

    await stopped(modules[1]!.id);
    // An enrolment stored before the copy existed.
    const other = await setting(1);
    await EnrolmentModel.updateOne(
      { userId: other.learner.id, cohortId: other.cohort.id },
      { $unset: { completedModuleIds: 1, certificate: 1, progressVersion: 1 } },
    );
    expect(await showAllProgress()).to.be.at.least(2);
    expect(await copy(learner.id, cohort.id)).to.deep.equal(await sources(learner.id, cohort.id));
    expect((await copy(learner.id, cohort.id)).completed).to.have.length(2);
    const stored = await EnrolmentModel.findOne({ userId: other.learner.id, cohortId: other.cohort.id }).lean();
    expect(stored!.completedModuleIds).to.deep.equal([]);
    expect(await showAllProgress()).to.equal(0);
  });
});
