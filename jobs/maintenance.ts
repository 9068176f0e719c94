import mongoose from 'mongoose';
import { OneTimeTokenModel } from '../models/OneTimeToken.ts';
import { purgeCheckInFailures } from '../server/services/cohorts/index.ts';
import { purgeStalePledgeData } from '../server/services/pledge/retention.ts';
import { purgeEndedRateWindows } from '../server/services/rateLimits.ts';
import type { JobArea } from './types.ts';

/**
 * Clean-up that a TTL index would do on MongoDB, which FerretDB 1.x lacks: expired web sessions
 * (connect-mongo stores `expires`), one-time links a day past expiry, and wrong check-in codes a day old; and what
 * we should not keep: Pledge signatures never confirmed within a month; rate-limit counters of ended windows.
 * Acknowledged deletes, never w:0.
 */
export async function removeExpiredRecords(now = new Date()): Promise<{
  sessions: number;
  links: number;
  checkInFailures: number;
  pledge: { signatures: number; links: number };
}> {
  const sessions = await mongoose.connection.db!.collection('sessions').deleteMany({ expires: { $lt: now } });
  const links = await OneTimeTokenModel.deleteMany({
    expiresAt: { $lt: new Date(now.getTime() - 24 * 60 * 60 * 1000) },
  });
  const checkInFailures = await purgeCheckInFailures(now);
  const pledge = await purgeStalePledgeData(now);
  await purgeEndedRateWindows(now);
  return { sessions: sessions.deletedCount, links: links.deletedCount, checkInFailures, pledge };
}

export const maintenanceJobs: JobArea = {
  define(agenda) {
    agenda.define('maintenance:remove-expired', async () => {
      await removeExpiredRecords();
    });
  },
  async schedule(agenda) {
    await agenda.every('15 minutes', 'maintenance:remove-expired', {}, { skipImmediate: false });
    // Retired with the cohort snapshots it repaired: a database from an earlier version still lists it.
    await agenda.cancel({ name: 'maintenance:repair-snapshots' });
  },
};
