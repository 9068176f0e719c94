import { expect } from 'chai';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { ValidationError } from '../../server/errors.ts';
import {
  outlineChanged,
  outlineFromModules,
  showAllOutlines,
  showOutline,
} from '../../server/services/learning/outline.ts';
import {
  createModule,
  moveModule,
  reorderModules,
  setModuleArchived,
  updateModule,
} from '../../server/services/learning/programmes.ts';
import '../../server/subscriptions.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';

/**
 * The outline a learner's home page reads instead of the modules (README "Derived records"): whatever authors change,
 * and however changes land together, the outline a reader sees once the changes have returned is what the modules say.
 */
describe('learning: the programme outline her home page reads is kept right', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let author: Express.User;
  before(async () => {
    app = testApp();
    author = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
  });

  const inputOf = (title: string, prerequisites: string[] = [], estimatedMinutes = 10) => ({
    title,
    body: 'Text.',
    estimatedMinutes,
    prerequisites,
    completion: { type: 'view' as const },
  });
  const stored = async (programmeId: string) =>
    JSON.parse(JSON.stringify((await ProgrammeModel.findById(programmeId).lean())?.outline ?? null));
  const fromModules = async (programmeId: string) => JSON.parse(JSON.stringify(await outlineFromModules(programmeId)));
  const titles = async (programmeId: string) =>
    ((await stored(programmeId)) as { title: string; archived: boolean }[]).map(
      (e) => `${e.title}${e.archived ? ' (archived)' : ''}`,
    );

  it('follows every change an author makes: added, edited, archived, restored, reordered, moved', async () => {
    const programme = await buildProgramme();
    const a = await createModule({ actor: author, programmeId: programme.id, input: inputOf('Bias') });
    const b = await createModule({
      actor: author,
      programmeId: programme.id,
      input: inputOf('Panels', [String(a._id)]),
    });
    const c = await createModule({ actor: author, programmeId: programme.id, input: inputOf('Questions') });
    expect(await titles(programme.id)).to.deep.equal(['Bias', 'Panels', 'Questions']);

    await updateModule({ actor: author, moduleId: String(c._id), input: inputOf('Structured questions', [], 25) });
    const edited = ((await stored(programme.id)) as { title: string; estimatedMinutes: number }[])[2]!;
    expect(edited).to.include({ title: 'Structured questions', estimatedMinutes: 25 });

    await setModuleArchived({ actor: author, moduleId: String(a._id), archived: true });
    expect(await titles(programme.id)).to.deep.equal(['Panels', 'Structured questions', 'Bias (archived)']);
    await setModuleArchived({ actor: author, moduleId: String(a._id), archived: false });
    expect(await titles(programme.id)).to.deep.equal(['Panels', 'Structured questions', 'Bias']);

    await reorderModules({
      actor: author,
      programmeId: programme.id,
      moduleIds: [String(a._id), String(c._id), String(b._id)],
    });
    expect(await titles(programme.id)).to.deep.equal(['Bias', 'Structured questions', 'Panels']);
    await moveModule({ actor: author, moduleId: String(b._id), direction: 'up' });
    expect(await titles(programme.id)).to.deep.equal(['Bias', 'Panels', 'Structured questions']);
    expect(await stored(programme.id)).to.deep.equal(await fromModules(programme.id));
  });

  it('edits refused for a circle of prerequisites (taken back after their write) leave the outline as the modules are', async () => {
    for (let round = 0; round < 3; round++) {
      const programme = await buildProgramme();
      const [a, b] = [await buildModule(programme.id, { title: 'A' }), await buildModule(programme.id, { title: 'B' })];
      // Each passes the check before its write; one or both find the circle after it and take the edit back.
      const results = await Promise.allSettled([
        updateModule({ actor: author, moduleId: a.id, input: inputOf('A renamed', [b.id]) }),
        updateModule({ actor: author, moduleId: b.id, input: inputOf('B renamed', [a.id]) }),
      ]);
      expect(results.some((r) => r.status === 'rejected' && r.reason instanceof ValidationError)).to.equal(true);
      expect(await stored(programme.id)).to.deep.equal(await fromModules(programme.id));
    }
  });

  it('authors adding, editing, archiving and reordering at once, with repairs beside them, leave the outline the modules say', async () => {
    for (let round = 0; round < 3; round++) {
      const programme = await buildProgramme();
      const [a, b, c] = [
        await buildModule(programme.id, { title: 'A' }),
        await buildModule(programme.id, { title: 'B' }),
        await buildModule(programme.id, { title: 'C' }),
      ];
      // Some may be refused (a reorder that another change made stale): what landed is what the outline must say.
      await Promise.allSettled([
        ...[1, 2, 3].map((i) =>
          createModule({ actor: author, programmeId: programme.id, input: inputOf(`Added ${round}.${i}`) }),
        ),
        updateModule({ actor: author, moduleId: b.id, input: inputOf(`B edited ${round}`) }),
        setModuleArchived({ actor: author, moduleId: c.id, archived: true }),
        reorderModules({ actor: author, programmeId: programme.id, moduleIds: [c.id, b.id, a.id] }),
        moveModule({ actor: author, moduleId: a.id, direction: 'down' }),
        showOutline(programme.id),
        showAllOutlines(),
      ]);
      const expected = await fromModules(programme.id);
      expect(expected.map((e: { title: string }) => e.title)).to.include.members([
        `B edited ${round}`,
        `Added ${round}.3`,
      ]);
      expect(await stored(programme.id)).to.deep.equal(expected);
    }
  });

  it('an outline computed before a change that completed meanwhile is not written over it', async () => {
    const programme = await buildProgramme();
    await buildModule(programme.id, { title: 'A' });
    const before = await ProgrammeModel.findById(programme.id).lean();
    const staleOutline = await outlineFromModules(programme.id);
    await createModule({ actor: author, programmeId: programme.id, input: inputOf('B') });
    // A process that read the version before the change and computed A alone: its write matches nothing.
    const stale = await ProgrammeModel.updateOne(
      { _id: programme.id, outlineVersion: before!.outlineVersion ?? null },
      { $set: { outline: staleOutline } },
    );
    expect(stale.matchedCount).to.equal(0);
    expect(await titles(programme.id)).to.deep.equal(['A', 'B']);
  });

  it('a module changed by a process that stopped before its outline, and a programme stored before outlines, are healed by the repair, which changes nothing when run again', async () => {
    const left = await buildProgramme();
    const a = await buildModule(left.id, { title: 'A' });
    // The module was written; its writer stopped before outlineChanged.
    await ModuleModel.updateOne({ _id: a.id }, { $set: { title: 'A, edited' } });
    const older = await buildProgramme();
    await buildModule(older.id, { title: 'Old' });
    await ProgrammeModel.updateOne({ _id: older.id }, { $unset: { outline: 1, outlineVersion: 1 } });

    await showAllOutlines();
    expect(await titles(left.id)).to.deep.equal(['A, edited']);
    expect(await titles(older.id)).to.deep.equal(['Old']);
    const once = await ProgrammeModel.findById(older.id).lean();
    await showAllOutlines();
    expect(await ProgrammeModel.findById(older.id).lean()).to.deep.equal(once);
  });

  it('her home page lists the modules as the outline says, with their status, and follows an archive at once', async () => {
    const programme = await buildProgramme({ title: 'Leading with confidence' });
    const a = await buildModule(programme.id, { title: 'Knowing your worth' });
    await buildModule(programme.id, { title: 'Negotiating salary', prerequisites: [a.id] });
    const cohort = await buildCohort(programme.id);
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, cohort.id, programme.id);
    const agent = await signIn(app, learner.email, testPassword);
    const home = await agent.get('/').expect(200);
    expect(home.text).to.include('Knowing your worth').and.include('Negotiating salary');
    expect(home.text).to.match(/0 of 2 modules completed/);

    await setModuleArchived({ actor: author, moduleId: a.id, archived: true });
    const after = await agent.get('/').expect(200);
    expect(after.text).to.not.include('Knowing your worth');
    expect(after.text).to.match(/0 of 1 modules completed/);
    // The repair writes the same outline the change did.
    const written = await stored(programme.id);
    await outlineChanged(programme.id);
    expect(await stored(programme.id)).to.deep.equal(written);
  });
});
