import { expect } from 'chai';
import supertest from 'supertest';
import { testApp } from '../support/app.ts';
import { buildBoard } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';

/** A create whose record can be read back says where (Location), and reading there gives the same record. */
describe('API creates answer 201 with the Location of what they made', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  const bearer = async (user: TestUser) => ({ Authorization: `Bearer ${await tokenFor(user)}` });

  before(() => {
    app = testApp();
  });

  async function createdAt(auth: Record<string, string>, path: string, body: object, readAs = auth) {
    const created = await supertest(app).post(path).set(auth).send(body);
    expect(created.status, `${path}: ${JSON.stringify(created.body)}`).to.equal(201);
    const location = created.headers.location as string | undefined;
    expect(location, path).to.match(/^\/api\/v1\/[a-z]+\/[0-9a-f]{24}$/);
    expect(location!.endsWith(`/${created.body.id}`), path).to.equal(true);
    const read = await supertest(app).get(location!).set(readAs).expect(200);
    expect(read.body.id, path).to.equal(created.body.id);
    return created.body as { id: string };
  }

  it('for programmes, modules, cohorts, sessions, boards, rounds and an accepted mentoring request', async () => {
    const admin = await bearer(await buildUser({ roles: ['admin'] }));
    const programme = await createdAt(admin, '/api/v1/programmes', {
      title: 'Aspiring heads',
      track: 'aspiring-leader',
      summary: 'For deputies.',
    });
    await createdAt(admin, `/api/v1/programmes/${programme.id}/modules`, {
      title: 'Applying',
      body: 'Read this.',
      estimatedMinutes: 10,
      completion: { type: 'view' },
    });
    const cohort = await createdAt(admin, '/api/v1/cohorts', {
      programmeId: programme.id,
      name: 'Spring',
      capacity: 10,
      timezone: 'Europe/London',
      startsOn: '2027-02-01',
      endsOn: '2027-06-30',
      facilitatorIds: [],
    });
    await createdAt(admin, `/api/v1/cohorts/${cohort.id}/sessions`, {
      title: 'Opening',
      startsAt: '2027-03-01T09:00:00Z',
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/opening',
    });
    await createdAt(admin, '/api/v1/boards', { name: 'Hillside governors', organisation: 'Hillside' });
    // A round is made by its board's chair, who reads it back.
    const chair = await buildUser({ roles: ['governor'] });
    const board = await buildBoard([{ user: chair, role: 'chair' }]);
    await createdAt(await bearer(chair), `/api/v1/boards/${board.id}/rounds`, {
      title: 'Headteacher',
      interviewDate: '2027-06-01',
      panel: [chair.id],
    });

    const mentor = await buildMentor();
    const mentee = await buildMentee();
    const request = await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set(await bearer(mentee))
      .send({ mentorId: mentor.id, message: 'Please.' })
      .expect(201);
    await createdAt(await bearer(mentor), `/api/v1/mentoring/requests/${request.body.id}/accept`, {});
  });

  it('the OpenAPI document gives the Location header on those creates', async () => {
    const doc = (await supertest(app).get('/api/v1/openapi.json').expect(200)).body;
    expect(doc.paths['/programmes'].post.responses['201'].headers.Location.schema).to.deep.equal({ type: 'string' });
    expect(doc.paths['/cohorts/{id}/sessions'].post.responses['201'].headers).to.have.key('Location');
  });
});
