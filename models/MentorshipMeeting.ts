import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/**
 * A meeting one member of a mentorship logged. `sharedNotes` are for both members (and admins); `privateNotes` belong
 * to `authorId` alone and are never shown to anyone else, admins included.
 */
const mentorshipMeetingSchema = new Schema(
  {
    mentorshipId: { type: Schema.Types.ObjectId, ref: 'Mentorship', required: true },
    authorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    heldAt: { type: Date, required: true },
    minutes: { type: Number, required: true, min: 1, max: 600 },
    sharedNotes: { type: String, default: '' },
    privateNotes: { type: String, default: '' },
    /** Unique: a repeated submission stores nothing new (server/submissions.ts); one of its own otherwise. */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
mentorshipMeetingSchema.plugin(keyedSubmissions);
mentorshipMeetingSchema.index({ mentorshipId: 1, heldAt: -1 });
mentorshipMeetingSchema.index({ authorId: 1 });

export type MentorshipMeeting = InferSchemaType<typeof mentorshipMeetingSchema> & { _id: Types.ObjectId };
export const MentorshipMeetingModel = model('MentorshipMeeting', mentorshipMeetingSchema);
