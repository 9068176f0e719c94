import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Every email the mailer handled. Without SMTP_URL (development) this is where messages are delivered,
 * so admins can read them on /admin/outbox and the demo works offline.
 */
const outboxMessageSchema = new Schema(
  {
    to: { type: String, required: true },
    from: { type: String, required: true },
    subject: { type: String, required: true },
    text: { type: String, required: true },
    html: { type: String },
    headers: { type: Schema.Types.Mixed, default: {} },
    transport: { type: String, enum: ['smtp', 'outbox'], required: true },
    messageId: { type: String },
    /** The notification this email delivered, when it came from the reminders pipeline. */
    notificationId: { type: Schema.Types.ObjectId, ref: 'Notification' },
    /** Its files (a session's calendar file), as sent, so an admin can check them too. */
    attachments: {
      type: [{ _id: false, filename: String, contentType: String, content: String }],
      default: undefined,
    },
  },
  { timestamps: true },
);
outboxMessageSchema.index({ createdAt: -1 });
outboxMessageSchema.index({ to: 1, createdAt: -1 });

export type OutboxMessage = InferSchemaType<typeof outboxMessageSchema>;
export const OutboxMessageModel = model('OutboxMessage', outboxMessageSchema);
