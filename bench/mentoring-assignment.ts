import { performance } from 'node:perf_hooks';
import mongoose, { Types } from 'mongoose';
import { MenteeProfileModel } from '../models/MenteeProfile.ts';
import { MentorProfileModel } from '../models/MentorProfile.ts';
import { UserModel } from '../models/User.ts';
import { connectDatabase } from '../server/db.ts';
import { previewAssignment } from '../server/services/mentoring/assignmentPreview.ts';
import type { CustomBench, CustomBenchContext } from './custom.ts';
import { menteeProfileDoc, mentorProfileDoc } from './mentoringProfiles.ts';
import { insertAll } from './seed.ts';

/**
 * The admin's assignment (issue 12): 1,000 unmatched mentees to 300 mentors per 10,000 participants (--scale), timed
 * end to end as the preview endpoint runs it (read the profiles, score every pair with scorePair, min-cost max-flow).
 * `npm run bench -- --only mentoring-assignment [--scale N]`.
 */
export const bench: CustomBench = async (ctx: CustomBenchContext) => {
  const menteeCount = Math.max(10, Math.round(ctx.scale / 10));
  const mentorCount = Math.max(3, Math.round((ctx.scale * 3) / 100));
  const database = await ctx.startDatabase();
  try {
    await connectDatabase(database.uri, 'benchmentoring');
    await mongoose.connection.dropDatabase();
    await connectDatabase(database.uri, 'benchmentoring');
    ctx.log(`seeding ${menteeCount} mentees and ${mentorCount} mentors`);
    const user = (kind: string, n: number) => ({
      _id: new Types.ObjectId(),
      email: `${kind}${n}@bench.pathways.test`,
      name: `${kind} ${n}`,
      roles: [kind === 'mentor' ? 'mentor' : 'participant'],
      timezone: 'Europe/London',
      status: 'active',
    });
    const mentors = Array.from({ length: mentorCount }, (_, n) => user('mentor', n));
    const mentees = Array.from({ length: menteeCount }, (_, n) => user('mentee', n));
    await insertAll(UserModel, [...mentors, ...mentees]);
    await insertAll(
      MentorProfileModel,
      mentors.map((u, n) => mentorProfileDoc(u._id, n)),
    );
    await insertAll(
      MenteeProfileModel,
      mentees.map((u, n) => menteeProfileDoc(u._id, n)),
    );

    const now = new Date();
    const timings: number[] = [];
    let result: Awaited<ReturnType<typeof previewAssignment>> | undefined;
    for (let run = 0; run < 2; run++) {
      const started = performance.now();
      result = await previewAssignment({ now });
      timings.push(Math.round(performance.now() - started));
      ctx.log(`run ${run + 1}: ${timings.at(-1)} ms, ${result.items.length} matched, total score ${result.totalScore}`);
    }
    const freePlaces = (await MentorProfileModel.find({}, { freePlaces: 1 }).lean()).reduce(
      (s, m) => s + Math.max(0, m.freePlaces),
      0,
    );
    return {
      mentees: menteeCount,
      mentors: mentorCount,
      freePlaces,
      matched: result!.items.length,
      unassigned: result!.unassigned.length,
      totalScore: result!.totalScore,
      firstRunMs: timings[0]!,
      secondRunMs: timings[1]!,
    };
  } finally {
    await mongoose.disconnect();
    await database.stop();
  }
};
