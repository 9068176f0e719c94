import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { ExternalCertificateModel } from '../../models/ExternalCertificate.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { createApiToken } from '../../server/services/apiTokens.ts';
import { PoolRequestModel } from '../../models/PoolRequest.ts';
import { planSurveyInvitations } from '../../server/services/research/surveys.ts';
import { testApp } from '../support/app.ts';
import { buildBoard, buildRound } from '../support/boardsFactories.ts';
import { buildCohort, buildSession, enrolDirectly } from '../support/cohortFactories.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { buildProgramme } from '../support/learningFactories.ts';

type Page = { items: { id: string; userId?: string }[]; nextCursor: string | null };

/**
 * API.md's list convention on every list that answers { items, nextCursor }: ?limit= (1–200, default 50) and ?cursor=,
 * a real nextCursor, and a walk that meets every item once.
 */
describe('API lists follow the list convention ({ items, nextCursor }, ?limit=, ?cursor=)', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  const bearer = async (user: TestUser) => `Bearer ${await tokenFor(user)}`;
  const sorted = (ids: string[]) => [...ids].sort();

  /** Every page of a list, following nextCursor to the end; each page but the last is full. */
  async function walk(auth: string, path: string, limit: number, key: 'id' | 'userId' = 'id'): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res = await supertest(app)
        .get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        .set('Authorization', auth);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).to.equal(200);
      const page = res.body as Page;
      expect(page, path).to.include.all.keys('items', 'nextCursor');
      if (page.nextCursor) expect(page.items, path).to.have.length(limit);
      else expect(page.items.length, path).to.be.at.most(limit);
      seen.push(...page.items.map((item) => item[key]!));
      cursor = page.nextCursor;
      expect((pages += 1), `${path} ends`).to.be.below(50);
    } while (cursor);
    return seen;
  }

  /** The walk with limit 1 and 2 meets each expected item once; the whole list fits one page by default. */
  async function walksEveryItemOnce(auth: string, path: string, expected: string[], key: 'id' | 'userId' = 'id') {
    const whole = await supertest(app).get(path).set('Authorization', auth).expect(200);
    expect(whole.body.nextCursor, path).to.equal(null);
    expect(sorted(whole.body.items.map((i: Record<string, string>) => i[key])), path).to.deep.equal(sorted(expected));
    for (const limit of [1, 2]) {
      const seen = await walk(auth, path, limit, key);
      expect(seen, `${path} limit=${limit} repeats none`).to.have.length(new Set(seen).size);
      expect(sorted(seen), `${path} limit=${limit}`).to.deep.equal(sorted(expected));
    }
  }

  /**
   * An out-of-range limit, one that is not plain digits (a list, hex, an exponent, blank), or a made-up cursor, is a
   * 422 problem naming it.
   */
  async function refusesBadPaging(auth: string, path: string) {
    const sep = path.includes('?') ? '&' : '?';
    for (const limit of ['0', '-1', '201', '1e9', 'abc', '', '0x10', '1e1', '%205']) {
      const res = await supertest(app).get(`${path}${sep}limit=${limit}`).set('Authorization', auth);
      expect(res.status, `${path} limit=${limit}`).to.equal(422);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['limit']);
    }
    const listed = await supertest(app).get(`${path}${sep}limit[]=5`).set('Authorization', auth);
    expect(listed.status, `${path} limit[]=5`).to.equal(422);
    expect(listed.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['limit']);
    const cursor = await supertest(app).get(`${path}${sep}cursor=not-a-cursor`).set('Authorization', auth);
    expect(cursor.status, `${path} cursor`).to.equal(422);
    expect(cursor.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['cursor']);
  }

  beforeEach(async () => {
    await clearDatabase();
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
  });

  it('GET /pool walks every visible member once, with its filters, and refuses a bad limit', async () => {
    const ids: string[] = [];
    for (const [i, name] of ['Zoe', 'Ada', 'Mia', 'Bea'].entries()) {
      const member = await buildUser({ name });
      const saved = await supertest(app)
        .put('/api/v1/me/pool-profile')
        .set('Authorization', await bearer(member))
        .send({
          offers: i === 3 ? ['researcher'] : ['speaker'],
          topics: ['interviews'],
          bio: 'Head for ten years.',
          regions: ['Yorkshire'],
          languages: ['English'],
          modes: ['online'],
          visible: true,
        })
        .expect(200);
      ids.push(saved.body.id);
    }
    const reader = await bearer(await buildUser());
    await walksEveryItemOnce(reader, '/api/v1/pool', ids);
    await walksEveryItemOnce(reader, '/api/v1/pool?offer=speaker', ids.slice(0, 3));
    await refusesBadPaging(reader, '/api/v1/pool');
  });

  it('GET /pool/requests (admins) walks every confirmed request once, newest first, and refuses a bad limit', async () => {
    const made = [];
    for (const organisation of ['Riverside', 'Hillside', 'Lakeside'])
      made.push(
        await PoolRequestModel.create({
          offer: 'speaker',
          topic: 'interviews',
          organisation,
          contactName: 'Sam Clerk',
          contactEmail: 'clerk@example.org',
          mode: 'online',
          message: 'A talk.',
          status: 'open',
          confirmTokenHash: randomUUID(),
          confirmExpiresAt: new Date(Date.now() + 86_400_000),
        }),
      );
    const ids = made.map((r) => String(r._id));
    const auth = await bearer(admin);
    await walksEveryItemOnce(auth, '/api/v1/pool/requests', ids);
    expect(await walk(auth, '/api/v1/pool/requests?status=open', 1)).to.deep.equal([...ids].reverse());
    await refusesBadPaging(auth, '/api/v1/pool/requests');
  });

  it('GET /programmes walks every programme she may see once and refuses a bad limit', async () => {
    const ids: string[] = [];
    for (const title of ['Zeta', 'Alpha', 'Mid', 'Beta']) ids.push((await buildProgramme({ title })).id);
    await buildProgramme({ title: 'Draft', status: 'draft' });
    const participant = await bearer(await buildUser());
    await walksEveryItemOnce(participant, '/api/v1/programmes', ids);
    await refusesBadPaging(participant, '/api/v1/programmes');
  });

  it('GET /cohorts/:id/attendance walks one row per participant once; a participant still gets only her own row', async () => {
    const cohort = await buildCohort();
    const people: TestUser[] = [];
    for (let i = 0; i < 3; i += 1) {
      const person = await buildUser();
      await enrolDirectly(cohort, person.id);
      people.push(person);
    }
    const path = `/api/v1/cohorts/${String(cohort._id)}/attendance`;
    const auth = await bearer(admin);
    await walksEveryItemOnce(
      auth,
      path,
      people.map((p) => p.id),
      'userId',
    );
    await walksEveryItemOnce(await bearer(people[1]!), path, [people[1]!.id], 'userId');
    await refusesBadPaging(auth, path);
  });

  it('GET /cohorts/:id/progress walks one row per participant once, with totalModules on every page', async () => {
    const cohort = await buildCohort();
    const people: string[] = [];
    for (const name of ['Zara', 'Amy', 'Maya']) {
      const person = await buildUser({ name });
      await enrolDirectly(cohort, person.id);
      people.push(person.id);
    }
    const path = `/api/v1/cohorts/${String(cohort._id)}/progress`;
    const auth = await bearer(admin);
    await walksEveryItemOnce(auth, path, people, 'userId');
    const first = await supertest(app).get(`${path}?limit=1`).set('Authorization', auth).expect(200);
    expect(first.body).to.include({ totalModules: 0 });
    expect(first.body.items.map((r: { name: string }) => r.name)).to.deep.equal(['Amy']);
    await refusesBadPaging(auth, path);
  });

  it('GET /cohorts/:id/sessions walks every session once in time order (not the order they were made)', async () => {
    const cohort = await buildCohort();
    const later = await buildSession(cohort._id, { startsAt: new Date('2027-05-01T09:00:00Z') });
    const earliest = await buildSession(cohort._id, { startsAt: new Date('2027-03-01T09:00:00Z') });
    const middle = await buildSession(cohort._id, { startsAt: new Date('2027-04-01T09:00:00Z') });
    const inTimeOrder = [earliest, middle, later].map((x) => String(x._id));
    const path = `/api/v1/cohorts/${String(cohort._id)}/sessions`;
    const auth = await bearer(admin);
    for (const limit of [1, 2]) expect(await walk(auth, path, limit), `limit=${limit}`).to.deep.equal(inTimeOrder);
    await refusesBadPaging(auth, path);
  });

  it('GET /lti/platforms (admins) walks every platform once and refuses a bad limit', async () => {
    const auth = await bearer(admin);
    const ids: string[] = [];
    for (const name of ['Moodle', 'Canvas', 'Brightspace']) {
      const created = await supertest(app)
        .post('/api/v1/lti/platforms')
        .set('Authorization', auth)
        .send({
          name,
          issuer: `https://${name.toLowerCase()}.example.org`,
          clientId: 'pathways',
          authLoginUrl: 'https://lms.example.org/auth',
          authTokenUrl: 'https://lms.example.org/token',
          jwksUrl: 'https://lms.example.org/jwks',
          deploymentIds: ['1'],
        })
        .expect(201);
      ids.push(created.body.id);
    }
    await walksEveryItemOnce(auth, '/api/v1/lti/platforms', ids);
    await refusesBadPaging(auth, '/api/v1/lti/platforms');
  });

  it('GET /me/surveys and GET /surveys walk every survey once and refuse a bad limit', async () => {
    const researcher = await bearer(await buildUser({ roles: ['researcher'] }));
    const cohort = await buildCohort({ startsOn: '2026-01-01', endsOn: '2028-12-31' });
    const her = await buildUser();
    await enrolDirectly(cohort, her.id, new Date(Date.now() - 3 * 86_400_000));
    const ids: string[] = [];
    for (const title of ['Starting out', 'Your goals', 'Your school'])
      ids.push(
        (
          await supertest(app)
            .post('/api/v1/surveys')
            .set('Authorization', researcher)
            .send({
              title,
              programmeId: String(cohort.programmeId),
              moment: 'start',
              questions: [{ id: 'confidence', prompt: 'How confident are you?', type: 'likert5' }],
            })
            .expect(201)
        ).body.id,
      );
    await planSurveyInvitations();
    const auth = await bearer(her);
    await walksEveryItemOnce(auth, '/api/v1/me/surveys', ids);
    await refusesBadPaging(auth, '/api/v1/me/surveys');
    await walksEveryItemOnce(researcher, '/api/v1/surveys', ids);
    await refusesBadPaging(researcher, '/api/v1/surveys');
  });

  it('GET /cohorts walks every cohort she deals with once, skipping the ones she does not, and refuses a bad limit', async () => {
    const cohorts = [];
    for (let i = 0; i < 5; i += 1) cohorts.push(await buildCohort({ name: `Cohort ${i}` }));
    const ids = cohorts.map((c) => String(c._id));
    await walksEveryItemOnce(await bearer(admin), '/api/v1/cohorts', ids);
    // Hers are the second and the last: a page of one must read past the cohorts between them.
    const her = await buildUser();
    await enrolDirectly(cohorts[1]!, her.id);
    await enrolDirectly(cohorts[4]!, her.id);
    const auth = await bearer(her);
    await walksEveryItemOnce(auth, '/api/v1/cohorts', [ids[1]!, ids[4]!]);
    await refusesBadPaging(auth, '/api/v1/cohorts');
  });

  it('GET /boards walks every board she belongs to once and refuses a bad limit', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    const ids: string[] = [];
    for (const name of ['Zeal Academy', 'Ash Primary', 'Moor School'])
      ids.push((await buildBoard([{ user: governor, role: 'governor' }], { name })).id);
    await buildBoard([]);
    const auth = await bearer(governor);
    await walksEveryItemOnce(auth, '/api/v1/boards', ids);
    await refusesBadPaging(auth, '/api/v1/boards');
  });

  it('GET /auth/tokens, /me/outcomes, /me/mentorships, /boards/:id/rounds and /users/:id/external-certificates page with limit and cursor', async () => {
    const her = await buildUser({ roles: ['governor', 'mentor'] });
    const auth = await bearer(her);
    const tokens = (await supertest(app).get('/api/v1/auth/tokens').set('Authorization', auth).expect(200)).body;
    const tokenIds = [tokens.items[0].id];
    for (let i = 0; i < 2; i += 1) tokenIds.push((await createApiToken({ userId: her.id })).id);
    await walksEveryItemOnce(auth, '/api/v1/auth/tokens', tokenIds);
    await refusesBadPaging(auth, '/api/v1/auth/tokens');

    const outcomeIds: string[] = [];
    for (const kind of ['applied', 'interviewed', 'appointed'])
      outcomeIds.push(
        (
          await supertest(app)
            .post('/api/v1/me/outcomes')
            .set('Authorization', auth)
            .send({ kind, on: '2026-11-01' })
            .expect(201)
        ).body.id,
      );
    await walksEveryItemOnce(auth, '/api/v1/me/outcomes', outcomeIds);
    await refusesBadPaging(auth, '/api/v1/me/outcomes');

    const mentorshipIds: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const mentee = await buildUser();
      const made = await MentorshipModel.create({
        requestId: new Types.ObjectId(),
        mentorId: her.id,
        menteeId: mentee.id,
        activeKey: randomUUID(),
        startedAt: new Date(Date.UTC(2026, 9, 1 + i)),
        requestedAt: new Date(Date.UTC(2026, 8, 1)),
      });
      mentorshipIds.push(String(made._id));
    }
    await walksEveryItemOnce(auth, '/api/v1/me/mentorships', mentorshipIds);
    await refusesBadPaging(auth, '/api/v1/me/mentorships');

    const board = await buildBoard([{ user: her, role: 'chair' }]);
    const roundIds: string[] = [];
    for (const title of ['Head', 'Deputy', 'Bursar'])
      roundIds.push((await buildRound(board.id, { interviewDates: ['2027-06-01'], panel: [her], title })).id);
    await walksEveryItemOnce(auth, `/api/v1/boards/${board.id}/rounds`, roundIds);
    await refusesBadPaging(auth, `/api/v1/boards/${board.id}/rounds`);

    const certificateIds: string[] = [];
    for (const month of ['01', '02', '03'])
      certificateIds.push(
        String(
          (
            await ExternalCertificateModel.create({
              userId: her.id,
              provider: 'Safer Recruitment Consortium',
              completedOn: `2026-${month}-10`,
              expiresOn: `2029-${month}-10`,
              recordedBy: admin.id,
            })
          )._id,
        ),
      );
    await walksEveryItemOnce(auth, `/api/v1/users/${her.id}/external-certificates`, certificateIds);
    await refusesBadPaging(auth, `/api/v1/users/${her.id}/external-certificates`);
  });
});
