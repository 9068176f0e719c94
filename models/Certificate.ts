import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { tracks } from './Programme.ts';

/**
 * Issued when a participant completes every current module of a programme in a cohort. The unique index on
 * (userId, cohortId, programmeId) means one certificate per completion, however often completion is recorded; a
 * renewal is a completion in a later cohort. The programme is in the key because a cohort can be moved to another
 * programme: she then completes the new one in the same cohort and is owed its certificate too.
 */
const certificateSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    track: { type: String, enum: tracks, required: true },
    /**
     * Her name as she is called now: copied at issue and again whenever her account's name changes (a correction, a
     * marriage, an LMS filling the "LMS learner" placeholder), so the PDF and the public check page name the person
     * the account is (learning/certificates.ts, nameHolderAfresh). A revoked certificate names nobody and is not renamed.
     */
    holderName: { type: String, required: true },
    /** Her account's `version` when holderName was copied: a copy is only ever replaced by a later one. */
    holderNameVersion: { type: Number },
    /** Copied at issue time so the certificate reads the same if the programme is renamed. */
    programmeTitle: { type: String, required: true },
    issuedAt: { type: Date, required: true },
    /**
     * Set by the write that issues it, unset once what follows is done (`certificate.issued`: her expiry reminder, her
     * network invitations, her surveys, her rounds' readiness): one whose process stopped in between is announced again
     * by the hourly learning job (services/learning/certificates.ts, announceInterruptedCertificates).
     */
    announcing: { type: Boolean },
    expiresAt: { type: Date, default: null },
    verificationCode: { type: String, required: true },
    /** Set when the holder's account was erased: the code then verifies as revoked, without a name. */
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
certificateSchema.index({ userId: 1, cohortId: 1, programmeId: 1 }, { unique: true });
certificateSchema.index({ verificationCode: 1 }, { unique: true });
certificateSchema.index({ userId: 1, track: 1, expiresAt: -1 });
certificateSchema.index({ expiresAt: 1 });
certificateSchema.index({ announcing: 1 });

export type Certificate = InferSchemaType<typeof certificateSchema> & { _id: Types.ObjectId };
export const CertificateModel = model('Certificate', certificateSchema);
