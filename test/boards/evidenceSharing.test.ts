import { expect } from 'chai';
import supertest from 'supertest';
import { BoardModel } from '../../models/Board.ts';
import { ExternalCertificateModel } from '../../models/ExternalCertificate.ts';
import { confirmBoardMembership, removeFromPanel, setBoardMember } from '../../server/services/boards/index.ts';
import { recordExternalCertificate } from '../../server/services/boards/externalCertificates.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { asActor, buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const pdf = (text: string) => ({
  originalname: 'cert.pdf',
  mimetype: 'application/pdf',
  size: text.length,
  buffer: Buffer.from(text),
});

describe('boards: a governor shares her training evidence with a board only once she confirms she sits on it', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let chair: TestUser;
  let clerk: TestUser;

  before(async () => {
    app = testApp();
    [chair, clerk] = await Promise.all([buildUser({ roles: ['governor'] }), buildUser({ roles: ['governor'] })]);
  });

  const api = (token: string) => ({
    get: (path: string) => supertest(app).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object) =>
      supertest(app).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  });

  /** A woman with a certificate and file she recorded herself, then added by id to a board the chair runs. */
  async function addedByChair() {
    const her = await buildUser({ roles: ['participant'] });
    const own = await recordExternalCertificate({
      actor: asActor(her),
      userId: her.id,
      provider: 'Her own provider',
      completedOn: '2026-03-01',
      file: pdf('%PDF-1.4 hers'),
    });
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: clerk, role: 'clerk' },
    ]);
    await api(await tokenFor(chair))
      .post(`/boards/${board.id}/members`, { userId: her.id, role: 'governor' })
      .expect(201);
    return { her, own, board };
  }

  it('when a chair adds a person by id, she sees none of the certificates or files that person recorded herself', async () => {
    const { her, own } = await addedByChair();
    const chairToken = await tokenFor(chair);
    const list = await api(chairToken).get(`/users/${her.id}/external-certificates`).expect(200);
    expect(list.body.items).to.deep.equal([]);
    const agent = await signIn(app, chair.email, testPassword);
    await agent.get(`/external-certificates/${String(own._id)}/file`).expect(404);
  });

  it('a clerk sees the certificate she recorded for the new member, and its file, before the member confirms', async () => {
    const { her, own } = await addedByChair();
    const recorded = await recordExternalCertificate({
      actor: asActor(clerk),
      userId: her.id,
      provider: 'Recorded by the clerk',
      completedOn: '2026-04-01',
      file: pdf('%PDF-1.4 clerk'),
    });
    const list = await api(await tokenFor(clerk))
      .get(`/users/${her.id}/external-certificates`)
      .expect(200);
    expect(list.body.items.map((c: { provider: string }) => c.provider)).to.deep.equal(['Recorded by the clerk']);
    const agent = await signIn(app, clerk.email, testPassword);
    await agent.get(`/external-certificates/${String(recorded._id)}/file`).expect(200);
    await agent.get(`/external-certificates/${String(own._id)}/file`).expect(404);
  });

  it('once she confirms on the board page (no JavaScript), the chair sees her certificates and file, and the board says so', async () => {
    const { her, own, board } = await addedByChair();
    const agent = await signIn(app, her.email, testPassword);
    const home = await agent.get('/').expect(200);
    expect(home.text).to.include('not yet confirmed by you');
    const page = await agent.get(`/boards/${board.id}`).expect(200);
    expect(page.text).to.include('Confirm that I sit on');
    const boards = await agent.get('/boards').expect(200);
    expect(boards.text).to.include(`action="/boards/${board.id}/confirm"`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    await agent.post(`/boards/${board.id}/confirm`).type('form').send({ _csrf: csrf }).expect(303);
    const after = await agent.get(`/boards/${board.id}`).expect(200);
    expect(after.text).to.include('the board’s chair and clerk can now see');
    expect(after.text).not.to.include('Confirm that I sit on');
    expect((await agent.get('/').expect(200)).text).not.to.include('not yet confirmed by you');

    const chairToken = await tokenFor(chair);
    const list = await api(chairToken).get(`/users/${her.id}/external-certificates`).expect(200);
    expect(list.body.items.map((c: { provider: string }) => c.provider)).to.deep.equal(['Her own provider']);
    const chairAgent = await signIn(app, chair.email, testPassword);
    await chairAgent.get(`/external-certificates/${String(own._id)}/file`).expect(200);
    const shown = await chairAgent.get(`/boards/${board.id}`).expect(200);
    expect(shown.text).to.include('Shared (she confirmed her membership)');
    const viewed = await api(chairToken).get(`/boards/${board.id}`).expect(200);
    expect(viewed.body.members.find((m: { userId: string }) => m.userId === her.id)).to.include({ confirmed: true });
  });

  /** The text of the round page's "Safer recruitment" cell for a panel member, as the viewer sees it. */
  async function saferRecruitmentCell(viewer: TestUser, roundId: string, name: string): Promise<string> {
    const agent = await signIn(app, viewer.email, testPassword);
    const page = await agent.get(`/rounds/${roundId}`).expect(200);
    const row = new RegExp(`<tr>\\s*<th scope="row">${name}[\\s\\S]*?</tr>`).exec(page.text);
    if (!row) throw new Error(`no panel row for ${name}`);
    const cells = [...row[0].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim());
    return cells[4]!;
  }

  it('the round page gives provider and expiry of a safer-recruitment certificate only to whom the API would show it; the others see "Yes" and the panel rule counts it', async () => {
    const { her, board } = await addedByChair();
    const adviser = await buildUser({ roles: ['governor'], name: 'Adviser Ada' });
    await recordExternalCertificate({
      actor: asActor(adviser),
      userId: adviser.id,
      provider: 'Adviser own provider',
      completedOn: '2026-05-01',
    });
    const round = await buildRound(board.id, { interviewDates: ['2027-01-20'], panel: [her, adviser] });
    const shortName = her.name;

    for (const viewer of [chair, clerk]) {
      expect(await saferRecruitmentCell(viewer, round.id, shortName)).to.equal('Yes (details not shared)');
      expect(await saferRecruitmentCell(viewer, round.id, 'Adviser Ada')).to.equal('Yes (details not shared)');
    }
    const chairAgent = await signIn(app, chair.email, testPassword);
    const page = (await chairAgent.get(`/rounds/${round.id}`).expect(200)).text;
    expect(page).not.to.include('Her own provider');
    expect(page).not.to.include('Adviser own provider');
    expect(page).not.to.include('At least one panel member should hold');
    expect(await saferRecruitmentCell(her, round.id, shortName)).to.equal('Yes, Her own provider (to 1 March 2029)');
    expect(await saferRecruitmentCell(adviser, round.id, 'Adviser Ada')).to.equal(
      'Yes, Adviser own provider (to 1 May 2029)',
    );

    // What a clerk recorded, the clerk reads in full (the chair did not record it, so neither does she yet).
    await recordExternalCertificate({
      actor: asActor(clerk),
      userId: adviser.id,
      provider: 'Recorded by the clerk',
      completedOn: '2026-06-01',
    });
    expect(await saferRecruitmentCell(clerk, round.id, 'Adviser Ada')).to.equal(
      'Yes, Recorded by the clerk (to 1 June 2029)',
    );
    expect(await saferRecruitmentCell(chair, round.id, 'Adviser Ada')).to.equal('Yes (details not shared)');

    // Once she confirms that she sits on the board, its chair reads her own certificate there as in the API.
    const hers = await signIn(app, her.email, testPassword);
    const boardPage = await hers.get(`/boards/${board.id}`).expect(200);
    await hers
      .post(`/boards/${board.id}/confirm`)
      .type('form')
      .send({ _csrf: csrfFrom(boardPage.text) })
      .expect(303);
    expect(await saferRecruitmentCell(chair, round.id, shortName)).to.equal('Yes, Her own provider (to 1 March 2029)');
  });

  it('the confirm form without its CSRF token is refused and confirms nothing', async () => {
    const { her, board } = await addedByChair();
    const agent = await signIn(app, her.email, testPassword);
    await agent.post(`/boards/${board.id}/confirm`).type('form').send({}).expect(403);
    const stored = await BoardModel.findById(board.id).lean();
    expect(stored!.members.find((m) => String(m.userId) === her.id)!.confirmedAt).to.equal(undefined);
  });

  it('through the API: confirming twice keeps the first moment, and a board she is not on is a 404 problem', async () => {
    const { her, board } = await addedByChair();
    const token = await tokenFor(her);
    const first = await api(token).post(`/boards/${board.id}/members/me/confirm`, {}).expect(200);
    expect(first.body.members.find((m: { userId: string }) => m.userId === her.id)).to.include({ confirmed: true });
    const at = (await BoardModel.findById(board.id).lean())!.members.find(
      (m) => String(m.userId) === her.id,
    )!.confirmedAt;
    await api(token).post(`/boards/${board.id}/members/me/confirm`, {}).expect(200);
    const again = (await BoardModel.findById(board.id).lean())!.members.find(
      (m) => String(m.userId) === her.id,
    )!.confirmedAt;
    expect(again!.getTime()).to.equal(at!.getTime());

    const elsewhere = await buildBoard([{ user: chair, role: 'chair' }]);
    const refused = await api(token).post(`/boards/${elsewhere.id}/members/me/confirm`, {}).expect(404);
    expect(refused.headers['content-type']).to.match(/application\/problem\+json/);
    await api(token).post(`/boards/not-an-id/members/me/confirm`, {}).expect(404);
  });

  it('a new role keeps her confirmation, and a confirmation racing a chair adding someone loses neither', async () => {
    const { her, board } = await addedByChair();
    const newcomers = await Promise.all([1, 2, 3].map(() => buildUser({ roles: ['governor'] })));
    await Promise.all([
      confirmBoardMembership({ actor: asActor(her), boardId: board.id }),
      ...newcomers.map((n) =>
        setBoardMember({ actor: asActor(chair), boardId: board.id, userId: n.id, role: 'governor' }).catch(
          (e: Error) => e,
        ),
      ),
    ]);
    let stored = (await BoardModel.findById(board.id).lean())!;
    expect(stored.members.find((m) => String(m.userId) === her.id)!.confirmedAt).to.be.instanceOf(Date);
    // a chair's concurrent edits may be refused (409, she tries again), never written over her confirmation
    await setBoardMember({ actor: asActor(chair), boardId: board.id, userId: her.id, role: 'clerk' });
    stored = (await BoardModel.findById(board.id).lean())!;
    const mine = stored.members.find((m) => String(m.userId) === her.id)!;
    expect(mine.role).to.equal('clerk');
    expect(mine.confirmedAt).to.be.instanceOf(Date);
    expect(await ExternalCertificateModel.countDocuments({ userId: her.id })).to.equal(1);
  });

  it("an admin asking for the certificates of an id that is nobody's gets the 404 problem, not an empty list", async () => {
    const adminToken = await tokenFor(await buildUser({ roles: ['admin'] }));
    const unknown = await api(adminToken).get('/users/0123456789abcdef01234567/external-certificates').expect(404);
    expect(unknown.type).to.equal('application/problem+json');
    expect(unknown.body).to.include({ status: 404 });
    await api(adminToken).get('/users/not-an-id/external-certificates').expect(404);
    const { her } = await addedByChair();
    expect((await api(adminToken).get(`/users/${her.id}/external-certificates`).expect(200)).body.items).to.have.length(
      1,
    );
  });

  it('training recorded for an adviser while the chair removes her from the panel (another process) is not kept', async () => {
    const adviser = await buildUser({ roles: ['governor'] });
    const board = await buildBoard([{ user: chair, role: 'chair' }]);
    const round = await buildRound(board.id, { interviewDates: ['2027-02-10'], panel: [adviser] });
    // The chair's record has checked that the chair runs a panel she sits on; the write lands after her removal.
    const held = holdNextCall(ExternalCertificateModel, 'create', { before: true });
    try {
      const recording = recordExternalCertificate({
        actor: asActor(chair),
        userId: adviser.id,
        provider: 'Recorded as she left',
        completedOn: '2026-06-01',
        file: pdf('%PDF-1.4 late'),
      }).then(
        () => 'recorded',
        (error: Error) => error.constructor.name,
      );
      await held.reached;
      await removeFromPanel({ actor: asActor(chair), roundId: round.id, userId: adviser.id });
      held.release();
      expect(await recording).to.equal('NotFoundError');
    } finally {
      held.release();
      held.restore();
    }
    expect(await ExternalCertificateModel.countDocuments({ userId: adviser.id })).to.equal(0);
  });
});
