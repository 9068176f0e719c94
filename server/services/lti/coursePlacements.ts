import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { LtiCoursePlacementModel } from '../../../models/LtiCoursePlacement.ts';
import { isDuplicateKeyError } from '../../db.ts';

/** The LMS course a launch or deep-linking request came from (LTI context; its id is unique within a deployment). */
export type Course = { platformId: Types.ObjectId; deploymentId: string; contextId: string; contextTitle?: string };

/**
 * Places cohorts in a course (deep linking, by someone who runs them): from now on a launch from this course that
 * names one of them is honoured. Placing again is harmless: the unique index keeps one document per course and
 * cohort, and of two placements at once the second finds the first.
 */
export async function placeCohortsInCourse(props: { course: Course; cohortIds: string[]; placedBy: string }) {
  const { platformId, deploymentId, contextId, contextTitle } = props.course;
  for (const cohortId of props.cohortIds) {
    try {
      await LtiCoursePlacementModel.updateOne(
        { platformId, deploymentId, contextId, cohortId: new Types.ObjectId(cohortId) },
        {
          $set: { contextTitle },
          $setOnInsert: { placedBy: new Types.ObjectId(props.placedBy) },
        },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}

/**
 * The cohort a launch names, if it was placed in the course the launch comes from (and still exists); otherwise
 * none. The custom parameter alone proves nothing: an instructor of any course on a registered platform can type any
 * cohort's id into it, and would otherwise enrol her learners in it or become its facilitator.
 */
export async function placedCohort(props: {
  course: Partial<Course>;
  cohortId: string | undefined;
}): Promise<Types.ObjectId | undefined> {
  const { platformId, deploymentId, contextId } = props.course;
  if (!props.cohortId || !platformId || !deploymentId || !contextId) return undefined;
  const cohortId = new Types.ObjectId(props.cohortId);
  const [placement, cohort] = await Promise.all([
    LtiCoursePlacementModel.exists({ platformId, deploymentId, contextId, cohortId }),
    CohortModel.exists({ _id: cohortId }),
  ]);
  return placement && cohort ? cohortId : undefined;
}

/** The cohorts placed in a course (and still existing; of one programme, if named), in the order they were placed. */
export async function cohortsPlacedIn(course: Partial<Course>, programmeId?: string): Promise<Types.ObjectId[]> {
  const { platformId, deploymentId, contextId } = course;
  if (!platformId || !deploymentId || !contextId) return [];
  const placements = await LtiCoursePlacementModel.find({ platformId, deploymentId, contextId }, { cohortId: 1 })
    .sort({ createdAt: 1 })
    .lean();
  const ids = placements.map((p) => p.cohortId);
  const existing = new Set(
    (
      await CohortModel.find(
        { _id: { $in: ids }, ...(programmeId ? { programmeId: new Types.ObjectId(programmeId) } : {}) },
        { _id: 1 },
      ).lean()
    ).map((c) => String(c._id)),
  );
  return ids.filter((id) => existing.has(String(id)));
}

/** The courses a cohort is placed in, most recent first (the cohort's LMS page). */
export async function coursesOfCohort(cohortId: string) {
  return LtiCoursePlacementModel.find({ cohortId: new Types.ObjectId(cohortId) })
    .sort({ createdAt: -1 })
    .lean();
}
