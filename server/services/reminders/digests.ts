import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { CohortModel, type Cohort } from '../../../models/Cohort.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { UserModel, type Role } from '../../../models/User.ts';
import { canRunCohort } from '../../policies/cohorts.ts';
import { absoluteUrl } from '../../settings.ts';
import { cohortAttendanceReport, flagLabels } from '../cohorts/attendance.ts';
import { currentModuleIds } from '../learning/progress.ts';
import { registerNotificationKind } from './compose.ts';
import { cancelNotifications, planNotifications, type NotificationPlan } from './plan.ts';
import { localDate, nextWeekly, weekBefore } from './time.ts';

/**
 * The weekly facilitator digest, one per cohort she runs, on her chosen weekday at 08:00 in her zone (a wall-clock
 * time: it stays 08:00 across DST). Only the next one is planned; the planner plans the following one after it.
 * Its content (attendance of the week, who is behind, who is flagged) is gathered when it is sent.
 */
export async function planFacilitatorDigests(props: { now?: Date; userId?: string } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const today = localDate(now, 'UTC');
  const filter: Record<string, unknown> = { endsOn: { $gte: today } };
  if (props.userId) filter.facilitatorIds = new Types.ObjectId(props.userId);
  const cohorts = await CohortModel.find(filter)
    .select({ name: 1, facilitatorIds: 1, endsOn: 1, startsOn: 1 })
    .lean<Cohort[]>();
  const facilitatorIds = [...new Set(cohorts.flatMap((c) => (c.facilitatorIds ?? []).map(String)))];
  const users = await UserModel.collection
    .find(
      { _id: { $in: facilitatorIds.map((id) => new Types.ObjectId(id)) } },
      { projection: { timezone: 1, digestWeekday: 1, roles: 1 } },
    )
    .toArray();
  const byId = new Map(users.map((u) => [String(u._id), u]));
  const plans: NotificationPlan[] = [];
  for (const cohort of cohorts) {
    for (const fid of (cohort.facilitatorIds ?? []).map(String)) {
      if (props.userId && fid !== props.userId) continue;
      const user = byId.get(fid);
      // Named on the cohort but no longer a facilitator (an admin took the role away): she does not run it.
      if (!user || !canRunCohort({ id: fid, roles: (user.roles as Role[] | undefined) ?? [] }, cohort)) continue;
      const zone = (user.timezone as string) || 'UTC';
      const sendAt = nextWeekly({ after: now, weekday: (user.digestWeekday as number) || 1, hour: 8, zone });
      const cohortId = String(cohort._id);
      plans.push({
        key: `facilitator-digest:${cohortId}:${fid}:${localDate(sendAt, zone)}`,
        userId: fid,
        kind: 'facilitator-digest',
        about: { type: 'cohort', id: cohortId },
        series: `facilitator-digest:${cohortId}:${fid}`,
        sendAt,
        // More than a day late, a weekly digest is stale: skipped, and the next one follows.
        eventAt: new Date(sendAt.getTime() + 24 * 60 * 60 * 1000),
        subject: `Weekly digest: ${cohort.name}`,
      });
    }
  }
  await planNotifications(plans);
  return plans.length;
}

/** She chose another weekday: the digests waiting for the old one are cancelled and the next ones planned. */
export async function replanFacilitatorDigestsOf(props: { userId: string; now?: Date }): Promise<void> {
  await cancelNotifications({ userId: props.userId, kinds: ['facilitator-digest'] });
  await planFacilitatorDigests({ now: props.now, userId: props.userId });
}

/** True when `sendAt` falls on her chosen digest weekday in her zone. */
export function isOnHerDigestDay(sendAt: Date, her: { timezone: string; digestWeekday?: number | null }): boolean {
  return DateTime.fromJSDate(sendAt, { zone: her.timezone || 'UTC' }).weekday === (her.digestWeekday || 1);
}

registerNotificationKind('facilitator-digest', {
  isStillRelevant: async ({ record, recipient }) => {
    // A digest planned for a day she has since left (a re-plan lost to two saves at once, or a new zone) is not sent:
    // the planner plans the one for her current day.
    if (!isOnHerDigestDay(record.sendAt, recipient)) return 'She moved her weekly digest to another day.';
    const cohort = await CohortModel.findById(record.about.id).select({ facilitatorIds: 1 }).lean();
    if (!cohort) return 'The cohort no longer exists.';
    // Her roles as they are now: named on the cohort, she runs it only while she is a facilitator (canRunCohort).
    const her = await UserModel.findById(record.userId).select({ roles: 1 }).lean();
    const runs =
      (cohort.facilitatorIds ?? []).some((id) => String(id) === String(record.userId)) &&
      canRunCohort({ id: String(record.userId), roles: her?.roles ?? [] }, cohort);
    return runs ? true : 'She no longer runs this cohort.';
  },
  compose: async ({ record, recipient, now }) => {
    const report = await cohortAttendanceReport({ cohortId: record.about.id, now });
    // The week since her last digest: from the same time a week before on her clock to this digest's time (not "now",
    // so one sent late leaves the sessions after its time to the next), whatever the clocks did in between.
    const weekStart = weekBefore(record.sendAt, recipient.timezone || 'UTC');
    const week = report.sessions.filter((s) => s.startsAt > weekStart && s.startsAt <= record.sendAt);
    const behind = await participantsBehind(
      report.cohort,
      report.rows.map((r) => ({ userId: r.userId, name: r.name })),
      now,
    );
    // A week with nothing to tell (a cohort not started yet, or between sessions with everyone on track) sends nothing.
    if (!week.length && !behind.length && !report.flagged.length)
      return { skip: 'Nothing to report this week: no sessions, nobody behind or flagged.' };
    return {
      subject: `Weekly digest: ${report.cohort.name}`,
      template: 'facilitator-digest',
      data: {
        cohortName: report.cohort.name,
        cohortUrl: absoluteUrl(`/cohorts/${record.about.id}`),
        week: week.map((s) => ({
          title: s.title,
          startsAt: s.startsAt.toISOString(),
          present: s.present,
          late: s.late,
          excused: s.excused,
          absent: s.absent,
          unmarked: s.unmarked,
        })),
        behind,
        flagged: report.flagged.map((r) => ({
          name: r.name,
          rate: r.rate === null ? null : Math.round(r.rate * 100),
          flags: r.flags.map((f) => flagLabels[f]),
        })),
      },
    };
  },
});

/**
 * Participants who have not completed a current module whose due date has passed. A retired module keeps its date
 * (for if it is restored: cohorts/moduleDueDates.ts) but nobody is behind on it, as her nudges say (pacing.ts).
 */
async function participantsBehind(
  cohort: Cohort,
  people: { userId: string; name: string }[],
  now: Date,
): Promise<{ name: string; modules: number }[]> {
  const today = localDate(now, cohort.timezone);
  const current = new Set((await currentModuleIds([cohort.programmeId])).get(String(cohort.programmeId)) ?? []);
  const overdue = (cohort.moduleDueDates ?? [])
    .filter((d) => d.dueOn && d.dueOn < today && d.moduleId && current.has(String(d.moduleId)))
    .map((d) => String(d.moduleId));
  if (!overdue.length || !people.length) return [];
  const done = await CompletionModel.collection
    .find(
      { cohortId: cohort._id, moduleId: { $in: overdue.map((id) => new Types.ObjectId(id)) } },
      { projection: { userId: 1, moduleId: 1 } },
    )
    .toArray();
  const doneBy = new Map<string, number>();
  for (const d of done) doneBy.set(String(d.userId), (doneBy.get(String(d.userId)) ?? 0) + 1);
  return people
    .map((p) => ({ name: p.name, modules: overdue.length - (doneBy.get(p.userId) ?? 0) }))
    .filter((p) => p.modules > 0);
}
