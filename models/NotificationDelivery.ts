import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * The append-only journal of sending. Each attempt at a notification is a `claim` row and, once done, a
 * `result` row, under a unique index on (notificationId, attempt, phase):
 * - the claim IS the lock: the process whose insert succeeds owns that attempt, on FerretDB (no atomic
 *   findAndModify) and MongoDB alike; a claim left without a result by a killed process is taken over after
 *   `leaseUntil` by claiming the next attempt number;
 * - the result is written only by the claim's owner, and is the authoritative record of what happened
 *   (the notification's own status is settled from it later).
 * Rows are inserted, never rewritten: the unique index decides every claim, and a batch of inserts is one cheap
 * write (one SQLite transaction on the embedded FerretDB), so recording 10,000 sends costs milliseconds. The one
 * update: while a message is being sent its claimant pushes `leaseUntil` forward (`$max`), so a send that waits on
 * a slow mail server is never taken over, and sent twice, while the process that holds it is alive.
 */
const notificationDeliverySchema = new Schema({
  notificationId: { type: Schema.Types.ObjectId, ref: 'Notification', required: true },
  attempt: { type: Number, required: true, min: 1 },
  phase: { type: String, enum: ['claim', 'result'], required: true },
  /** Host, process id and a random run id of the claimant (for the admin page and post-mortems). */
  worker: { type: String, required: true },
  at: { type: Date, required: true },
  /** claim: until when the claimant may still send (renewed while a send is in flight); after that another process may take the next attempt. */
  leaseUntil: { type: Date },
  /** result: sent, failed (retryable until maxAttempts; `final` when the server refused for good), skipped, or bundled into a daily digest. */
  outcome: { type: String, enum: ['sent', 'failed', 'skipped', 'bundled'] },
  final: { type: Boolean },
  retryAt: { type: Date },
  reason: { type: String },
  transport: { type: String },
  messageId: { type: String },
  subject: { type: String },
  digestKey: { type: String },
});
notificationDeliverySchema.index({ notificationId: 1, attempt: 1, phase: 1 }, { unique: true });
notificationDeliverySchema.index({ at: -1 });

export type NotificationDelivery = InferSchemaType<typeof notificationDeliverySchema> & { _id: Types.ObjectId };
export const NotificationDeliveryModel = model('NotificationDelivery', notificationDeliverySchema);
