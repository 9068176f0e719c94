import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose, { Types, type Model } from 'mongoose';
import { CohortModel } from '../models/Cohort.ts';
import { CohortSessionModel } from '../models/CohortSession.ts';
import { CompletionModel } from '../models/Completion.ts';
import { EnrolmentModel } from '../models/Enrolment.ts';
import { ModuleModel } from '../models/Module.ts';
import { ProgrammeModel, tracks } from '../models/Programme.ts';
import { SeatModel } from '../models/Seat.ts';
import { UserModel } from '../models/User.ts';
import { connectDatabase, createCollectionAndIndexes } from '../server/db.ts';
import { hashPassword } from '../server/services/passwords.ts';
import { refreshAllCohortFigures } from '../server/services/research/cohortFigures.ts';
import { showAllLeads } from '../server/services/networks/leadsShown.ts';
import { directoryFollowsAllMemberships } from '../server/services/directory/profileNetworks.ts';
import { markProfilesInBlocks } from '../server/services/directory/blocks.ts';
import { showAllOutlines } from '../server/services/learning/outline.ts';
import { showAllProgress } from '../server/services/learning/enrolmentProgress.ts';
import { showAllRegisters } from '../server/services/cohorts/sessionRegisters.ts';
import { newSubmissionKey, submissionKeyField } from '../server/submissions.ts';
import { seedAreas } from './seedAreas.ts';

/**
 * Seeds a bench database at a given scale (number of participants), fast: every collection is written with
 * insertMany in batches (no per-document hooks), everyone shares one precomputed argon2 hash, and ids are made
 * here so related records need no read-back. Per-person and per-cohort sizes do not depend on the scale (a
 * cohort holds ~67 people, a participant ~15 completions); only the number of people, cohorts and signatures
 * grows. That is what makes "p50 grows at most 1.3x when the data grows 10x" a test of indexes and query shape.
 *
 * Counts at the default scale (10,000 participants): 100 facilitators, 300 cohorts (half finished, half running)
 * of 3 programmes x 10 modules, 20,000 enrolments and seats (each participant finished one programme and is in
 * the middle of another), ~150,000 completions, 3,000 sessions, ~60,000 attendance records, 20,000 pledge
 * signatures (the last two once their models exist: see bench/seedAreas.ts).
 */
export const benchPassword = 'bench-Leading-Women-2026';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const day = 24 * 60 * 60 * 1000;

export type BenchData = {
  scale: number;
  password: string;
  now: Date;
  /** Signs in as: a participant of the bench cohort with one finished and one running enrolment. */
  participantEmail: string;
  /** Runs the bench cohort (and two more). */
  facilitatorEmail: string;
  adminEmail: string;
  /** A running cohort of exactly 30 active participants, with sessions before and after now. */
  benchCohortId: string;
  benchParticipantIds: string[];
  /** The bench cohort's latest session that has started (its register is the register scenario's page). */
  benchSessionId: string;
  /** Its next session, not yet started (an empty register). */
  upcomingSessionId: string;
  programmeIds: string[];
  counts: Record<string, number>;
  /** Filled by area seeders (bench/seedAreas.ts), for their scenarios. */
  extra: Record<string, unknown>;
};

/** Internal view of what was inserted, handed to the area seeders so they can build on it. */
export type SeedPlan = {
  scale: number;
  now: Date;
  users: { _id: Types.ObjectId; name: string; email: string; timezone: string }[];
  participants: Types.ObjectId[];
  facilitators: Types.ObjectId[];
  cohorts: {
    _id: Types.ObjectId;
    programmeId: Types.ObjectId;
    facilitatorIds: Types.ObjectId[];
    members: Types.ObjectId[];
    enrolledAt: Date;
    running: boolean;
  }[];
  sessions: { _id: Types.ObjectId; cohortId: Types.ObjectId; startsAt: Date }[];
  benchCohortId: Types.ObjectId;
  adminId: Types.ObjectId;
  insert: typeof insertAll;
  counts: Record<string, number>;
  extra: Record<string, unknown>;
};

const zones = [
  'Europe/London',
  'Europe/London',
  'Europe/London',
  'Europe/Dublin',
  'America/Toronto',
  'Europe/Paris',
  'Australia/Sydney',
];
const firstNames = [
  'Ada',
  'Grace',
  'Mary',
  'Amina',
  'Chloe',
  'Priya',
  'Siobhan',
  'Fatima',
  'Hannah',
  'Olu',
  'Mei',
  'Rosa',
  'Zainab',
  'Kate',
  'Niamh',
  'Leah',
];
const lastNames = [
  'Okafor',
  'Smith',
  'Khan',
  'Jones',
  "O'Neill",
  'Williams',
  'Patel',
  'Brown',
  'Nowak',
  'Taylor',
  'Ahmed',
  'Evans',
  'Murphy',
  'Chen',
];
const completionPattern = [
  'view',
  'view',
  'reflection',
  'quiz',
  'view',
  'reflection',
  'view',
  'quiz',
  'view',
  'reflection',
] as const;
const modulesPerProgramme = completionPattern.length;
const sessionsPerCohort = 10;

/** Any model, whatever its schema (the bench writes plain documents). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a model of any schema
export type AnyModel = Model<any>;

/** Writes documents in batches, straight to the collection (lean: no hydration, no hooks), unordered. */
export async function insertAll(model: AnyModel, docs: object[], batchSize = 2_000): Promise<number> {
  if (docs.length === 0) return 0;
  // Validate one document against the schema, so a bench built against an old model fails loudly, not the app.
  await new model(docs[0]).validate();
  // Written last first: the bench's own people, cohort and session come first in every list here and so end up last
  // on disk, where a filter FerretDB cannot answer from an index (it scans in insertion order and a findOne stops at
  // the first match) costs the most. The bench measures the worst case, not the luckiest.
  // Lean inserts skip schema defaults: a model with a unique submission key (server/submissions.ts) gets each row its
  // own, as the app's inserts do (on MongoDB, rows without one would all index as null and collide).
  const keyed = model.schema.path(submissionKeyField)
    ? docs.map((d) => (submissionKeyField in d ? d : { ...d, [submissionKeyField]: newSubmissionKey() }))
    : docs;
  const ordered = [...keyed].reverse();
  for (let i = 0; i < ordered.length; i += batchSize) {
    await model.insertMany(ordered.slice(i, i + batchSize), { ordered: false, lean: true });
  }
  return docs.length;
}

/** Loads every model file, so the seed can build every collection's indexes once the data is in. */
async function loadAllModels(): Promise<void> {
  for (const file of readdirSync(path.join(root, 'models')).filter((f) => f.endsWith('.ts'))) {
    await import(path.join(root, 'models', file));
  }
}

const markdownBody = (title: string) =>
  `# ${title}\n\n${'Headship is a role that many capable women never apply for. '.repeat(6)}\n\n` +
  `## Why it matters\n\n${'Boards that recruit with a prepared panel appoint more fairly. '.repeat(8)}\n\n` +
  `- Read the case study\n- Note two things you would do differently\n- Talk them through with your mentor\n\n` +
  `> ${'Leadership is learned, and it can be taught. '.repeat(3)}\n`;

export async function seedBenchDatabase(props: {
  uri: string;
  scale: number;
  now?: Date;
  log?: (line: string) => void;
}): Promise<BenchData> {
  const { scale } = props;
  const now = props.now ?? new Date();
  const log = props.log ?? (() => {});
  const started = Date.now();
  await loadAllModels();
  await connectDatabase(props.uri);
  try {
    if (
      (await UserModel.estimatedDocumentCount()) > 0 &&
      !(await UserModel.exists({ email: /@bench\.pathways\.test$/ }))
    ) {
      throw new Error(
        'The target database already holds data the bench did not write; point BENCH_MONGODB_URI at an empty server.',
      );
    }
    await mongoose.connection.db!.dropDatabase();
    const stamp = { createdAt: now, updatedAt: now };
    const counts: Record<string, number> = {};

    // People.
    const passwordHash = await hashPassword(benchPassword);
    const facilitatorCount = Math.max(3, Math.round(scale / 100));
    const users: SeedPlan['users'] = [];
    const userDocs: object[] = [];
    const addUser = (email: string, roles: string[], i: number) => {
      const _id = new Types.ObjectId();
      const name = `${firstNames[i % firstNames.length]} ${lastNames[(i * 7) % lastNames.length]}-${i}`;
      const timezone = zones[i % zones.length]!;
      users.push({ _id, name, email, timezone });
      userDocs.push({
        _id,
        email,
        name,
        roles,
        timezone,
        passwordHash,
        status: 'active',
        mutedKinds: [],
        emailDigest: 'single',
        digestWeekday: 1,
        ...stamp,
      });
      return _id;
    };
    const adminId = addUser('admin@bench.pathways.test', ['admin'], 0);
    const facilitators = Array.from({ length: facilitatorCount }, (_, i) =>
      addUser(`facilitator${i}@bench.pathways.test`, ['facilitator'], i),
    );
    const participants = Array.from({ length: scale }, (_, i) =>
      addUser(`participant${i}@bench.pathways.test`, ['participant'], i),
    );
    counts.users = await insertAll(UserModel, userDocs);

    // Programmes and modules: one programme per track, ten modules each, some with prerequisites.
    const programmes = tracks.map((track, p) => ({
      _id: new Types.ObjectId(),
      title: `${['Governing for fair headteacher recruitment', 'Aspiring to headship', 'New headteacher: the first two years'][p]} (bench)`,
      track,
      summary: 'A programme of the Leading Women to Headship framework.',
      status: 'published',
      certificateValidityMonths: track === 'governing-board' ? 36 : null,
      ...stamp,
    }));
    counts.programmes = await insertAll(ProgrammeModel, programmes);
    const modulesByProgramme = new Map<string, Types.ObjectId[]>();
    const moduleDocs: object[] = [];
    for (const programme of programmes) {
      const ids: Types.ObjectId[] = [];
      completionPattern.forEach((type, position) => {
        const _id = new Types.ObjectId();
        const title = `Module ${position + 1}: ${['Knowing the role', 'Bias in selection', 'Your leadership story', 'Check your understanding', 'Building a panel', 'Flexible headship', 'Governance basics', 'Recruitment law', 'Mentoring', 'Next steps'][position]}`;
        const completion =
          type === 'quiz'
            ? {
                type,
                passMark: 70,
                questions: [0, 1, 2, 3].map((q) => ({
                  prompt: `Question ${q + 1}?`,
                  choices: ['One', 'Two', 'Three'],
                  correct: [q % 3],
                })),
              }
            : { type };
        const prerequisites = type === 'quiz' || position === modulesPerProgramme - 1 ? [ids[position - 1]!] : [];
        moduleDocs.push({
          _id,
          programmeId: programme._id,
          title,
          body: markdownBody(title),
          estimatedMinutes: 20 + position * 5,
          resources: [{ title: 'Reading', url: 'https://example.org/reading' }],
          prerequisites,
          completion,
          position,
          archived: false,
          ...stamp,
        });
        ids.push(_id);
      });
      modulesByProgramme.set(String(programme._id), ids);
    }
    counts.modules = await insertAll(ModuleModel, moduleDocs);

    // Cohorts: the first half running now, the second half finished last year. 3 cohorts per facilitator.
    const cohortCount = Math.max(4, Math.round(scale * 0.03)) & ~1;
    const half = cohortCount / 2;
    const cohorts: SeedPlan['cohorts'] = [];
    const cohortDocs: object[] = [];
    for (let c = 0; c < cohortCount; c++) {
      const running = c < half;
      const programme = programmes[c % programmes.length]!;
      const start = new Date(now.getTime() - (running ? 60 + (c % 20) : 420 + (c % 60)) * day);
      const end = new Date(start.getTime() + 180 * day);
      const facilitatorIds = [
        facilitators[c % facilitatorCount]!,
        ...(c % 4 === 3 ? [facilitators[(c + 1) % facilitatorCount]!] : []),
      ];
      const _id = new Types.ObjectId();
      const moduleIds = modulesByProgramme.get(String(programme._id))!;
      cohorts.push({
        _id,
        programmeId: programme._id,
        facilitatorIds,
        members: [],
        enrolledAt: new Date(start.getTime() - 14 * day),
        running,
      });
      cohortDocs.push({
        _id,
        programmeId: programme._id,
        name: `${running ? 'Spring' : 'Autumn'} ${start.getUTCFullYear()} cohort ${c + 1}`,
        capacity: 80,
        timezone: zones[c % zones.length]!,
        startsOn: start.toISOString().slice(0, 10),
        endsOn: end.toISOString().slice(0, 10),
        facilitatorIds,
        selfEnrolment: c % 5 === 0,
        selfPaced: false,
        moduleDueDates: moduleIds.map((moduleId, k) => ({
          moduleId,
          dueOn: new Date(start.getTime() + (k + 1) * 16 * day).toISOString().slice(0, 10),
        })),
        attendanceThreshold: 75,
        lateAfterMinutes: 10,
        reminderOffsetsMinutes: [1440, 60],
        ...stamp,
      });
    }
    counts.cohorts = await insertAll(CohortModel, cohortDocs);

    // Enrolments: cohort 0 (the bench cohort, run by facilitator0) gets exactly 30 participants; everyone is in
    // one running cohort and one finished cohort of a different programme.
    const runningIndex = (i: number) => (i < 30 ? 0 : 1 + ((i - 30) % (half - 1)));
    for (let i = 0; i < participants.length; i++) {
      const current = runningIndex(i);
      // The first finished cohort from i on whose programme differs (one enrolment, and one survey answer, per person
      // and programme: the unique indexes built after the load hold that).
      let past = half + (i % half);
      for (let k = 1; k < half && past % programmes.length === current % programmes.length; k++)
        past = half + ((i + k) % half);
      cohorts[current]!.members.push(participants[i]!);
      cohorts[past]!.members.push(participants[i]!);
    }
    const enrolmentDocs: object[] = [];
    const seatDocs: object[] = [];
    const nameOf = new Map(users.map((u) => [String(u._id), u.name]));
    for (const cohort of cohorts) {
      cohort.members.forEach((userId, n) => {
        enrolmentDocs.push({
          _id: new Types.ObjectId(),
          cohortId: cohort._id,
          userId,
          programmeId: cohort.programmeId,
          status: 'active',
          enrolledAt: cohort.enrolledAt,
          // Named as enrolling names her (server/services/cohorts/participantNames.ts); seeded accounts are at version 0.
          participantName: nameOf.get(String(userId)),
          participantNameVersion: 0,
          ...stamp,
        });
        seatDocs.push({ _id: new Types.ObjectId(), cohortId: cohort._id, number: n + 1, userId, ...stamp });
      });
    }
    counts.enrolments = await insertAll(EnrolmentModel, enrolmentDocs);
    counts.seats = await insertAll(SeatModel, seatDocs);

    // Completions: every module of the finished cohort, 0..10 (5 on average) of the running one.
    const completionDocs: object[] = [];
    const reflection = 'I will ask our board to train every panel member before the shortlisting meeting. '.repeat(3);
    for (const cohort of cohorts) {
      const moduleIds = modulesByProgramme.get(String(cohort.programmeId))!;
      cohort.members.forEach((userId, n) => {
        const done = cohort.running ? (n * 7 + 3) % (modulesPerProgramme + 1) : modulesPerProgramme;
        for (let k = 0; k < done; k++) {
          const type = completionPattern[k]!;
          completionDocs.push({
            _id: new Types.ObjectId(),
            userId,
            moduleId: moduleIds[k]!,
            cohortId: cohort._id,
            programmeId: cohort.programmeId,
            completedAt: new Date(cohort.enrolledAt.getTime() + (k + 1) * 12 * day + n * 60_000),
            ...(type === 'reflection' ? { reflection, reflectionShared: n % 2 === 0 } : {}),
            ...(type === 'quiz' ? { score: 70 + ((n * 13) % 31) } : {}),
            ...stamp,
          });
        }
      });
    }
    counts.completions = await insertAll(CompletionModel, completionDocs, 5_000);

    // Sessions: ten per cohort, fortnightly, at 16:00 UTC; a running cohort has had about half of them.
    const sessions: SeedPlan['sessions'] = [];
    const sessionDocs: object[] = [];
    for (const [c, cohort] of cohorts.entries()) {
      const start = new Date(`${(cohortDocs[c] as { startsOn: string }).startsOn}T16:00:00Z`);
      for (let k = 0; k < sessionsPerCohort; k++) {
        const _id = new Types.ObjectId();
        const startsAt = new Date(start.getTime() + k * 14 * day);
        sessions.push({ _id, cohortId: cohort._id, startsAt });
        sessionDocs.push({
          _id,
          cohortId: cohort._id,
          title: `Session ${k + 1}`,
          startsAt,
          durationMinutes: 90,
          mode: k % 3 === 0 ? 'in-person' : 'online',
          ...(k % 3 === 0
            ? { location: 'Leeds Civic Hall, Room 2' }
            : { joinUrl: 'https://meet.example.org/pathways' }),
          status: 'scheduled',
          sequence: 0,
          history: [],
          ...stamp,
        });
      }
    }
    counts.sessions = await insertAll(CohortSessionModel, sessionDocs);

    const benchCohort = cohorts[0]!;
    const benchSessions = sessions.filter((s) => s.cohortId.equals(benchCohort._id));
    const benchSession = benchSessions.filter((s) => s.startsAt <= now).at(-1)!;
    const upcomingSession = benchSessions.find((s) => s.startsAt > now)!;

    const plan: SeedPlan = {
      scale,
      now,
      users,
      participants,
      facilitators,
      cohorts,
      sessions,
      benchCohortId: benchCohort._id,
      adminId,
      insert: insertAll,
      counts,
      extra: {},
    };
    await seedAreas(plan, log);
    // Indexes are built after the bulk load, as mongorestore does: quicker than keeping them up to date row by row,
    // and the app under test then starts at once instead of building them.
    const indexing = Date.now();
    await Promise.all(Object.values(mongoose.connection.models).map(createCollectionAndIndexes));
    log(`built the indexes in ${((Date.now() - indexing) / 1000).toFixed(1)} s`);
    // What the app's jobs compute at start in production (the app under test runs none): the impact dashboard's
    // figures records. Left to the first request, their computation would run inside the warm-up and the measurement.
    const deriving = Date.now();
    await refreshAllCohortFigures();
    // And the networks' lists of leads (the job networks:repair-copies); the posts carry their authors' names as seeded.
    await showAllLeads();
    // And each directory profile's networks (the same job), the memberships being seeded without the app.
    await directoryFollowsAllMemberships();
    await markProfilesInBlocks();
    // And the programmes' outlines and each enrolment's progress (the job learning:repair-copies), the modules,
    // completions and certificates being seeded without the app.
    await showAllOutlines();
    await showAllProgress();
    // And each session's register (the job cohorts:repair-copies), the attendance records being seeded without the app.
    await showAllRegisters();
    log(
      `computed the research figures, networks' leads, profiles' networks, programmes' outlines, enrolments' progress and sessions' registers in ${((Date.now() - deriving) / 1000).toFixed(1)} s`,
    );

    log(
      `seeded ${Object.entries(counts)
        .map(([k, v]) => `${v.toLocaleString('en-GB')} ${k}`)
        .join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return {
      scale,
      password: benchPassword,
      now,
      participantEmail: 'participant0@bench.pathways.test',
      facilitatorEmail: 'facilitator0@bench.pathways.test',
      adminEmail: 'admin@bench.pathways.test',
      benchCohortId: String(benchCohort._id),
      benchParticipantIds: benchCohort.members.map(String),
      benchSessionId: String(benchSession._id),
      upcomingSessionId: String(upcomingSession._id),
      programmeIds: programmes.map((p) => String(p._id)),
      counts,
      extra: plan.extra,
    };
  } finally {
    await mongoose.disconnect();
  }
}
