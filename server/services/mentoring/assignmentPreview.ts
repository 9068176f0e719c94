import { Types } from 'mongoose';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { MenteeProfileModel, type MenteeProfile } from '../../../models/MenteeProfile.ts';
import { UserModel } from '../../../models/User.ts';
import { blockedPairsAmong } from '../directory/blocks.ts';
import { optimalAssignment } from './assignment.ts';
import { intervalsInComingWeek } from './availability.ts';
import { scorePair } from './matching.ts';
import { mentorsWhoDeclined, pendingMentorsOf, refusedForPending } from './requests.ts';
import { menteeForMatching, mentorForMatching } from './profiles.ts';
import { activeMentorNames, activeNames, mentorsWithFreePlace } from './suggestions.ts';

export type AssignmentPreview = {
  items: { menteeId: string; mentorId: string; score: number }[];
  totalScore: number;
  unassigned: string[];
};

/** The mentees with an active mentorship. */
async function menteesInAMentorship(): Promise<Set<string>> {
  const ids = await MentorshipModel.distinct('menteeId', { status: 'active' });
  return new Set(ids.map(String));
}

/**
 * The optimal assignment of every unmatched mentee (or of those named) to the mentors with free places: as many
 * matched as the hard rules allow (and no pair of whom one blocked the other, nor one that sending would refuse
 * because of her requests already waiting: that mentor asked already, or her limit reached), then the highest total score
 * (./assignment.ts). Every pair is scored by scorePair, so a score here is the one her suggestions show.
 */
export async function previewAssignment(props: {
  /** Only these mentees (user ids); all mentees with a profile when absent. */
  menteeIds?: string[];
  now?: Date;
}): Promise<AssignmentPreview> {
  const now = props.now ?? new Date();
  const filter = props.menteeIds ? { userId: { $in: props.menteeIds.map((id) => new Types.ObjectId(id)) } } : {};
  const [profiles, matched, mentorProfiles] = await Promise.all([
    MenteeProfileModel.find(filter, { createdAt: 0, updatedAt: 0 }).lean<MenteeProfile[]>(),
    menteesInAMentorship(),
    mentorsWithFreePlace(),
  ]);
  // Only people whose account is active, as in her suggestions: a request to or for a disabled or erased account could
  // never be answered, and would hold a mentee's place for 14 days.
  const [active, activeMentors] = await Promise.all([
    activeNames(profiles.map((p) => p.userId)),
    activeMentorNames(mentorProfiles.map((p) => p.userId)),
  ]);
  const mentees = profiles
    .filter((p) => !matched.has(String(p.userId)) && active.has(String(p.userId)))
    .map(menteeForMatching)
    .sort((a, b) => a.userId.localeCompare(b.userId));
  const mentors = mentorProfiles.filter((p) => activeMentors.has(String(p.userId))).map(mentorForMatching);
  const mentorIntervals = mentors.map((m) => intervalsInComingWeek({ ...m, now }));
  // Two people of whom one blocked the other are never paired: the request would write to the mentor.
  const [blocked, pending, declined] = await Promise.all([
    blockedPairsAmong([...mentees, ...mentors].map((p) => p.userId)),
    pendingMentorsOf(
      mentees.map((m) => m.userId),
      now,
    ),
    // A mentor who declined her said no: the assignment does not ask again in her name.
    mentorsWhoDeclined(mentees.map((m) => m.userId)),
  ]);
  const pairs: { mentee: number; mentor: number; score: number }[] = [];
  mentees.forEach((mentee, i) => {
    const menteeIntervals = intervalsInComingWeek({ ...mentee, now });
    mentors.forEach((mentor, j) => {
      if (blocked.has(`${mentee.userId}:${mentor.userId}`)) return;
      if (refusedForPending(pending.get(mentee.userId), mentor.userId)) return;
      if (declined.has(`${mentee.userId}:${mentor.userId}`)) return;
      const pair = scorePair({
        mentor,
        mentee,
        now,
        menteeIntervals,
        mentorIntervals: mentorIntervals[j],
        describe: false,
      });
      if (pair.eligible) pairs.push({ mentee: i, mentor: j, score: pair.score });
    });
  });
  const solution = optimalAssignment({
    menteeCount: mentees.length,
    mentorPlaces: mentors.map((m) => m.freePlaces),
    pairs,
  });
  return {
    items: solution.pairs
      .map((p) => ({ menteeId: mentees[p.mentee]!.userId, mentorId: mentors[p.mentor]!.userId, score: p.score }))
      .sort((a, b) => b.score - a.score || a.menteeId.localeCompare(b.menteeId)),
    totalScore: solution.totalScore,
    unassigned: solution.unassigned.map((i) => mentees[i]!.userId),
  };
}

/** The preview with names, for the admin's review page. */
export async function previewAssignmentForReview(props: { menteeIds?: string[]; now?: Date }) {
  const preview = await previewAssignment(props);
  const ids = [...new Set([...preview.items.flatMap((i) => [i.menteeId, i.mentorId]), ...preview.unassigned])];
  const users = await UserModel.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }, { name: 1 }).lean();
  const names = new Map(users.map((u) => [String(u._id), u.name]));
  const nameOf = (id: string) => names.get(id) ?? 'Former member';
  return {
    ...preview,
    items: preview.items.map((i) => ({ ...i, menteeName: nameOf(i.menteeId), mentorName: nameOf(i.mentorId) })),
    unassigned: preview.unassigned.map((id) => ({ id, name: nameOf(id) })),
  };
}
