import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/** Largest evidence file kept (in the database, so backups carry it). */
export const externalCertificateMaxBytes = 2 * 1024 * 1024;
export const externalCertificateKinds = ['safer-recruitment'] as const;

/**
 * Training done outside Pathways (safer recruitment), recorded by the member herself or by a clerk or chair of
 * one of her boards. Dates are calendar days (YYYY-MM-DD); the expiry defaults to three years after completion.
 */
const externalCertificateSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    kind: { type: String, enum: externalCertificateKinds, required: true, default: 'safer-recruitment' },
    provider: { type: String, required: true, trim: true },
    completedOn: { type: String, required: true },
    expiresOn: { type: String, required: true },
    recordedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    file: {
      type: { name: String, contentType: String, size: Number, data: Buffer },
      default: undefined,
      select: false,
    },
    hasFile: { type: Boolean, required: true, default: false },
    /** Unique: the form sent twice (a double-click, an API retry with its key) records one certificate (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
externalCertificateSchema.plugin(keyedSubmissions);
externalCertificateSchema.index({ userId: 1, kind: 1, expiresOn: -1 });

export type ExternalCertificate = InferSchemaType<typeof externalCertificateSchema> & { _id: Types.ObjectId };
export const ExternalCertificateModel = model('ExternalCertificate', externalCertificateSchema);
