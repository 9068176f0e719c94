import { Types } from 'mongoose';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { hasRole } from '../auth.ts';
import { canRunCohort } from './cohorts.ts';

/**
 * Who may do what in learning. Admins author everything; a facilitator authors the modules of a programme
 * one of whose cohorts she facilitates, and sees the progress of the cohorts she facilitates. Reflections are
 * private to their author unless she shares them with her cohort's facilitators (admins included in "not").
 */
export const canCreateProgrammes = (actor: Express.User): boolean => hasRole(actor, 'admin');
export const canEditProgrammeSettings = (actor: Express.User): boolean => hasRole(actor, 'admin');

/** True when the user facilitates at least one cohort of the programme. */
export async function facilitatesProgramme(
  actor: Express.User,
  programmeId: Types.ObjectId | string,
): Promise<boolean> {
  if (!actor.roles.includes('facilitator')) return false;
  return !!(await CohortModel.exists({ programmeId, facilitatorIds: new Types.ObjectId(actor.id) }));
}

export async function canAuthorModules(actor: Express.User, programmeId: Types.ObjectId | string): Promise<boolean> {
  return hasRole(actor, 'admin') || (await facilitatesProgramme(actor, programmeId));
}

/** True when she holds a place (or a waitlist place) in a cohort of the programme: the cohort, not her enrolment, names the programme. */
export async function enrolledInProgramme(actor: Express.User, programmeId: Types.ObjectId | string): Promise<boolean> {
  const cohorts = await CohortModel.find({ programmeId }, { _id: 1 }).lean();
  if (!cohorts.length) return false;
  return !!(await EnrolmentModel.exists({
    userId: new Types.ObjectId(actor.id),
    cohortId: { $in: cohorts.map((c) => c._id) },
    status: { $in: ['active', 'waitlisted'] },
  }));
}

/**
 * Published programmes are seen by everyone signed in; drafts and archived ones by those who can author them and
 * by anyone enrolled in one of their cohorts (enrolling never waits for publishing).
 */
export async function canSeeProgramme(
  actor: Express.User,
  programme: { _id: Types.ObjectId; status: string },
): Promise<boolean> {
  return (
    programme.status === 'published' ||
    (await canAuthorModules(actor, programme._id)) ||
    (await enrolledInProgramme(actor, programme._id))
  );
}

/**
 * Those who run the cohort (canRunCohort): admins, and its named facilitators while they hold the facilitator role.
 * A person whose role an admin took away stays named on the cohorts she ran (given the role back, she runs them
 * again), but sees their people's progress no more than she keeps their registers.
 */
export const canSeeCohortProgress = (actor: Express.User, cohort: { facilitatorIds: Types.ObjectId[] }): boolean =>
  canRunCohort(actor, cohort);

/**
 * Who reads the reflections a cohort's participants share: its facilitators, to whom she shares them ("shared with
 * your cohort's facilitators"), while they run it. Not admins as such: an admin sees the cohort's progress, but what
 * a participant wrote about herself goes no further than she was told.
 */
export const readsSharedReflections = (actor: Express.User, cohort: { facilitatorIds: Types.ObjectId[] }): boolean =>
  canRunCohort(actor, cohort) && cohort.facilitatorIds.some((id) => String(id) === actor.id);

/** A reflection is read by its author, or by a facilitator of the cohort once she has shared it. */
export const canReadReflection = (
  actor: Express.User,
  completion: { userId: Types.ObjectId; reflectionShared?: boolean | null },
  cohort: { facilitatorIds: Types.ObjectId[] },
): boolean =>
  String(completion.userId) === actor.id || (!!completion.reflectionShared && readsSharedReflections(actor, cohort));

export const canDownloadCertificate = (actor: Express.User, certificate: { userId: Types.ObjectId }): boolean =>
  String(certificate.userId) === actor.id || hasRole(actor, 'admin');
