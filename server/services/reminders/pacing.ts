import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CohortModel, type Cohort } from '../../../models/Cohort.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ModuleModel } from '../../../models/Module.ts';
import { UserModel } from '../../../models/User.ts';
import { absoluteUrl } from '../../settings.ts';
import { moduleDeadline } from '../cohorts/moduleDueDates.ts';
import { modulesOf } from '../learning/programmes.ts';
import { registerNotificationKind, type Memo, type PlannedNotification } from './compose.ts';
import { cancelNotifications, planNotifications, type NotificationPlan } from './plan.ts';
import { addDays, daysAwayInWords, localDate, nextDaily, wallClockOn } from './time.ts';

/**
 * Pacing nudges (3 days before a module's deadline, on her calendar, when it is not done; one overdue notice the day after) and
 * certificate expiry notices (30 days before). Sent at 09:00 in the reader's zone; due dates are calendar dates
 * in the cohort's zone.
 */
type Id = string | Types.ObjectId;

async function zonesOf(userIds: string[]): Promise<Map<string, string>> {
  const users = await UserModel.collection
    .find({ _id: { $in: userIds.map((id) => new Types.ObjectId(id)) } }, { projection: { timezone: 1 } })
    .toArray();
  return new Map(users.map((u) => [String(u._id), (u.timezone as string) || 'UTC']));
}

/** Plans the nudges of a cohort (or of one participant in it); drops those for due dates that changed. */
export async function planModuleNudges(props: { cohortId: Id; userId?: Id; now?: Date }): Promise<number> {
  const cohort = await CohortModel.findById(props.cohortId).lean<Cohort>();
  if (!cohort) return 0;
  const filter: Record<string, unknown> = { cohortId: cohort._id, status: 'active' };
  if (props.userId) filter.userId = new Types.ObjectId(String(props.userId));
  const enrolments = await EnrolmentModel.collection.find(filter, { projection: { userId: 1 } }).toArray();
  const userIds = enrolments.map((e) => String(e.userId));
  const zones = await zonesOf(userIds);
  const cohortId = String(cohort._id);
  const plans: NotificationPlan[] = [];
  // Only the programme's current modules: one retired since, or a due date left from the programme a cohort was
  // moved from, nudges nobody (their planned nudges are cancelled below).
  const current = new Set((await modulesOf(cohort.programmeId)).map((m) => String(m._id)));
  for (const due of cohort.moduleDueDates ?? []) {
    if (!due.moduleId || !due.dueOn || !current.has(String(due.moduleId))) continue;
    const moduleId = String(due.moduleId);
    // Due on a date: by the end of that day in the cohort's zone, which is another hour (even day) in hers.
    const { deadline, dueBy } = moduleDeadline(due.dueOn, cohort.timezone);
    for (const userId of userIds) {
      const zone = zones.get(userId) ?? cohort.timezone;
      const common = {
        userId,
        about: { type: 'module' as const, id: moduleId },
        data: { cohortId, dueOn: due.dueOn, dueBy: dueBy.toISOString() },
      };
      // Overdue once the deadline has passed, at the first 09:00 of hers after it: "the day after" in her zone
      // is still the due day in the cohort's when she lives ahead of it (Auckland or Tokyo, a London cohort).
      const overdueAt = nextDaily({ after: deadline, hour: 9, zone });
      plans.push({
        ...common,
        key: `module-due:${cohortId}:${moduleId}:${userId}:${due.dueOn}`,
        kind: 'module-due',
        // Three days before the deadline's day on her calendar (in Auckland, a London cohort's 20 May ends on the 21st).
        sendAt: wallClockOn(addDays(localDate(dueBy, zone), -3), 9, 0, zone),
        eventAt: deadline,
        subject: 'A module is due soon',
      });
      plans.push({
        ...common,
        key: `module-overdue:${cohortId}:${moduleId}:${userId}:${due.dueOn}`,
        kind: 'module-overdue',
        sendAt: overdueAt,
        eventAt: wallClockOn(addDays(localDate(overdueAt, zone), 2), 0, 0, zone),
        subject: 'A module is overdue',
      });
    }
  }
  if (!props.userId) {
    const prefixes = ['module-due', 'module-overdue'].map((k) => `${k}:${cohortId}:`);
    for (const keyPrefix of prefixes) await cancelNotifications({ keyPrefix, exceptKeys: plans.map((p) => p.key) });
  }
  await planNotifications(plans);
  return plans.length;
}

/** She finished the module: no nudge about it. */
export async function moduleCompleted(props: { cohortId: Id; moduleId: Id; userId: Id }): Promise<void> {
  for (const kind of ['module-due', 'module-overdue'])
    await cancelNotifications({
      keyPrefix: `${kind}:${String(props.cohortId)}:${String(props.moduleId)}:${String(props.userId)}:`,
    });
}

async function prepareModules(records: PlannedNotification[], memo: Memo): Promise<void> {
  const moduleIds = [...new Set(records.map((r) => r.about.id))].map((id) => new Types.ObjectId(id));
  const userIds = [...new Set(records.map((r) => String(r.userId)))].map((id) => new Types.ObjectId(id));
  const [modules, completions] = await Promise.all([
    ModuleModel.collection.find({ _id: { $in: moduleIds } }, { projection: { title: 1 } }).toArray(),
    CompletionModel.collection
      .find(
        { moduleId: { $in: moduleIds }, userId: { $in: userIds } },
        { projection: { moduleId: 1, userId: 1, cohortId: 1 } },
      )
      .toArray(),
  ]);
  for (const m of modules) memo.set(`module:${String(m._id)}`, m.title);
  for (const c of completions) memo.set(`done:${String(c.cohortId)}:${String(c.moduleId)}:${String(c.userId)}`, true);
  for (const r of records) if (memo.get(`module:${r.about.id}`) === undefined) memo.set(`module:${r.about.id}`, null);
}

for (const kind of ['module-due', 'module-overdue'] as const) {
  registerNotificationKind(kind, {
    prepare: prepareModules,
    isStillRelevant: async ({ record, memo }) => {
      if (memo.get(`module:${record.about.id}`) === undefined) await prepareModules([record], memo);
      if (!memo.get(`module:${record.about.id}`)) return 'The module no longer exists.';
      return memo.get(`done:${String(record.data?.cohortId)}:${record.about.id}:${String(record.userId)}`)
        ? 'She has completed the module.'
        : true;
    },
    compose: async ({ record, recipient, memo, now }) => {
      const title = memo.get<string>(`module:${record.about.id}`)!;
      const dueBy = typeof record.data?.dueBy === 'string' ? new Date(record.data.dueBy) : null;
      const zone = recipient.timezone || 'UTC';
      // Counted as it goes, on her calendar: a nudge sent in her next daily digest, or late, never says "in 3 days".
      const dueIn = dueBy ? daysAwayInWords(now, dueBy, zone) : 'in 3 days';
      return {
        subject: kind === 'module-due' ? `Due ${dueIn}: ${title}` : `Overdue: ${title}`,
        template: kind,
        data: {
          title,
          dueIn,
          // The day it is due on her calendar (a London cohort's 20 May ends on the 21st in Auckland), as "by" says.
          dueOn: dueBy ? localDate(dueBy, zone) : record.data?.dueOn,
          dueBy: record.data?.dueBy ?? null,
          moduleUrl: absoluteUrl(`/modules/${record.about.id}`),
        },
      };
    },
  });
}

/** A notice 30 days before a certificate expires, at 09:00 in her zone. */
export async function planCertificateExpiry(props: { certificateIds?: Id[]; now?: Date } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const filter: Record<string, unknown> = { expiresAt: { $gt: now } };
  if (props.certificateIds) filter._id = { $in: props.certificateIds.map((id) => new Types.ObjectId(String(id))) };
  const certificates = await CertificateModel.collection
    .find(filter, { projection: { userId: 1, expiresAt: 1, programmeTitle: 1, track: 1 } })
    .toArray();
  const zones = await zonesOf(certificates.map((c) => String(c.userId)));
  const plans: NotificationPlan[] = certificates.map((c) => {
    const zone = zones.get(String(c.userId)) ?? 'UTC';
    const expiresAt = c.expiresAt as Date;
    return {
      key: `certificate-expiring:${String(c._id)}`,
      userId: String(c.userId),
      kind: 'certificate-expiring',
      about: { type: 'certificate', id: String(c._id) },
      // 30 days before on her calendar: 30 × 24 hours can be 31 days when the clocks go forward in between.
      sendAt: wallClockOn(addDays(localDate(expiresAt, zone), -30), 9, 0, zone),
      eventAt: expiresAt,
      // The days left are counted when the email is composed (./compose.ts may send it later than planned).
      subject: `Your ${String(c.programmeTitle)} certificate expires soon`,
      data: { programmeTitle: c.programmeTitle, track: c.track, expiresAt: expiresAt.toISOString() },
    };
  });
  await planNotifications(plans);
  return plans.length;
}

registerNotificationKind('certificate-expiring', {
  isStillRelevant: async ({ record, now }) => {
    if (new Date(String(record.data?.expiresAt)).getTime() <= now.getTime()) return 'The certificate has expired.';
    const certificate = await CertificateModel.findById(record.about.id, { programmeId: 1, revokedAt: 1 }).lean();
    if (!certificate || certificate.revokedAt) return 'The certificate was revoked.';
    // Renewed: a later certificate of the same programme, not revoked. Another programme of the track (a governor
    // induction beside the panels' bias training) renews nothing: her own programme's certificate still lapses.
    const renewed = await CertificateModel.exists({
      userId: record.userId,
      programmeId: certificate.programmeId,
      revokedAt: null,
      expiresAt: { $gt: new Date(String(record.data?.expiresAt)) },
    });
    return renewed ? 'She holds a newer certificate.' : true;
  },
  compose: async ({ record, recipient, now }) => {
    const expiresIn = daysAwayInWords(now, new Date(String(record.data?.expiresAt)), recipient.timezone || 'UTC');
    return {
      subject: `Your ${String(record.data?.programmeTitle)} certificate expires ${expiresIn}`,
      template: 'certificate-expiring',
      data: { ...(record.data ?? {}), expiresIn, certificatesUrl: absoluteUrl('/certificates') },
    };
  },
});
