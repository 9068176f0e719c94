import { expect } from 'chai';
import { DateTime } from 'luxon';
import supertest from 'supertest';
import { BoardModel } from '../../models/Board.ts';
import { UserModel } from '../../models/User.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { DomainError } from '../../server/errors.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { setBoardMember } from '../../server/services/boards/index.ts';
import { ValidationError } from '../../server/errors.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { asActor, buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const inDays = (days: number) => DateTime.now().setZone('Europe/London').plus({ days }).toISODate()!;

describe('boards: who sees and changes what', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let chair: TestUser;
  let clerk: TestUser;
  let governor: TestUser;
  let otherChair: TestUser;
  let participant: TestUser;
  let adviser: TestUser;
  let board: { id: string };
  let round: { id: string };
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;

  before(async () => {
    app = testApp();
    [chair, clerk, governor, otherChair, adviser] = (await Promise.all(
      [1, 2, 3, 4, 5].map(() => buildUser({ roles: ['governor'] })),
    )) as [TestUser, TestUser, TestUser, TestUser, TestUser];
    participant = await buildUser({ roles: ['participant'] });
    board = await buildBoard([
      { user: chair!, role: 'chair' },
      { user: clerk!, role: 'clerk' },
      { user: governor!, role: 'governor' },
    ]);
    await buildBoard([{ user: otherChair!, role: 'chair' }]);
    round = await buildRound(board.id, { interviewDates: [inDays(21)], panel: [chair!, governor!, adviser!] });
  });

  it('hides a board and its rounds from members of other boards and from participants (404 on web and API)', async () => {
    for (const outsider of [otherChair, participant]) {
      const auth = await bearer(outsider);
      await supertest(app).get(`/api/v1/boards/${board.id}`).set('Authorization', auth).expect(404);
      await supertest(app).get(`/api/v1/rounds/${round.id}`).set('Authorization', auth).expect(404);
      await supertest(app).get(`/api/v1/rounds/${round.id}/readiness`).set('Authorization', auth).expect(404);
      await supertest(app).get(`/api/v1/boards/${board.id}/rounds`).set('Authorization', auth).expect(404);
      const list = await supertest(app).get('/api/v1/boards').set('Authorization', auth).expect(200);
      expect(list.body.items.map((b: { id: string }) => b.id)).to.not.include(board.id);
      const agent = await signIn(app, outsider.email, testPassword);
      await agent.get(`/boards/${board.id}`).expect(404);
      const page = await agent.get(`/rounds/${round.id}`).expect(404);
      expect(page.text).to.not.include('Headteacher');
    }
  });

  it('a researcher account cannot be added to a board (422; she would gain a role the research boundary refuses)', async () => {
    const researcher = await buildUser({ roles: ['researcher'] });
    const auth = `Bearer ${await tokenFor(chair)}`;
    const refused = await supertest(app)
      .post(`/api/v1/boards/${board.id}/members`)
      .set('Authorization', auth)
      .send({ userId: researcher.id, role: 'governor' });
    expect(refused.status).to.equal(422);
    expect(refused.body.errors[0]).to.include({ path: 'userId' });
    expect((await UserModel.findById(researcher.id).lean())!.roles).to.deep.equal(['researcher']);
  });

  it('when an admin makes someone a researcher at the moment a chair adds her to the board, she never holds both roles', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const own = await buildBoard([{ user: chair, role: 'chair' }]);
    const refused = (error: unknown) => {
      if (error instanceof DomainError) return 'refused';
      throw error;
    };
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const person = await buildUser({ roles: ['participant'] });
      const [added] = await Promise.all([
        setBoardMember({ actor: asActor(chair), boardId: own.id, userId: person.id, role: 'governor' }).catch(refused),
        updateUserAsAdmin({
          actor: { id: admin.id, name: admin.name },
          userId: person.id,
          changes: { roles: ['researcher'] },
        }).catch(refused),
      ]);
      const roles = (await UserModel.findById(person.id).lean())!.roles;
      const seated = (await BoardModel.findById(own.id).lean())!.members.some((m) => String(m.userId) === person.id);
      if (roles.includes('researcher')) {
        expect(roles, `attempt ${attempt}`).to.deep.equal(['researcher']);
        expect(seated, `attempt ${attempt}: a researcher on the board`).to.equal(false);
        expect(added).to.equal('refused');
      }
      if (seated) expect(roles).to.include('governor');
    }
  });

  it('when she is made a researcher after the chair granted her the role but before the seat landed, the seat goes back and the chair is told', async () => {
    const own = await buildBoard([{ user: chair, role: 'chair' }]);
    const person = await buildUser({ roles: ['governor'] });
    // The seat's write lands late; meanwhile the admin's change (which found no seat) lands.
    const held = holdNextCall(BoardModel, 'updateOne', { before: true });
    let outcome: unknown;
    try {
      const adding = setBoardMember({
        actor: asActor(chair),
        boardId: own.id,
        userId: person.id,
        role: 'governor',
      }).catch((error: unknown) => error);
      await held.reached;
      await UserModel.updateOne({ _id: person.id }, { $set: { roles: ['researcher'] } });
      held.release();
      outcome = await adding;
    } finally {
      held.release();
      held.restore();
    }
    expect(outcome).to.be.instanceOf(ValidationError);
    const members = (await BoardModel.findById(own.id).lean())!.members.map((m) => String(m.userId));
    expect(members).to.deep.equal([chair.id]);
  });

  it('answers 404 for malformed ids, never 500', async () => {
    const auth = await bearer(chair);
    await supertest(app).get('/api/v1/rounds/not-an-id/readiness').set('Authorization', auth).expect(404);
    await supertest(app).get('/api/v1/boards/123').set('Authorization', auth).expect(404);
  });

  it('lets an adviser on the panel see the round, but not the board nor its gender figures', async () => {
    const auth = await bearer(adviser);
    await supertest(app).get(`/api/v1/rounds/${round.id}/readiness`).set('Authorization', auth).expect(200);
    await supertest(app).get(`/api/v1/boards/${board.id}`).set('Authorization', auth).expect(404);
    const agent = await signIn(app, adviser.email, testPassword);
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.not.include('Gender figures of this round');
    expect(page.text).to.not.include('Enrol');
  });

  it('when a governor (not chair or clerk) writes, it answers 403 and records nothing', async () => {
    const auth = await bearer(governor);
    await supertest(app)
      .post(`/api/v1/boards/${board.id}/rounds`)
      .set('Authorization', auth)
      .send({ title: 'Sneaky', interviewDate: inDays(30), panel: [] })
      .expect(403);
    await supertest(app)
      .post(`/api/v1/boards/${board.id}/members`)
      .set('Authorization', auth)
      .send({ userId: participant.id, role: 'governor' })
      .expect(403);
    await supertest(app).patch(`/api/v1/rounds/${round.id}`).set('Authorization', auth).send({ panel: [] }).expect(403);
    await supertest(app).post(`/api/v1/rounds/${round.id}/enrol-panel`).set('Authorization', auth).expect(403);
    await supertest(app).post(`/api/v1/rounds/${round.id}/close`).set('Authorization', auth).expect(403);
    await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', auth)
      .send({ applicants: { women: 3 } })
      .expect(403);
    const agent = await signIn(app, governor.email, testPassword);
    await agent
      .post(`/rounds/${round.id}/close`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/rounds/${round.id}`) })
      .expect(403);
    expect(await RecruitmentRoundModel.countDocuments({ title: 'Sneaky' })).to.equal(0);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!).to.include({ status: 'open' });
    expect((await BoardModel.findById(board.id).lean())!.members).to.have.length(3);
  });

  it('when a governor or an adviser on the panel patches a round with nothing to change, it still answers 403', async () => {
    for (const viewer of [governor, adviser]) {
      const before = (await RecruitmentRoundModel.findById(round.id).lean())!;
      await supertest(app)
        .patch(`/api/v1/rounds/${round.id}`)
        .set('Authorization', await bearer(viewer))
        .send({})
        .expect(403);
      expect((await RecruitmentRoundModel.findById(round.id).lean())!.version).to.equal(before.version);
    }
  });

  it('when anyone but an admin creates a board, it answers 403', async () => {
    await supertest(app)
      .post('/api/v1/boards')
      .set('Authorization', await bearer(chair))
      .send({ name: 'Mine', organisation: 'X' })
      .expect(403);
    await supertest(app)
      .post('/api/v1/boards')
      .set('Authorization', await bearer(participant))
      .send({ name: 'Mine', organisation: 'X' })
      .expect(403);
    expect(await BoardModel.countDocuments({ name: 'Mine' })).to.equal(0);
  });

  it('lets the clerk manage members and rounds, and keeps the last chair in place (409)', async () => {
    const auth = await bearer(clerk);
    const newcomer = await buildUser({ roles: ['participant'] });
    const res = await supertest(app)
      .post(`/api/v1/boards/${board.id}/members`)
      .set('Authorization', auth)
      .send({ userId: newcomer.id, role: 'governor' })
      .expect(201);
    expect(res.body.members).to.deep.include({ userId: newcomer.id, role: 'governor', confirmed: false });
    await supertest(app)
      .post(`/api/v1/boards/${board.id}/members`)
      .set('Authorization', await bearer(chair))
      .send({ userId: chair.id, role: 'governor' })
      .expect(409);
    await supertest(app)
      .post(`/api/v1/boards/${board.id}/rounds`)
      .set('Authorization', auth)
      .send({ title: 'Deputy head', interviewDate: inDays(40), panel: [newcomer.id] })
      .expect(201);
  });

  it('who chairs is for chairs and admins: a clerk cannot make herself or anyone chair, or change or remove the chair (403)', async () => {
    const auth = await bearer(clerk);
    const members = () => supertest(app).post(`/api/v1/boards/${board.id}/members`).set('Authorization', auth);
    const refused = await members().send({ userId: clerk.id, role: 'chair' }).expect(403);
    expect(refused.body.detail).to.include('Only a chair');
    await members().send({ userId: governor.id, role: 'chair' }).expect(403);
    await members().send({ userId: chair.id, role: 'clerk' }).expect(403);
    await supertest(app)
      .delete(`/api/v1/boards/${board.id}/members/${chair.id}`)
      .set('Authorization', auth)
      .expect(403);
    const stored = (await BoardModel.findById(board.id).lean())!;
    expect(stored.members.filter((m) => m.role === 'chair').map((m) => String(m.userId))).to.deep.equal([chair.id]);
    expect(stored.members.find((m) => String(m.userId) === clerk.id)!.role).to.equal('clerk');
    // The board page offers the chair, and a chair's Remove button, only to those who may use them.
    const clerkPage = await (await signIn(app, clerk.email, testPassword)).get(`/boards/${board.id}`).expect(200);
    expect(clerkPage.text).to.not.include('<option value="chair"');
    expect(clerkPage.text).to.not.include(`/members/${chair.id}/remove`);
    expect(clerkPage.text).to.include(`/members/${governor.id}/remove`);
    const chairPage = await (await signIn(app, chair.email, testPassword)).get(`/boards/${board.id}`).expect(200);
    expect(chairPage.text).to.include('<option value="chair"');
    expect(chairPage.text).to.include(`/members/${chair.id}/remove`);
    // A chair appoints a second chair; the clerk still manages everyone else.
    await supertest(app)
      .post(`/api/v1/boards/${board.id}/members`)
      .set('Authorization', await bearer(chair))
      .send({ userId: governor.id, role: 'chair' })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/boards/${board.id}/members`)
      .set('Authorization', await bearer(chair))
      .send({ userId: governor.id, role: 'governor' })
      .expect(201);
  });

  it('keeps the gender figures to the board: a member of another board cannot read or write them', async () => {
    await supertest(app)
      .put(`/api/v1/rounds/${round.id}/figures`)
      .set('Authorization', await bearer(otherChair))
      .send({ applicants: { women: 3 } })
      .expect(404);
    await supertest(app)
      .get('/api/v1/boards/fairness')
      .set('Authorization', await bearer(chair))
      .expect(403);
  });
});
