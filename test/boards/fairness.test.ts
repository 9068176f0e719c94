import { expect } from 'chai';
import supertest from 'supertest';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { recentRoundReadiness, suppressSmallNumbers } from '../../server/services/boards/fairness.ts';
import '../../server/services/boards/subscriptions.ts';
import { roundReadinessFor } from '../../server/services/pledge/boards.ts';
import { signIn, testApp, csrfOf } from '../support/app.ts';
import { buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

describe('boards: fairness figures without names, small numbers suppressed beyond the board', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let chair: TestUser;
  let board: { id: string };

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    chair = await buildUser({ roles: ['governor'] });
    board = await buildBoard([{ user: chair, role: 'chair' }], { name: 'Aardvark Board' });
  });

  it('suppresses counts under 5, and a second count when the total would give a single hidden one away', () => {
    expect(suppressSmallNumbers({ women: 12, men: 9, other: 0, preferNotToSay: 6 })).to.deep.equal({
      cells: { women: 12, men: 9, other: null, preferNotToSay: null },
      total: 27,
    });
    expect(suppressSmallNumbers({ women: 12, men: 9, other: 7, preferNotToSay: 6 })).to.deep.equal({
      cells: { women: 12, men: 9, other: 7, preferNotToSay: 6 },
      total: 34,
    });
    expect(suppressSmallNumbers({ women: 2, men: 1, other: 0, preferNotToSay: 0 })).to.deep.equal({
      cells: { women: null, men: null, other: null, preferNotToSay: null },
      total: null,
    });
    expect(suppressSmallNumbers({ women: 3, men: 4, other: 0, preferNotToSay: 0 }).total).to.equal(7);
  });

  it('lets the chair record figures, shows the board its exact counts, and shows admins the cross-board view suppressed', async () => {
    const round = await buildRound(board.id, { interviewDates: ['2026-06-10'], panel: [chair] });
    const agent = await signIn(app, chair.email, testPassword);
    await agent
      .post(`/rounds/${round.id}/figures`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/rounds/${round.id}`),
        applicants_women: '14',
        applicants_men: '3',
        applicants_other: '',
        applicants_preferNotToSay: '1',
        shortlisted_women: '4',
        shortlisted_men: '1',
        appointed_women: '1',
      })
      .expect(303);
    const saved = (await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures!;
    expect(saved.applicants).to.deep.include({ women: 14, men: 3, preferNotToSay: 1 });
    const boardPage = await agent.get(`/boards/${board.id}`).expect(200);
    expect(boardPage.text).to.include('<td>3</td>');

    const res = await supertest(app)
      .get('/api/v1/boards/fairness')
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .expect(200);
    const mine = res.body.boards.find((b: { id: string }) => b.id === board.id);
    expect(mine.applicants).to.deep.equal({
      cells: { women: 14, men: null, other: null, preferNotToSay: null },
      total: 18,
    });
    expect(mine.appointed.cells.women).to.equal(null);
    const adminAgent = await signIn(app, admin.email, testPassword);
    const page = await adminAgent.get('/boards/fairness').expect(200);
    expect(page.text).to.include('Fewer than 5');
    expect(page.text).to.not.match(/<td>3<\/td>/);
  });

  it('rejects counts that are not whole numbers from 0 (422, nothing saved)', async () => {
    const round = await buildRound(board.id, { interviewDates: ['2026-06-10'], panel: [chair] });
    await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', `Bearer ${await tokenFor(chair)}`)
      .send({ applicants: { women: -1 } })
      .expect(422);
    await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', `Bearer ${await tokenFor(chair)}`)
      .send({ applicants: { women: { $gt: 1 } } })
      .expect(422);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures?.applicants).to.equal(undefined);
  });

  it('refuses more shortlisted than applied, or appointed than shortlisted, in a category (422 naming the cell, nothing saved)', async () => {
    const round = await buildRound(board.id, { interviewDates: ['2026-06-10'], panel: [chair] });
    const res = await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', `Bearer ${await tokenFor(chair)}`)
      .send({ applicants: { women: 1, men: 2 }, shortlisted: { women: 5, men: 2 }, appointed: { women: 6 } })
      .expect(422);
    expect(res.body.errors).to.deep.equal([
      { path: 'shortlisted.women', message: 'must not be more than the applicants (1)' },
      { path: 'appointed.women', message: 'must not be more than the shortlisted (5)' },
    ]);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures?.applicants).to.equal(undefined);
    // A stage left unrecorded is not compared: the shortlist alone may be recorded first.
    await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', `Bearer ${await tokenFor(chair)}`)
      .send({ shortlisted: { women: 5 }, appointed: { women: 1 } })
      .expect(200);
  });

  it('the figures form refused (more shortlisted than applied) comes back with every count as she typed it, the failing cell marked and linked', async () => {
    const round = await buildRound(board.id, { interviewDates: ['2026-06-10'], panel: [chair] });
    const agent = await signIn(app, chair.email, testPassword);
    const page = `/rounds/${round.id}`;
    const send = (counts: Record<string, string>) =>
      csrfOf(agent, page).then((_csrf) =>
        agent
          .post(`${page}/figures`)
          .type('form')
          .send({ _csrf, ...counts }),
      );
    await send({ applicants_women: '10', applicants_men: '8' }).then((r) => expect(r.status).to.equal(303));
    const typed = {
      applicants_women: '2',
      applicants_men: '',
      applicants_other: '1',
      shortlisted_women: '5',
      shortlisted_men: '3',
      appointed_women: '1',
    };
    const refused = await send(typed);
    expect(refused.status).to.equal(422);
    const cell = (name: string) =>
      new RegExp(`<input id="field-${name.replace('_', '-')}"[^>]*>`).exec(refused.text)![0];
    for (const [name, value] of Object.entries(typed)) expect(cell(name)).to.include(`value="${value}"`);
    expect(cell('appointed_men')).to.include('value=""');
    expect(cell('shortlisted_women')).to.include('aria-invalid="true"');
    expect(cell('applicants_women')).to.not.include('aria-invalid');
    expect(refused.text)
      .to.include('href="#field-shortlisted-women"')
      .and.to.include('must not be more than the applicants (2)');
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures!.applicants).to.deep.include({
      women: 10,
      men: 8,
    });
    // A count is digits: "0x10" is no 16, "1e1" no 10; a cell of spaces is blank (not recorded), not 0.
    const notCounts = await send({ applicants_women: '0x10', applicants_men: '1e1', applicants_other: '  ' });
    expect(notCounts.status).to.equal(422);
    expect(notCounts.text).to.include('href="#field-applicants-women"').and.to.include('href="#field-applicants-men"');
    expect(notCounts.text).to.not.include('href="#field-applicants-other"');
    await send({ applicants_women: ' 12 ', applicants_men: '9', applicants_other: ' ' }).then((r) =>
      expect(r.status).to.equal(303),
    );
    const stored = (await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures!.applicants!;
    expect(stored).to.deep.include({ women: 12, men: 9 });
    expect(stored.other ?? null).to.equal(null);
  });

  /** The figures form's fields as a page shows them: every count and the hidden count each cell showed. */
  const figuresFormOf = (html: string) => {
    const form = html.slice(html.indexOf('/figures"'), html.indexOf('Save figures'));
    return Object.fromEntries(
      [...form.matchAll(/<input[^>]* name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const),
    );
  };

  it('figures saved by a colleague while her page was open stay: her save writes only the cells she changed', async () => {
    const clerk = await buildUser({ roles: ['governor'] });
    const theirBoard = await buildBoard([
      { user: chair, role: 'chair' },
      { user: clerk, role: 'clerk' },
    ]);
    const round = await buildRound(theirBoard.id, { interviewDates: ['2026-06-10'], panel: [chair] });
    await RecruitmentRoundModel.updateOne(
      { _id: round.id },
      { $set: { genderFigures: { applicants: { women: 9, men: 7 }, shortlisted: { women: 3 } } } },
    );
    const [mine, theirs] = [await signIn(app, chair.email, testPassword), await signIn(app, clerk.email, testPassword)];
    const page = `/rounds/${round.id}`;
    const [myForm, theirForm] = [
      figuresFormOf((await mine.get(page).expect(200)).text),
      figuresFormOf((await theirs.get(page).expect(200)).text),
    ];
    expect(myForm).to.include({ applicants_women: '9', applicants_women_shown: '9', appointed_men_shown: '' });
    await theirs
      .post(`${page}/figures`)
      .type('form')
      .send({ ...theirForm, applicants_women: '10' })
      .expect(303);
    await mine
      .post(`${page}/figures`)
      .type('form')
      .send({ ...myForm, appointed_preferNotToSay: '1' })
      .expect(303);
    const stored = (await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures!;
    expect(stored.applicants).to.deep.include({ women: 10, men: 7 });
    expect(stored.shortlisted).to.deep.include({ women: 3 });
    expect(stored.appointed).to.deep.include({ preferNotToSay: 1 });

    // Two saves at the same moment, each of one other cell, keep both.
    const [one, two] = [
      figuresFormOf((await mine.get(page).expect(200)).text),
      figuresFormOf((await theirs.get(page).expect(200)).text),
    ];
    const saved = await Promise.all([
      mine
        .post(`${page}/figures`)
        .type('form')
        .send({ ...one, shortlisted_men: '2' }),
      theirs
        .post(`${page}/figures`)
        .type('form')
        .send({ ...two, applicants_other: '1' }),
    ]);
    expect(saved.map((r) => r.status)).to.deep.equal([303, 303]);
    const both = (await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures!;
    expect(both.shortlisted).to.deep.include({ women: 3, men: 2 });
    expect(both.applicants).to.deep.include({ women: 10, men: 7, other: 1 });
  });

  it('the API replaces the figures; with the version it read, figures saved since are a 409 and nothing is written', async () => {
    const round = await buildRound(board.id, { interviewDates: ['2026-06-10'], panel: [chair] });
    const auth = `Bearer ${await tokenFor(chair)}`;
    const { version } = (await supertest(app).get(`/api/v1/rounds/${round.id}`).set('Authorization', auth).expect(200))
      .body;
    await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', auth)
      .send({ applicants: { women: 4 }, version })
      .expect(200);
    const stale = await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', auth)
      .send({ applicants: { men: 6 }, version })
      .expect(409);
    expect(stale.body.detail).to.include('saved again after the version you sent');
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.genderFigures!.applicants).to.deep.equal({
      women: 4,
    });
    const now = (await supertest(app).get(`/api/v1/rounds/${round.id}`).set('Authorization', auth).expect(200)).body;
    expect(now.version).to.equal(version + 1);
    const replaced = await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', auth)
      .send({ applicants: { men: 6 }, version: now.version })
      .expect(200);
    expect(replaced.body).to.deep.equal({ applicants: { men: 6 } });
  });

  it('gives the Pledge page recent rounds ready before interview, with figures suppressed', async () => {
    const other = await buildBoard([{ user: chair, role: 'chair' }]);
    const now = new Date();
    await RecruitmentRoundModel.create([
      {
        boardId: other.id,
        title: 'A',
        interviewDates: ['2026-05-01'],
        panel: [],
        status: 'closed',
        closedAt: now,
        readinessRecord: { ready: true, interviewDate: '2026-05-01', members: [] },
        genderFigures: { applicants: { women: 2, men: 6 } },
      },
      {
        boardId: other.id,
        title: 'B',
        interviewDates: ['2026-05-02'],
        panel: [],
        status: 'closed',
        closedAt: now,
        readinessRecord: { ready: false, interviewDate: '2026-05-02', members: [] },
      },
      { boardId: other.id, title: 'C', interviewDates: ['2026-05-03'], panel: [], status: 'open' },
    ]);
    const r = await recentRoundReadiness({ boardId: other.id, now });
    expect(r).to.deep.include({ rounds: 2, readyBeforeInterview: 1 });
    expect(r.figures.applicants.cells.women).to.equal(null);
    expect(await roundReadinessFor(other.id)).to.deep.include({ ready: 1, total: 2 });
  });
});
