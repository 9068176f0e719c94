import { Types } from 'mongoose';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { MenteeProfileModel, type MenteeProfile } from '../../../models/MenteeProfile.ts';
import { UserModel } from '../../../models/User.ts';
import { blockedPairsAmong } from '../directory/blocks.ts';
import { scoreAndAssign, scoreAndAssignOnWorker, type AssignmentPreview } from './assignmentScoring.ts';
import { mentorsWhoDeclined, pendingMentorsOf, refusedForPending } from './requests.ts';
import { menteeForMatching, mentorForMatching } from './profiles.ts';
import { activeMentorNames, activeNames, mentorsWithFreePlace } from './suggestions.ts';

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
  /** Score on a worker thread (the default from pairsScoredOnAWorkerFrom pairs), or on this one. */
  onWorker?: boolean;
  /** The worker's module (workerEntry: the one beside the running code). */
  workerEntry?: URL;
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
  const excludedPairs = new Set([...blocked, ...declined]);
  const menteesWithNoPair = new Set<string>();
  for (const mentee of mentees) {
    const waiting = pending.get(mentee.userId);
    // What sending would refuse (refusedForPending): her limit of waiting requests, or a mentor she asked already.
    if (refusedForPending(waiting, '')) menteesWithNoPair.add(mentee.userId);
    for (const mentorId of waiting ?? []) excludedPairs.add(`${mentee.userId}:${mentorId}`);
  }
  const input = { mentees, mentors, excludedPairs, menteesWithNoPair, now };
  const onWorker = props.onWorker ?? mentees.length * mentors.length >= pairsScoredOnAWorkerFrom;
  return onWorker ? scoreAndAssignOnWorker(input, props.workerEntry) : scoreAndAssign(input);
}

/**
 * From how many pairs the scoring leaves the request's thread (about half a second of CPU on the development machine;
 * a worker takes a few hundred milliseconds to start, so fewer pairs are scored in place).
 */
const pairsScoredOnAWorkerFrom = 200_000;

export type { AssignmentPreview };

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
