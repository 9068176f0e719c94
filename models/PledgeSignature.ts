import { Schema, model, type InferSchemaType } from 'mongoose';

export const signatureKinds = ['organisation', 'individual'] as const;
export const organisationTypes = [
  'school',
  'trust',
  'governing-board',
  'leadership-organisation',
  'government',
  'other',
] as const;
export type SignatureKind = (typeof signatureKinds)[number];
export type OrganisationType = (typeof organisationTypes)[number];

/**
 * One signature of the Leading Women to Headship Pledge, by an organisation (through its contact person) or an
 * individual. It counts only once `status` is 'confirmed' (the email link was followed) and it is not hidden.
 * `signKey` (email + kind + normalised organisation name) is unique: signing again updates, never duplicates,
 * and of two simultaneous first signings the unique index lets exactly one insert win.
 */
const commitmentSchema = new Schema(
  {
    optionId: { type: Schema.Types.ObjectId, ref: 'PledgeCommitmentOption', required: true },
    addedAt: { type: Date, required: true },
  },
  { _id: false },
);

/** Details typed when someone signs again after confirming: applied only when that new link is followed. */
const pendingChangesSchema = new Schema(
  {
    name: String,
    organisationType: String,
    role: String,
    contactName: String,
    region: String,
    country: String,
    showName: Boolean,
  },
  { _id: false },
);

const pledgeSignatureSchema = new Schema(
  {
    kind: { type: String, enum: signatureKinds, required: true },
    /** Organisation name, or the individual's own name. */
    name: { type: String, required: true, trim: true },
    /** Lower-cased, accent-free name: the sort key of the public list. */
    nameKey: { type: String, required: true },
    organisationType: { type: String, enum: organisationTypes },
    /** An individual's role (e.g. "Deputy headteacher"). */
    role: { type: String, trim: true },
    /** The organisation's contact person (her name is never public). */
    contactName: { type: String, trim: true },
    /** Lower-cased; never leaves the app except to its owner and in the admin export. */
    email: { type: String, required: true, lowercase: true, trim: true },
    region: { type: String, required: true, trim: true },
    /** ISO 3166-1 alpha-2, upper-case. */
    country: { type: String, required: true, uppercase: true },
    /** Individuals only: may her name appear on the public list? */
    showName: { type: Boolean, default: false },
    /** True when the signature appears on the public list: organisations, and individuals who allowed it. */
    listed: { type: Boolean, required: true, default: false },
    signKey: { type: String, required: true },
    status: { type: String, enum: ['pending', 'confirmed'], required: true, default: 'pending' },
    confirmedAt: { type: Date, default: null },
    pendingChanges: { type: pendingChangesSchema, default: null },
    hidden: { type: Boolean, required: true, default: false },
    hiddenReason: { type: String },
    hiddenAt: { type: Date },
    commitments: { type: [commitmentSchema], default: [] },
    /** Moves on with every save of the commitments, written only over the version its form read (server/versions.ts). */
    commitmentsVersion: { type: Number, default: 0 },
    /** A governing board in Pathways linked to this signature (issue 6), and whether its page shows round readiness. */
    boardId: { type: Schema.Types.ObjectId, default: null },
    showRoundReadiness: { type: Boolean, default: false },
  },
  { timestamps: true },
);

pledgeSignatureSchema.index({ signKey: 1 }, { unique: true });
// The public list: visible signatures, alphabetical, then filtered by type / region / country.
pledgeSignatureSchema.index({ status: 1, hidden: 1, listed: 1, nameKey: 1, _id: 1 });
pledgeSignatureSchema.index({ status: 1, hidden: 1, organisationType: 1, nameKey: 1 });
pledgeSignatureSchema.index({ status: 1, hidden: 1, kind: 1, nameKey: 1 });
pledgeSignatureSchema.index({ status: 1, hidden: 1, country: 1, nameKey: 1 });
pledgeSignatureSchema.index({ status: 1, hidden: 1, region: 1, nameKey: 1 });
pledgeSignatureSchema.index({ email: 1 });
pledgeSignatureSchema.index({ boardId: 1 });
pledgeSignatureSchema.index({ confirmedAt: 1 });

export type PledgeSignature = InferSchemaType<typeof pledgeSignatureSchema>;
export const PledgeSignatureModel = model('PledgeSignature', pledgeSignatureSchema);
