import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { optimalAssignment } from './assignment.ts';
import { intervalsInComingWeek } from './availability.ts';
import { scorePair, type MenteeForMatching, type MentorForMatching } from './matching.ts';

/**
 * The assignment's arithmetic, apart from the database: every allowed pair scored by scorePair, then the optimal
 * matching (./assignment.ts). Plain data in and out, so that it can run on a worker thread: at 5,000 mentees and
 * 1,000 mentors it is millions of pair scores, tens of seconds of CPU that on the request's thread stopped every other
 * request of the process (`/healthz` included) for as long.
 */

export type AssignmentPreview = {
  items: { menteeId: string; mentorId: string; score: number }[];
  totalScore: number;
  unassigned: string[];
};

export type AssignmentInput = {
  /** Sorted by user id: the matching is the same however the profiles were read. */
  mentees: MenteeForMatching[];
  mentors: MentorForMatching[];
  /** `menteeId:mentorId` pairs never proposed (blocked, declined, or a request already waiting). */
  excludedPairs: Set<string>;
  /** Mentees no pair may be proposed for (her limit of waiting requests reached). */
  menteesWithNoPair: Set<string>;
  now: Date;
};

export function scoreAndAssign(input: AssignmentInput): AssignmentPreview {
  const { mentees, mentors, now } = input;
  const mentorIntervals = mentors.map((m) => intervalsInComingWeek({ ...m, now }));
  const pairs: { mentee: number; mentor: number; score: number }[] = [];
  mentees.forEach((mentee, i) => {
    if (input.menteesWithNoPair.has(mentee.userId)) return;
    const menteeIntervals = intervalsInComingWeek({ ...mentee, now });
    mentors.forEach((mentor, j) => {
      if (input.excludedPairs.has(`${mentee.userId}:${mentor.userId}`)) return;
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

/**
 * The worker's entry, beside the module the scoring runs in (`from`). Built (dist/server.js, which `npm start` runs),
 * the worker is a bundle of its own next to it, dist/assignmentWorker.js (package.json, "build"). From the TypeScript
 * source (`npm run dev`, the tests' own process) it is ./assignmentWorker.ts through tsx: a worker thread does not
 * inherit the process's loader, so a small module registers it first and then imports the worker.
 */
export function workerEntry(from: string = import.meta.url): URL {
  if (from.endsWith('.js')) return new URL('./assignmentWorker.js', from);
  const worker = new URL('./assignmentWorker.ts', from);
  // The package's ES module next to the CommonJS one `require.resolve` finds (a data: module resolves no package names).
  const tsxApi = createRequire(from)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const tsx = pathToFileURL(tsxApi).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(worker.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/**
 * scoreAndAssign on a worker thread (`entry`: the same code, loaded as the process was). The process goes on answering
 * requests meanwhile.
 */
export function scoreAndAssignOnWorker(input: AssignmentInput, entry: URL = workerEntry()): Promise<AssignmentPreview> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: input });
    let answered = false;
    worker.once('message', (preview: AssignmentPreview) => {
      answered = true;
      resolve(preview);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the assignment's worker stopped (exit code ${code}) without an answer`));
    });
  });
}
