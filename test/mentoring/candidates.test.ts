import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { startJobs, stopJobs } from '../../jobs/index.ts';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { MentorCandidatesModel, type MentorCandidates } from '../../models/MentorCandidates.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import type { Window } from '../../server/services/mentoring/availability.ts';
import {
  candidateLimit,
  recordMaxAgeMs,
  refreshCandidatesOfChangedMentors,
  refreshMenteeCandidates,
} from '../../server/services/mentoring/candidates.ts';
import { saveMentorProfile, type MentorProfileInput } from '../../server/services/mentoring/profiles.ts';
import { mentorSuggestions } from '../../server/services/mentoring/suggestions.ts';
import type { Topic } from '../../server/vocabulary.ts';
import { topics } from '../../server/vocabulary.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildMentee, buildMentor } from '../support/mentoringFactories.ts';

/**
 * The derived record of each mentee's ranked candidates (server/services/mentoring/candidates.ts): what she is shown
 * through it must be what ranking every mentor would show, whatever changed and in whatever order.
 */

const places = [
  { country: 'GB', region: 'London', timezone: 'Europe/London' },
  { country: 'GB', region: 'Yorkshire', timezone: 'Europe/London' },
  { country: 'CA', region: 'Ontario', timezone: 'America/Toronto' },
  { country: 'AE', region: 'Dubai', timezone: 'Asia/Dubai' },
  { country: 'AU', region: 'New South Wales', timezone: 'Australia/Sydney' },
] as const;
const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const hour = (h: number) => `${String(h).padStart(2, '0')}:00`;
const windowsOf = (n: number): Window[] =>
  [0, 2, 4].map((d) => ({ day: days[(n + d) % 7]!, from: hour(6 + (n % 9)), to: hour(9 + (n % 9) + (n % 4)) }));
const topicsOf = (n: number, k: number): Topic[] =>
  [0, 1, 2].slice(0, k).map((i) => topics[(n * 5 + i * 3) % topics.length]!);

/** The n-th mentor of the seeded set: varied places, phases, windows and expertise (deterministic). */
const mentorProfile = (n: number): Partial<MentorProfileInput> => ({
  ...places[n % places.length]!,
  phase: (['primary', 'secondary', 'all-through'] as const)[n % 3],
  expertise: topicsOf(n, 1 + (n % 3)),
  languages: n % 4 === 0 ? ['English', 'French'] : ['English'],
  availability: windowsOf(n),
  capacity: 1 + (n % 2),
});

type Item = { mentorId: string; score: number; reasons: string[] };
const shown = async (userId: string) => (await mentorSuggestions({ userId })).items;
const inFull = async (userId: string) => (await mentorSuggestions({ userId, fullComputation: true })).items;
const recordOf = (userId: string) =>
  MentorCandidatesModel.findOne({ menteeId: new Types.ObjectId(userId) }).lean<MentorCandidates>();
const summary = (items: Item[]) => items.map((i) => `${i.mentorId} ${i.score} ${i.reasons.join(' / ')}`);

describe('mentoring: ranked candidates (the derived record behind suggestions)', () => {
  useTestDatabase();
  const mentors: string[] = [];
  const mentees: string[] = [];
  before(async function () {
    this.timeout(120_000);
    for (let n = 0; n < 45; n++) mentors.push((await buildMentor(mentorProfile(n))).id);
    await refreshCandidatesOfChangedMentors();
    for (let n = 0; n < 8; n++) {
      const place = places[(n * 3) % places.length]!;
      const mentee = await buildMentee({
        ...place,
        goals: topicsOf(n + 2, 2),
        phase: n % 2 ? 'primary' : 'secondary',
        // Half of them are free all day every day: more mentors fit them than a record keeps.
        availability: n % 2 ? windowsOf(n * 5 + 1) : days.map((day) => ({ day, from: '06:00', to: '22:00' })),
        preferences: { sameRegion: n % 3 === 0, language: n % 4 === 1 ? 'French' : '' },
      });
      mentees.push(mentee.id);
    }
  });

  it('on a seeded set, every mentee is shown exactly the top 5 of ranking every mentor, and her record is ready on save', async () => {
    for (const id of mentees) {
      const record = await recordOf(id);
      const profile = await MenteeProfileModel.findOne({ userId: id }).lean();
      expect(record!.menteeVersion).to.equal(profile!.matchVersion);
      expect(record!.candidates.length).to.be.at.most(candidateLimit);
      const items = await shown(id);
      expect(summary(items)).to.deep.equal(summary(await inFull(id)));
    }
    // The set is one where the record matters: some mentee has more eligible mentors than the record keeps.
    const lengths = await Promise.all(mentees.map(async (id) => (await recordOf(id))!.complete));
    expect(lengths).to.include(false);
  });

  it('a mentor who fills up disappears at once, before any refresh, and the answer still equals the full ranking', async () => {
    const mentee = mentees[0]!;
    const [first] = await shown(mentee);
    await MentorProfileModel.updateOne({ userId: first!.mentorId }, { $set: { freePlaces: 0 } });
    const items = await shown(mentee);
    expect(items.map((i) => i.mentorId)).not.to.include(first!.mentorId);
    expect(summary(items)).to.deep.equal(summary(await inFull(mentee)));
    // Still listed in her record: the live check alone keeps her out.
    expect((await recordOf(mentee))!.candidates.map((c) => String(c.mentorId))).to.include(first!.mentorId);
    await MentorProfileModel.updateOne({ userId: first!.mentorId }, { $set: { freePlaces: 1 } });
  });

  it('when more of her best candidates fill up than the first few read allow for, the rest of her record is read, and the answer still equals the full ranking', async () => {
    // A mentee whose record lists more mentors than are shown and read first (8 of up to 20).
    let mentee: string | undefined;
    for (const id of mentees) if ((await recordOf(id))!.candidates.length >= 12) mentee = id;
    expect(mentee, 'a mentee with at least 12 candidates').to.be.a('string');
    const listed = (await recordOf(mentee!))!.candidates.map((c) => String(c.mentorId));
    // Four of the first eight fill up: only four of those read first are still eligible, fewer than the five shown.
    const filled = [listed[0]!, listed[2]!, listed[4]!, listed[6]!];
    // Their places as they were, put back afterwards (capacities differ), so later tests find the set unchanged.
    const placesBefore = await MentorProfileModel.find({ userId: { $in: filled } }, { freePlaces: 1 }).lean();
    await MentorProfileModel.updateMany({ userId: { $in: filled } }, { $set: { freePlaces: 0 } });
    try {
      const rev = (await recordOf(mentee!))!.rev;
      const items = await shown(mentee!);
      // Answered from the record (read further), not by ranking every mentor again, which would store a new ranking.
      expect((await recordOf(mentee!))!.rev).to.equal(rev);
      expect(items).to.have.length(5);
      expect(items.map((i) => i.mentorId)).to.include.members([listed[8]!]);
      for (const id of filled) expect(items.map((i) => i.mentorId)).not.to.include(id);
      expect(summary(items)).to.deep.equal(summary(await inFull(mentee!)));
    } finally {
      for (const { _id, freePlaces } of placesBefore)
        await MentorProfileModel.updateOne({ _id }, { $set: { freePlaces } });
    }
  });

  it('a new mentor who fits best is shown at once, and after the refresh her record lists her', async () => {
    const mentee = mentees[1]!;
    const profile = (await MenteeProfileModel.findOne({ userId: mentee }).lean())!;
    const best = await buildMentor({
      country: profile.country,
      region: profile.region,
      timezone: profile.timezone,
      phase: profile.phase,
      expertise: profile.goals as Topic[],
      languages: ['English', 'French'],
      availability: profile.availability.map((w) => ({ day: w.day, from: w.from, to: w.to })) as Window[],
    });
    expect((await recordOf(mentee))!.candidates.map((c) => String(c.mentorId))).not.to.include(best.id);
    expect((await shown(mentee))[0]!.mentorId).to.equal(best.id);

    const sweep = await refreshCandidatesOfChangedMentors();
    expect(sweep).to.include({ mentors: 1, complete: true });
    expect(await MentorProfileModel.countDocuments({ candidatesStale: true })).to.equal(0);
    expect(String((await recordOf(mentee))!.candidates[0]!.mentorId)).to.equal(best.id);
    expect((await shown(mentee))[0]!.mentorId).to.equal(best.id);
    for (const id of mentees) expect(summary(await shown(id))).to.deep.equal(summary(await inFull(id)));
  });

  it('a changed mentor moves in every ranking after the refresh, and before it the answer is already current', async () => {
    const mentee = mentees[2]!;
    const [first] = await shown(mentee);
    const n = mentors.indexOf(first!.mentorId);
    // She now shares no goal and no time with anyone in the seeded set (Saturdays at night).
    await saveMentorProfile({
      userId: first!.mentorId,
      profile: {
        phase: 'special',
        yearsAsHead: 3,
        schoolName: `Changed School ${n}`,
        country: 'NZ',
        region: '',
        timezone: 'Pacific/Auckland',
        languages: ['Maori'],
        expertise: [],
        capacity: 2,
        availability: [{ day: 'sat', from: '01:00', to: '02:00' }],
        bio: '',
      },
    });
    for (const id of mentees) expect(summary(await shown(id))).to.deep.equal(summary(await inFull(id)));
    expect((await shown(mentee)).map((i) => i.mentorId)).not.to.include(first!.mentorId);
    await refreshCandidatesOfChangedMentors();
    for (const id of mentees) {
      const listed = (await recordOf(id))!.candidates.map((c) => String(c.mentorId));
      expect(listed).not.to.include(first!.mentorId);
      expect(summary(await shown(id))).to.deep.equal(summary(await inFull(id)));
    }
  });

  it('two refreshes of her record and two sweeps at once leave one consistent record, ranked for her latest profile', async () => {
    const mentee = mentees[3]!;
    // Something for the sweeps to do: two mentors change.
    await MentorProfileModel.updateMany(
      { userId: { $in: [mentors[5], mentors[6]].map((id) => new Types.ObjectId(id)) } },
      { $inc: { matchVersion: 1 }, $set: { candidatesStale: true, expertise: topicsOf(99, 3) } },
    );
    const before = (await recordOf(mentee))!.rev;
    const results = await Promise.all([
      refreshMenteeCandidates({ userId: mentee }),
      refreshMenteeCandidates({ userId: mentee }),
      refreshCandidatesOfChangedMentors(),
      refreshCandidatesOfChangedMentors(),
    ]);
    // Each retries when another write got in between; at least one stores (a refresh that gives up leaves the record
    // unusable for her profile version, never wrong).
    expect(results.slice(0, 2)).to.include(true);
    const record = (await recordOf(mentee))!;
    expect(record.rev).to.be.greaterThan(before);
    const profile = (await MenteeProfileModel.findOne({ userId: mentee }).lean())!;
    expect(record.menteeVersion).to.equal(profile.matchVersion);
    // One consistent record: what a fresh full ranking would store now.
    await refreshMenteeCandidates({ userId: mentee });
    const fresh = (await recordOf(mentee))!;
    expect(record.candidates.map((c) => [String(c.mentorId), c.score])).to.deep.equal(
      fresh.candidates.map((c) => [String(c.mentorId), c.score]),
    );
    if (await MentorProfileModel.countDocuments({ candidatesStale: true })) await refreshCandidatesOfChangedMentors();
    expect(await MentorProfileModel.countDocuments({ candidatesStale: true })).to.equal(0);
    for (const id of mentees) expect(summary(await shown(id))).to.deep.equal(summary(await inFull(id)));
  });

  it('a record ranked for an older profile, or a day away from now, is not used: she is ranked in full and it is stored again', async () => {
    const mentee = mentees[4]!;
    await MenteeProfileModel.updateOne(
      { userId: mentee },
      { $inc: { matchVersion: 1 }, $set: { goals: ['interviews'] } },
    );
    const items = await shown(mentee);
    expect(summary(items)).to.deep.equal(summary(await inFull(mentee)));
    const profile = (await MenteeProfileModel.findOne({ userId: mentee }).lean())!;
    expect((await recordOf(mentee))!.menteeVersion).to.equal(profile.matchVersion);

    const later = new Date(Date.now() + recordMaxAgeMs + 60_000);
    await mentorSuggestions({ userId: mentee, now: later });
    expect((await recordOf(mentee))!.computedAt!.getTime()).to.equal(later.getTime());
  });

  it('the mentoring:refresh-candidates job, run by the app, puts a new mentor into the records', async function () {
    this.timeout(60_000);
    const mentee = mentees[6]!;
    const profile = (await MenteeProfileModel.findOne({ userId: mentee }).lean())!;
    const newcomer = await buildMentor({
      ...places.find((p) => p.timezone === profile.timezone)!,
      phase: profile.phase,
      expertise: profile.goals as Topic[],
      availability: profile.availability.map((w) => ({ day: w.day, from: w.from, to: w.to })) as Window[],
    });
    const agenda = await startJobs({ processEvery: '1 second' });
    try {
      for (let i = 0; i < 100 && (await MentorProfileModel.countDocuments({ candidatesStale: true })); i++)
        await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await stopJobs(agenda);
      await mongoose.connection.db!.collection('jobs').deleteMany({});
    }
    expect(await MentorProfileModel.countDocuments({ candidatesStale: true })).to.equal(0);
    expect((await recordOf(mentee))!.candidates.map((c) => String(c.mentorId))).to.include(newcomer.id);
    expect(summary(await shown(mentee))).to.deep.equal(summary(await inFull(mentee)));
  });

  it('a mentee with no record yet (profiles from before the record existed) gets the full answer, and a record', async () => {
    const mentee = mentees[5]!;
    await MentorCandidatesModel.deleteOne({ menteeId: new Types.ObjectId(mentee) });
    expect(summary(await shown(mentee))).to.deep.equal(summary(await inFull(mentee)));
    expect(await recordOf(mentee)).to.not.equal(null);
  });
});
