import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/** A personal API token. Only its SHA-256 is stored; the token itself is shown once, at creation. */
const apiTokenSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    name: { type: String, required: true, trim: true, default: 'API token' },
    tokenHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    lastUsedAt: { type: Date },
  },
  { timestamps: true },
);
apiTokenSchema.index({ tokenHash: 1 }, { unique: true });
apiTokenSchema.index({ userId: 1, createdAt: -1 });

export type ApiToken = InferSchemaType<typeof apiTokenSchema> & { _id: Types.ObjectId };
export const ApiTokenModel = model('ApiToken', apiTokenSchema);
