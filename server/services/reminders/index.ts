/**
 * The reminders area's public API, for other areas (the governing-board reminders use it):
 *
 * - `planNotification(plan)` / `planNotifications(plans)`: write what will be sent, under a unique `key`
 *   (what, for whom, which occurrence). Planning again re-plans (moves) a scheduled or cancelled one and never
 *   revives a sent one. Give `eventAt` so a reminder still unsent when the event starts is skipped, and `series`
 *   so that after downtime only the latest due reminder of an event goes out.
 * - `cancelNotifications({ keyPrefix | about | userId, kinds?, exceptKeys? })`: cancel unsent ones.
 * - `registerNotificationKind(kind, { prepare?, isStillRelevant?, compose? })`: a last "still relevant?" check
 *   and the final subject/template/data at send time (default: the planned template and data).
 *
 * Sending is the job's business (jobs/reminders.ts → runDueNotifications); nothing here sends by itself except
 * `deliverNow`, used for emails a person is waiting for (invitations, password resets), and `sendToAddress`, for an
 * email to an address without an account (the Pledge's links, the pool's contact), tried again by the job.
 */
export {
  planNotification,
  planNotifications,
  cancelNotifications,
  replanNotifications,
  type NotificationPlan,
} from './plan.ts';
export { registerNotificationKind, Memo, type KindHandlers, type ComposeContext } from './compose.ts';
export { runDueNotifications, settleNotifications, deliverNow, sendingDone, type RunReport } from './deliver.ts';
export { sendToAddress, sendWaitingAddressedEmails, addressedEmailsDone } from './addressedEmails.ts';
export { decideDue, effectiveState, retryDelayMs } from './due.ts';
export { planSessionReminders, sessionRescheduled, sessionCancelled } from './sessions.ts';
export { planModuleNudges, planCertificateExpiry } from './pacing.ts';
export { planFacilitatorDigests } from './digests.ts';
export { sendSecurityEmail, sendSecurityEmails, planWaitlistPromotion } from './accounts.ts';

import { planFacilitatorDigests } from './digests.ts';
import { planCertificateExpiry, planModuleNudges } from './pacing.ts';
import { planSessionReminders } from './sessions.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { planNetworkDigests } from '../networks/digest.ts';

/**
 * The planner's sweep (every 15 minutes, and on start): plans whatever events alone would miss: the next
 * weekly digest, reminders of sessions created before this process subscribed (demo data, imports), nudges
 * and certificate notices. Idempotent: every record has its key.
 */
export async function planUpcoming(props: { now?: Date } = {}): Promise<void> {
  const now = props.now ?? new Date();
  await planSessionReminders({ now });
  const cohorts = await CohortModel.find({ 'moduleDueDates.0': { $exists: true } })
    .select({ _id: 1 })
    .lean();
  for (const c of cohorts) await planModuleNudges({ cohortId: c._id, now });
  await planCertificateExpiry({ now });
  await planFacilitatorDigests({ now });
  await planNetworkDigests({ now });
}
