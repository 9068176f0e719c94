import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

/** Every kind of notification (API.md "Reminders"), plus the internal daily bundle of a daily-digest reader. */
export const notificationKinds = [
  'session-reminder',
  'session-changed',
  'session-cancelled',
  'module-due',
  'module-overdue',
  'facilitator-digest',
  'waitlist-promoted',
  'invitation',
  'password-reset',
  'email-change',
  'certificate-expiring',
  'panel-training-due',
  'panel-not-ready',
  'survey-invitation',
  'pool-offer',

  'mentoring-request',
  'mentoring-request-reminder',
  'mentoring-request-expired',
  'mentoring-request-answered',
  'mentoring-request-on-her-behalf',
  'mentoring-meeting-due',
  'mentorship-ending',
  'mentorship-closed',
  'mentoring-outcomes-prompt',

  'network-invitation',
  'network-report',
  'network-digest',
  'network-join-request',
  'network-join-answered',
  'directory-message',
  'network-event-reminder',
  'network-event-changed',
  'network-event-cancelled',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];
/** Bundles the non-urgent notifications of a reader who chose a daily digest; never listed by the API itself. */
export const dailyDigestKind = 'daily-digest';
export const notificationStatuses = ['scheduled', 'sent', 'failed', 'cancelled', 'skipped'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];
export const aboutTypes = [
  'survey',
  'session',
  'module',
  'cohort',
  'certificate',
  'round',
  'user',
  'mentoring-request',
  'mentorship',
  'network',
  'post',
  'message',
  'event',
] as const;

/**
 * The source of truth of what Pathways has sent or will send to whom. Planning writes one record per
 * reminder under the unique `key` (what, for whom, which occurrence), so planning twice is harmless; the
 * reminders job sends what is due. Who may send a record is decided by NotificationDelivery (a unique insert),
 * never by an update of this document (FerretDB updates are not atomic).
 */
const notificationSchema = new Schema(
  {
    key: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    kind: { type: String, enum: [...notificationKinds, dailyDigestKind], required: true },
    about: {
      type: { type: String, enum: aboutTypes, required: true },
      id: { type: String, required: true },
    },
    /** Reminders of one series (e.g. 24 h and 1 h before one session, for one reader): after downtime only the latest due one is sent. */
    series: { type: String },
    sendAt: { type: Date, required: true },
    /** When the thing reminded of happens; a reminder still unsent at that instant is skipped, never sent late. */
    eventAt: { type: Date, default: null },
    status: { type: String, enum: notificationStatuses, required: true, default: 'scheduled' },
    /** Subject line: a preview when planned, the real one once sent. */
    subject: { type: String, default: '' },
    /** views/emails/<template>; the kind's composer may choose another at send time. */
    template: { type: String },
    data: { type: Schema.Types.Mixed, default: {} },
    attempts: { type: Number, required: true, default: 0 },
    maxAttempts: { type: Number, required: true, default: 8 },
    /** When the job may next try it (sendAt, then the retry backoff); null while waiting inside a daily digest. */
    nextAttemptAt: { type: Date, default: null },
    lastError: { type: String },
    skipReason: { type: String },
    sentAt: { type: Date },
    transport: { type: String, enum: ['smtp', 'outbox'] },
    messageId: { type: String },
    /** Key of the daily digest this notification waits in (readers who chose a daily digest). */
    bundledInto: { type: String },
  },
  { timestamps: true },
);
notificationSchema.index({ key: 1 }, { unique: true });
notificationSchema.index({ status: 1, nextAttemptAt: 1 });
// The lists (hers, and the admins' of everyone), newest first with `_id` breaking ties, are read in order from these
// and stop at a page (server/services/reminders/queries.ts).
notificationSchema.index({ userId: 1, sendAt: -1, _id: -1 });
notificationSchema.index({ sendAt: -1, _id: -1 });
notificationSchema.index({ 'about.id': 1, kind: 1 });
notificationSchema.index({ series: 1 });
notificationSchema.index({ bundledInto: 1 });
notificationSchema.index({ kind: 1, status: 1, sendAt: -1 });

export type Notification = InferSchemaType<typeof notificationSchema> & { _id: Types.ObjectId };
export type NotificationDocument = HydratedDocument<Notification>;
export const NotificationModel = model('Notification', notificationSchema);
