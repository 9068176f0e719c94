import { Types } from 'mongoose';
import { NotificationModel } from '../../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../../models/NotificationDelivery.ts';
import { OutboxMessageModel } from '../../../models/OutboxMessage.ts';
import { UserModel } from '../../../models/User.ts';
import { escapeRegex, wholeWordPattern } from '../../textSearch.ts';
import { namesSheWentBy } from '../audit/retention.ts';
import { formerMemberName } from '../learning/personalData.ts';
import type { PersonalDataArea } from '../privacy/personalData.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/**
 * Reminders: the notifications planned for and sent to her. The export leaves out each notification's `data` (it can
 * hold a single-use link). Erasure cancels what was still to be sent and empties subjects and data, and the delivery
 * journal's copies of the subjects and her address in its refusals; the rows stay so delivery figures do not change.
 */
export const remindersPersonalData: PersonalDataArea = {
  area: 'reminders',
  async exportFor(userId) {
    const notifications = await NotificationModel.find({ userId }).sort({ sendAt: 1 }).lean();
    return {
      notifications: notifications.map((n) => ({
        kind: n.kind,
        about: n.about ? { type: n.about.type, id: n.about.id } : null,
        subject: n.subject,
        status: n.status,
        sendAt: iso(n.sendAt),
        sentAt: iso(n.sentAt),
      })),
    };
  },
  async eraseFor(userId) {
    await NotificationModel.updateMany(
      { userId, status: 'scheduled' },
      { $set: { status: 'cancelled', skipReason: 'account erased', nextAttemptAt: null } },
    );
    await NotificationModel.updateMany({ userId }, { $set: { subject: '', data: {} } });
    // The delivery journal copied each sent subject ("Aisha asks to join …", "Your session with …"): emptied too, or
    // the subjects of her emails, and the names of the people they were about, outlive her. Read in batches: a
    // long-standing member has thousands of notifications.
    const ids = (await NotificationModel.find({ userId }).select({ _id: 1 }).lean()).map((n) => n._id);
    for (let i = 0; i < ids.length; i += 1000)
      await NotificationDeliveryModel.collection.updateMany(
        { notificationId: { $in: ids.slice(i, i + 1000) }, subject: { $nin: ['', null] } },
        { $set: { subject: '' } },
      );
    // A mail server's refusal, journalled as the failure's reason, usually quotes her address ("550 5.1.1
    // <aisha@…>: Recipient address rejected"). The refusal stays (delivery figures, post-mortems); her address goes.
    // Runs before the account's erasure replaces her email.
    const email = (await UserModel.findById(userId).select({ email: 1 }).lean())?.email;
    if (!email || email.endsWith('@erased.invalid')) return;
    const quoting = new RegExp(escapeRegex(email), 'gi');
    for (let i = 0; i < ids.length; i += 1000) {
      const refusals = await NotificationDeliveryModel.collection
        .find(
          { notificationId: { $in: ids.slice(i, i + 1000) }, reason: { $regex: escapeRegex(email), $options: 'i' } },
          { projection: { reason: 1 } },
        )
        .toArray();
      for (const r of refusals)
        await NotificationDeliveryModel.collection.updateOne(
          { _id: r._id },
          { $set: { reason: String(r.reason).replace(quoting, 'her address') } },
        );
    }
  },
};

/**
 * Erasure, for the areas whose emails to other people name her ("Aisha asks you to mentor her", "Aisha wrote to you
 * through Pathways", a chair's list of panel members not ready): in the notifications about her requests, messages or join requests (`about`, or a `data`
 * field naming her id), addressed to anyone but her, her name becomes "Former member" in the subject and in every
 * `data` text (nested ones too), and so it does in the subject the delivery journal copied and in the outbox's copy
 * of the email. Scoped by what they are about, so another
 * person of the same name is never touched; one still to be sent goes out (if its kind still finds it relevant)
 * without her name.
 */
export async function forgetNameInOthersNotifications(props: {
  userId: Types.ObjectId | string;
  about?: { type: string; ids: readonly unknown[] };
  dataUserIdField?: string;
  /** Only these kinds (a cohort's notifications are mostly not about her: its facilitators' digests are). */
  kinds?: readonly string[];
}): Promise<void> {
  const userId = new Types.ObjectId(String(props.userId));
  const user = await UserModel.findById(userId).select({ name: 1 }).lean();
  const name = user?.name?.trim();
  if (!name || name === formerMemberName) return;
  // An email sent before she changed her name carries the name she had then.
  const names = await namesSheWentBy({ userId, name, placeholderName: formerMemberName });
  const filter: Record<string, unknown> = { userId: { $ne: userId } };
  if (props.about) {
    if (!props.about.ids.length) return;
    filter['about.type'] = props.about.type;
    filter['about.id'] = { $in: props.about.ids.map((id) => String(id)) };
  }
  if (props.dataUserIdField) filter[`data.${props.dataUserIdField}`] = String(userId);
  if (props.kinds) filter.kind = { $in: props.kinds };
  if (!props.about && !props.dataUserIdField) throw new Error('forgetNameInOthersNotifications needs about or data');
  // Whole words only, longest name first: a short former name ("Al") is not taken out of "Alumni".
  const renameAll = (patterns: RegExp[]) => (text: string) =>
    patterns.reduce((t, p) => t.replace(p, formerMemberName), text);
  const rename = renameAll(names.map(wholeWordPattern));
  // The HTML part has her names as EJS escaped them ("O&#39;Brien").
  const escapedInHtml = renameAll(
    names.map((n) =>
      wholeWordPattern(
        n.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!),
      ),
    ),
  );
  const renameInHtml = (html: string) => escapedInHtml(rename(html));
  // For the database's own filter (no lookbehind there): any mention, the words checked when renamed.
  const mentionsHer = new RegExp(names.map(escapeRegex).join('|'));
  // Every text in the data, however deep (a chair's "not ready" list holds one object per panel member).
  const renamed = (value: unknown): unknown =>
    typeof value === 'string'
      ? rename(value)
      : Array.isArray(value)
        ? value.map(renamed)
        : value && typeof value === 'object' && value.constructor === Object
          ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, renamed(inner)]))
          : value;
  const found = await NotificationModel.find(filter).select({ subject: 1, data: 1 }).lean();
  // One that reached a daily-digest reader went out inside her digest (the journal's `bundled` row names the digest's
  // key): the digest's own record and its outbox copy carry the same words, so they are renamed too.
  const digestKeys = found.length
    ? await NotificationDeliveryModel.collection.distinct('digestKey', {
        notificationId: { $in: found.map((r) => r._id) },
        outcome: 'bundled',
      })
    : [];
  const digests = digestKeys.length
    ? await NotificationModel.find({ key: { $in: digestKeys.filter(Boolean) }, kind: 'daily-digest' })
        .select({ subject: 1, data: 1 })
        .lean()
    : [];
  for (const row of [...found, ...digests]) {
    const data = renamed(row.data ?? {});
    await NotificationModel.updateOne({ _id: row._id }, { $set: { subject: rename(row.subject ?? ''), data } });
    const deliveries = await NotificationDeliveryModel.collection
      .find({ notificationId: row._id, subject: { $regex: mentionsHer } }, { projection: { subject: 1 } })
      .toArray();
    for (const d of deliveries)
      await NotificationDeliveryModel.collection.updateOne(
        { _id: d._id },
        { $set: { subject: rename(String(d.subject ?? '')) } },
      );
    // Without SMTP the email itself is kept in the outbox, which admins read: its subject and body name her too.
    const copies = await OutboxMessageModel.find({ notificationId: row._id })
      .select({ subject: 1, text: 1, html: 1 })
      .lean();
    for (const copy of copies)
      await OutboxMessageModel.updateOne(
        { _id: copy._id },
        {
          $set: {
            subject: rename(copy.subject),
            text: rename(copy.text),
            ...(copy.html ? { html: renameInHtml(copy.html) } : {}),
          },
        },
      );
  }
}
