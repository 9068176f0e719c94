import { MentorshipModel } from '../../../models/Mentorship.ts';
import { UserModel } from '../../../models/User.ts';
import { ConflictError, DomainError } from '../../errors.ts';
import { isObjectId, oid } from '../../ids.ts';
import { maxPendingRequests } from '../../../models/MentoringRequest.ts';
import { hardRules } from './matching.ts';
import { createMentoringRequest, messages } from './requests.ts';

/**
 * Sends a reviewed assignment: each pair goes out as a request on the mentee's behalf, through the same function and
 * rules as a request she sends herself (so a pair that no longer fits, because a place went or she asked someone
 * meanwhile, is refused with the usual reason). One refused pair does not stop the others.
 */
export type AssignmentOutcome = {
  menteeId: string;
  mentorId: string;
  /** 201 sent; otherwise the status the API would answer for that request (404, 409, 422). */
  status: number;
  requestId: string | null;
  detail: string | null;
};
export const assignmentMessage = 'Suggested by the programme team’s mentor assignment.';
export const matchedSinceReview = 'She has a mentor now (matched since the review), so this request was not sent.';
/**
 * The preview pairs active accounts only; a pair given explicitly (or reviewed before an admin disabled one of the
 * two) is refused here too: a disabled or erased mentor could never answer, and a request for a disabled mentee would
 * hold a mentor's attention and the mentee's place for 14 days on behalf of someone who cannot sign in.
 */
export const assignmentRefusals = {
  menteeNotActive: 'Her account is disabled or erased, so this request was not sent.',
  mentorNotActive: 'This mentor’s account is disabled or erased, so this request was not sent.',
};

/**
 * Refusals are written to the mentee who sends a request ("you"); here the admin sends it, and "You already have a
 * request waiting" reads as if about herself. The same refusals, about the mentee.
 */
const aboutHer = new Map<string, string>([
  [messages.alreadyPending, 'She already has a request waiting with this mentor.'],
  [messages.alreadyMentored, 'This mentor is already mentoring her.'],
  [messages.tooManyPending, `She already has ${maxPendingRequests} requests waiting for an answer.`],
  [messages.noProfile, 'She has no mentee profile yet.'],
  [hardRules['same-school'], 'This mentor works at her school.'],
  [hardRules['too-little-shared-time'], hardRules['too-little-shared-time'].replace(/^You share/, 'They share')],
]);

/** Of these user ids, those whose account exists and is not active (disabled, erased, or invited again). */
async function notActive(userIds: string[]): Promise<Set<string>> {
  const ids = userIds.filter(isObjectId).map(oid);
  const users = await UserModel.find({ _id: { $in: ids }, status: { $ne: 'active' } }, { _id: 1 }).lean();
  return new Set(users.map((u) => String(u._id)));
}

export async function sendAssignedRequests(props: {
  /** An admin. */
  actor: { id: string; roles: readonly string[] };
  items: { menteeId: string; mentorId: string }[];
  now?: Date;
}): Promise<AssignmentOutcome[]> {
  const out: AssignmentOutcome[] = [];
  for (const item of props.items) {
    try {
      // An unknown id is left to the usual refusals (no mentee profile, no such mentor).
      const inactive = await notActive([item.menteeId, item.mentorId]);
      if (inactive.has(item.menteeId)) throw new ConflictError(assignmentRefusals.menteeNotActive);
      if (inactive.has(item.mentorId)) throw new ConflictError(assignmentRefusals.mentorNotActive);
      // The assignment is for unmatched mentees; one who found a mentor herself since the review is not sent another.
      if (await MentorshipModel.exists({ menteeId: oid(item.menteeId), status: 'active' }))
        throw new ConflictError(matchedSinceReview);
      const r = await createMentoringRequest({
        actor: props.actor,
        menteeId: item.menteeId,
        mentorId: item.mentorId,
        message: assignmentMessage,
        now: props.now,
      });
      out.push({ ...item, status: 201, requestId: String(r._id), detail: null });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      out.push({
        ...item,
        status: error.status,
        requestId: null,
        detail: aboutHer.get(error.message) ?? error.message,
      });
    }
  }
  return out;
}
