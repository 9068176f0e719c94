import { Types } from 'mongoose';
import { MenteeProfileModel, type MenteeProfile } from '../../../models/MenteeProfile.ts';
import { MentorProfileModel, type MentorProfile } from '../../../models/MentorProfile.ts';
import { distinctChoices } from '../../choices.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError } from '../../errors.ts';
import type { Topic } from '../../vocabulary.ts';
import type { Window } from './availability.ts';
import { markProfilesInBlocks } from '../directory/blocks.ts';
import { refreshMenteeCandidates } from './candidates.ts';
import type { MenteeForMatching, MentorForMatching } from './matching.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/** Mentor and mentee profiles: one per user, saved whole (PUT), never carrying an email. */

export type MentorProfileInput = {
  phase: MentorProfile['phase'];
  yearsAsHead: number;
  schoolName: string;
  country: string;
  region: string;
  timezone: string;
  languages: string[];
  expertise: Topic[];
  capacity: number;
  availability: Window[];
  bio: string;
};
export type MenteeProfileInput = {
  goals: Topic[];
  phase: MenteeProfile['phase'];
  schoolName: string;
  country: string;
  region: string;
  timezone: string;
  languages: string[];
  availability: Window[];
  preferences: { sameRegion: boolean; language: string };
};

const messages = {
  raced: 'Your profile was changed somewhere else at the same moment. Please look at it and save again.',
};

/**
 * Saves her mentor profile. A capacity change moves `freePlaces` by the difference in the same single-document
 * update, conditional on the capacity read, so it never overwrites an accept or a close that happened in between.
 */
export async function saveMentorProfile(props: {
  /** The mentor herself. */
  userId: string;
  profile: MentorProfileInput;
}): Promise<{ id: string }> {
  const userId = new Types.ObjectId(props.userId);
  const { capacity, ...given } = props.profile;
  const rest = { ...given, languages: distinctChoices(given.languages), expertise: distinctChoices(given.expertise) };
  let current = await MentorProfileModel.findOne({ userId }, { capacity: 1 }).lean();
  if (!current) {
    try {
      const created = await MentorProfileModel.create({
        userId,
        ...rest,
        capacity,
        freePlaces: capacity,
        candidatesStale: true,
      });
      return { id: String(created._id) };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      current = await MentorProfileModel.findOne({ userId }, { capacity: 1 }).lean();
    }
  }
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const updated = await MentorProfileModel.findOneAndUpdate(
      { userId, capacity: current.capacity },
      // Any save may move her in mentees' rankings: marked for the sweep in the same write (./candidates.ts).
      {
        $set: { ...rest, capacity, candidatesStale: true },
        $inc: { freePlaces: capacity - current.capacity, matchVersion: 1 },
      },
      { returnDocument: 'after', runValidators: true },
    ).lean();
    if (updated) return { id: String(updated._id) };
    current = await MentorProfileModel.findOne({ userId }, { capacity: 1 }).lean();
  }
  throw new ConflictError(messages.raced);
}

/**
 * Saves her mentee profile (created on the first save), then ranks the mentors for her at once (her candidate record,
 * ./candidates.ts), so her suggestions page right after is quick; if that ranking loses a race, the page ranks.
 */
export async function saveMenteeProfile(props: {
  /** The mentee herself. */
  userId: string;
  profile: MenteeProfileInput;
  now?: Date;
}): Promise<{ id: string }> {
  const userId = new Types.ObjectId(props.userId);
  const profile = {
    ...props.profile,
    goals: distinctChoices(props.profile.goals),
    languages: distinctChoices(props.profile.languages),
  };
  const saved = await MenteeProfileModel.findOneAndUpdate(
    { userId },
    { $set: profile, $inc: { matchVersion: 1 } },
    { upsert: true, returnDocument: 'after', runValidators: true },
  )
    .lean()
    .catch(async (error: unknown) => {
      // Two first saves at once: the unique index let one insert win; the other is now an update.
      if (!isDuplicateKeyError(error)) throw error;
      return MenteeProfileModel.findOneAndUpdate(
        { userId },
        { $set: profile, $inc: { matchVersion: 1 } },
        { returnDocument: 'after' },
      ).lean();
    });
  // A new profile says whether any block names her (directory/blocks.ts: a block landing meanwhile marks her again).
  if (saved?.inBlocks == null) await markProfilesInBlocks(userId);
  await refreshMenteeCandidates({ userId: props.userId, now: props.now });
  return { id: String(saved!._id) };
}

export const mentorProfileOf = (userId: string) =>
  MentorProfileModel.findOne({ userId: new Types.ObjectId(userId) }).lean<MentorProfile>();
export const menteeProfileOf = (userId: string) =>
  readWithoutCursor(MenteeProfileModel.findOne({ userId: new Types.ObjectId(userId) }).lean<MenteeProfile>());

const windowsOf = (availability: readonly { day: string; from: string; to: string }[] | undefined): Window[] =>
  (availability ?? []).map((w) => ({ day: w.day as Window['day'], from: w.from, to: w.to }));

/** The API's view of a profile: no `_id`, no `__v`, and no email (the profile holds none). */
export function presentMentorProfile(p: MentorProfile) {
  return {
    id: String(p._id),
    userId: String(p.userId),
    phase: p.phase,
    yearsAsHead: p.yearsAsHead,
    schoolName: p.schoolName,
    country: p.country,
    region: p.region ?? '',
    timezone: p.timezone,
    languages: [...(p.languages ?? [])],
    expertise: [...(p.expertise ?? [])],
    capacity: p.capacity,
    // Stored, it may fall below 0 (capacity lowered below her current mentees: each closing moves it up by one, so
    // the places come back only once she has fewer mentees than places); shown, no place is free.
    freePlaces: Math.max(0, p.freePlaces),
    availability: windowsOf(p.availability),
    bio: p.bio ?? '',
  };
}
export function presentMenteeProfile(p: MenteeProfile) {
  return {
    id: String(p._id),
    userId: String(p.userId),
    goals: [...(p.goals ?? [])],
    phase: p.phase,
    schoolName: p.schoolName ?? '',
    country: p.country,
    region: p.region ?? '',
    timezone: p.timezone,
    languages: [...(p.languages ?? [])],
    availability: windowsOf(p.availability),
    preferences: { sameRegion: p.preferences?.sameRegion ?? false, language: p.preferences?.language ?? '' },
  };
}

/** The fields matching reads, from a stored profile. */
export const mentorForMatching = (p: MentorProfile): MentorForMatching => ({
  userId: String(p.userId),
  freePlaces: p.freePlaces,
  schoolName: p.schoolName,
  phase: p.phase,
  country: p.country,
  region: p.region ?? '',
  timezone: p.timezone,
  languages: p.languages ?? [],
  expertise: p.expertise ?? [],
  availability: windowsOf(p.availability),
});
export const menteeForMatching = (p: MenteeProfile): MenteeForMatching => ({
  userId: String(p.userId),
  schoolName: p.schoolName ?? '',
  phase: p.phase,
  country: p.country,
  region: p.region ?? '',
  timezone: p.timezone,
  languages: p.languages ?? [],
  goals: p.goals ?? [],
  availability: windowsOf(p.availability),
  preferences: p.preferences ?? {},
});
