import mongoose from 'mongoose';
import { OneTimeTokenModel } from '../models/OneTimeToken.ts';
import type { JobArea } from './types.ts';

/**
 * Clean-up that a TTL index would do on MongoDB, which FerretDB 1.x lacks: expired web sessions
 * (connect-mongo stores `expires`) and one-time links a day past expiry. Acknowledged deletes, never w:0.
 */
export async function removeExpiredRecords(now = new Date()): Promise<{ sessions: number; links: number }> {
  const sessions = await mongoose.connection.db!.collection('sessions').deleteMany({ expires: { $lt: now } });
  const links = await OneTimeTokenModel.deleteMany({ expiresAt: { $lt: new Date(now.getTime() - 24 * 60 * 60 * 1000) } });
  return { sessions: sessions.deletedCount, links: links.deletedCount };
}

export const maintenanceJobs: JobArea = {
  define(agenda) {
    agenda.define('maintenance:remove-expired', async () => {
      await removeExpiredRecords();
    });
  },
  async schedule(agenda) {
    await agenda.every('15 minutes', 'maintenance:remove-expired', {}, { skipImmediate: false });
  },
};
