import { Types } from 'mongoose';
import { MenteeProfileModel } from '../../../models/MenteeProfile.ts';
import { MentorProfileModel } from '../../../models/MentorProfile.ts';

/**
 * The hard rules, applied when a request is sent and when it is accepted. The rules themselves live with the
 * profiles and scoring (one function, so suggestions, requests, accepts and the assignment never disagree); this
 * loads the two profiles and asks it. Answers null when the pair may be matched, 'no-mentee-profile' when she has
 * none yet, else the rule broken in plain words. `ignoreCapacity`: at accept the place is taken atomically instead.
 */
export async function pairBreaksARule(props: {
  menteeId: string;
  mentorId: string;
  now: Date;
  ignoreCapacity?: boolean;
}): Promise<string | null> {
  if (props.menteeId === props.mentorId) return 'You cannot mentor yourself.';
  const [mentee, mentor] = await Promise.all([
    MenteeProfileModel.findOne({ userId: new Types.ObjectId(props.menteeId) }).lean(),
    MentorProfileModel.findOne({ userId: new Types.ObjectId(props.mentorId) }).lean(),
  ]);
  if (!mentee) return 'no-mentee-profile';
  if (!mentor) return 'This person is not a mentor.';
  if (!props.ignoreCapacity && mentor.freePlaces <= 0) return 'This mentor has no free place at the moment.';
  const school = (s: string | null | undefined) => (s ?? '').toLowerCase().replace(/\s+/g, '');
  if (school(mentee.schoolName) && school(mentee.schoolName) === school(mentor.schoolName))
    return 'This mentor works at your own school.';
  return null;
}
