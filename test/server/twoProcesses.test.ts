import { expect } from 'chai';
import mongoose from 'mongoose';
import { CertificateModel } from '../../models/Certificate.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme } from '../support/learningFactories.ts';
import { startAppProcess, stopAppProcess, type AppProcess } from '../support/appProcess.ts';
import { useTestDatabase } from '../support/db.ts';
import { startSmtpSink } from '../support/smtp.ts';

async function call(base: string, token: string, method: string, url: string, body?: unknown) {
  const response = await fetch(`${base}/api/v1${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('two app processes on one database', function () {
  this.timeout(180_000);
  useTestDatabase();

  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let apps: AppProcess[] = [];
  let admin: TestUser;
  let adminToken: string;

  before(async function () {
    smtp = await startSmtpSink();
    admin = await buildUser({ roles: ['admin'] });
    adminToken = await tokenFor(admin);
    // Both run jobs and send through the sink, as every process behind a load balancer may.
    const env = { SMTP_URL: smtp.url, RUN_JOBS: 'true', LOG_LEVEL: 'warn' };
    apps = await Promise.all([startAppProcess({ env }), startAppProcess({ env })]);
  });

  after(async () => {
    await Promise.all(apps.map(stopAppProcess));
    await smtp?.stop();
  });

  /** Spreads requests over both processes, all at once. */
  const on = (i: number) => apps[i % 2]!.base;

  it('when 16 participants each complete 3 modules on both processes at once, every progress is exact and each gets one certificate', async () => {
    const programme = await buildProgramme({ track: 'aspiring-leader' });
    const modules = [await buildModule(programme.id), await buildModule(programme.id), await buildModule(programme.id)];
    const cohort = await buildCohort(programme.id);
    const people = await Promise.all(Array.from({ length: 16 }, () => buildUser()));
    const tokens = await Promise.all(people.map(tokenFor));

    const enrolled = await Promise.all(
      people.map((p, i) => call(on(i), adminToken, 'POST', `/cohorts/${cohort.id}/enrolments`, { userId: p.id })),
    );
    expect(enrolled.map((r) => r.status)).to.deep.equal(people.map(() => 201));

    const completions = people.flatMap((_, i) =>
      modules.map((m, j) => call(on(i + j), tokens[i]!, 'POST', `/modules/${m.id}/completion`, {})),
    );
    const answers = await Promise.all(completions);
    expect(answers.map((r) => r.status)).to.deep.equal(answers.map(() => 200));

    for (const [i, person] of people.entries()) {
      for (const app of apps) {
        const progress = await call(app.base, tokens[i]!, 'GET', '/me/progress');
        const rows = (
          progress.body as unknown as {
            cohortId: string;
            completedModules: number;
            totalModules: number;
            percent: number;
          }[]
        ).filter((r) => r.cohortId === cohort.id);
        expect(rows, `progress of participant ${i} on ${app.base}`).to.deep.equal([
          { ...rows[0], cohortId: cohort.id, completedModules: 3, totalModules: 3, percent: 100 },
        ]);
      }
      expect(await CertificateModel.countDocuments({ userId: person.id, cohortId: cohort.id })).to.equal(1);
    }
  });

  it('when 12 people enrol for 4 places through both processes at once, 4 are active and 8 wait in positions 1 to 8', async () => {
    const programme = await buildProgramme();
    const cohort = await buildCohort(programme.id);
    await mongoose.connection
      .db!.collection('cohorts')
      .updateOne({ _id: new mongoose.Types.ObjectId(cohort.id) }, { $set: { capacity: 4 } });
    const people = await Promise.all(Array.from({ length: 12 }, () => buildUser()));

    const answers = await Promise.all(
      people.map((p, i) => call(on(i), adminToken, 'POST', `/cohorts/${cohort.id}/enrolments`, { userId: p.id })),
    );
    expect(answers.map((r) => r.status)).to.deep.equal(people.map(() => 201));
    expect(answers.filter((r) => r.body.status === 'active')).to.have.length(4);
    expect(
      answers
        .filter((r) => r.body.status === 'waitlisted')
        .map((r) => r.body.position)
        .sort((a, b) => Number(a) - Number(b)),
    ).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);

    const list = await call(on(1), adminToken, 'GET', `/cohorts/${cohort.id}/enrolments`);
    const items = list.body.items as { status: string; position?: number }[];
    expect(items.filter((e) => e.status === 'active')).to.have.length(4);
    expect(items.filter((e) => e.status === 'waitlisted').map((e) => e.position)).to.deep.equal([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
  });

  it('when both processes run jobs and a session starts in 30 minutes, each participant gets its reminder exactly once', async () => {
    const programme = await buildProgramme();
    const cohort = await buildCohort(programme.id);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    await mongoose.connection
      .db!.collection('cohorts')
      .updateOne({ _id: new mongoose.Types.ObjectId(cohort.id) }, { $set: { startsOn: day(-7), endsOn: day(60) } });
    const people = await Promise.all(Array.from({ length: 10 }, () => buildUser()));
    for (const [i, p] of people.entries()) {
      const r = await call(on(i), adminToken, 'POST', `/cohorts/${cohort.id}/enrolments`, { userId: p.id });
      expect(r.status).to.equal(201);
    }
    const title = `Two-process session ${Date.now()}`;
    const startsAt = new Date(Date.now() + 30 * 60_000).toISOString();
    const created = await call(on(0), adminToken, 'POST', `/cohorts/${cohort.id}/sessions`, {
      title,
      startsAt,
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/two',
    });
    expect(created.status).to.equal(201);

    const received = () => smtp.received.filter((m) => m.subject.includes(title) || m.raw.includes(title));
    const deadline = Date.now() + 90_000;
    while (new Set(received().flatMap((m) => m.to)).size < people.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 500));
    // Both processes keep polling for a while: a second copy would arrive within a few more job runs.
    await new Promise((r) => setTimeout(r, 12_000));

    const perPerson = people.map((p) => received().filter((m) => m.to.includes(p.email)).length);
    expect(perPerson).to.deep.equal(people.map(() => 1));
    const sent = await NotificationModel.countDocuments({
      kind: 'session-reminder',
      status: 'sent',
      userId: { $in: people.map((p) => new mongoose.Types.ObjectId(p.id)) },
    });
    expect(sent).to.equal(people.length);
  });
});
