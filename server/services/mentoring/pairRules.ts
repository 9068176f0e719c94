import { Types } from 'mongoose';
import { MenteeProfileModel } from '../../../models/MenteeProfile.ts';
import { MentorProfileModel } from '../../../models/MentorProfile.ts';
import { hardRules, scorePair, type HardRule, type PairScore } from './matching.ts';

/**
 * The pair scored from their stored profiles by the one function that scores every pair (./matching.ts): null when
 * she has no mentee profile or he no mentor profile. `ignoreCapacity`: at accept the place is taken by one
 * conditional write instead (./requests.ts).
 */
export async function scoreStoredPair(props: {
  menteeId: string;
  mentorId: string;
  now: Date;
  ignoreCapacity?: boolean;
  /** Whether to write the reasons' words (only the numbers are needed to apply the rules). */
  describe?: boolean;
}): Promise<{ mentee: boolean; mentor: boolean; score: PairScore | null }> {
  const [mentee, mentor] = await Promise.all([
    MenteeProfileModel.findOne({ userId: new Types.ObjectId(props.menteeId) }).lean(),
    MentorProfileModel.findOne({ userId: new Types.ObjectId(props.mentorId) }).lean(),
  ]);
  if (!mentee || !mentor) return { mentee: !!mentee, mentor: !!mentor, score: null };
  const score = scorePair({
    mentor: {
      ...mentor,
      userId: String(mentor.userId),
      region: mentor.region ?? '',
      freePlaces: props.ignoreCapacity ? 1 : mentor.freePlaces,
    },
    mentee: {
      ...mentee,
      userId: String(mentee.userId),
      schoolName: mentee.schoolName ?? '',
      region: mentee.region ?? '',
    },
    now: props.now,
    describe: props.describe ?? false,
  });
  return { mentee: true, mentor: true, score };
}

/**
 * The hard rules, applied when a request is sent and when it is accepted, by the one function that scores every pair
 * (./matching.ts), so suggestions, requests, accepts and the assignment never disagree. Answers null when the pair
 * may be matched, 'no-mentee-profile' when she has none yet, else the rule broken in plain words.
 */
export async function pairBreaksARule(props: {
  menteeId: string;
  mentorId: string;
  now: Date;
  ignoreCapacity?: boolean;
}): Promise<string | null> {
  if (props.menteeId === props.mentorId) return hardRules.herself;
  const stored = await scoreStoredPair(props);
  if (!stored.mentee) return 'no-mentee-profile';
  if (!stored.score) return 'This person is not a mentor.';
  const broken: HardRule | undefined = stored.score.excludedBy[0];
  return broken ? hardRules[broken] : null;
}
