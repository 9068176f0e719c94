import { Types } from 'mongoose';
import {
  MentorCandidatesModel,
  type MentorCandidate,
  type MentorCandidates,
} from '../../../models/MentorCandidates.ts';
import type { MenteeProfile } from '../../../models/MenteeProfile.ts';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { MentorProfileModel, type MentorProfile } from '../../../models/MentorProfile.ts';
import { UserModel } from '../../../models/User.ts';
import { blockedEitherWayOf } from '../directory/blocks.ts';
import { intervalsInComingWeek, type Interval } from './availability.ts';
import {
  candidatesRevision,
  matchingProjection,
  rankAllMentors,
  rankMentors,
  recordIsUsable,
  storeRanking,
  type RankedMentor,
} from './candidates.ts';
import { scorePair, type MenteeForMatching, type PairScore } from './matching.ts';
import { menteeForMatching, menteeProfileOf, mentorForMatching } from './profiles.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

export { mentorsWithFreePlace, withFreePlace } from './candidates.ts';

export type MentorSuggestion = { mentorId: string; name: string } & Pick<
  PairScore,
  'score' | 'overlapMinutesPerWeek' | 'sharedTopics' | 'reasons'
>;

/** At most this many suggestions (API.md). */
export const suggestionLimit = 5;

/** The mentors she is in an active mentorship with (never suggested to her). */
const activeMentorIdsOf = (menteeId: Types.ObjectId) =>
  MentorshipModel.distinct('mentorId', { menteeId, status: 'active' });

/**
 * The mentors never suggested to her: those she is in an active mentorship with (`activeMentorIds`, read alongside
 * her profile), and those she has blocked or who have blocked her (a request would write to them;
 * directory/blocks.ts). Her profile says when no block names her (`inBlocks`), and then the blocks are not read.
 */
async function mentorIdsLeftOut(
  menteeId: Types.ObjectId,
  profile: MenteeProfile,
  activeMentorIds: readonly unknown[],
): Promise<Set<string>> {
  const blocked = await blockedEitherWayOf(String(menteeId), profile);
  return new Set([...activeMentorIds.map(String), ...blocked]);
}

/**
 * The names of those of these users whose account is active: a mentor (or, in the assignment, a mentee) whose account
 * was disabled or erased is skipped, since nobody could answer or read her requests.
 */
export async function activeNames(userIds: readonly Types.ObjectId[]): Promise<Map<string, string>> {
  return namesOf(userIds, { status: 'active' });
}

/**
 * Names of those among `userIds` who may mentor now: an active account that still has the mentor role. An admin may
 * take the role away; her profile is kept as it was (for if it comes back), but she is no mentor meanwhile: never
 * suggested, paired, counted, asked or able to accept.
 */
export const mayMentorNow = { status: 'active', roles: 'mentor' } as const;
export async function activeMentorNames(userIds: readonly Types.ObjectId[]): Promise<Map<string, string>> {
  return namesOf(userIds, mayMentorNow);
}

async function namesOf(userIds: readonly Types.ObjectId[], filter: Record<string, string>) {
  if (!userIds.length) return new Map<string, string>();
  const users = await readWithoutCursor(UserModel.find({ _id: { $in: userIds }, ...filter }, { name: 1 }).lean());
  return new Map(users.map((u) => [String(u._id), u.name]));
}

/** The words (slots in her zone) are written for the few shown only; the numbers are scorePair's, as ranked. */
function worded(
  shown: readonly RankedMentor[],
  names: Map<string, string>,
  mentee: MenteeForMatching,
  menteeIntervals: readonly Interval[],
  now: Date,
): MentorSuggestion[] {
  return shown.map(({ profile }) => {
    const pair = scorePair({ mentor: mentorForMatching(profile), mentee, menteeIntervals, now });
    return {
      mentorId: String(profile.userId),
      name: names.get(String(profile.userId))!,
      score: pair.score,
      overlapMinutesPerWeek: pair.overlapMinutesPerWeek,
      sharedTopics: pair.sharedTopics,
      reasons: pair.reasons,
    };
  });
}

/**
 * How many of her record's candidates are read first: the `limit` shown and three more, for mentors who filled up or
 * closed their account since the record was ranked (8 of the 20 for 5 suggestions). The rest are read only when too
 * few of these are still eligible.
 */
const firstCandidatesRead = (limit: number) => limit + 3;

type ReadCandidates = { profiles: MentorProfile[]; names: Map<string, string> };

/**
 * These candidates' current profiles, by profile `_id` (answered from the `_id` index, cheaper on our FerretDB than
 * `userId $in`; a profile made anew has a new `_id` and is read as a changed mentor instead), and the names of those
 * whose account is active.
 */
async function readCandidates(candidates: readonly MentorCandidate[]): Promise<ReadCandidates> {
  if (!candidates.length) return { profiles: [], names: new Map() };
  const [profiles, names] = await Promise.all([
    readWithoutCursor(
      MentorProfileModel.find({ _id: { $in: candidates.map((c) => c.profileId) } }, matchingProjection).lean<
        MentorProfile[]
      >(),
    ),
    activeMentorNames(candidates.map((c) => c.mentorId)),
  ]);
  return { profiles, names };
}

/**
 * readCandidates for her first candidates, and the mentors changed since the last sweep (`candidatesStale`), in one
 * query: `{ $or: [{ _id: { $in: … } }, { candidatesStale: true }] }`, which MongoDB answers from the two indexes, and
 * our FerretDB too since patch 0025 (README, The database). A changed mentor among her first candidates is in both.
 */
async function readFirstCandidatesAndChanged(
  candidates: readonly MentorCandidate[],
): Promise<{ changed: MentorProfile[]; first: ReadCandidates }> {
  const profileIds = candidates.map((c) => c.profileId);
  const [profiles, names] = await Promise.all([
    readWithoutCursor(
      MentorProfileModel.find(
        profileIds.length
          ? { $or: [{ _id: { $in: profileIds } }, { candidatesStale: true }] }
          : { candidatesStale: true },
        matchingProjection,
      ).lean<MentorProfile[]>(),
    ),
    activeMentorNames(candidates.map((c) => c.mentorId)),
  ]);
  const wanted = new Set(profileIds.map(String));
  return {
    changed: profiles.filter((m) => m.candidatesStale),
    first: { profiles: profiles.filter((m) => wanted.has(String(m._id))), names },
  };
}

/**
 * Her best mentors, best first: the mentors with a free place whom the hard rules allow, scored by scorePair at `now`
 * (less the mentors she already has, those blocked either way and those whose account is not active); ties go to
 * more shared time, then the older profile. `hasProfile` is false until she has saved a mentee profile (there is
 * nothing to match on).
 *
 * Read through her MentorCandidates record (./candidates.ts) when it is usable: only its first 8 mentors are read (all
 * ~20 when too few of those are still eligible), and every hard rule, score and reason is computed again on their
 * current profiles (and on the mentors changed since the last sweep), so a mentor who filled up is gone at once, a new
 * one shows at once, and what is shown is current. The candidates not read rank by the record's own figures, as
 * mentors it does not list do (README, Mentoring). When the record is missing, stale, or has too few candidates left,
 * every mentor is ranked (`fullComputation`, also forced by that flag) and the result stored for next time.
 */
export async function mentorSuggestions(props: {
  /** The mentee. */
  userId: string;
  now?: Date;
  limit?: number;
  /** Rank every mentor even when her record is usable (tests compare the two). */
  fullComputation?: boolean;
}): Promise<{ hasProfile: boolean; timezone?: string; items: MentorSuggestion[] }> {
  const now = props.now ?? new Date();
  const limit = props.limit ?? suggestionLimit;
  const menteeId = new Types.ObjectId(props.userId);
  // Her active mentorships are read with her profile rather than after it: one round trip fewer on every visit, one
  // read for nothing in the rare visit before she has a profile.
  const [profile, record, activeMentorIds] = await Promise.all([
    menteeProfileOf(props.userId),
    readWithoutCursor(MentorCandidatesModel.findOne({ menteeId }).lean<MentorCandidates>()),
    activeMentorIdsOf(menteeId),
  ]);
  if (!profile) return { hasProfile: false, items: [] };
  const leftOut = await mentorIdsLeftOut(menteeId, profile, activeMentorIds);
  const mentee = menteeForMatching(profile);
  const menteeIntervals = intervalsInComingWeek({ ...mentee, now });
  const answer = (items: MentorSuggestion[]) => ({ hasProfile: true, timezone: mentee.timezone, items });

  if (record && !props.fullComputation && recordIsUsable(record, profile, now)) {
    // Mentors changed since the last sweep are read too (few: those of the last minute or so), so a new mentor or a
    // freed place shows at once rather than after the sweep: in the same query as her first candidates' profiles.
    const { changed, first } = await readFirstCandidatesAndChanged(
      record.candidates.slice(0, firstCandidatesRead(limit)),
    );
    const changedIds = new Set(changed.map((m) => String(m.userId)));
    const extraNames = await activeMentorNames(
      changed.filter((m) => !first.names.has(String(m.userId))).map((m) => m.userId),
    );
    const fromRecord = (read: ReadCandidates) => {
      const names = new Map([...read.names, ...extraNames]);
      const mentors = [...read.profiles.filter((m) => !changedIds.has(String(m.userId))), ...changed];
      const ranked = rankMentors({ mentee, menteeIntervals, mentors, now }).filter(
        (r) => !leftOut.has(String(r.profile.userId)) && names.has(String(r.profile.userId)),
      );
      return { names, ranked, unchanged: ranked.filter((r) => !changedIds.has(String(r.profile.userId))).length };
    };
    // Everyone after the candidates read ranks below the last of them (the record is in rank order), so the top
    // `limit` is exact while at least that many of the unchanged candidates read are still eligible, or when every
    // candidate was read and the record lists every eligible mentor. Most visits stop after the first few.
    const firstAnswer = fromRecord(first);
    if (firstAnswer.unchanged >= limit)
      return answer(worded(firstAnswer.ranked.slice(0, limit), firstAnswer.names, mentee, menteeIntervals, now));
    const rest = await readCandidates(record.candidates.slice(firstCandidatesRead(limit)));
    const all = fromRecord({
      profiles: [...first.profiles, ...rest.profiles],
      names: new Map([...first.names, ...rest.names]),
    });
    if (all.unchanged >= limit || record.complete)
      return answer(worded(all.ranked.slice(0, limit), all.names, mentee, menteeIntervals, now));
  }

  // The record's rev is read before the mentors, so that this ranking is stored only if no refresh came in between.
  const rev = props.fullComputation ? undefined : record ? record.rev : await candidatesRevision(menteeId);
  const ranked = await rankAllMentors({ mentee, menteeIntervals, now });
  if (rev !== undefined) await storeRanking({ menteeId, rev, menteeVersion: profile.matchVersion ?? 0, ranked, now });
  const candidates = ranked.filter((r) => !leftOut.has(String(r.profile.userId)));
  const shown: RankedMentor[] = [];
  const names = new Map<string, string>();
  // Names for the best few only, a batch at a time, until enough are active.
  for (let start = 0; shown.length < limit && start < candidates.length; start += limit * 2) {
    const batch = candidates.slice(start, start + limit * 2);
    for (const [id, name] of await activeMentorNames(batch.map((r) => r.profile.userId))) names.set(id, name);
    for (const r of batch) if (names.has(String(r.profile.userId)) && shown.length < limit) shown.push(r);
  }
  return answer(worded(shown, names, mentee, menteeIntervals, now));
}
