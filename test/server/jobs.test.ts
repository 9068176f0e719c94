import { expect } from 'chai';
import mongoose from 'mongoose';
import { once } from 'node:events';
import { pino } from 'pino';
import { createAgenda, jobAreas, startJobs, stopJobs } from '../../jobs/index.ts';
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
