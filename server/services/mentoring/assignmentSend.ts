import { MentorshipModel } from '../../../models/Mentorship.ts';
import { ConflictError, DomainError } from '../../errors.ts';
import { oid } from '../../ids.ts';
import { createMentoringRequest } from './requests.ts';

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

export async function sendAssignedRequests(props: {
  /** An admin. */
  actor: { id: string; roles: readonly string[] };
  items: { menteeId: string; mentorId: string }[];
  now?: Date;
}): Promise<AssignmentOutcome[]> {
  const out: AssignmentOutcome[] = [];
  for (const item of props.items) {
    try {
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
      out.push({ ...item, status: error.status, requestId: null, detail: error.message });
    }
  }
  return out;
}
