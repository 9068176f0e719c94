import { Schema, Types, model, type InferSchemaType } from 'mongoose';

export const membershipStatuses = ['member', 'requested', 'removed'] as const;
export type MembershipStatus = (typeof membershipStatuses)[number];
export const membershipRoles = ['lead', 'member'] as const;
export type MembershipRole = (typeof membershipRoles)[number];

/**
 * A person's place in a network: one record per (network, person), unique, so joining twice, a join racing an
 * approval, or leaving and coming back all update the same row. Only `status: member` gives access; a removed or
 * departed person keeps a `removed` row (how she left is in `leftBy`). A lead is a member with `role: lead`.
 */
const membershipSchema = new Schema(
  {
    networkId: { type: Schema.Types.ObjectId, ref: 'Network', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    status: { type: String, enum: membershipStatuses, required: true },
    role: { type: String, enum: membershipRoles, default: 'member' },
    requestedAt: { type: Date },
    joinedAt: { type: Date },
    removedAt: { type: Date },
    /** `self` when she left, `lead` or `admin` when she was removed. */
    leftBy: { type: String, enum: ['self', 'lead', 'admin'] },
    /**
     * Her account is disabled (or erased): the row keeps its status (enabled again, she is back where she was) but is
     * not counted in `memberCount`, which counts active accounts (server/services/networks/members.ts).
     */
    accountDisabled: { type: Boolean },
  },
  { timestamps: true },
);
/**
 * One row per (person, network), and "her row in this network" / "her networks" (prefix `userId`). Led by `userId`
 * so that FerretDB, which answers from an index only an equality on the field leading it (README, The database),
 * reads her two or three rows rather than the whole network's.
 */
membershipSchema.index({ userId: 1, networkId: 1 }, { unique: true });
/** "Members of a network" and a lead's approval queue. */
membershipSchema.index({ networkId: 1, status: 1, role: 1 });
/** Members of her networks in user id order, read in bounded batches (the directory's keyset on people). */
membershipSchema.index({ networkId: 1, status: 1, userId: 1 });
/**
 * "The leads of this network": led by `role`, so that FerretDB narrows to the leads of every network (a few per
 * network, whatever their size) instead of all of one network's members. Queries put `role` first (see leadsOf).
 */
membershipSchema.index({ role: 1, status: 1, networkId: 1 });

export type NetworkMembership = InferSchemaType<typeof membershipSchema> & { _id: Types.ObjectId };
export const NetworkMembershipModel = model('NetworkMembership', membershipSchema);
