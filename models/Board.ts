import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

export const boardRoles = ['chair', 'governor', 'clerk'] as const;
export type BoardRole = (typeof boardRoles)[number];

/**
 * A school's or trust's governing board. Members carry their board role; the account itself holds the
 * `governor` platform role. The board's zone decides when an interview day ends (readiness).
 */
const boardSchema = new Schema(
  {
    name: { type: String, required: true, trim: true },
    organisation: { type: String, required: true, trim: true },
    /** IANA zone of the board: interview dates are calendar days in it. */
    timezone: { type: String, required: true, default: 'Europe/London' },
    members: {
      type: [
        {
          userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
          role: { type: String, enum: boardRoles, required: true },
          /**
           * When she confirmed that she sits on this board. Anyone with an account can be added by a chair or clerk,
           * so until she confirms, the board's managers see her readiness (status and expiry, which the panel needs)
           * but not the certificates and files she recorded herself (externalCertificates.ts).
           */
          confirmedAt: { type: Date },
          _id: false,
        },
      ],
      default: [],
    },
    /** Bumped on every change of `members`: updates are conditional on it, so two concurrent edits cannot both win. */
    membersVersion: { type: Number, required: true, default: 0 },
    /** Moves on with every save of its details (name, organisation, zone), written only over the version read. */
    version: { type: Number, default: 0 },
    /** Unique: the form sent twice (a double-click, an API retry with its key) makes one board (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
boardSchema.plugin(keyedSubmissions);
boardSchema.index({ 'members.userId': 1 });
boardSchema.index({ name: 1 });

/** A board as read with lean(): members as a plain array (InferSchemaType would give a DocumentArray). */
export type Board = Omit<InferSchemaType<typeof boardSchema>, 'members'> & {
  _id: Types.ObjectId;
  members: { userId: Types.ObjectId; role: BoardRole; confirmedAt?: Date | null }[];
};
export const BoardModel = model('Board', boardSchema);
