import { expect } from 'chai';
import mongoose from 'mongoose';
import { once } from 'node:events';
import { pino } from 'pino';
import { catchUpAfterClockStep, createAgenda, jobAreas, startJobs, stopJobs } from '../../jobs/index.ts';
import { logger } from '../../server/logger.ts';
import { listScheduledJobs } from '../../server/services/jobQueue.ts';
import { useTestDatabase } from '../support/db.ts';

type Stream = { write(line: string): void };
const streamOf = logger as unknown as Record<symbol, Stream>;

/** Several app processes may run jobs (RUN_JOBS on each): two schedulers stand for two processes starting at once. */
describe('jobs in several processes', () => {
  useTestDatabase();

  it('when two processes start their jobs at the same moment, each recurring job is in the queue once', async function () {
    this.timeout(60_000);
    const agendas = await Promise.all([
      startJobs({ processEvery: '1 minute' }),
      startJobs({ processEvery: '1 minute' }),
    ]);
    try {
      const jobs = await listScheduledJobs({ limit: 200 });
      const names = jobs.map((j) => j.name).sort();
      expect(names).to.deep.equal([...new Set(names)]);
      expect(names).to.include.members(['maintenance:remove-expired', 'reminders:send', 'reminders:plan']);
      expect(jobAreas.length).to.be.greaterThan(1);
    } finally {
      await Promise.all(agendas.map((a) => stopJobs(a)));
      await mongoose.connection.db!.collection('jobs').deleteMany({});
    }
  });

  it('a restart runs every recurring job at once, though the stored next run was counted from the earlier start (or a clock that was ahead)', async function () {
    this.timeout(60_000);
    const jobs = mongoose.connection.db!.collection('jobs');
    await stopJobs(await startJobs({ processEvery: '1 minute' }));
    try {
      const later = new Date(Date.now() + 7 * 24 * 60 * 60_000);
      await jobs.updateMany({ type: 'single' }, { $set: { nextRunAt: later } });
      const agenda = await startJobs({ processEvery: '1 minute' });
      await stopJobs(agenda);
      const stored = await jobs
        .find({ type: 'single', name: { $in: ['cohorts:repair-copies', 'reminders:send'] } })
        .toArray();
      expect(stored).to.have.length(2);
      // Due at the restart (or already run since, and due again an interval after it): never a week away.
      for (const job of stored)
        expect((job.nextRunAt as Date).getTime(), job.name).to.be.below(later.getTime() - 60 * 60_000);
    } finally {
      await jobs.deleteMany({});
    }
  });

  it('a clock stepped back makes due now every recurring job whose last run lies ahead; the others keep their time', async () => {
    const jobs = mongoose.connection.db!.collection('jobs');
    const now = new Date('2026-12-06T10:00:00Z');
    const hours = (n: number) => new Date(now.getTime() + n * 60 * 60_000);
    await jobs.insertMany([
      { name: 'test:ahead', type: 'single', lastRunAt: hours(24), nextRunAt: hours(25) },
      { name: 'test:in-step', type: 'single', lastRunAt: hours(-0.5), nextRunAt: hours(0.5) },
    ]);
    try {
      expect(await catchUpAfterClockStep(now)).to.equal(1);
      const byName = new Map((await jobs.find({ name: /^test:/ }).toArray()).map((j) => [j.name, j.nextRunAt as Date]));
      expect(byName.get('test:ahead')!.toISOString()).to.equal(now.toISOString());
      expect(byName.get('test:in-step')!.toISOString()).to.equal(hours(0.5).toISOString());
    } finally {
      await jobs.deleteMany({});
    }
  });

  it('when a job throws, the failure is logged (error level, with the job and the error), not only kept in the jobs collection', async function () {
    this.timeout(60_000);
    const lines: string[] = [];
    const original = streamOf[pino.symbols.streamSym]!;
    const level = logger.level;
    logger.level = 'info';
    streamOf[pino.symbols.streamSym] = { write: (line: string) => void lines.push(line) };
    const agenda = createAgenda({ processEvery: '1 second' });
    agenda.define('test:broken', async () => {
      throw new Error('the reminders template is missing');
    });
    try {
      await agenda.start();
      const failed = once(agenda, 'fail');
      await agenda.now('test:broken');
      await failed;
      const logged = lines.map(
        (l) => JSON.parse(l) as { level: number; msg: string; job?: string; err?: { message: string } },
      );
      const failure = logged.find((l) => l.job === 'test:broken');
      expect(failure, lines.join('\n')).to.include({ level: 50 });
      expect(failure!.msg).to.match(/job failed/);
      expect(failure!.err?.message).to.equal('the reminders template is missing');
    } finally {
      streamOf[pino.symbols.streamSym] = original;
      logger.level = level;
      await stopJobs(agenda);
      await mongoose.connection.db!.collection('jobs').deleteMany({});
    }
  });
});
