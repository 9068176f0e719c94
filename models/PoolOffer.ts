import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/** A request offered to one pool member (unique per request and member); she accepts or declines. */
export const poolOfferStatuses = ['pending', 'accepted', 'declined', 'withdrawn'] as const;

const poolOfferSchema = new Schema(
  {
    requestId: { type: Schema.Types.ObjectId, ref: 'PoolRequest', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    status: { type: String, enum: poolOfferStatuses, required: true, default: 'pending' },
    offeredBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    decidedAt: { type: Date },
  },
  { timestamps: true },
);
poolOfferSchema.index({ requestId: 1, userId: 1 }, { unique: true });
poolOfferSchema.index({ userId: 1, status: 1 });

export type PoolOffer = InferSchemaType<typeof poolOfferSchema> & { _id: Types.ObjectId };
export const PoolOfferModel = model('PoolOffer', poolOfferSchema);
