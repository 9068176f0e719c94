import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * An email to an address without an account (a Pledge signatory's confirmation or manage link, a pool request's
 * contact), kept until the mail server accepts it, so a temporary refusal (a greylisting 451, a mail server
 * restarting) is tried again instead of lost. The reminders pipeline does this for accounts; these have no account to
 * key it on. Rendered when queued; the row goes as soon as it is settled (sent, refused for good, out of attempts), so
 * the address and the link it carries are kept only while the email waits (server/services/reminders/addressedEmails.ts).
 */
const addressedEmailSchema = new Schema(
  {
    /** What it is (its template), for the logs. */
    purpose: { type: String, required: true },
    to: { type: String, required: true },
    subject: { type: String, required: true },
    text: { type: String, required: true },
    html: { type: String },
    /** Attempts claimed so far (the claim's `$inc`). */
    attempts: { type: Number, required: true, default: 0 },
    /** When it may next be tried: queued, then the retry backoff. */
    nextAttemptAt: { type: Date, required: true },
    /** Who holds the attempt under way, and until when; a process killed mid-send is taken over after it. */
    claimedBy: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    lastError: { type: String },
  },
  { timestamps: true },
);
addressedEmailSchema.index({ nextAttemptAt: 1 });

export type AddressedEmail = InferSchemaType<typeof addressedEmailSchema> & { _id: Types.ObjectId };
export const AddressedEmailModel = model('AddressedEmail', addressedEmailSchema);
