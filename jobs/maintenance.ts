import mongoose from 'mongoose';
import { OneTimeTokenModel } from '../models/OneTimeToken.ts';
import { purgeExpiredApiTokens } from '../server/services/apiTokens.ts';
import { purgeCheckInFailures } from '../server/services/cohorts/index.ts';
import { purgeStalePledgeData } from '../server/services/pledge/retention.ts';
import { acceptsFinished } from '../server/services/pool/pool.ts';
import { erasuresFinished } from '../server/services/privacy/erase.ts';
import { purgeUnconfirmedPoolRequests } from '../server/services/pool/retention.ts';
import { purgeEndedRateWindows } from '../server/services/rateLimits.ts';
import { purgeEndedSessionRecords } from '../server/services/accounts/sessions.ts';
import { purgeExpiredAuditEvents } from '../server/services/audit/retention.ts';
import { directoryFollowsAccounts } from '../server/services/directory/profiles.ts';
import { namesFollowAccounts } from '../server/services/accounts/nameCopies.ts';
import { listChanged } from '../server/services/pledge/listCache.ts';
import { countOutMembershipsOfDisabledAccounts } from '../server/services/networks/members.ts';
import { sessionIdleMs } from '../server/http/sessionCookie.ts';
import { settings } from '../server/settings.ts';
import type { JobArea } from './types.ts';

/**
 * Clean-up that a TTL index would do on MongoDB, which FerretDB 1.x lacks: expired web sessions
 * (connect-mongo stores `expires`), one-time links a day past expiry, and wrong check-in codes a day old; and what
 * we should not keep: Pledge signatures and pool requests never confirmed within a month; rate-limit counters of ended
 * windows; records of signed-in sessions and API tokens that have expired; audit events older than
 * AUDIT_RETENTION_DAYS when an operator set it (unset, nothing deletes an event: API.md).
 * Acknowledged deletes, never w:0.
 */
export async function removeExpiredRecords(now = new Date()): Promise<{
  sessions: number;
  links: number;
  checkInFailures: number;
  pledge: { signatures: number; links: number };
  poolRequests: number;
  sessionRecords: number;
  apiTokens: number;
  auditEvents: number;
}> {
  const sessions = await mongoose.connection.db!.collection('sessions').deleteMany({ expires: { $lt: now } });
  const links = await OneTimeTokenModel.deleteMany({
    expiresAt: { $lt: new Date(now.getTime() - 24 * 60 * 60 * 1000) },
  });
  const checkInFailures = await purgeCheckInFailures(now);
  const pledge = await purgeStalePledgeData(now);
  const poolRequests = await purgeUnconfirmedPoolRequests(now);
  await purgeEndedRateWindows(now);
  const sessionRecords = await purgeEndedSessionRecords({ idleMs: sessionIdleMs, now });
  const apiTokens = await purgeExpiredApiTokens(now);
  const auditEvents =
    settings.auditRetentionDays === null
      ? 0
      : await purgeExpiredAuditEvents({ retentionDays: settings.auditRetentionDays, now });
  return {
    sessions: sessions.deletedCount,
    links: links.deletedCount,
    checkInFailures,
    pledge,
    poolRequests,
    sessionRecords,
    apiTokens,
    auditEvents,
  };
}

export const maintenanceJobs: JobArea = {
  define(agenda) {
    agenda.define('maintenance:remove-expired', async () => {
      await removeExpiredRecords();
      // Not an expiry, but a repair of the same cadence: a disabled person is never listed in the directory, and an
      // enabled one is listed as she chose.
      await directoryFollowsAccounts();
      // And copies of a name follow its change, however the process that changed it stopped.
      await namesFollowAccounts();
      // Every process's cached Pledge list is built again at least this often: a process that stopped between a
      // signature's write and its listChanged() leaves the others' caches stale until the next change otherwise.
      await listChanged();
      // Likewise network member counts are of active accounts.
      await countOutMembershipsOfDisabledAccounts();
      // A pool accept whose process stopped half-way is carried through: the organisation hears.
      await acceptsFinished();
      // And an erasure: nothing that identifies her stays because a process stopped.
      await erasuresFinished();
    });
  },
  async schedule(agenda) {
    await agenda.every('15 minutes', 'maintenance:remove-expired', {}, { skipImmediate: false });
    // Retired with the cohort snapshots it repaired: a database from an earlier version still lists it.
    await agenda.cancel({ name: 'maintenance:repair-snapshots' });
  },
};
