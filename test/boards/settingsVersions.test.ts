import { expect } from 'chai';
import supertest from 'supertest';
import { BoardModel } from '../../models/Board.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { csrfFrom, versionFrom, signIn, testApp } from '../support/app.ts';
import { buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

/** The version the board's details form was opened at (its hidden field). */
/** A calendar date this many days from now (UTC). */
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

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
        version: versionFrom(chairPage.text),
        ...fields,
        timezone: 'Europe/Dublin',
      })
      .expect(303);
    // Her form still shows London: saving it would move when interview days end, unseen.
    const mine = {
      _csrf: csrfFrom(clerkPage.text),
      version: versionFrom(clerkPage.text),
      ...fields,
      organisation: 'Test Primary Academy',
    };
    const conflict = await clerkAgent.post(`/boards/${board.id}`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('This board was saved again after you opened it');
    expect(conflict.text).to.include('value="Test Primary Academy"');
    expect((await BoardModel.findById(board.id).lean())!).to.include({
      organisation: 'Test Primary School',
      timezone: 'Europe/Dublin',
    });
    await clerkAgent
      .post(`/boards/${board.id}`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
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
    // Said to a client, which has no form with its changes "below" and no tab, but a version to read again.
    expect(stale.body.detail).to.equal(
      'This board was saved again after the version you sent, so your change was not saved: read it again, and send your change with the version it has now.',
    );
    expect((await BoardModel.findById(board.id).lean())!.name).to.equal(board.name);
    const saved = await supertest(app)
      .patch(`/api/v1/boards/${board.id}`)
      .set(auth)
      .send({ name: 'Renamed' })
      .expect(200);
    expect(saved.body).to.include({ name: 'Renamed', timezone: 'Europe/Paris' });
  });

  it('a round’s title-and-dates form opened before a colleague set the closing date saves her new title and keeps that date', async () => {
    const [chair, clerk] = await Promise.all([buildUser({ roles: ['governor'] }), buildUser({ roles: ['governor'] })]);
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: clerk, role: 'clerk' },
    ]);
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [], title: 'Headteacher' });
    const clerkAgent = await signIn(app, clerk.email, testPassword);
    const clerkPage = await clerkAgent.get(`/rounds/${round.id}`).expect(200);
    const shown = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(clerkPage.text)![1]!;
    // Meanwhile the chair sets the closing date.
    await supertest(app)
      .patch(`/api/v1/rounds/${round.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(chair)}` })
      .send({ closingDate: inDays(10) })
      .expect(200);
    // Her page showed no closing date: saving her new title as the page stands must not clear the chair's date.
    await clerkAgent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(clerkPage.text),
        title: 'Head of school',
        interviewDate: inDays(30),
        closingDate: '',
        shortlistingDate: '',
        interviewDatesShown: shown('interviewDatesShown'),
        titleShown: shown('titleShown'),
        closingDateShown: shown('closingDateShown'),
        shortlistingDateShown: shown('shortlistingDateShown'),
      })
      .expect(303);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!).to.include({
      title: 'Head of school',
      closingDate: inDays(10),
    });
  });

  it('a round’s title-and-dates form opened before a colleague moved the interview day saves her new title and keeps the day as moved', async () => {
    const [chair, clerk] = await Promise.all([buildUser({ roles: ['governor'] }), buildUser({ roles: ['governor'] })]);
    const board = await buildBoard(
      [
        { user: chair, role: 'chair' },
        { user: clerk, role: 'clerk' },
      ],
      { timezone: 'America/Los_Angeles' },
    );
    const round = await buildRound(board.id, { interviewDates: [inDays(40)], panel: [], title: 'Headteacher' });
    const chairAgent = await signIn(app, chair.email, testPassword);
    const chairPage = await chairAgent.get(`/rounds/${round.id}`).expect(200);
    const shown = (name: string) => new RegExp(`name="${name}"[^>]* value="([^"]*)"`).exec(chairPage.text)![1]!;
    // Meanwhile the clerk moves the interview six days earlier.
    await supertest(app)
      .patch(`/api/v1/rounds/${round.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(clerk)}` })
      .send({ interviewDate: inDays(34) })
      .expect(200);
    // Her page still shows the old day: saving only a new title must not bring it back beside the clerk's.
    await chairAgent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(chairPage.text),
        title: 'Head of school',
        interviewDate: shown('interviewDate'),
        closingDate: '',
        shortlistingDate: '',
        interviewDatesShown: shown('interviewDatesShown'),
        titleShown: shown('titleShown'),
        closingDateShown: shown('closingDateShown'),
        shortlistingDateShown: shown('shortlistingDateShown'),
      })
      .expect(303);
    const saved = await supertest(app)
      .get(`/api/v1/rounds/${round.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(chair)}` })
      .expect(200);
    expect(saved.body).to.deep.include({
      title: 'Head of school',
      interviewDates: [inDays(34)],
      interviewDate: inDays(34),
    });
  });

  it('the rounds API: a PATCH naming the version it read is a 409 problem after a change since; without one, it is merged as before', async () => {
    const chair = await buildUser({ roles: ['governor'] });
    const auth = { Authorization: `Bearer ${await tokenFor(chair)}` };
    const board = await buildBoard([{ user: chair, role: 'chair' }]);
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [] });
    const read = await supertest(app).get(`/api/v1/rounds/${round.id}`).set(auth).expect(200);
    await supertest(app)
      .patch(`/api/v1/rounds/${round.id}`)
      .set(auth)
      .send({ closingDate: inDays(9) })
      .expect(200);
    const stale = await supertest(app)
      .patch(`/api/v1/rounds/${round.id}`)
      .set(auth)
      .send({ title: 'Renamed', version: read.body.version })
      .expect(409);
    expect(stale.type).to.equal('application/problem+json');
    const merged = await supertest(app)
      .patch(`/api/v1/rounds/${round.id}`)
      .set(auth)
      .send({ title: 'Renamed' })
      .expect(200);
    expect(merged.body).to.include({ title: 'Renamed', closingDate: inDays(9) });
  });
});
