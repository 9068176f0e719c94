import { expect } from 'chai';
import mongoose from 'mongoose';
import { jobAreas, startJobs, stopJobs } from '../../jobs/index.ts';
import { listScheduledJobs } from '../../server/services/jobQueue.ts';
import { useTestDatabase } from '../support/db.ts';

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
});
