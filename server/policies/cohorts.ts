import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import type { Track } from '../../models/Programme.ts';

/**
 * Who may do what with a cohort. Admins do everything; facilitators run the cohorts they are named on;
 * participants see the cohorts they are enrolled in (or may join) and only their own attendance.
 */
type Actor = Pick<Express.User, 'id' | 'roles'>;
type CohortLike = {
  facilitatorIds?: (Types.ObjectId | string)[] | null;
  selfEnrolment?: boolean | null;
  /** Its last day (YYYY-MM-DD) in its own zone. */
  endsOn?: string | null;
  timezone?: string | null;
};

/** Whether the cohort's last day has gone by in its own zone (one without an end never ends). */
export function hasEnded(cohort: CohortLike, now: Date): boolean {
  if (!cohort.endsOn) return false;
  const today = DateTime.fromJSDate(now, { zone: cohort.timezone ?? 'UTC' }).toISODate();
  return today !== null && today > cohort.endsOn;
}

export const isAdmin = (actor: Actor): boolean => actor.roles.includes('admin');

export const canCreateCohorts = (actor: Actor): boolean => isAdmin(actor);

/** Admin, or a facilitator named on this cohort: edit it, enrol people, schedule sessions, keep registers. */
export function canRunCohort(actor: Actor, cohort: CohortLike): boolean {
  if (isAdmin(actor)) return true;
  return actor.roles.includes('facilitator') && (cohort.facilitatorIds ?? []).some((id) => String(id) === actor.id);
}

/** Seeing the cohort's page: those who run it, its enrolled people (any status), and anyone when it is open to join. */
export function canViewCohort(actor: Actor, cohort: CohortLike, enrolled: boolean): boolean {
  return canRunCohort(actor, cohort) || enrolled || !!cohort.selfEnrolment;
}

/**
 * The way into its sessions (an online session's join link): those who run the cohort and those with an active place.
 * The waitlisted, the withdrawn and someone looking at a cohort open to join see its sessions' titles and times
 * (canViewCohort), not the link: it is for those expected there, as the calendar feed and check-in already have it.
 * @param enrolment her enrolment in the cohort, as it is now (null when she has none)
 */
export function canJoinSessions(
  actor: Actor,
  cohort: CohortLike,
  enrolment: { status: string } | null | undefined,
): boolean {
  return canRunCohort(actor, cohort) || enrolment?.status === 'active';
}

/**
 * Joining by herself, only while the cohort is open for self-enrolment: a participant joins any such cohort; a
 * governor joins one of a governing-board programme, the unconscious-bias training a board's interview panel
 * completes before it interviews (other tracks are professional development for participants).
 * @param track the track of the cohort's programme (null when it is unknown)
 */
export function canSelfEnrol(actor: Actor, cohort: CohortLike, track: Track | null, now = new Date()): boolean {
  // Ended, it is no longer open: she would join a cohort with nothing left to attend.
  if (!cohort.selfEnrolment || hasEnded(cohort, now)) return false;
  return mayBeEnrolled(actor.roles, track);
}

/**
 * Whom a cohort is for: participants, and governors in governing-board ones. Nobody else is enrolled, by herself or by
 * those who run it: a facilitator would otherwise turn any id the pool or directory lists into a name and email on her
 * class list, and enrol mentors, admins or a researcher (whose role stands alone) without their asking.
 */
export function mayBeEnrolled(roles: readonly string[], track: Track | null): boolean {
  if (roles.includes('researcher')) return false;
  return roles.includes('participant') || (roles.includes('governor') && track === 'governing-board');
}

/**
 * Enrolling or removing someone: those who run the cohort, or the person herself (joining only when canSelfEnrol).
 * @param track the track of the cohort's programme, for joining (see canSelfEnrol)
 */
export function canChangeEnrolment(
  actor: Actor,
  cohort: CohortLike,
  userId: string,
  change: 'enrol' | 'withdraw',
  track: Track | null,
): boolean {
  if (canRunCohort(actor, cohort)) return true;
  if (actor.id !== userId) return false;
  return change === 'withdraw' || canSelfEnrol(actor, cohort, track);
}

/** A person's attendance: those who run the cohort, and the person herself. */
export const canReadAttendanceOf = (actor: Actor, cohort: CohortLike, userId: string): boolean =>
  canRunCohort(actor, cohort) || actor.id === userId;
