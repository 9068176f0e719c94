import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { CompletionModel } from '../../models/Completion.ts';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { buildIndexes } from '../../server/db.ts';
import { ConflictError, ValidationError } from '../../server/errors.ts';
import {
  createModule,
  modulesOf,
  moveModule,
  reorderModules,
  setModuleArchived,
  updateModule,
} from '../../server/services/learning/programmes.ts';
import { formatQuestionsText, parseQuestionsText } from '../../routes/learningForms.ts';
import { csrfFrom, versionFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { confirmationPage, dialogOf } from '../support/confirmation.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';

const newModule = {
  title: 'Structured interviews',
  body: 'Ask **every** candidate the same questions.',
  estimatedMinutes: 20,
  completion: { type: 'view' },
};

describe('learning: authoring programmes and modules', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: { Authorization: string };
  before(async () => {
    app = testApp();
    admin = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}` };
  });

  it('an admin creates a governing-board programme, which defaults to a 36-month certificate validity', async () => {
    const res = await supertest(app)
      .post('/api/v1/programmes')
      .set(admin)
      .send({ title: 'Panel training', track: 'governing-board', summary: 'For panels.' })
      .expect(201);
    expect(res.body).to.include({
      title: 'Panel training',
      track: 'governing-board',
      status: 'draft',
      certificateValidityMonths: 36,
    });
    expect(res.body).to.not.have.any.keys('_id', '__v');
    await supertest(app)
      .post('/api/v1/programmes')
      .set(admin)
      .send({ title: 'X', track: 'astronaut', summary: 'Y' })
      .expect(422);
    await supertest(app)
      .post('/api/v1/programmes')
      .set(admin)
      .send({ title: 'X', track: 'new-head', summary: 'Y', extra: 1 })
      .expect(422);
  });

  it('a module with a quiz is created, its body sanitised on save, and GET shows the ordered modules', async () => {
    const programme = await buildProgramme();
    const quiz = { type: 'quiz', passMark: 50, questions: [{ prompt: 'Q?', choices: ['a', 'b'], correct: [0] }] };
    const created = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({
        ...newModule,
        body: 'Hi <img src=x onerror="alert(1)"><script>alert(2)</script> [x](javascript:alert(3))',
        completion: quiz,
      })
      .expect(201);
    expect(created.body.body).to.not.match(/onerror|script|javascript:/i);
    expect(created.body.html).to.not.match(/onerror|<script|javascript:/i);
    const stored = await ModuleModel.findById(created.body.id).lean();
    expect(stored!.body).to.not.match(/onerror|script|javascript:/i);
    await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({ ...newModule, title: 'Second' })
      .expect(201);
    const shown = await supertest(app).get(`/api/v1/programmes/${programme.id}`).set(admin).expect(200);
    expect(shown.body.modules.map((m: { title: string }) => m.title)).to.deep.equal([
      'Structured interviews',
      'Second',
    ]);
  });

  it('bad quiz definitions and unknown prerequisites are 422 with field errors', async () => {
    const programme = await buildProgramme();
    const bad = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({
        ...newModule,
        completion: { type: 'quiz', passMark: 50, questions: [{ prompt: 'Q?', choices: ['a', 'b'], correct: [5] }] },
      })
      .expect(422);
    expect(bad.body.errors[0].path).to.equal('completion.questions.0.correct');
    const other = await buildProgramme();
    const foreign = await buildModule(other.id);
    await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({ ...newModule, prerequisites: [foreign.id] })
      .expect(422);
    await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({ ...newModule, estimatedMinutes: { $gt: 1 } })
      .expect(422);
  });

  it('a quiz question offering the same choice twice (ignoring case and spaces) is a 422 naming it; nothing is stored', async () => {
    const programme = await buildProgramme();
    const question = {
      prompt: 'Who sits on the panel?',
      choices: ['The chair', 'A governor', ' the  CHAIR '],
      correct: [0],
    };
    const bad = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({ ...newModule, completion: { type: 'quiz', passMark: 50, questions: [question] } })
      .expect(422);
    expect(bad.body.errors).to.deep.equal([
      {
        path: 'completion.questions.0.choices',
        message: 'lists "the  CHAIR" twice: each choice must read differently',
      },
    ]);
    expect(await ModuleModel.countDocuments({ programmeId: programme.id })).to.equal(0);
  });

  it('a module named twice in prerequisites is a 422 on prerequisites, and nothing is stored or changed', async () => {
    const programme = await buildProgramme();
    const a = await buildModule(programme.id);
    const b = await buildModule(programme.id);
    const res = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({ ...newModule, prerequisites: [a.id, a.id] })
      .expect(422);
    expect(res.body.errors).to.deep.equal([{ path: 'prerequisites', message: 'lists a module twice' }]);
    expect(await ModuleModel.countDocuments({ programmeId: programme.id })).to.equal(2);
    await supertest(app)
      .patch(`/api/v1/modules/${b.id}`)
      .set(admin)
      .send({ prerequisites: [a.id, a.id] })
      .expect(422);
    expect((await ModuleModel.findById(b.id).lean())!.prerequisites).to.deep.equal([]);
  });

  it('prerequisites cannot make modules wait for each other in a circle', async () => {
    const programme = await buildProgramme();
    const a = await buildModule(programme.id);
    const b = await buildModule(programme.id, { prerequisites: [a.id] });
    const res = await supertest(app)
      .patch(`/api/v1/modules/${a.id}`)
      .set(admin)
      .send({ prerequisites: [b.id] })
      .expect(422);
    expect(res.body.errors[0].message).to.match(/circle/);
  });

  describe('two authors at the same moment (two processes)', () => {
    let author: Express.User;
    before(async () => {
      author = (await buildUser({ roles: ['admin'] })) as unknown as Express.User;
    });
    const inputOf = (title: string, prerequisites: string[] = []) => ({
      title,
      body: 'Text.',
      estimatedMinutes: 10,
      prerequisites,
      completion: { type: 'view' as const },
    });

    it('two edits that would each make the other module wait never leave modules waiting for each other', async () => {
      for (let round = 0; round < 3; round++) {
        const programme = await buildProgramme();
        const [a, b] = [await buildModule(programme.id), await buildModule(programme.id)];
        await Promise.allSettled([
          updateModule({ actor: author, moduleId: a.id, input: inputOf('A', [b.id]) }),
          updateModule({ actor: author, moduleId: b.id, input: inputOf('B', [a.id]) }),
        ]);
        const [ma, mb] = [await ModuleModel.findById(a.id).lean(), await ModuleModel.findById(b.id).lean()];
        const waits = (m: typeof ma, on: string) => m!.prerequisites.some((p) => String(p) === on);
        expect(waits(ma, b.id) && waits(mb, a.id)).to.equal(false);
      }
    });

    it('when an edit is refused because another made a circle meanwhile, none of it is saved: its title and prerequisites stay as they were', async () => {
      const programme = await buildProgramme();
      const a = await buildModule(programme.id, { title: 'A as it was' });
      const b = await buildModule(programme.id, { title: 'B as it was' });
      const before = (await ModuleModel.findById(a.id).lean())!;
      // A's edit reads the prerequisites (no circle yet) and waits; B's edit is saved meanwhile; then A's lands.
      const held = holdNextCall(ModuleModel, 'find', { lean: true });
      try {
        const refused = updateModule({ actor: author, moduleId: a.id, input: inputOf('A renamed', [b.id]) });
        const outcome = refused.then(
          () => null,
          (error: unknown) => error,
        );
        await held.reached;
        held.restore();
        await updateModule({ actor: author, moduleId: b.id, input: inputOf('B renamed', [a.id]) });
        held.release();
        expect(await outcome).to.be.instanceOf(ValidationError);
      } finally {
        held.restore();
        held.release();
      }
      const [ma, mb] = [(await ModuleModel.findById(a.id).lean())!, (await ModuleModel.findById(b.id).lean())!];
      expect(ma.title).to.equal('A as it was');
      expect(ma.body).to.equal(before.body);
      expect(ma.estimatedMinutes).to.equal(before.estimatedMinutes);
      expect(ma.prerequisites.map(String)).to.deep.equal([]);
      expect(mb.title).to.equal('B renamed');
      expect(mb.prerequisites.map(String)).to.deep.equal([a.id]);
    });

    it('an edit saved while the module is archived or moved elsewhere keeps the archive and the order', async () => {
      for (let round = 0; round < 3; round++) {
        const programme = await buildProgramme();
        const a = await buildModule(programme.id);
        await Promise.all([
          updateModule({ actor: author, moduleId: a.id, input: inputOf('Edited') }),
          setModuleArchived({ actor: author, moduleId: a.id, archived: true }),
        ]);
        expect(await ModuleModel.findById(a.id).lean()).to.include({ title: 'Edited', archived: true });
      }
    });

    const placesOf = async (programmeId: string) =>
      (await ModuleModel.find({ programmeId }, { position: 1 }).lean()).map((m) => m.position);
    const titlesInOrder = async (programmeId: string) => (await modulesOf(programmeId)).map((m) => m.title);

    it('eight modules added to one programme at the same moment get eight places of their own, 1 to 8', async () => {
      for (let round = 0; round < 2; round++) {
        const programme = await buildProgramme();
        const created = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            createModule({ actor: author, programmeId: programme.id, input: inputOf(`Module ${i + 1}`) }),
          ),
        );
        const places = [1, 2, 3, 4, 5, 6, 7, 8];
        expect(created.map((m) => m.position).sort((x, y) => x - y)).to.deep.equal(places);
        expect((await placesOf(programme.id)).sort((x, y) => x - y)).to.deep.equal(places);
      }
    });

    it('two reorders and an addition at the same moment leave every module on a place of its own; a refused reorder says its list no longer matches', async () => {
      for (let round = 0; round < 3; round++) {
        const programme = await buildProgramme();
        const [a, b, c, d] = [
          await buildModule(programme.id),
          await buildModule(programme.id),
          await buildModule(programme.id),
          await buildModule(programme.id),
        ];
        const [first, second, added] = await Promise.allSettled([
          reorderModules({ actor: author, programmeId: programme.id, moduleIds: [d.id, c.id, b.id, a.id] }),
          reorderModules({ actor: author, programmeId: programme.id, moduleIds: [b.id, a.id, d.id, c.id] }),
          createModule({ actor: author, programmeId: programme.id, input: inputOf('Added') }),
        ]);
        expect(added.status, String((added as PromiseRejectedResult).reason)).to.equal('fulfilled');
        // Refused: a 409 when the modules changed while it moved them, a 422 when the addition landed before it read them
        // (its list of four then does not match the five there are); never anything else.
        for (const r of [first, second])
          if (r.status === 'rejected')
            expect(r.reason instanceof ConflictError || r.reason instanceof ValidationError, String(r.reason)).to.equal(
              true,
            );
        const places = await placesOf(programme.id);
        expect(places).to.have.length(5);
        expect(new Set(places).size).to.equal(5);
      }
    });

    it('an addition that lost its place to another author’s module, which a reorder then moved on, is added at the next place (it failed as “module not found”)', async () => {
      const programme = await buildProgramme();
      const first = await buildModule(programme.id);
      const firstPlace = (await ModuleModel.findById(first.id).lean())!.position;
      const model = ModuleModel as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const [create, exists] = [model.create!, model.exists!];
      // Another author's module takes the very place this addition is about to insert at...
      model.create = async function (this: unknown, ...args: unknown[]) {
        model.create = create;
        const doc = args[0] as Record<string, unknown>;
        await create.call(ModuleModel, { ...doc, title: 'Another author’s', submissionKey: `other-${first.id}` });
        return create.apply(this, args);
      };
      // ...and a reorder moves it on before anything looks at that place again.
      model.exists = async function (this: unknown, ...args: unknown[]) {
        model.exists = exists;
        await ModuleModel.updateOne(
          { programmeId: programme.id, title: 'Another author’s' },
          { $set: { position: firstPlace + 50 } },
        );
        return exists.apply(this, args);
      };
      try {
        const added = await createModule({ actor: author, programmeId: programme.id, input: inputOf('Added') });
        expect(added).to.include({ title: 'Added' });
        expect(await placesOf(programme.id)).to.have.length(3);
        expect(new Set(await placesOf(programme.id)).size).to.equal(3);
      } finally {
        model.create = create;
        model.exists = exists;
      }
    });

    it('moves up and down at the same moment (the web buttons) leave every module on a place of its own', async () => {
      for (let round = 0; round < 3; round++) {
        const programme = await buildProgramme();
        const [a, b, c] = [
          await buildModule(programme.id),
          await buildModule(programme.id),
          await buildModule(programme.id),
        ];
        const results = await Promise.allSettled([
          moveModule({ actor: author, moduleId: b.id, direction: 'up' }),
          moveModule({ actor: author, moduleId: c.id, direction: 'up' }),
          moveModule({ actor: author, moduleId: a.id, direction: 'down' }),
        ]);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(ConflictError);
        expect(new Set(await placesOf(programme.id)).size).to.equal(3);
      }
    });

    it('a move button pressed while other authors add modules is never refused: the module ends just above the one that was above it', async () => {
      for (let round = 0; round < 3; round++) {
        const programme = await buildProgramme();
        const [, b, c] = [
          await buildModule(programme.id),
          await buildModule(programme.id),
          await buildModule(programme.id),
          await buildModule(programme.id),
        ];
        const [moved, ...added] = await Promise.allSettled([
          moveModule({ actor: author, moduleId: c.id, direction: 'up' }),
          ...Array.from({ length: 3 }, (_, i) =>
            createModule({ actor: author, programmeId: programme.id, input: inputOf(`Added ${i + 1}`) }),
          ),
        ]);
        expect(moved.status, moved.status === 'rejected' ? String(moved.reason) : '').to.equal('fulfilled');
        // An addition may lose every one of its tries to the others on a busy machine: then it is told so (409, the
        // authoring page's "busy"), never half-written. Each one that was answered is in the order.
        for (const a of added) if (a.status === 'rejected') expect(a.reason).to.be.instanceOf(ConflictError);
        const landed = 4 + added.filter((a) => a.status === 'fulfilled').length;
        const order = (await modulesOf(programme.id)).map((m) => String(m._id));
        expect(order).to.have.length(landed);
        expect(order.indexOf(c.id)).to.equal(order.indexOf(b.id) - 1);
        expect(new Set(await placesOf(programme.id)).size).to.equal(landed);
      }
    });

    it('a reorder never gives an archived module’s place to another, and a restored module comes back at the end', async () => {
      const programme = await buildProgramme();
      const add = async (title: string) =>
        String((await createModule({ actor: author, programmeId: programme.id, input: inputOf(title) }))._id);
      const [a, b, c] = [await add('A'), await add('B'), await add('C')];
      expect(await placesOf(programme.id)).to.have.members([1, 2, 3]);
      await setModuleArchived({ actor: author, moduleId: a, archived: true });
      await reorderModules({ actor: author, programmeId: programme.id, moduleIds: [c, b] });
      expect(await titlesInOrder(programme.id)).to.deep.equal(['C', 'B']);
      expect(new Set(await placesOf(programme.id)).size).to.equal(3);
      await Promise.all([
        setModuleArchived({ actor: author, moduleId: a, archived: false }),
        setModuleArchived({ actor: author, moduleId: a, archived: false }),
      ]);
      expect(await titlesInOrder(programme.id)).to.deep.equal(['C', 'B', 'A']);
      expect(new Set(await placesOf(programme.id)).size).to.equal(3);
    });

    it('two API edits of different fields at once: each one answered 200 is kept (a stale one is a 409)', async () => {
      for (let round = 0; round < 3; round++) {
        const programme = await buildProgramme();
        const a = await buildModule(programme.id);
        const [title, minutes] = await Promise.all([
          supertest(app).patch(`/api/v1/modules/${a.id}`).set(admin).send({ title: 'New title' }),
          supertest(app).patch(`/api/v1/modules/${a.id}`).set(admin).send({ estimatedMinutes: 45 }),
        ]);
        expect([title.status, minutes.status]).to.satisfy((s: number[]) => s.every((x) => x === 200 || x === 409));
        const stored = (await ModuleModel.findById(a.id).lean())!;
        if (title.status === 200) expect(stored.title).to.equal('New title');
        if (minutes.status === 200) expect(stored.estimatedMinutes).to.equal(45);
      }
    });
  });

  it('a facilitator of one of the programme’s cohorts authors its modules; a facilitator of another programme gets 403', async () => {
    const programme = await buildProgramme();
    const mine = await buildUser({ roles: ['facilitator'] });
    const stranger = await buildUser({ roles: ['facilitator'] });
    await buildCohort(programme.id, { facilitatorIds: [mine.id] });
    await buildCohort((await buildProgramme()).id, { facilitatorIds: [stranger.id] });
    await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set({ Authorization: `Bearer ${await tokenFor(mine)}` })
      .send(newModule)
      .expect(201);
    await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set({ Authorization: `Bearer ${await tokenFor(stranger)}` })
      .send(newModule)
      .expect(403);
    expect(await ModuleModel.countDocuments({ programmeId: programme.id })).to.equal(1);
  });

  it('every API write answers 403 to a participant and writes nothing', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { title: 'Original' });
    const participant = { Authorization: `Bearer ${await tokenFor(await buildUser())}` };
    await supertest(app)
      .post('/api/v1/programmes')
      .set(participant)
      .send({ title: 'X', track: 'new-head', summary: 'Y' })
      .expect(403);
    await supertest(app)
      .patch(`/api/v1/programmes/${programme.id}`)
      .set(participant)
      .send({ title: 'Hijacked' })
      .expect(403);
    await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(participant)
      .send(newModule)
      .expect(403);
    await supertest(app)
      .put(`/api/v1/programmes/${programme.id}/module-order`)
      .set(participant)
      .send({ moduleIds: [module.id] })
      .expect(403);
    await supertest(app).patch(`/api/v1/modules/${module.id}`).set(participant).send({ title: 'Hijacked' }).expect(403);
    await supertest(app).patch(`/api/v1/modules/${module.id}`).set(participant).send({ archived: true }).expect(403);
    const facilitator = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['facilitator'] }))}` };
    await supertest(app).patch(`/api/v1/modules/${module.id}`).set(facilitator).send({ archived: true }).expect(403);
    await supertest(app)
      .put(`/api/v1/programmes/${programme.id}/module-order`)
      .set(facilitator)
      .send({ moduleIds: [module.id] })
      .expect(403);
    await supertest(app)
      .patch(`/api/v1/programmes/${programme.id}`)
      .set(facilitator)
      .send({ title: 'Hijacked' })
      .expect(403);
    expect((await ModuleModel.findById(module.id).lean())!).to.include({ title: 'Original', archived: false });
    expect((await ProgrammeModel.findById(programme.id).lean())!.title).to.equal(programme.title);
    expect(await ProgrammeModel.countDocuments({ title: 'X' })).to.equal(0);
  });

  it('every web form write answers 403 to a participant and writes nothing', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { title: 'Original' });
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const _csrf = await csrfOf(agent, '/programmes');
    const form = {
      _csrf,
      title: 'Hijacked',
      body: 'x',
      estimatedMinutes: '5',
      completionType: 'view',
      track: 'new-head',
      summary: 'x',
      status: 'published',
    };
    for (const path of [
      '/programmes',
      `/programmes/${programme.id}`,
      `/programmes/${programme.id}/modules`,
      `/modules/${module.id}`,
      `/modules/${module.id}/move`,
      `/modules/${module.id}/archive`,
      `/modules/${module.id}/restore`,
    ]) {
      const res = await agent.post(path).type('form').send(form);
      expect(res.status, path).to.equal(403);
    }
    for (const path of [
      '/programmes/new',
      `/programmes/${programme.id}/edit`,
      `/programmes/${programme.id}/modules/new`,
      `/modules/${module.id}/edit`,
    ]) {
      expect((await agent.get(path)).status, path).to.equal(403);
    }
    expect((await ModuleModel.findById(module.id).lean())!).to.include({ title: 'Original', archived: false });
    expect(await ProgrammeModel.countDocuments({ title: 'Hijacked' })).to.equal(0);
  });

  it('an admin edits a module on the web with a preview first; the preview saves nothing and completions survive the save', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { title: 'Before' });
    const learner = await buildUser();
    const cohort = await buildCohort(programme.id);
    await enrol(learner.id, cohort.id, programme.id);
    await supertest(app)
      .post(`/api/v1/modules/${module.id}/completion`)
      .set({ Authorization: `Bearer ${await tokenFor(learner)}` })
      .send({})
      .expect(200);
    const adminUser = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, adminUser.email, testPassword);
    const _csrf = await csrfOf(agent, `/modules/${module.id}/edit`);
    const fields = {
      _csrf,
      title: 'After',
      body: '## Fresh\n\nNew <script>alert(1)</script>text',
      estimatedMinutes: '15',
      completionType: 'view',
      passMark: '80',
      questions: '',
      resources: 'Guide | https://example.org/guide',
    };
    const preview = await agent
      .post(`/modules/${module.id}`)
      .type('form')
      .send({ ...fields, action: 'preview' })
      .expect(200);
    expect(preview.text).to.include('<h3>Fresh</h3>');
    expect(preview.text).to.not.include('<script>alert(1)');
    expect((await ModuleModel.findById(module.id).lean())!.title).to.equal('Before');
    await agent
      .post(`/modules/${module.id}`)
      .type('form')
      .send({ ...fields, action: 'save' })
      .expect(303);
    const saved = await ModuleModel.findById(module.id).lean();
    expect(saved).to.include({ title: 'After', estimatedMinutes: 15 });
    expect(saved!.body).to.not.include('script');
    expect(saved!.resources[0]).to.include({ title: 'Guide', url: 'https://example.org/guide' });
    expect(await CompletionModel.countDocuments({ moduleId: module.id })).to.equal(1);
  });

  it('a module body is held to the rule of written text: a NUL, half a surrogate pair, a direction override or only invisible characters is a 422 at body, in the API and on the form; line breaks, tabs and leading spaces are kept', async () => {
    const programme = await buildProgramme();
    for (const [body, says] of [
      ['a\u0000b', 'contains a control character'],
      ['a\ud800b', 'must not contain a character that is not text'],
      ['\u202eevil', 'must not contain a text-direction override'],
      ['\u200b\u200b', 'is required: it has only spaces or invisible characters'],
      [' \n\t ', 'is required: it has only spaces or invisible characters'],
    ]) {
      const refused = await supertest(app)
        .post(`/api/v1/programmes/${programme.id}/modules`)
        .set(admin)
        .send({ ...newModule, body })
        .expect(422);
      expect(refused.body.errors).to.have.length(1);
      expect(refused.body.errors[0]).to.include({ path: 'body' });
      expect(refused.body.errors[0].message).to.include(says);
    }
    const module = await buildModule(programme.id);
    await supertest(app).patch(`/api/v1/modules/${module.id}`).set(admin).send({ body: 'Read\u202e this' }).expect(422);
    const agent = await signIn(app, (await buildUser({ roles: ['admin'] })).email, testPassword);
    const form = await agent
      .post(`/modules/${module.id}`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/modules/${module.id}/edit`),
        title: 'Edited',
        body: 'Read\u0007 this',
        estimatedMinutes: '10',
        completionType: 'view',
        action: 'save',
      })
      .expect(422);
    expect(form.text).to.include('field-body-error').and.include('contains a control character');
    expect(await ModuleModel.countDocuments({ programmeId: programme.id })).to.equal(1);
    expect((await ModuleModel.findById(module.id).lean())!.title).to.equal(module.title);
    const kept = '    code block\n\n\tand a tab\n';
    const created = await supertest(app)
      .post(`/api/v1/programmes/${programme.id}/modules`)
      .set(admin)
      .send({ ...newModule, body: kept })
      .expect(201);
    expect((await ModuleModel.findById(created.body.id).lean())!.body).to.equal(kept);
  });

  it('a body stored before the rule, holding characters it refuses, opens in the edit form without them and says so, and saves', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { body: 'Read\u202e this\u000c twice' });
    const agent = await signIn(app, (await buildUser({ roles: ['admin'] })).email, testPassword);
    const page = await agent.get(`/modules/${module.id}/edit`).expect(200);
    expect(page.text).to.include('The text held 2 characters that cannot be saved');
    expect(page.text).to.include('>Read this twice</textarea>');
    await agent
      .post(`/modules/${module.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        version: versionFrom(page.text),
        title: module.title,
        body: 'Read this twice',
        estimatedMinutes: '10',
        completionType: 'view',
        action: 'save',
      })
      .expect(303);
    expect((await ModuleModel.findById(module.id).lean())!.body).to.equal('Read this twice');
    const again = await agent.get(`/modules/${module.id}/edit`).expect(200);
    expect(again.text).to.not.include('cannot be saved');
  });

  it('a quiz whose question the API stored over several lines opens in the edit form as text that saves back unchanged in meaning', () => {
    const stored = [
      { prompt: 'Consider this:\n\nwhich is right?', choices: ['one', 'two\nlines'], correct: [1] },
      { prompt: 'Second', choices: ['a', 'b'], correct: [0] },
    ];
    const text = formatQuestionsText(stored);
    const read = parseQuestionsText(text);
    expect(read.error).to.equal(undefined);
    expect(read.questions).to.deep.equal([
      { prompt: 'Consider this: which is right?', choices: ['one', 'two lines'], correct: [1] },
      { prompt: 'Second', choices: ['a', 'b'], correct: [0] },
    ]);
  });

  it('a web edit never silently undoes a co-author’s save made after the form was opened: 409 with her text kept, saved only when sent again', async () => {
    const programme = await buildProgramme();
    const module = await buildModule(programme.id, { title: 'Opened' });
    const agent = await signIn(app, (await buildUser({ roles: ['admin'] })).email, testPassword);
    const page = await agent.get(`/modules/${module.id}/edit`).expect(200);
    const mine = {
      _csrf: csrfFrom(page.text),
      version: versionFrom(page.text),
      title: 'Her title',
      body: 'Her long body, typed for an hour.',
      estimatedMinutes: 'ten',
      completionType: 'view',
      action: 'save',
    };
    // Refused for a field first: the form comes back keeping the version she opened.
    const refused = await agent.post(`/modules/${module.id}`).type('form').send(mine).expect(422);
    expect(versionFrom(refused.text)).to.equal(mine.version);
    // Meanwhile a co-author saves through the API.
    await supertest(app)
      .patch(`/api/v1/modules/${module.id}`)
      .set(admin)
      .send({ title: 'Co-author title' })
      .expect(200);
    const conflict = await agent
      .post(`/modules/${module.id}`)
      .type('form')
      .send({ ...mine, estimatedMinutes: '10' })
      .expect(409);
    expect(conflict.text).to.include('This module was saved again after you opened it');
    expect(conflict.text)
      .to.include('value="Her title"')
      .and.to.include('Her long body, typed for an hour.</textarea>');
    expect((await ModuleModel.findById(module.id).lean())!.title).to.equal('Co-author title');
    // Sent again from that page, knowing, it is saved.
    await agent
      .post(`/modules/${module.id}`)
      .type('form')
      .send({ ...mine, estimatedMinutes: '10', version: versionFrom(conflict.text) })
      .expect(303);
    expect((await ModuleModel.findById(module.id).lean())!.title).to.equal('Her title');
  });

  it('a module page, its API html and the new-module preview fit the body’s headings under the page’s own, skipping no level', async () => {
    /** Heading levels in page order, from the page's h1 on (the layout's own landmarks come before it). */
    const outline = (html: string) =>
      [...html.slice(html.indexOf('<h1')).matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
    const skipsNoLevel = (levels: number[]) => levels.every((level, i) => i === 0 || level <= levels[i - 1]! + 1);
    const programme = await buildProgramme();
    const deep = await buildModule(programme.id, {
      body: '### Before you start\n\nRead this.\n\n#### A detail\n\n### Then',
    });
    const top = await buildModule(programme.id, { body: '# Welcome\n\n## Part one\n\nText.' });
    const adminUser = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, adminUser.email, testPassword);

    const deepPage = await agent.get(`/modules/${deep.id}`).expect(200);
    expect(deepPage.text).to.include('<h2>Before you start</h2>').and.include('<h3>A detail</h3>');
    expect(outline(deepPage.text)).to.satisfy(skipsNoLevel);
    const topPage = await agent.get(`/modules/${top.id}`).expect(200);
    expect(topPage.text).to.include('<h2>Welcome</h2>').and.include('<h3>Part one</h3>');
    expect(outline(topPage.text)).to.satisfy(skipsNoLevel);
    const api = await supertest(app).get(`/api/v1/modules/${deep.id}`).set(admin).expect(200);
    expect(api.body.html).to.include('<h2>Before you start</h2>');

    const _csrf = await csrfOf(agent, `/programmes/${programme.id}/modules/new`);
    const preview = await agent
      .post(`/programmes/${programme.id}/modules`)
      .type('form')
      .send({ _csrf, title: 'New', body: '### Fresh\n\n#### Detail', estimatedMinutes: '5', action: 'preview' })
      .expect(200);
    expect(preview.text).to.include('<h2 id="preview-heading">Preview</h2>');
    expect(preview.text).to.include('<h3>Fresh</h3>').and.include('<h4>Detail</h4>');
    expect(outline(preview.text)).to.satisfy(skipsNoLevel);
  });

  it('a bad web module form is re-rendered with 422, the errors and what she typed', async () => {
    const programme = await buildProgramme();
    const adminUser = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, adminUser.email, testPassword);
    const _csrf = await csrfOf(agent, `/programmes/${programme.id}/modules/new`);
    const res = await agent
      .post(`/programmes/${programme.id}/modules`)
      .type('form')
      .send({
        _csrf,
        title: 'Knowledge check',
        body: 'Answer these.',
        estimatedMinutes: '10',
        completionType: 'quiz',
        passMark: '80',
        questions: '? What first?\n- candidates\nbad line',
        action: 'save',
      })
      .expect(422);
    expect(res.text).to.include('start each line with ?, - or *');
    expect(res.text).to.include('Knowledge check');
    // The field shows the first thing wrong, as the summary does, not what followed from it.
    const quizField = async (questions: string) => {
      const page = await agent
        .post(`/programmes/${programme.id}/modules`)
        .type('form')
        .send({
          _csrf,
          title: 'Q',
          body: 'B',
          estimatedMinutes: '10',
          completionType: 'quiz',
          passMark: '80',
          questions,
        })
        .expect(422);
      return /id="field-questions-error"[^>]*>([\s\S]*?)<\/p>/.exec(page.text)?.[1] ?? '';
    };
    expect(await quizField('Which?\n* a\n- b')).to.include('start each line with ?, - or *');
    // A question of its own says which it is.
    expect(await quizField('? Q1\n* a\n- b\n\n? Q2\n* c\n- d\n\n? Q3\n* only')).to.match(/question 3/i);
    const ok = await agent
      .post(`/programmes/${programme.id}/modules`)
      .type('form')
      .send({
        _csrf,
        title: 'Knowledge check',
        body: 'Answer these.',
        estimatedMinutes: '10',
        completionType: 'quiz',
        passMark: '80',
        questions: '? What first?\n- candidates\n* criteria\n\n? Fair?\n* same questions\n* scoring\n- chatting',
        action: 'save',
      })
      .expect(303);
    expect(ok.headers.location).to.equal(`/programmes/${programme.id}`);
    const stored = await ModuleModel.findOne({ programmeId: programme.id }).lean();
    expect(stored!.completion!.questions!.map((q) => q.correct)).to.deep.equal([[1], [0, 1]]);
  });

  it('saving the edit form keeps a prerequisite since retired (the form cannot show it): restored, it guards again', async () => {
    const programme = await buildProgramme();
    const first = await buildModule(programme.id, { title: 'Comes first' });
    const second = await buildModule(programme.id, { title: 'Comes second', prerequisites: [first.id] });
    const adminUser = await buildUser({ roles: ['admin'] });
    const adminAuth = { Authorization: `Bearer ${await tokenFor(adminUser)}` };
    await supertest(app).patch(`/api/v1/modules/${first.id}`).set(adminAuth).send({ archived: true }).expect(200);
    const agent = await signIn(app, adminUser.email, testPassword);
    await agent
      .post(`/modules/${second.id}`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/modules/${second.id}/edit`),
        title: 'Comes second, renamed',
        body: 'Text.',
        estimatedMinutes: '10',
        completionType: 'view',
        passMark: '80',
        questions: '',
        resources: '',
        action: 'save',
      })
      .expect(303);
    const saved = (await ModuleModel.findById(second.id).lean())!;
    expect(saved.title).to.equal('Comes second, renamed');
    expect(saved.prerequisites.map(String)).to.deep.equal([first.id]);
  });

  it('reorders modules (API and the move buttons) and archives and restores one', async () => {
    const programme = await buildProgramme();
    const [a, b, c] = [
      await buildModule(programme.id, { title: 'A' }),
      await buildModule(programme.id, { title: 'B' }),
      await buildModule(programme.id, { title: 'C' }),
    ];
    const res = await supertest(app)
      .put(`/api/v1/programmes/${programme.id}/module-order`)
      .set(admin)
      .send({ moduleIds: [c.id, a.id, b.id] })
      .expect(200);
    expect(res.body.items.map((m: { title: string }) => m.title)).to.deep.equal(['C', 'A', 'B']);
    await supertest(app)
      .put(`/api/v1/programmes/${programme.id}/module-order`)
      .set(admin)
      .send({ moduleIds: [c.id, a.id] })
      .expect(422);
    const adminUser = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, adminUser.email, testPassword);
    const _csrf = await csrfOf(agent, `/programmes/${programme.id}`);
    await agent.post(`/modules/${b.id}/move`).type('form').send({ _csrf, direction: 'up' }).expect(303);
    await agent.post(`/modules/${c.id}/archive`).type('form').send({ _csrf, confirmed: 'yes' }).expect(303);
    const shown = await supertest(app).get(`/api/v1/programmes/${programme.id}`).set(admin).expect(200);
    expect(
      shown.body.modules.map(
        (m: { title: string; archived: boolean }) => `${m.title}${m.archived ? '(archived)' : ''}`,
      ),
    ).to.deep.equal(['B', 'A', 'C(archived)']);
    await agent.post(`/modules/${c.id}/restore`).type('form').send({ _csrf }).expect(303);
    expect((await ModuleModel.findById(c.id).lean())!.archived).to.equal(false);
  });

  it('archiving a module on the web without JavaScript first asks, naming the module and its programme, and archives only once she says yes', async () => {
    const programme = await buildProgramme({ title: 'New heads' });
    const module = await buildModule(programme.id, { title: 'Quarterly <b>review</b>' });
    const mine = await buildUser({ roles: ['facilitator'] });
    const stranger = await buildUser({ roles: ['facilitator'] });
    await buildCohort(programme.id, { facilitatorIds: [mine.id] });
    await buildCohort((await buildProgramme()).id, { facilitatorIds: [stranger.id] });
    const path = `/modules/${module.id}/archive`;

    const strangerAgent = await signIn(app, stranger.email, testPassword);
    const refused = await strangerAgent
      .post(path)
      .type('form')
      .send({ _csrf: await csrfOf(strangerAgent, '/programmes') })
      .expect(403);
    expect(refused.text).not.to.include('Quarterly');

    const agent = await signIn(app, mine.email, testPassword);
    const programmePage = await agent.get(`/programmes/${programme.id}`).expect(200);
    const _csrf = csrfFrom(programmePage.text);
    const asked = await agent.post(path).type('form').send({ _csrf, confirmed: '' }).expect(200);
    const page = confirmationPage(asked.text);
    expect(page).to.deep.include({
      question: 'Archive the module “Quarterly <b>review</b>” of “New heads”?',
      consequences: [
        'It no longer counts towards anyone’s progress, and participants no longer see it. Completions are kept, and you can restore it later.',
        'Anyone for whom it was the last module left completes the programme now and gets her certificate.',
      ],
      action: path,
      fields: { _csrf, confirmed: 'yes' },
      yes: 'Yes, archive the module',
      back: `/programmes/${programme.id}`,
    });
    expect(asked.text).not.to.include('<b>review</b>');
    expect(dialogOf(programmePage.text, path)).to.equal([page.question, ...page.consequences].join(' '));
    expect((await ModuleModel.findById(module.id).lean())!.archived).to.equal(false);

    await agent.post(page.action).type('form').send(page.fields).expect(303);
    expect((await ModuleModel.findById(module.id).lean())!.archived).to.equal(true);
    // Archived already: nothing to ask.
    await agent.post(path).type('form').send({ _csrf }).expect(303);
  });

  it('drafts are hidden from participants (404), published programmes are listed', async () => {
    const draft = await buildProgramme({ status: 'draft', title: 'Secret draft' });
    const published = await buildProgramme({ title: 'Open programme' });
    const participant = { Authorization: `Bearer ${await tokenFor(await buildUser())}` };
    await supertest(app).get(`/api/v1/programmes/${draft.id}`).set(participant).expect(404);
    const list = await supertest(app).get('/api/v1/programmes').set(participant).expect(200);
    const titles = list.body.items.map((p: { title: string }) => p.title);
    expect(titles).to.include(published.title).and.not.include('Secret draft');
  });

  it('every learning operation is in the OpenAPI document', async () => {
    const doc = (await supertest(app).get('/api/v1/openapi.json').expect(200)).body;
    for (const path of [
      '/programmes',
      '/programmes/{id}',
      '/programmes/{id}/modules',
      '/programmes/{id}/module-order',
      '/modules/{id}',
      '/modules/{id}/completion',
      '/me/certificates',
      '/certificates/verify/{code}',
      '/me/progress',
      '/cohorts/{id}/progress',
    ]) {
      expect(doc.paths, path).to.have.property(path);
    }
    expect(doc.paths['/modules/{id}/completion'].post).to.have.property('requestBody');
  });

  describe('a database written before modules had places of their own', () => {
    const placeIndex = 'programmeId_1_position_1';
    /** Modules as an earlier version could leave them: ids in creation order, places possibly shared. */
    async function insertOldModules(places: { title: string; position: number; archived?: boolean }[]) {
      const programmeId = new Types.ObjectId((await buildProgramme()).id);
      await ModuleModel.collection.insertMany(
        places.map((p) => ({
          _id: new Types.ObjectId(),
          programmeId,
          title: p.title,
          body: 'Text.',
          estimatedMinutes: 10,
          prerequisites: [],
          resources: [],
          completion: { type: 'view' },
          position: p.position,
          archived: p.archived ?? false,
        })),
      );
      return String(programmeId);
    }
    const shownOf = async (programmeId: string) =>
      (await ModuleModel.find({ programmeId }).lean())
        .sort((x, y) => x.position - y.position)
        .map((m) => `${m.title}@${m.position}`);

    it('when the app connects, modules sharing a place are renumbered in the order shown, then the unique index is built', async () => {
      await ModuleModel.collection.dropIndex(placeIndex);
      const broken = await insertOldModules([
        { title: 'A', position: 1 },
        { title: 'B', position: 2 },
        { title: 'Archived', position: 2, archived: true },
        { title: 'C', position: 2 },
      ]);
      const fine = await insertOldModules([
        { title: 'X', position: 4 },
        { title: 'Y', position: 9 },
      ]);
      await buildIndexes();
      expect(await shownOf(broken)).to.deep.equal(['A@1', 'B@2', 'Archived@3', 'C@4']);
      expect(await shownOf(fine)).to.deep.equal(['X@4', 'Y@9']);
      const index = (await ModuleModel.collection.indexes()).find((i) => i.name === placeIndex);
      expect(index).to.include({ unique: true });
      await buildIndexes();
      expect(await shownOf(broken)).to.deep.equal(['A@1', 'B@2', 'Archived@3', 'C@4']);
    });

    it('two processes repairing at once both leave every module a place of its own', async () => {
      for (let round = 0; round < 3; round++) {
        await ModuleModel.collection.dropIndex(placeIndex);
        const programmes = await Promise.all(
          [0, 1, 2].map(() =>
            insertOldModules([
              { title: 'A', position: 3 },
              { title: 'B', position: 3 },
              { title: 'C', position: 1 },
              { title: 'D', position: 3 },
              { title: 'E', position: 2 },
            ]),
          ),
        );
        await Promise.all([ModuleModel.repairBeforeIndexes(), ModuleModel.repairBeforeIndexes()]);
        await ModuleModel.createIndexes();
        for (const p of programmes) expect(await shownOf(p)).to.deep.equal(['C@1', 'E@2', 'A@3', 'B@4', 'D@5']);
      }
    });

    it('a repair that stopped half-way is finished in the order the programme had before it began', async () => {
      await ModuleModel.collection.dropIndex(placeIndex);
      const programmeId = await insertOldModules([
        { title: 'A', position: 3 },
        { title: 'B', position: 3 },
        { title: 'C', position: 1 },
        { title: 'D', position: 3 },
        { title: 'E', position: 2 },
      ]);
      // What a process leaves when it stops after recording every place and moving B alone: numbered from the places
      // as they now are, D (still 3) would come before B (now 4).
      for (const m of await ModuleModel.find({ programmeId }).lean()) {
        await ModuleModel.updateOne({ _id: m._id }, { $set: { positionBeforeRepair: m.position } });
      }
      await ModuleModel.updateOne({ programmeId, title: 'B' }, { $set: { position: 4 } });
      await buildIndexes();
      expect(await shownOf(programmeId)).to.deep.equal(['C@1', 'E@2', 'A@3', 'B@4', 'D@5']);
    });
  });
});
