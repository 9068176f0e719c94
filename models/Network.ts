import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

export const networkKinds = ['regional', 'national', 'interest'] as const;
export type NetworkKind = (typeof networkKinds)[number];
export const networkJoinings = ['open', 'approval'] as const;
export type NetworkJoining = (typeof networkJoinings)[number];

/**
 * A sub-network of the movement: regional (a part of a country or a group of countries), national, or around an
 * interest. Who belongs is in models/NetworkMembership.ts; `memberCount` is kept exact there with one atomic `$inc`
 * per change of a membership's status, so the browse page never counts memberships.
 */
const networkSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 120 },
    /** Lower-cased, space-collapsed name: two networks may not share a name (unique index). */
    nameKey: { type: String, required: true },
    kind: { type: String, enum: networkKinds, required: true },
    description: { type: String, default: '', maxlength: 4000 },
    /** ISO 3166-1 alpha-2 (server/countries.ts); absent for networks across countries. */
    country: { type: String },
    region: { type: String, trim: true, maxlength: 120 },
    joining: { type: String, enum: networkJoinings, required: true },
    /** Members with status `member` (leads included). Changed only with `$inc` beside the membership's own write. */
    memberCount: { type: Number, default: 0, min: 0 },
    /** Cohorts whose participants are invited to this network when they complete their programme. */
    linkedCohortIds: { type: [Schema.Types.ObjectId], ref: 'Cohort', default: [] },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User' },
    /** Moves on with every save of its details, written only over the version its form read (server/versions.ts). */
    version: { type: Number, default: 0 },
    /**
     * Moves on with every change of who leads (leads named, a lead made or stepped down, a lead leaving or removed):
     * `PUT .../leads` naming the version it read is written only over it (server/services/networks/members.ts).
     */
    leadsVersion: { type: Number, default: 0 },
    /**
     * The leads as the network's page names them: those whose account is live, with their names, sorted by name.
     * Derived from the membership rows and the accounts (server/services/networks/leadsShown.ts), so the page reads
     * no membership rows or accounts for them (a measured choice, README "Derived records"). Written only over the
     * `leadsVersion` it was computed at, and every change of a lead's row, account status or name moves that on
     * before it writes the list again: the list a reader sees is never older than the last change that completed.
     */
    leads: {
      type: [new Schema({ userId: { type: Schema.Types.ObjectId, ref: 'User' }, name: String }, { _id: false })],
      default: undefined,
    },
    /** Unique: the form sent twice (a double-click, an API retry with its key) makes one network (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
networkSchema.plugin(keyedSubmissions);
networkSchema.index({ nameKey: 1 }, { unique: true });
networkSchema.index({ kind: 1, nameKey: 1 });
networkSchema.index({ country: 1, nameKey: 1 });
networkSchema.index({ linkedCohortIds: 1 });

export type Network = InferSchemaType<typeof networkSchema> & { _id: Types.ObjectId };
export const NetworkModel = model('Network', networkSchema);
