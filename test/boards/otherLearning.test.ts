import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { CompletionModel } from '../../models/Completion.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { signIn, testApp } from '../support/app.ts';
import { buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/** Progress and a certificate in a programme that is not the governing-board training. */
async function otherLearning(user: TestUser) {
  const programme = await ProgrammeModel.create({
    title: `Aspiring heads ${randomUUID().slice(0, 4)}`,
    track: 'aspiring-leader',
    summary: 'Leading.',
    status: 'published',
  });
  const first = await ModuleModel.create({
    programmeId: programme._id,
    title: 'Module 1',
    body: 'Read.',
    estimatedMinutes: 5,
    completion: { type: 'view' },
    position: 1,
  });
  const cohort = await CohortModel.create({
    programmeId: programme._id,
    name: 'Spring',
    capacity: 20,
    timezone: 'Europe/London',
    startsOn: '2026-01-01',
    endsOn: '2026-12-01',
  });
  await EnrolmentModel.create({
    cohortId: cohort._id,
    userId: user.id,
    programmeId: programme._id,
    status: 'active',
    enrolledAt: new Date(),
  });
  await CompletionModel.create({
    userId: user.id,
    moduleId: first._id,
    cohortId: cohort._id,
    programmeId: programme._id,
    completedAt: new Date(),
  });
  await CertificateModel.create({
    userId: user.id,
    programmeId: programme._id,
    cohortId: cohort._id,
    track: 'aspiring-leader',
    holderName: user.name,
    programmeTitle: programme.title,
    issuedAt: new Date('2025-01-01'),
    expiresAt: null,
    verificationCode: `AL-${randomUUID().slice(0, 8).toUpperCase()}`,
  });
  return { programme };
}

describe('boards: a chair who seats an existing account sees only her governing-board readiness, never her other learning', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('the round page and the readiness API show an adviser and an unconfirmed member with other learning as not started', async () => {
    const [chair, member, adviser] = await Promise.all([
      buildUser({ roles: ['governor'], name: 'Chair Cleo' }),
      buildUser({ roles: ['participant'], name: 'Member Mia' }),
      buildUser({ roles: ['participant'], name: 'Adviser Ada' }),
    ]);
    const [mine, hers] = await Promise.all([otherLearning(member), otherLearning(adviser)]);
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: member, role: 'governor' },
    ]);
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair, member, adviser] });
    const token = await tokenFor(chair);
    const readiness = await supertest(app)
      .get(`/api/v1/rounds/${round.id}/readiness`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    for (const id of [member.id, adviser.id])
      expect(readiness.body.members.find((m: { userId: string }) => m.userId === id)).to.deep.equal({
        userId: id,
        status: 'not-started',
        percent: 0,
      });
    const agent = await signIn(app, chair.email, testPassword);
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    for (const title of [mine.programme.title, hers.programme.title]) expect(page.text).not.to.include(title);
    expect(page.text).not.to.include('AL-');
    const boardPage = await agent.get(`/boards/${board.id}`).expect(200);
    expect(boardPage.text).not.to.include(mine.programme.title);
    for (const path of [`/api/v1/users/${member.id}/progress`, `/api/v1/users/${adviser.id}/certificates`])
      expect((await supertest(app).get(path).set('Authorization', `Bearer ${token}`)).status).to.be.oneOf([403, 404]);
  });
});
