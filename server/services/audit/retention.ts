import { AuditEventModel } from '../../../models/AuditEvent.ts';

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The one path that removes audit events: the maintenance job, for events older than AUDIT_RETENTION_DAYS. Nothing
 * else in Pathways updates or deletes an event (test/accounts/audit.test.ts holds the services to that).
 */
export async function purgeExpiredAuditEvents(props: { retentionDays: number; now?: Date }): Promise<number> {
  const now = props.now ?? new Date();
  const result = await AuditEventModel.deleteMany({
    at: { $lt: new Date(now.getTime() - props.retentionDays * dayMs) },
  });
  return result.deletedCount;
}
