import { expect } from 'chai';
import supertest from 'supertest';
import { BoardModel } from '../../models/Board.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { buildBoard } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

/** The version the board's details form was opened at (its hidden field). */
const versionOf = (html: string) => /<input type="hidden" name="version" value="([^"]*)">/.exec(html)![1]!;

describe('boards: a colleague’s save of a board’s details is never silently undone', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a clerk saving the details form opened before the chair changed the zone gets a 409 with her changes kept, saved only when sent again', async () => {
    const [chair, clerk] = await Promise.all([buildUser({ roles: ['governor'] }), buildUser({ roles: ['governor'] })]);
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: clerk, role: 'clerk' },
    ]);
    const fields = { name: board.name, organisation: 'Test Primary School', timezone: 'Europe/London' };
    const chairAgent = await signIn(app, chair.email, testPassword);
    const chairPage = await chairAgent.get(`/boards/${board.id}`).expect(200);
    const clerkAgent = await signIn(app, clerk.email, testPassword);
    const clerkPage = await clerkAgent.get(`/boards/${board.id}`).expect(200);
    await chairAgent
      .post(`/boards/${board.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(chairPage.text),
        version: versionOf(chairPage.text),
        ...fields,
        timezone: 'Europe/Dublin',
      })
      .expect(303);
    // Her form still shows London: saving it would move when interview days end, unseen.
    const mine = {
      _csrf: csrfFrom(clerkPage.text),
      version: versionOf(clerkPage.text),
      ...fields,
      organisation: 'Test Primary Academy',
    };
    const conflict = await clerkAgent.post(`/boards/${board.id}`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('Someone else saved this board after you opened it');
    expect(conflict.text).to.include('value="Test Primary Academy"');
    expect((await BoardModel.findById(board.id).lean())!).to.include({
      organisation: 'Test Primary School',
      timezone: 'Europe/Dublin',
    });
    await clerkAgent
      .post(`/boards/${board.id}`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionOf(conflict.text) })
      .expect(303);
    expect((await BoardModel.findById(board.id).lean())!).to.include({ organisation: 'Test Primary Academy' });
  });

  it('the API: a PATCH naming the version it read is a 409 problem after a save by someone else; without one, the last write wins', async () => {
    const chair = await buildUser({ roles: ['governor'] });
    const auth = { Authorization: `Bearer ${await tokenFor(chair)}` };
    const board = await buildBoard([{ user: chair, role: 'chair' }]);
    const read = await supertest(app).get(`/api/v1/boards/${board.id}`).set(auth).expect(200);
    await supertest(app).patch(`/api/v1/boards/${board.id}`).set(auth).send({ timezone: 'Europe/Paris' }).expect(200);
    const stale = await supertest(app)
      .patch(`/api/v1/boards/${board.id}`)
      .set(auth)
      .send({ name: 'Renamed', version: read.body.version })
      .expect(409);
    expect(stale.type).to.equal('application/problem+json');
    expect((await BoardModel.findById(board.id).lean())!.name).to.equal(board.name);
    const saved = await supertest(app)
      .patch(`/api/v1/boards/${board.id}`)
      .set(auth)
      .send({ name: 'Renamed' })
      .expect(200);
    expect(saved.body).to.include({ name: 'Renamed', timezone: 'Europe/Paris' });
  });
});
