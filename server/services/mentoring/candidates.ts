import { Types } from 'mongoose';
import { MenteeProfileModel, type MenteeProfile } from '../../../models/MenteeProfile.ts';
import {
  MentorCandidatesModel,
  type MentorCandidate,
  type MentorCandidates,
} from '../../../models/MentorCandidates.ts';
import { MentorProfileModel, type MentorProfile } from '../../../models/MentorProfile.ts';
import { intervalsInComingWeek, type Interval } from './availability.ts';
import { scorePair, type MenteeForMatching, type PairScore } from './matching.ts';
import { menteeForMatching, mentorForMatching } from './profiles.ts';

/**
 * Each mentee's ranked candidates (models/MentorCandidates.ts), derived from the source profiles so that her
 * suggestions read about 20 mentor profiles instead of all of them. Why a derived record: scoring needs every mentor's
 * shared time with her (no index can answer "at least 120 minutes shared in the coming 7 days"), so without one a
 * request's work grows with the number of mentors, on MongoDB as on FerretDB (README, Mentoring: measurements).
 *
 * The record only narrows WHO is looked at: the suggestions re-check every hard rule and recompute the score and the
 * reasons with scorePair on the candidates' current profiles (./suggestions.ts). It is kept true by:
 * - her own save: ranked again at once (refreshMenteeCandidates);
 * - a mentor's save or freed place: the `mentoring:refresh-candidates` sweep (refreshCandidatesOfChangedMentors)
 *   applies her to every record; a mentor who fills up needs nothing (the live check drops her);
 * - age: a record ranked more than `recordMaxAgeMs` from now is not used (time moves shared time across
 *   daylight-saving changes); nor one ranked for another version of her profile. Then the suggestions rank every
 *   mentor, as before the record existed, and store the result.
 *
 * Several processes: every write to a record is conditional on the `rev` it read and bumps it. A ranking reads the
 * record's rev BEFORE it reads the mentors, and the sweep writes (bumps) every record it visits after the change it
 * applies was made; so a ranking that read a mentor before her change either wrote before the sweep's visit (which
 * then applies the change) or fails its write and ranks again. A mentor's flag is cleared only if her
 * `matchVersion` is still the one applied. Applying a mentor twice gives the same record (idempotent).
 */

/** How many mentors a record keeps (suggestions show 5: the rest stand in for those who fill up meanwhile). */
export const candidateLimit = 20;
/** A record ranked further than this from `now` is not used (ranked again instead). */
export const recordMaxAgeMs = 24 * 60 * 60 * 1000;

/** A mentor with a free place (`freePlaces` is negative when she lowered her capacity below her mentees). */
export const withFreePlace = { freePlaces: { $gt: 0 } };
/**
 * What matching reads of a mentor profile: every field but her bio (it is not scored) and the timestamps. Named field
 * by field rather than as "all but": an exclusion has our FerretDB decode every field of each document, the bio
 * included, where naming them decodes only those (patch 0012); on MongoDB the two return the same.
 */
export const matchingProjection = {
  userId: 1,
  phase: 1,
  yearsAsHead: 1,
  schoolName: 1,
  country: 1,
  region: 1,
  timezone: 1,
  languages: 1,
  expertise: 1,
  capacity: 1,
  freePlaces: 1,
  placesHeldFor: 1,
  availability: 1,
  matchVersion: 1,
  candidatesStale: 1,
} as const;

/** The mentors with a free place, as matching reads them. */
export const mentorsWithFreePlace = () =>
  MentorProfileModel.find(withFreePlace, matchingProjection).lean<MentorProfile[]>();

type Rankable = { score: number; overlapMinutesPerWeek: number; profileId: string };
/** Best first: the higher score, then more shared time, then the older profile (a stable order). */
export const byRank = (a: Rankable, b: Rankable): number =>
  b.score - a.score || b.overlapMinutesPerWeek - a.overlapMinutesPerWeek || a.profileId.localeCompare(b.profileId);
const rankKey = (c: MentorCandidate): Rankable => ({
  score: c.score,
  overlapMinutesPerWeek: c.overlapMinutesPerWeek,
  profileId: String(c.profileId),
});

export type RankedMentor = { profile: MentorProfile; pair: PairScore };

/** The mentors whom the hard rules allow for her, scored by scorePair at `now` (numbers only), best first. */
export function rankMentors(props: {
  mentee: MenteeForMatching;
  menteeIntervals: readonly Interval[];
  mentors: readonly MentorProfile[];
  now: Date;
}): RankedMentor[] {
  const { mentee, menteeIntervals, now } = props;
  return props.mentors
    .map((profile) => ({
      profile,
      pair: scorePair({ mentor: mentorForMatching(profile), mentee, menteeIntervals, now, describe: false }),
    }))
    .filter((r) => r.pair.eligible)
    .sort((a, b) =>
      byRank({ ...a.pair, profileId: String(a.profile._id) }, { ...b.pair, profileId: String(b.profile._id) }),
    );
}

/** The full computation: every mentor with a free place, ranked for her. */
export async function rankAllMentors(props: {
  mentee: MenteeForMatching;
  menteeIntervals: readonly Interval[];
  now: Date;
}): Promise<RankedMentor[]> {
  return rankMentors({ ...props, mentors: await mentorsWithFreePlace() });
}

const candidateOf = (r: RankedMentor): MentorCandidate => ({
  mentorId: r.profile.userId,
  profileId: r.profile._id,
  score: r.pair.score,
  overlapMinutesPerWeek: r.pair.overlapMinutesPerWeek,
});

/** Whether her record may narrow her suggestions at `now`. */
export function recordIsUsable(record: MentorCandidates, profile: MenteeProfile, now: Date): boolean {
  return (
    record.menteeVersion === (profile.matchVersion ?? 0) &&
    record.computedAt != null &&
    Math.abs(now.getTime() - record.computedAt.getTime()) <= recordMaxAgeMs
  );
}

/**
 * Her record's rev, creating an empty (unusable) record first when she has none, so that a sweep running while she is
 * ranked finds it and bumps it (see the module comment). Call before reading the mentors.
 */
export async function candidatesRevision(menteeId: Types.ObjectId): Promise<number> {
  const upsert = () =>
    MentorCandidatesModel.findOneAndUpdate(
      { menteeId },
      { $setOnInsert: { rev: 0, menteeVersion: -1, computedAt: null, candidates: [], complete: false } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
  // Two first upserts at once: the unique index lets one insert; the other then finds it.
  const record = await upsert().catch(upsert);
  return record!.rev;
}

/**
 * Stores a full ranking for her, if her record is still at `rev` and not ranked for a newer profile. Answers whether
 * it was stored (false: someone else wrote meanwhile; rank again or leave it to them).
 */
export async function storeRanking(props: {
  menteeId: Types.ObjectId;
  rev: number;
  menteeVersion: number;
  ranked: readonly RankedMentor[];
  now: Date;
}): Promise<boolean> {
  const result = await MentorCandidatesModel.updateOne(
    { menteeId: props.menteeId, rev: props.rev, menteeVersion: { $lte: props.menteeVersion } },
    {
      $set: {
        menteeVersion: props.menteeVersion,
        computedAt: props.now,
        candidates: props.ranked.slice(0, candidateLimit).map(candidateOf),
        complete: props.ranked.length <= candidateLimit,
      },
      $inc: { rev: 1 },
    },
  );
  return result.modifiedCount === 1;
}

/**
 * Ranks every mentor for her and stores it (after her own save). Retries when another writer got in between, so the
 * record ends ranked for her latest profile; answers false if it could not store after five tries (the record then
 * stays unusable for this profile version, and her next suggestions rank in full).
 */
export async function refreshMenteeCandidates(props: { userId: string; now?: Date }): Promise<boolean> {
  const now = props.now ?? new Date();
  const menteeId = new Types.ObjectId(props.userId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const rev = await candidatesRevision(menteeId);
    const profile = await MenteeProfileModel.findOne({ userId: menteeId }).lean<MenteeProfile>();
    if (!profile) return false;
    const mentee = menteeForMatching(profile);
    const ranked = await rankAllMentors({ mentee, menteeIntervals: intervalsInComingWeek({ ...mentee, now }), now });
    if (await storeRanking({ menteeId, rev, menteeVersion: profile.matchVersion ?? 0, ranked, now })) return true;
  }
  return false;
}

/**
 * One mentor applied to a record's ranking (pure). `candidate` is her ranking for this mentee now, or null when the
 * hard rules exclude her or her profile is gone. Without her, the list is still exactly the best of the others; she
 * goes in only where her place is known: above its last entry, or anywhere when the list holds every eligible mentor.
 */
export function withMentorApplied(props: {
  candidates: readonly MentorCandidate[];
  complete: boolean;
  mentorId: Types.ObjectId;
  candidate: MentorCandidate | null;
}): { candidates: MentorCandidate[]; complete: boolean } {
  const rest = props.candidates.filter((c) => String(c.mentorId) !== String(props.mentorId));
  const { candidate, complete } = props;
  if (!candidate) return { candidates: rest, complete };
  const last = rest[rest.length - 1];
  if (!complete && (!last || byRank(rankKey(candidate), rankKey(last)) > 0)) return { candidates: rest, complete };
  const merged = [...rest, candidate].sort((a, b) => byRank(rankKey(a), rankKey(b)));
  return { candidates: merged.slice(0, candidateLimit), complete: complete && merged.length <= candidateLimit };
}

const sameCandidates = (a: readonly MentorCandidate[], b: readonly MentorCandidate[]) =>
  a.length === b.length &&
  a.every(
    (c, i) =>
      String(c.mentorId) === String(b[i]!.mentorId) &&
      c.score === b[i]!.score &&
      c.overlapMinutesPerWeek === b[i]!.overlapMinutesPerWeek,
  );

/**
 * Applies the given mentors (profile ids) to the records of these mentees, reading the records first and the mentors
 * after. Every record is written (rev bumped) even when nothing changes, so that a ranking that read the mentors
 * before their change fails its conditional write. Answers the mentee ids whose write lost a race (to do again).
 */
async function applyMentorsToRecords(props: {
  menteeIds: readonly Types.ObjectId[];
  mentorIds: readonly Types.ObjectId[];
  now: Date;
}): Promise<{ retry: Types.ObjectId[]; changed: number }> {
  const { now } = props;
  const records = await MentorCandidatesModel.find({ menteeId: { $in: props.menteeIds } }).lean<MentorCandidates[]>();
  const profiles = await MenteeProfileModel.find(
    { userId: { $in: records.map((r) => r.menteeId) } },
    { createdAt: 0, updatedAt: 0 },
  ).lean<MenteeProfile[]>();
  const mentors = await MentorProfileModel.find({ _id: { $in: props.mentorIds } }, matchingProjection).lean<
    MentorProfile[]
  >();
  const present = new Map(mentors.map((m) => [String(m._id), m]));
  const mentorIntervals = new Map(
    mentors.map((m) => [String(m._id), intervalsInComingWeek({ ...mentorForMatching(m), now })]),
  );
  const profileOf = new Map(profiles.map((p) => [String(p.userId), p]));
  let changed = 0;
  const ops = records.map((record) => {
    let next = { candidates: record.candidates, complete: record.complete };
    const profile = profileOf.get(String(record.menteeId));
    // A record ranked for another version of her profile is not used; her own save ranks it again.
    if (profile && (profile.matchVersion ?? 0) === record.menteeVersion) {
      const mentee = menteeForMatching(profile);
      const menteeIntervals = intervalsInComingWeek({ ...mentee, now });
      for (const mentorId of props.mentorIds) {
        const m = present.get(String(mentorId));
        const pair = m
          ? scorePair({
              mentor: mentorForMatching(m),
              mentee,
              now,
              menteeIntervals,
              mentorIntervals: mentorIntervals.get(String(mentorId)),
              describe: false,
            })
          : undefined;
        const userId = m?.userId ?? record.candidates.find((c) => String(c.profileId) === String(mentorId))?.mentorId;
        if (!userId) continue; // a profile gone before she was ever ranked here
        next = withMentorApplied({
          ...next,
          mentorId: userId,
          candidate: m && pair?.eligible ? candidateOf({ profile: m, pair }) : null,
        });
      }
    }
    if (!sameCandidates(next.candidates, record.candidates)) changed++;
    return {
      updateOne: {
        filter: { _id: record._id, rev: record.rev },
        update: { $set: { candidates: next.candidates, complete: next.complete }, $inc: { rev: 1 } },
      },
    };
  });
  if (!ops.length) return { retry: [], changed };
  const result = await MentorCandidatesModel.bulkWrite(ops, { ordered: false });
  if (result.matchedCount === ops.length) return { retry: [], changed };
  // Some record was written in between: find which (a rev other than ours + 1) and apply again to those.
  const after = await MentorCandidatesModel.find(
    { _id: { $in: records.map((r) => r._id) } },
    { menteeId: 1, rev: 1 },
  ).lean();
  const expected = new Map(records.map((r) => [String(r._id), r.rev + 1]));
  return { retry: after.filter((r) => r.rev !== expected.get(String(r._id))).map((r) => r.menteeId), changed };
}

/**
 * The sweep (job `mentoring:refresh-candidates`): applies every mentor whose change is not yet in the records to
 * every record, then clears each mentor's flag if her matchVersion did not move meanwhile. Idempotent; safe to run
 * in several processes at once (each record write is conditional on its rev). Answers what it did.
 */
export async function refreshCandidatesOfChangedMentors(
  props: { now?: Date; batchSize?: number } = {},
): Promise<{ mentors: number; records: number; changed: number; complete: boolean }> {
  const now = props.now ?? new Date();
  const batchSize = props.batchSize ?? 500;
  const stale = await MentorProfileModel.find({ candidatesStale: true }, { matchVersion: 1 }).lean();
  if (!stale.length) return { mentors: 0, records: 0, changed: 0, complete: true };
  const mentorIds = stale.map((m) => m._id);
  let records = 0;
  let changed = 0;
  let complete = true;
  const applyTo = async (menteeIds: Types.ObjectId[]) => {
    let pending = menteeIds;
    for (let attempt = 0; attempt < 5 && pending.length; attempt++) {
      const done = await applyMentorsToRecords({ menteeIds: pending, mentorIds, now });
      changed += done.changed;
      pending = done.retry;
    }
    if (pending.length) complete = false;
    records += menteeIds.length;
  };
  let batch: Types.ObjectId[] = [];
  for await (const r of MentorCandidatesModel.find({}, { menteeId: 1 }).lean().cursor({ batchSize })) {
    batch.push(r.menteeId);
    if (batch.length >= batchSize) {
      await applyTo(batch);
      batch = [];
    }
  }
  if (batch.length) await applyTo(batch);
  // A record that kept losing races keeps the mentors flagged: the next sweep applies them again.
  if (complete)
    for (const m of stale)
      await MentorProfileModel.updateOne(
        { _id: m._id, matchVersion: m.matchVersion ?? 0 },
        { $set: { candidatesStale: false } },
      );
  return { mentors: stale.length, records, changed, complete };
}
