import { expect } from 'chai';
import { CertificateModel } from '../../models/Certificate.ts';
import { CompletionModel } from '../../models/Completion.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { QuizAttemptModel } from '../../models/QuizAttempt.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import {
  showAllProgress,
  showProgress,
  showProgressOfCohort,
} from '../../server/services/learning/enrolmentProgress.ts';
import { cohortProgress } from '../../server/services/learning/progress.ts';
import '../../server/subscriptions.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol, sampleQuiz } from '../support/learningFactories.ts';

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
      lastActivityAt: e?.lastActivityAt?.toISOString() ?? null,
    };
  };
  const sources = async (userId: string, cohortId: string) => {
    const completions = await CompletionModel.find({ userId, cohortId }).lean();
    const attempts = await QuizAttemptModel.find({ userId, cohortId }).lean();
    const certificate = await CertificateModel.findOne({ userId, cohortId }).lean();
    const times = [...completions.map((c) => c.completedAt), ...attempts.map((a) => a.attemptedAt)];
    const last = times.length ? new Date(Math.max(...times.map((t) => t.getTime()))) : null;
    return {
      completed: completions.map((c) => String(c.moduleId)).sort(),
      certificate: certificate ? String(certificate._id) : null,
      lastActivityAt: last?.toISOString() ?? null,
    };
  };

  it('each completion is on her enrolment when it returns, and the certificate of her last one; her home page shows them', async () => {
    const { modules, cohort, learner } = await setting(2);
    const agent = await signIn(app, learner.email, testPassword);
    expect((await agent.get('/').expect(200)).text).to.match(/0 of 2 modules completed/);

    const first = new Date();
    await completeModule({ actor: actor(learner), moduleId: modules[0]!.id, input: view, now: first });
    expect(await copy(learner.id, cohort.id)).to.deep.equal({
      completed: [modules[0]!.id],
      certificate: null,
      lastActivityAt: first.toISOString(),
    });
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
      { $set: { completedModuleIds: [], certificate: null, lastActivityAt: null } },
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
      { $unset: { completedModuleIds: 1, certificate: 1, lastActivityAt: 1, progressVersion: 1 } },
    );
    expect(await showAllProgress()).to.be.at.least(2);
    expect(await copy(learner.id, cohort.id)).to.deep.equal(await sources(learner.id, cohort.id));
    expect((await copy(learner.id, cohort.id)).completed).to.have.length(2);
    const stored = await EnrolmentModel.findOne({ userId: other.learner.id, cohortId: other.cohort.id }).lean();
    expect(stored!.completedModuleIds).to.deep.equal([]);
    expect(stored!.lastActivityAt).to.equal(null);
    expect(await showAllProgress()).to.equal(0);
  });

  it("her latest activity, a failed quiz attempt included, is on her enrolment, and her facilitators' progress view shows it", async () => {
    const programme = await buildProgramme({ title: 'Governance' });
    const intro = await buildModule(programme.id, { title: 'Introduction' });
    const quiz = await buildModule(programme.id, { title: 'Check your understanding', completion: sampleQuiz });
    const cohort = await buildCohort(programme.id, { name: 'Board cohort' });
    const learner = await buildUser({ roles: ['participant'], name: 'Ruth Mensah' });
    await enrol(learner.id, cohort.id, programme.id);
    const shown = async () => (await cohortProgress(cohort.id)).rows[0]!;
    expect((await shown()).lastActivityAt).to.equal(null);

    const monday = new Date('2026-11-30T09:00:00Z');
    await completeModule({ actor: actor(learner), moduleId: intro.id, input: view, now: monday });
    const tuesday = new Date('2026-12-01T16:30:00Z');
    const failed = completeModule({
      actor: actor(learner),
      moduleId: quiz.id,
      input: { answers: [[0], [0]] },
      now: tuesday,
    });
    await failed.then(
      () => expect.fail('a wrong answer should not pass'),
      (error: Error) => expect(error.message).to.match(/Not passed this time/),
    );
    expect(await copy(learner.id, cohort.id)).to.deep.equal(await sources(learner.id, cohort.id));
    expect((await copy(learner.id, cohort.id)).lastActivityAt).to.equal(tuesday.toISOString());
    const row = await shown();
    expect(row).to.include({ name: 'Ruth Mensah', completedModules: 1, totalModules: 2, percent: 50 });
    expect(row.lastActivityAt?.toISOString()).to.equal(tuesday.toISOString());

    // Stored before the copy had her latest activity: shown from the sources, then filled by the repair.
    await EnrolmentModel.updateOne({ userId: learner.id, cohortId: cohort.id }, { $unset: { lastActivityAt: 1 } });
    expect((await shown()).lastActivityAt?.toISOString()).to.equal(tuesday.toISOString());
    expect(await showAllProgress()).to.equal(1);
    expect((await copy(learner.id, cohort.id)).lastActivityAt).to.equal(tuesday.toISOString());
  });
});
