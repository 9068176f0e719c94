import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One web session of a signed-in person, keyed by the session id connect-mongo stores it under, so "where you're
 * signed in" can list and end them. The authority is her user record's `signedInSessions` (the `publicId`s): a request
 * whose session is no longer listed there is signed out (server/auth.ts, in the same read as her user record), so
 * ending a session holds on every process even if a request of it was in flight and saved the session document again.
 */
const signedInSessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** What pages and the API call it: a hash of the session id, which is half of the session cookie. */
    publicId: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    createdAt: { type: Date, required: true },
    /** Touched at most once a minute (a conditional update), so a busy page is not a write per request. */
    lastSeenAt: { type: Date, required: true },
    userAgent: { type: String, default: '' },
    ip: { type: String, default: null },
  },
  { versionKey: false },
);
signedInSessionSchema.index({ publicId: 1 }, { unique: true });
signedInSessionSchema.index({ userId: 1, createdAt: -1 });
signedInSessionSchema.index({ lastSeenAt: 1 });

export type SignedInSession = InferSchemaType<typeof signedInSessionSchema>;
export const SignedInSessionModel = model('SignedInSession', signedInSessionSchema);
