import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { NotificationModel } from '../../../models/Notification.ts';
import { OneTimeTokenModel } from '../../../models/OneTimeToken.ts';
import { logger } from '../../logger.ts';
import { absoluteUrl } from '../../settings.ts';
import { registerNotificationKind } from './compose.ts';
import { deliverNow } from './deliver.ts';
import { planNotification } from './plan.ts';
import { localDate } from './time.ts';

/**
 * A security email to plan: an invitation, a password reset or the link confirming a new address (its `data` names
 * that address, `newEmail`, where it goes instead of her account's), carrying its one-time link.
 */
export type SecurityEmail = {
  kind: 'invitation' | 'password-reset' | 'email-change';
  userId: Types.ObjectId | string;
  linkId: Types.ObjectId | string;
  expiresAt: Date;
  subject: string;
  data: Record<string, unknown>;
};

/**
 * Invitations, password resets, new-address links and waitlist promotions go through the same pipeline as reminders
 * (one record, exactly-once sending, retries of a temporary refusal such as a greylisting 451, visible to admins), but
 * are sent at once while the person waits: the request plans the notifications and delivers them itself, all
 * together, waiting for the mail server once (an import's 40 invitations wait as long as one); if the mail server is
 * down, the job retries them. Returns how many the mail server refused for good (a 5xx to the address or message).
 */
export async function sendSecurityEmails(emails: readonly SecurityEmail[]): Promise<{ refused: number }> {
  const ids: string[] = [];
  for (const email of emails) ids.push(await planSecurityEmail(email));
  return deliverSecurityEmails(ids);
}

/**
 * Plans one security email (its record written: from here on the reminders job sends it if nobody else does) and
 * returns its id, for deliverSecurityEmails. A request making many (an import) plans each as it goes, so a stop half-way
 * leaves the ones planned to the job rather than in memory, and delivers them together at the end.
 */
export async function planSecurityEmail(email: SecurityEmail): Promise<string> {
  const { id } = await planNotification({
    key: `${email.kind}:${String(email.userId)}:${String(email.linkId)}`,
    userId: email.userId,
    kind: email.kind,
    about: { type: 'user', id: email.userId },
    sendAt: new Date(),
    // A link past its expiry is useless: never sent late.
    eventAt: email.expiresAt,
    template: email.kind,
    subject: email.subject,
    data: email.data,
  });
  return id;
}

/** Sends planned security emails now, all together, waiting for the mail server once (see sendSecurityEmails). */
export async function deliverSecurityEmails(ids: readonly string[]): Promise<{ refused: number }> {
  if (!ids.length) return { refused: 0 };
  try {
    const report = await deliverNow(...ids);
    // A temporary failure stays scheduled for its retry; one refused for good is settled `failed` already.
    if (!report.failed) return { refused: 0 };
    return { refused: await NotificationModel.countDocuments({ _id: { $in: ids }, status: 'failed' }) };
  } catch (error) {
    // The records are planned: the reminders job sends them within seconds.
    logger.warn({ err: error, notificationIds: ids }, 'immediate delivery failed; the job will retry');
    return { refused: 0 };
  }
}

export function sendSecurityEmail(email: SecurityEmail): Promise<{ refused: number }> {
  return sendSecurityEmails([email]);
}

registerNotificationKind('email-change', {
  // Asked for again, the earlier link stops working: a retry of its email would carry a dead link.
  isStillRelevant: async ({ record, now }) =>
    (await OneTimeTokenModel.exists({ _id: record.data?.linkId, usedAt: null, expiresAt: { $gt: now } }))
      ? true
      : 'The link it carried no longer works: she asked for another, or it expired.',
  compose: async ({ record }) => ({
    to: String(record.data?.newEmail),
    subject: record.subject || 'Confirm your new Pathways email address',
    template: 'email-change',
    data: record.data ?? {},
  }),
});

/** A place offered from the waiting list (enrolment.activated with promotedFromWaitlist). */
export async function planWaitlistPromotion(props: {
  cohortId: Types.ObjectId | string;
  userId: Types.ObjectId | string;
  now?: Date;
}): Promise<void> {
  const now = props.now ?? new Date();
  const enrolment = await EnrolmentModel.findOne({ cohortId: props.cohortId, userId: props.userId })
    .select({ enrolledAt: 1 })
    .lean();
  const occurrence = (enrolment?.enrolledAt ?? now).toISOString();
  const { id } = await planNotification({
    key: `waitlist-promoted:${String(props.cohortId)}:${String(props.userId)}:${occurrence}`,
    userId: props.userId,
    kind: 'waitlist-promoted',
    about: { type: 'cohort', id: props.cohortId },
    sendAt: now,
    subject: 'A place is yours',
  });
  await deliverNow(id).catch((error: unknown) =>
    logger.warn({ err: error, notificationId: id }, 'immediate delivery failed; the job will retry'),
  );
}

registerNotificationKind('waitlist-promoted', {
  isStillRelevant: async ({ record }) => {
    const enrolment = await EnrolmentModel.findOne({
      cohortId: new Types.ObjectId(record.about.id),
      userId: record.userId,
    })
      .select({ status: 1 })
      .lean();
    return enrolment?.status === 'active' ? true : 'She no longer holds the place.';
  },
  compose: async ({ record, now }) => {
    const cohort = await CohortModel.findById(record.about.id).select({ name: 1, startsOn: 1, timezone: 1 }).lean();
    return {
      subject: `A place is yours: ${cohort?.name ?? 'your cohort'}`,
      template: 'waitlist-promoted',
      data: {
        cohortName: cohort?.name ?? '',
        startsOn: cohort?.startsOn ?? '',
        // Its first day is on its own calendar, named; a place freed mid-cohort does not say it "starts" in the past.
        cohortZone: cohort?.timezone ?? '',
        started: !!cohort && cohort.startsOn <= localDate(now, cohort.timezone),
        cohortUrl: absoluteUrl(`/cohorts/${record.about.id}`),
      },
    };
  },
});
