import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Everything API.md's audit trail names, plus the admin actions on another person's data that areas add. An area that
 * audits a new action adds it here, so the admin page's filter offers every action there is.
 */
export const auditActions = [
  'sign-in',
  'sign-in-failed',
  'sign-out',
  'password-changed',
  'password-reset',
  'mfa-enabled',
  'mfa-disabled',
  'mfa-reset',
  'token-created',
  'token-revoked',
  'session-ended',
  'email-change-requested',
  'email-changed',
  'user-created',
  'user-updated',
  'user-disabled',
  'user-enabled',
  'invitation-resent',
  'data-exported',
  'account-erased',
  'lti-platform-registered',
  'lti-platform-changed',
  'lti-platform-deleted',
  'lti-platform-deployment-added',
  'lti-key-rotated',
  'lti-account-linked',
  'lti-account-unlinked',
  'pledge-signature-hidden',
  // An admin acting on another person's records (auditAdminAction).
  'enrolment-added',
  'enrolment-withdrawn',
  'attendance-recorded',
  'external-certificate-recorded',
  'research-exported',
  'directory-message-reported',
  'post-hidden',
  'post-shown',
  'reply-hidden',
  'reply-shown',
] as const;
export type AuditAction = (typeof auditActions)[number];

/**
 * One thing that happened, append-only: nothing in Pathways updates or deletes an event except the retention job
 * (AUDIT_RETENTION_DAYS). Names are copied at the time of the event, so the trail still reads after an erasure.
 */
const auditEventSchema = new Schema(
  {
    at: { type: Date, required: true },
    action: { type: String, enum: auditActions, required: true },
    /** Null when nobody was signed in (a failed sign-in, a public form). */
    actorId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    actorName: { type: String, default: null },
    /** What the action was about: a user, a signature, a mentorship… */
    targetType: { type: String, default: null },
    targetId: { type: String, default: null },
    ip: { type: String, default: null },
    /** A short plain-text account ("roles: participant → participant, facilitator"); never a secret or a password. */
    detail: { type: String, default: '' },
  },
  { timestamps: false, versionKey: false },
);
// Pages are sorted newest first with `_id` breaking ties ({ at: -1, _id: -1 }): with `_id` in each index MongoDB reads
// a page in index order and stops at its limit; without it, it sorted every matching event to find the first page.
auditEventSchema.index({ at: -1, _id: -1 });
auditEventSchema.index({ actorId: 1, at: -1, _id: -1 });
auditEventSchema.index({ targetId: 1, at: -1, _id: -1 });
auditEventSchema.index({ action: 1, at: -1, _id: -1 });

export type AuditEvent = InferSchemaType<typeof auditEventSchema>;
export const AuditEventModel = model('AuditEvent', auditEventSchema);
