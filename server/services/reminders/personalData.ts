import { Types } from 'mongoose';
import { NotificationModel } from '../../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../../models/NotificationDelivery.ts';
import { OutboxMessageModel } from '../../../models/OutboxMessage.ts';
import { UserModel } from '../../../models/User.ts';
import { escapeRegex, wholeWordPattern } from '../../textSearch.ts';
import { namesSheWentBy } from '../audit/retention.ts';
import { formerMemberName } from '../learning/personalData.ts';
import { personalDataArea } from '../privacy/personalData.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/**
 * Reminders: the notifications planned for and sent to her. The export leaves out each notification's `data` (it can
 * hold a single-use link). Erasure cancels what was still to be sent and empties subjects and data, and the delivery
 * journal's copies of the subjects and her address in its refusals; the rows stay so delivery figures do not change.
 */
export const remindersPersonalData = personalDataArea({
  area: 'reminders',
  columns: {
    notifications: ['kind', 'about', 'subject', 'status', 'sendAt', 'sentAt'],
  },
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
});

/** Which of other people's notifications an erasure rewrites: those about her things, or naming her id in `data`. */
type OthersNotifications = {
  userId: Types.ObjectId | string;
  about?: { type: string; ids: readonly unknown[] };
  dataUserIdField?: string;
  /** Only these kinds (a cohort's notifications are mostly not about her: its facilitators' digests are). */
  kinds?: readonly string[];
};

function othersNotificationsFilter(props: OthersNotifications): Record<string, unknown> | null {
  const userId = new Types.ObjectId(String(props.userId));
  const filter: Record<string, unknown> = { userId: { $ne: userId } };
  if (props.about) {
    if (!props.about.ids.length) return null;
    filter['about.type'] = props.about.type;
    filter['about.id'] = { $in: props.about.ids.map((id) => String(id)) };
  }
  if (props.dataUserIdField) filter[`data.${props.dataUserIdField}`] = String(userId);
  if (props.kinds) filter.kind = { $in: props.kinds };
  if (!props.about && !props.dataUserIdField) throw new Error('an erasure rewrites notifications by about or by data');
  return filter;
}

const escapedForHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);

/**
 * A rewrite of stored copies: each of `words` (longest first), as a whole word, becomes `by`, in plain text and in an
 * email's HTML part (where EJS escaped it: "O&#39;Brien").
 */
function wordsRewrite(words: readonly string[], by: string) {
  const sorted = [...new Set(words.map((w) => w.trim()).filter(Boolean))].sort((a, b) => b.length - a.length);
  const all = (patterns: RegExp[]) => (text: string) => patterns.reduce((t, p) => t.replace(p, by), text);
  const text = all(sorted.map(wholeWordPattern));
  const escaped = all(sorted.map((w) => wholeWordPattern(escapedForHtml(w))));
  return {
    empty: sorted.length === 0,
    text,
    html: (html: string) => escaped(text(html)),
    // For the database's own filter (no lookbehind there): any mention; the words are checked when rewritten.
    mentions: new RegExp(sorted.map(escapeRegex).join('|')),
  };
}
type Rewrite = ReturnType<typeof wordsRewrite>;

/** Every text in a notification's data, however deep (a chair's "not ready" list holds one object per member). */
const rewrittenData = (value: unknown, text: (s: string) => string): unknown =>
  typeof value === 'string'
    ? text(value)
    : Array.isArray(value)
      ? value.map((v) => rewrittenData(v, text))
      : value && typeof value === 'object' && value.constructor === Object
        ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rewrittenData(inner, text)]))
        : value;

/**
 * Writes a rewrite of one stored copy over what was read of it, reading it again and rewriting that when it changed
 * meanwhile: two erasures at once (two processes) rewrite the same copies (a chair's email listing both), and a write
 * computed from an earlier read would put back the name the other had just taken out. `matches` is the read copy's
 * own content as a filter (a copy rewritten meanwhile no longer matches it).
 */
async function rewriteOver<T extends { _id: Types.ObjectId }>(props: {
  first: T;
  again: (id: Types.ObjectId) => Promise<T | null>;
  matches: (row: T) => Record<string, unknown>;
  write: (filter: Record<string, unknown>, row: T) => Promise<{ matchedCount: number }>;
}): Promise<void> {
  let row: T | null = props.first;
  for (let attempt = 0; row && attempt < 20; attempt += 1) {
    if ((await props.write({ _id: row._id, ...props.matches(row) }, row)).matchedCount === 1) return;
    row = await props.again(row._id);
  }
  if (row) throw new Error(`a stored copy (${String(row._id)}) kept changing while names were being erased`);
}

type OutboxCopy = { _id: Types.ObjectId; subject: string; text: string; html?: string | null };

/** The outbox's copies of these emails (kept without SMTP, read by admins), rewritten alike. */
async function rewriteOutboxCopies(filter: Record<string, unknown>, rewrite: Rewrite): Promise<void> {
  const fields = { subject: 1, text: 1, html: 1 };
  const copies = await OutboxMessageModel.find(filter).select(fields).lean<OutboxCopy[]>();
  for (const copy of copies)
    await rewriteOver({
      first: copy,
      again: (id) => OutboxMessageModel.findById(id).select(fields).lean<OutboxCopy>(),
      matches: (c) => ({ subject: c.subject, text: c.text, ...(c.html != null ? { html: c.html } : {}) }),
      write: (where, c) =>
        OutboxMessageModel.updateOne(where, {
          $set: {
            subject: rewrite.text(c.subject),
            text: rewrite.text(c.text),
            ...(c.html ? { html: rewrite.html(c.html) } : {}),
          },
        }),
    });
}

type NotificationCopy = { _id: Types.ObjectId; subject?: string | null; data?: unknown; updatedAt?: Date };

/**
 * Rewrites every stored copy of the notifications `filter` selects: subject and data texts, the subject the delivery
 * journal copied, the outbox's copy of the email; and the same in the daily digests that carried them. Each written
 * over what was read of it (rewriteOver): a notification over its `updatedAt` (every write through the model moves it).
 */
async function rewriteNotificationCopies(filter: Record<string, unknown>, rewrite: Rewrite): Promise<void> {
  if (rewrite.empty) return;
  const fields = { subject: 1, data: 1, updatedAt: 1 };
  const found = await NotificationModel.find(filter).select(fields).lean<NotificationCopy[]>();
  // One that reached a daily-digest reader went out inside her digest (the journal's `bundled` row names the digest's
  // key): the digest's own record and its outbox copy carry the same words, so they are rewritten too.
  const digestKeys = found.length
    ? await NotificationDeliveryModel.collection.distinct('digestKey', {
        notificationId: { $in: found.map((r) => r._id) },
        outcome: 'bundled',
      })
    : [];
  const digests = digestKeys.length
    ? await NotificationModel.find({ key: { $in: digestKeys.filter(Boolean) }, kind: 'daily-digest' })
        .select(fields)
        .lean<NotificationCopy[]>()
    : [];
  for (const row of [...found, ...digests]) {
    await rewriteOver({
      first: row,
      again: (id) => NotificationModel.findById(id).select(fields).lean<NotificationCopy>(),
      matches: (r) => ({ updatedAt: r.updatedAt }),
      write: (where, r) =>
        NotificationModel.updateOne(where, {
          $set: { subject: rewrite.text(r.subject ?? ''), data: rewrittenData(r.data ?? {}, rewrite.text) },
        }),
    });
    const deliveries = await NotificationDeliveryModel.collection
      .find({ notificationId: row._id, subject: { $regex: rewrite.mentions } }, { projection: { subject: 1 } })
      .toArray();
    for (const d of deliveries)
      await rewriteOver({
        first: { _id: d._id, subject: String(d.subject ?? '') },
        again: async (id) => {
          const again = await NotificationDeliveryModel.collection.findOne({ _id: id }, { projection: { subject: 1 } });
          return again ? { _id: again._id, subject: String(again.subject ?? '') } : null;
        },
        matches: (r) => ({ subject: r.subject }),
        write: (where, r) =>
          NotificationDeliveryModel.collection.updateOne(where, { $set: { subject: rewrite.text(r.subject) } }),
      });
    await rewriteOutboxCopies({ notificationId: row._id }, rewrite);
  }
}

/**
 * Erasure, for the areas whose emails to other people name her ("Aisha asks you to mentor her", "Aisha wrote to you
 * through Pathways", a chair's list of panel members not ready): in the notifications about her requests, messages
 * or join requests (`about`, or a `data` field naming her id), addressed to anyone but her, each name she has gone by
 * (an email sent before she renamed herself carries the one she had then) becomes "Former member" wherever the
 * notification is kept (rewriteNotificationCopies). Scoped by what they are about, so another person of the same name
 * is never touched; one still to be sent goes out (if its kind still finds it relevant) without her name.
 */
export async function forgetNameInOthersNotifications(props: OthersNotifications): Promise<void> {
  const userId = new Types.ObjectId(String(props.userId));
  const user = await UserModel.findById(userId).select({ name: 1 }).lean();
  const name = user?.name?.trim();
  if (!name || name === formerMemberName) return;
  const filter = othersNotificationsFilter(props);
  if (!filter) return;
  const names = await namesSheWentBy({ userId, name, placeholderName: formerMemberName });
  await rewriteNotificationCopies(filter, wordsRewrite(names, formerMemberName));
}

/**
 * Erasure, for her own words that other people's emails quoted (a post's title in a report to the leads, a mentor's
 * reason for declining): each becomes `by` in those notifications' stored copies, as her names do. Texts under 4
 * characters are left: they identify nobody, and as whole words ("Hi") they would be taken out of the emails' own.
 */
export async function forgetWordsInOthersNotifications(
  props: OthersNotifications & { words: readonly string[]; by: string },
): Promise<void> {
  const filter = othersNotificationsFilter(props);
  if (filter) await rewriteNotificationCopies(filter, wordsRewrite(quotable(props.words), props.by));
}

/** The same in the outbox copies of emails no notification is about, found by what they contain (a digest's links). */
export async function forgetWordsInOutboxCopies(props: {
  containing: RegExp;
  words: readonly string[];
  by: string;
}): Promise<void> {
  const rewrite = wordsRewrite(quotable(props.words), props.by);
  if (!rewrite.empty) await rewriteOutboxCopies({ text: { $regex: props.containing } }, rewrite);
}

const quotable = (words: readonly string[]) => words.filter((w) => [...w.trim()].length >= 4);
