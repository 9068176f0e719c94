import { Types } from 'mongoose';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import {
  planNotifications,
  planUpcoming,
  runDueNotifications,
  settleNotifications,
} from '../services/reminders/index.ts';
import type { DemoContext } from './index.ts';

/**
 * Demo reminders: everything the planner would plan (upcoming session reminders, nudges, digests, certificate
 * notices), and, so a newcomer sees emails in /admin/outbox at once, a "next session" reminder for the demo
 * participant and facilitator sent through the real pipeline (delivered to the outbox without SMTP_URL).
 */
export async function seedReminders(ctx: DemoContext): Promise<void> {
  const now = new Date();
  await planUpcoming({ now });
  const people = ['participant@pathways.test', 'facilitator@pathways.test', 'participant2@pathways.test']
    .map((e) => ctx.people.get(e))
    .filter((id): id is string => !!id);
  const plans = [];
  for (const userId of people) {
    const cohorts = await CohortModel.find({ $or: [{ facilitatorIds: new Types.ObjectId(userId) }] })
      .select({ _id: 1 })
      .lean();
    const enrolled = await EnrolmentModel.find({ userId, status: 'active' }).select({ cohortId: 1 }).lean();
    const cohortIds = [...cohorts.map((c) => c._id), ...enrolled.map((e) => e.cohortId)];
    const session = await CohortSessionModel.findOne({
      cohortId: { $in: cohortIds },
      status: 'scheduled',
      startsAt: { $gt: new Date(now.getTime() + 60 * 60_000) },
    })
      .sort({ startsAt: 1 })
      .lean();
    if (!session) continue;
    plans.push({
      key: `session-reminder:${String(session._id)}:${userId}:${session.startsAt.toISOString()}:demo`,
      userId,
      kind: 'session-reminder' as const,
      about: { type: 'session' as const, id: String(session._id) },
      sendAt: now,
      eventAt: session.startsAt,
      subject: `Reminder: ${session.title}`,
      data: { offsetMinutes: 0 },
    });
  }
  await planNotifications(plans);
  await runDueNotifications({ now });
  await settleNotifications({ now });
}
