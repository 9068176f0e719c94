import { expect } from 'chai';
import mongoose from 'mongoose';
import { createAgenda, stopJobs } from '../../jobs/index.ts';
import { useTestDatabase } from '../support/db.ts';

describe('jobs at shutdown', () => {
  useTestDatabase();

  it('when the process stops while a job runs past the wait, the job is unlocked so another process may run it at once', async function () {
    this.timeout(60_000);
    const agenda = createAgenda({ processEvery: '1 second' });
    let started!: () => void;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const running = new Promise<void>((resolve) => (started = resolve));
    agenda.define('test:slow', async () => {
      started();
      await finished;
    });
    await agenda.start();
    await agenda.now('test:slow');
    await running;
    try {
      // The wait is the share of SHUTDOWN_TIMEOUT_SECONDS it is given, so the unlock happens before the deadline.
      const since = Date.now();
      await stopJobs(agenda, { drainMs: 1_000 });
      expect(Date.now() - since).to.be.below(5_000);
      const job = await mongoose.connection.db!.collection('jobs').findOne({ name: 'test:slow' });
      expect(job?.lockedAt ?? null).to.equal(null);
    } finally {
      finish();
      await mongoose.connection.db!.collection('jobs').deleteMany({});
    }
  });
});
