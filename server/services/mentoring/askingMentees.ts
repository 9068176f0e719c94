import { Types } from 'mongoose';
import { MenteeProfileModel, type MenteeProfile } from '../../../models/MenteeProfile.ts';
import type { MentoringRequest } from '../../../models/MentoringRequest.ts';
import { MentorProfileModel, type MentorProfile } from '../../../models/MentorProfile.ts';
import {
  describeMinutes,
  describeSlots,
  intervalsInComingWeek,
  isKnownZone,
  sharedIntervals,
  slotsInZone,
} from './availability.ts';
import { scorePair } from './matching.ts';
import { menteeForMatching, mentorForMatching, presentMenteeProfile } from './profiles.ts';

/**
 * What a mentor sees of a mentee who asks her (her mentee profile tells her "Mentors see your name and this profile
 * when you ask one of them"): the profile as presented (no email), the pair's score from scorePair (the same number as
 * her suggestions show) and the time they share, in words in the mentor's zone. Without it the mentor decided on a
 * name and a message alone.
 */
export type AskingMentee = {
  profile: ReturnType<typeof presentMenteeProfile>;
  score: number | null;
  /** "10 hours a week when you are both free: Mondays 18:00–20:00, …", or null when they share none. */
  sharedTime: string | null;
};

/** For the mentor's waiting requests, by request id; a mentee with no profile any more is left out. */
export async function menteesAsking(props: {
  mentorId: string;
  requests: readonly Pick<MentoringRequest, '_id' | 'menteeId' | 'status'>[];
  /** The zone the mentor reads times in. */
  zone: string;
  now?: Date;
}): Promise<Map<string, AskingMentee>> {
  const now = props.now ?? new Date();
  const zone = isKnownZone(props.zone) ? props.zone : 'UTC';
  const pending = props.requests.filter((r) => r.status === 'pending');
  if (!pending.length) return new Map();
  const [mentorProfile, menteeProfiles] = await Promise.all([
    MentorProfileModel.findOne({ userId: new Types.ObjectId(props.mentorId) }).lean<MentorProfile>(),
    MenteeProfileModel.find({ userId: { $in: pending.map((r) => r.menteeId) } }).lean<MenteeProfile[]>(),
  ]);
  const mentor = mentorProfile ? mentorForMatching(mentorProfile) : null;
  const mentorIntervals = mentor ? intervalsInComingWeek({ ...mentor, now }) : [];
  const byMentee = new Map(menteeProfiles.map((p) => [String(p.userId), p]));
  const out = new Map<string, AskingMentee>();
  for (const r of pending) {
    const profile = byMentee.get(String(r.menteeId));
    if (!profile) continue;
    const mentee = menteeForMatching(profile);
    const menteeIntervals = intervalsInComingWeek({ ...mentee, now });
    const pair = mentor ? scorePair({ mentor, mentee, now, mentorIntervals, menteeIntervals, describe: false }) : null;
    const shared = sharedIntervals(menteeIntervals, mentorIntervals);
    out.set(String(r._id), {
      profile: presentMenteeProfile(profile),
      score: pair ? pair.score : null,
      sharedTime:
        pair && pair.overlapMinutesPerWeek > 0
          ? `${describeMinutes(pair.overlapMinutesPerWeek)} a week when you are both free: ${describeSlots(slotsInZone(shared, zone))}`
          : null,
    });
  }
  return out;
}
