import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import mongoose, { Types } from 'mongoose';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { CohortModel, type Cohort } from '../models/Cohort.ts';
import { CohortSessionModel, type CohortSession } from '../models/CohortSession.ts';
import { EnrolmentModel } from '../models/Enrolment.ts';
import { ProgrammeModel } from '../models/Programme.ts';
import { UserModel } from '../models/User.ts';
import { connectDatabase } from '../server/db.ts';
import { logger } from '../server/logger.ts';
import { closeMailer, configureMailer } from '../server/mailer.ts';
import { settings } from '../server/settings.ts';
import { planSessionReminders, runDueNotifications } from '../server/services/reminders/index.ts';
import { renderNotificationEmail } from '../server/services/reminders/compose.ts';
import { sessionCalendar } from '../server/services/reminders/sessions.ts';
import type { CustomBench, CustomBenchContext } from './custom.ts';
import { startBenchDatabase } from './database.ts';

/**
 * Reminders throughput: one session for each of `scale` participants (300 cohorts), planned and sent to a local
 * SMTP sink, against a bare nodemailer loop sending the same emails (same recipients, same rendered content,
 * same pooled transport and concurrency) in the same run. Target: ≥ 50% of the bare loop's rate, zero
 * duplicates, zero lost. `npm run bench -- --only reminders [--scale N]`, or alone: `node --import tsx bench/reminders.ts [N]`.
 */
const cohortsCount = 300;
/** Lanes for both sides; both send through a nodemailer pool of 5 SMTP connections. */
const concurrency = 10;

async function smtpSink() {
  const counts = new Map<string, number>();
  let total = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        const to = session.envelope.rcptTo[0]?.address ?? '';
        counts.set(to, (counts.get(to) ?? 0) + 1);
        total += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    reset: () => {
      counts.clear();
      total = 0;
    },
    stats: () => ({ total, distinct: counts.size, duplicates: [...counts.values()].filter((n) => n > 1).length }),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function seed(scale: number, startsAt: Date) {
  const programme = await ProgrammeModel.create({
    title: 'Aspiring Leaders',
    track: 'aspiring-leader',
    summary: 'Bench',
    status: 'published',
  });
  const zones = ['Europe/London', 'America/Toronto', 'Asia/Singapore', 'Australia/Sydney', 'Africa/Accra'];
  const cohorts = await CohortModel.insertMany(
    Array.from({ length: cohortsCount }, (_, i) => ({
      programmeId: programme._id,
      name: `Bench cohort ${i + 1}`,
      capacity: 1000,
      timezone: 'Europe/London',
      startsOn: '2027-01-01',
      endsOn: '2027-12-31',
      reminderOffsetsMinutes: [60],
    })),
  );
  await CohortSessionModel.insertMany(
    cohorts.map((c, i) => ({
      cohortId: c._id,
      title: `Workshop ${i + 1}`,
      startsAt,
      durationMinutes: 90,
      mode: 'online',
      joinUrl: `https://meet.example.org/${i}`,
    })),
  );
  for (let i = 0; i < scale; i += 2000) {
    const users = Array.from({ length: Math.min(2000, scale - i) }, (_, j) => ({
      _id: new Types.ObjectId(),
      email: `bench${i + j}@example.org`,
      name: `Participant ${i + j}`,
      roles: ['participant'],
      timezone: zones[(i + j) % zones.length],
      status: 'active',
      mutedKinds: [],
      emailDigest: 'single',
      createdAt: new Date(),
      updatedAt: new Date(),
    }));
    await UserModel.collection.insertMany(users);
    await EnrolmentModel.collection.insertMany(
      users.map((u, j) => ({
        cohortId: cohorts[(i + j) % cohortsCount]!._id,
        userId: u._id,
        programmeId: programme._id,
        status: 'active',
        enrolledAt: new Date(),
      })),
    );
  }
}

export const bench: CustomBench = async (ctx: CustomBenchContext) => {
  const scale = ctx.scale;
  const database = await ctx.startDatabase();
  const sink = await smtpSink();
  try {
    await connectDatabase(database.uri, 'benchreminders');
    await mongoose.connection.dropDatabase();
    await connectDatabase(database.uri, 'benchreminders');
    settings.env = 'production';
    settings.baseUrl = 'http://pathways.bench';
    const startsAt = new Date(Date.now() + 2 * 60 * 60 * 1000);
    ctx.log(`reminders: seeding ${scale} participants in ${cohortsCount} cohorts`);
    await seed(scale, startsAt);
    const sendNow = new Date(startsAt.getTime() - 60 * 60 * 1000 + 1000);

    // The bare loop: the same emails (rendered beforehand, outside the timing), same pooled transport, same concurrency.
    const users = (await UserModel.collection.find({}).toArray()) as never as {
      _id: Types.ObjectId;
      email: string;
      name: string;
      timezone: string;
      status: string;
    }[];
    const session = (await CohortSessionModel.findOne().lean<CohortSession>())!;
    const cohort = (await CohortModel.findById(session.cohortId).lean<Cohort>())!;
    const attachments = [
      {
        filename: 'workshop.ics',
        content: sessionCalendar(session, cohort),
        contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
      },
    ];
    const emails = users.map((u) =>
      renderNotificationEmail(
        {
          _id: new Types.ObjectId(),
          key: 'bench',
          userId: u._id,
          kind: 'session-reminder',
          about: { type: 'session', id: String(session._id) },
          sendAt: sendNow,
        },
        u,
        {
          subject: `Reminder: ${session.title}, in one hour`,
          template: 'session-reminder',
          data: {
            title: session.title,
            cohortName: cohort.name,
            startsAt: session.startsAt.toISOString(),
            durationMinutes: 90,
            mode: 'online',
            joinUrl: session.joinUrl,
            location: '',
            sessionUrl: 'http://pathways.bench/sessions/x',
          },
          attachments,
        },
      ),
    );
    const bareLoop = async () => {
      sink.reset();
      const transport = nodemailer.createTransport(`${sink.url}?pool=true`);
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < emails.length)
            await transport.sendMail({ from: 'Pathways <no-reply@pathways.bench>', ...emails[next++]! });
        }),
      );
      const ms = performance.now() - started;
      transport.close();
      return { ms, total: sink.stats().total };
    };
    // Before and after the pipeline, so a change in the machine's load during the run is visible and averaged out.
    const bareBefore = await bareLoop();
    sink.reset();
    // The pipeline: plan, then send until nothing is due.
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.bench>' });
    const t0 = performance.now();
    const planned = await planSessionReminders({ now: new Date() });
    const t1 = performance.now();
    let rounds = 0;
    for (;;) {
      const report = await runDueNotifications({ now: sendNow, concurrency, batchSize: 1000 });
      rounds += 1;
      if (report.remaining === 0 || rounds > 20) break;
    }
    const t2 = performance.now();
    const pipeline = sink.stats();
    closeMailer();
    ctx.log(
      `reminders: planned ${planned.planned} in ${Math.round(t1 - t0)} ms, sent ${pipeline.total} in ${Math.round(t2 - t1)} ms`,
    );

    const bareAfter = await bareLoop();
    const bareMs = bareBefore.ms + bareAfter.ms;
    const sendSeconds = (t2 - t1) / 1000;
    const pipelineRate = pipeline.total / sendSeconds;
    const bareRate = (bareBefore.total + bareAfter.total) / (bareMs / 1000);
    const totalRate = pipeline.total / ((t2 - t0) / 1000);
    return {
      participants: scale,
      cohorts: cohortsCount,
      plannedReminders: planned.planned,
      planMs: Math.round(t1 - t0),
      sendMs: Math.round(t2 - t1),
      totalMs: Math.round(t2 - t0),
      emailsSent: pipeline.total,
      emailsPerSecond: Math.round(pipelineRate),
      emailsPerSecondIncludingPlanning: Math.round(totalRate),
      bareLoopMs: Math.round(bareMs / 2),
      bareLoopBeforeEmailsPerSecond: Math.round(bareBefore.total / (bareBefore.ms / 1000)),
      bareLoopAfterEmailsPerSecond: Math.round(bareAfter.total / (bareAfter.ms / 1000)),
      bareLoopEmailsPerSecond: Math.round(bareRate),
      ratioToBareLoop: Math.round((pipelineRate / bareRate) * 100) / 100,
      ratioIncludingPlanning: Math.round((totalRate / bareRate) * 100) / 100,
      duplicates: pipeline.duplicates,
      lost: scale - pipeline.distinct,
      meetsTarget: pipelineRate / bareRate >= 0.5 && pipeline.duplicates === 0 && pipeline.distinct === scale,
    };
  } finally {
    closeMailer();
    await mongoose.disconnect().catch(() => undefined);
    await sink.stop();
    await database.stop();
  }
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  logger.level = 'warn';
  const scale = Number(process.argv[2] ?? 10_000);
  const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const result = await bench({
    scale,
    log,
    startDatabase: startBenchDatabase,
    seed: undefined as never,
    startApp: undefined as never,
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
