import { randomUUID } from 'node:crypto';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel, defaultValidityMonths, type Track } from '../../models/Programme.ts';
import { emitDomainEvent } from '../../server/events.ts';
import { updateCohort } from '../../server/services/cohorts/index.ts';
import { outlineChanged } from '../../server/services/learning/outline.ts';
import { buildUser, type TestUser } from './factories.ts';

/** Learning test data, written straight to the models (the cohorts area owns enrolment; tests only need the records). */
export async function buildProgramme(
  overrides: Partial<{
    title: string;
    track: Track;
    status: 'draft' | 'published' | 'archived';
    certificateValidityMonths: number | null;
  }> = {},
) {
  const track = overrides.track ?? 'aspiring-leader';
  const p = await ProgrammeModel.create({
    title: overrides.title ?? `Programme ${randomUUID().slice(0, 6)}`,
    track,
    summary: 'A programme for tests.',
    status: overrides.status ?? 'published',
    certificateValidityMonths:
      overrides.certificateValidityMonths === undefined
        ? defaultValidityMonths[track]
        : overrides.certificateValidityMonths,
  });
  return { id: String(p._id), title: p.title, track };
}

type Rule =
  | { type: 'view' }
  | { type: 'reflection'; minWords?: number }
  | { type: 'quiz'; passMark: number; questions: { prompt: string; choices: string[]; correct: number[] }[] };
let position = 0;
export async function buildModule(
  programmeId: string,
  overrides: Partial<{
    title: string;
    body: string;
    completion: Rule;
    prerequisites: string[];
    archived: boolean;
  }> = {},
) {
  const m = await ModuleModel.create({
    programmeId,
    title: overrides.title ?? `Module ${randomUUID().slice(0, 6)}`,
    body: overrides.body ?? 'Some **text** to read.',
    estimatedMinutes: 10,
    prerequisites: overrides.prerequisites ?? [],
    completion: overrides.completion ?? { type: 'view' },
    position: ++position,
    archived: overrides.archived ?? false,
  } as Record<string, unknown>);
  // As the app does after each module change (services/learning/outline.ts).
  await outlineChanged(programmeId);
  return { id: String(m._id), title: m.title };
}

/** A two-question quiz: question 1 single choice (answer 1), question 2 multiple choice (answers 0 and 2); pass mark 100. */
export const sampleQuiz: Rule = {
  type: 'quiz',
  passMark: 100,
  questions: [
    { prompt: 'Which comes first?', choices: ['Candidates', 'Criteria', 'Coffee'], correct: [1] },
    {
      prompt: 'Which make an interview fair?',
      choices: ['Same questions', 'Chatting freely', 'Scoring against criteria'],
      correct: [0, 2],
    },
  ],
};

export async function buildCohort(
  programmeId: string,
  overrides: Partial<{ facilitatorIds: string[]; name: string }> = {},
) {
  const c = await CohortModel.create({
    programmeId,
    name: overrides.name ?? `Cohort ${randomUUID().slice(0, 6)}`,
    capacity: 30,
    timezone: 'Europe/London',
    startsOn: '2027-01-10',
    endsOn: '2027-07-10',
    facilitatorIds: overrides.facilitatorIds ?? [],
  });
  return { id: String(c._id), name: c.name };
}

/** An active enrolment, announced as the cohorts area does, so learning's progress records follow. */
export async function enrol(userId: string, cohortId: string, programmeId: string, enrolledAt = new Date()) {
  await EnrolmentModel.create({ userId, cohortId, programmeId, status: 'active', enrolledAt });
  await emitDomainEvent('enrolment.activated', { cohortId, userId, promotedFromWaitlist: false });
}

/**
 * An admin moves the cohort to another programme as its edit form does (the cohorts area's domain function, its other
 * settings as they are). Answers the admin.
 */
export async function moveCohort(cohortId: string, programmeId: string): Promise<TestUser> {
  const admin = await buildUser({ roles: ['admin'] });
  const { name, capacity, timezone, startsOn, endsOn, facilitatorIds } = (await CohortModel.findById(cohortId).lean())!;
  await updateCohort({
    actor: admin,
    cohortId,
    input: { programmeId, name, capacity, timezone, startsOn, endsOn, facilitatorIds: facilitatorIds.map(String) },
  });
  return admin;
}
