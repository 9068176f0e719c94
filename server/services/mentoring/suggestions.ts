import { Types } from 'mongoose';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { MentorProfileModel, type MentorProfile } from '../../../models/MentorProfile.ts';
import { UserModel } from '../../../models/User.ts';
import { intervalsInComingWeek } from './availability.ts';
import { scorePair, type PairScore } from './matching.ts';
import { menteeForMatching, menteeProfileOf, mentorForMatching } from './profiles.ts';

export type MentorSuggestion = { mentorId: string; name: string } & Pick<
  PairScore,
  'score' | 'overlapMinutesPerWeek' | 'sharedTopics' | 'reasons'
>;

/** At most this many suggestions (API.md). */
export const suggestionLimit = 5;

/** A mentor with a free place (`freePlaces` is negative when she lowered her capacity below her mentees). */
export const withFreePlace = { freePlaces: { $gt: 0 } };

/** The mentors with a free place, as matching reads them (no bio: it is not scored). */
export const mentorsWithFreePlace = () =>
  MentorProfileModel.find(withFreePlace, { bio: 0, createdAt: 0, updatedAt: 0 }).lean<MentorProfile[]>();

/** The mentors she is in an active mentorship with (not suggested again). */
async function currentMentorIds(menteeId: string): Promise<Set<string>> {
  const ids = await MentorshipModel.distinct('mentorId', { menteeId: new Types.ObjectId(menteeId), status: 'active' });
  return new Set(ids.map(String));
}

/**
 * Her best mentors, best first: every mentor with a free place whom the hard rules allow, scored by scorePair at
 * `now` (less the mentors she already has); ties go to more shared time, then the older profile (a stable order). `hasProfile` is false until she has
 * saved a mentee profile (there is nothing to match on).
 */
export async function mentorSuggestions(props: {
  /** The mentee. */
  userId: string;
  now?: Date;
  limit?: number;
}): Promise<{ hasProfile: boolean; timezone?: string; items: MentorSuggestion[] }> {
  const now = props.now ?? new Date();
  const limit = props.limit ?? suggestionLimit;
  const profile = await menteeProfileOf(props.userId);
  if (!profile) return { hasProfile: false, items: [] };
  const mentee = menteeForMatching(profile);
  const menteeIntervals = intervalsInComingWeek({ ...mentee, now });
  const [mentors, current] = await Promise.all([mentorsWithFreePlace(), currentMentorIds(props.userId)]);
  const ranked = mentors
    .filter((p) => !current.has(String(p.userId)))
    .map((p) => ({
      p,
      pair: scorePair({ mentor: mentorForMatching(p), mentee, menteeIntervals, now, describe: false }),
    }))
    .filter((s) => s.pair.eligible)
    .sort(
      (a, b) =>
        b.pair.score - a.pair.score ||
        b.pair.overlapMinutesPerWeek - a.pair.overlapMinutesPerWeek ||
        String(a.p._id).localeCompare(String(b.p._id)),
    );
  const items: MentorSuggestion[] = [];
  // Names for the best few only; a mentor whose account is not active is skipped (her profile stays for her return).
  for (let start = 0; items.length < limit && start < ranked.length; start += limit * 2) {
    const batch = ranked.slice(start, start + limit * 2);
    const users = await UserModel.find(
      { _id: { $in: batch.map((s) => new Types.ObjectId(String(s.p.userId))) }, status: 'active' },
      { name: 1 },
    ).lean();
    const names = new Map(users.map((u) => [String(u._id), u.name]));
    for (const s of batch) {
      const name = names.get(String(s.p.userId));
      if (name === undefined || items.length >= limit) continue;
      // The words (slots in her zone) are written for the few shown; the score is the one computed above.
      const worded = scorePair({ mentor: mentorForMatching(s.p), mentee, menteeIntervals, now });
      items.push({
        mentorId: String(s.p.userId),
        name,
        score: worded.score,
        overlapMinutesPerWeek: worded.overlapMinutesPerWeek,
        sharedTopics: worded.sharedTopics,
        reasons: worded.reasons,
      });
    }
  }
  return { hasProfile: true, timezone: mentee.timezone, items };
}
