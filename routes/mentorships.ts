import type { Router } from 'express';
import { z } from 'zod';
import { outcomeKinds } from '../models/CareerOutcome.ts';
import { meetingFrequencies } from '../models/Mentorship.ts';
import { apiOperation } from '../server/http/api.ts';
import { isoDate, isoDateTime, objectId, optionalText, paging, text } from '../server/http/validate.ts';
import { pageInListOrder } from '../server/pagination.ts';
import { sendAssignedRequests } from '../server/services/mentoring/assignmentSend.ts';
import {
  acceptMentoringRequest,
  createMentoringRequest,
  declineMentoringRequest,
  presentRequest,
  withdrawMentoringRequest,
} from '../server/services/mentoring/requests.ts';
import {
  closeMentorship,
  rateClosedMentorship,
  logMeeting,
  mentorshipsOf,
  mentorshipView,
  outcomesOf,
  presentMeeting,
  presentOutcome,
  recordOutcome,
  saveAgreement,
} from '../server/services/mentoring/mentorships.ts';
import { mentoringOverview } from '../server/services/mentoring/overview.ts';
import { ratingValues } from '../server/services/mentoring/ratings.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { registerMentorshipPages } from './mentorshipPages.ts';

/**
 * Mentoring requests, mentorships and outcomes (issue 12; profiles, suggestions and the assignment preview are in
 * routes/mentoring.ts). Web pages are in ./mentorshipPages.ts, on the same domain functions.
 */
export const requestSchema = z.strictObject({ mentorId: objectId, message: text(2000) });
export const declineSchema = z.strictObject({ reason: text(1000).optional() });
export const agreementSchema = z.strictObject({
  goals: z.array(text(200)).min(1, 'name at least one goal').max(12),
  meetingFrequency: z.enum(meetingFrequencies),
  endsOn: isoDate,
  /** The `agreementVersion` the client read: when given, a save by the other member since is a 409. */
  version: z.number().int().min(0).nullable().optional(),
});
export const meetingSchema = z.strictObject({
  heldAt: isoDateTime,
  minutes: z.number().int().min(1, 'must be at least 1').max(600, 'must be at most 600'),
  sharedNotes: optionalText(5000).optional(),
  privateNotes: optionalText(5000).optional(),
});
export const rateSchema = z.strictObject({ rating: z.number().int().min(1).max(5) });
export const closeSchema = z.strictObject({
  reason: text(1000),
  rating: z.number().int().min(1).max(5).optional(),
  feedback: optionalText(2000).optional(),
});
export const outcomeSchema = z.strictObject({
  kind: z.enum(outcomeKinds),
  on: isoDate,
  detail: optionalText(1000).optional(),
});
export const assignmentsSchema = z.strictObject({
  items: z
    .array(z.strictObject({ menteeId: objectId, mentorId: objectId, score: z.number().optional() }))
    .min(1)
    .max(2000),
});

const requestOut = z.object({ id: z.string(), status: z.string() }).passthrough();
const mentorshipOut = z.object({
  id: z.string(),
  mentorId: z.string(),
  menteeId: z.string(),
  status: z.string(),
  startedAt: z.string(),
});
const meetingOut = z.object({
  id: z.string(),
  heldAt: z.string(),
  minutes: z.number(),
  sharedNotes: z.string(),
  loggedBy: z.string(),
  privateNotes: z.string().optional(),
});
const fullMentorshipOut = mentorshipOut.extend({
  agreement: z
    .object({ goals: z.array(z.string()), meetingFrequency: z.string().nullable(), endsOn: z.string().nullable() })
    .nullable(),
  agreementVersion: z.number().nullable(),
  closedAt: z.string().nullable(),
  closeReason: z.string().nullable(),
  meetings: z.array(meetingOut),
});
const outcomeOut = z.object({ id: z.string(), kind: z.enum(outcomeKinds), on: z.string(), detail: z.string() });
const countsByKind = z.object(Object.fromEntries(outcomeKinds.map((k) => [k, z.number()])));
const overviewOut = z.object({
  mentors: z.number(),
  mentorsWithFreePlaces: z.number(),
  mentees: z.number(),
  unmatchedMentees: z.number(),
  pendingRequests: z.number(),
  activeMentorships: z.number(),
  closedMentorships: z.number(),
  medianDaysToMatch: z.number().nullable(),
  outcomes: countsByKind,
  ratings: z.object({
    rated: z.number(),
    median: z.number().nullable(),
    distribution: z.object(Object.fromEntries(ratingValues.map((v) => [String(v), z.number()]))),
    byMonth: z.array(
      z.object({ month: z.string(), label: z.string(), rated: z.number(), median: z.number().nullable() }),
    ),
    mentors: z.array(z.object({ mentorId: z.string(), ratings: z.number(), median: z.number() })),
    mentorsWithFewerRatings: z.number(),
  }),
});

const mentorshipSummary = (m: {
  _id: unknown;
  mentorId: unknown;
  menteeId: unknown;
  status: string;
  startedAt: Date;
}) => ({
  id: String(m._id),
  mentorId: String(m.mentorId),
  menteeId: String(m.menteeId),
  status: m.status,
  startedAt: m.startedAt.toISOString(),
});

export function registerMentorshipRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentoring/requests',
      tag: 'mentoring',
      summary: 'Ask a mentor to mentor you (at most 3 requests waiting at once)',
      access: [],
      body: requestSchema,
      success: { status: 201, description: 'The request, pending', schema: requestOut },
      errors: [409],
    },
    async ({ user, body }) => presentRequest(await createMentoringRequest({ actor: user, ...body })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentoring/requests/:id/accept',
      tag: 'mentoring',
      summary: 'Accept a request (its mentor): a mentorship begins if she has a free place',
      access: [],
      success: { status: 201, description: 'The mentorship', schema: mentorshipOut },
      location: (id) => `/mentorships/${id}`,
      errors: [409, 422],
    },
    async ({ user, params }) => mentorshipSummary(await acceptMentoringRequest({ actor: user, requestId: params.id! })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentoring/requests/:id/decline',
      tag: 'mentoring',
      summary: 'Decline a request (its mentor), with an optional reason',
      access: [],
      body: declineSchema,
      success: { status: 200, description: 'The request, declined', schema: requestOut },
      errors: [409],
    },
    async ({ user, params, body }) =>
      presentRequest(await declineMentoringRequest({ actor: user, requestId: params.id!, reason: body.reason })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentoring/requests/:id/withdraw',
      tag: 'mentoring',
      summary: 'Withdraw a request still waiting for an answer (its mentee): her place and slot are free again',
      access: [],
      success: { status: 200, description: 'The request, withdrawn', schema: requestOut },
      errors: [409],
    },
    async ({ user, params }) => presentRequest(await withdrawMentoringRequest({ actor: user, requestId: params.id! })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentoring/assignments',
      tag: 'mentoring',
      summary: 'Send each pair of a reviewed assignment as a request on the mentee’s behalf (admin)',
      access: ['admin'],
      body: assignmentsSchema,
      success: {
        status: 200,
        description: 'What happened to each pair',
        schema: z.object({
          items: z.array(
            z.object({
              menteeId: z.string(),
              mentorId: z.string(),
              status: z.number(),
              requestId: z.string().nullable(),
              detail: z.string().nullable(),
            }),
          ),
        }),
      },
    },
    async ({ user, body }) => ({ items: await sendAssignedRequests({ actor: user, items: body.items }) }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/mentorships/:id',
      tag: 'mentoring',
      summary: 'A mentorship (its two members and admins); private notes only to their author',
      access: [],
      success: { status: 200, description: 'The mentorship', schema: fullMentorshipOut },
    },
    async ({ user, params }) => (await mentorshipView({ actor: user, mentorshipId: params.id! })).presented,
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/mentorships/:id/agreement',
      tag: 'mentoring',
      summary: 'Record what the two of you agreed (goals, rhythm, end date)',
      access: [],
      body: agreementSchema,
      success: { status: 200, description: 'The mentorship', schema: fullMentorshipOut },
      errors: [409],
    },
    async ({ user, params, body }) => {
      const { version, ...agreement } = body;
      await saveAgreement({ actor: user, mentorshipId: params.id!, ...agreement, expectedVersion: version });
      return (await mentorshipView({ actor: user, mentorshipId: params.id! })).presented;
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentorships/:id/meetings',
      tag: 'mentoring',
      idempotent: true,
      summary: 'Log a meeting (shared notes for both; private notes for you alone)',
      access: [],
      body: meetingSchema,
      success: { status: 201, description: 'The meeting', schema: meetingOut },
      errors: [409],
    },
    async ({ user, params, body, req }) =>
      presentMeeting(
        await logMeeting({
          actor: user,
          mentorshipId: params.id!,
          ...body,
          heldAt: new Date(body.heldAt),
          submissionKey: clientSubmissionKey(req),
        }),
        user,
      ),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentorships/:id/close',
      tag: 'mentoring',
      summary: 'Close a mentorship (either member); the mentor’s place is free again',
      access: [],
      body: closeSchema,
      success: { status: 200, description: 'The mentorship, closed', schema: fullMentorshipOut },
      errors: [409, 422],
    },
    async ({ user, params, body }) => {
      await closeMentorship({ actor: user, mentorshipId: params.id!, ...body });
      return (await mentorshipView({ actor: user, mentorshipId: params.id! })).presented;
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentorships/:id/rating',
      tag: 'mentoring',
      summary: 'Rate a closed mentorship (its mentee, once), for one that her mentor, a block or its end date closed',
      access: [],
      body: rateSchema,
      success: { status: 200, description: 'The mentorship, rated', schema: fullMentorshipOut },
      errors: [404, 409, 422],
    },
    async ({ user, params, body }) => {
      await rateClosedMentorship({ actor: user, mentorshipId: params.id!, rating: body.rating });
      return (await mentorshipView({ actor: user, mentorshipId: params.id! })).presented;
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/mentorships',
      tag: 'mentoring',
      summary: 'Your mentorships, as mentor and as mentee',
      access: [],
      success: {
        status: 200,
        description: 'Mentorships',
        schema: z.object({
          items: z.array(mentorshipOut.extend({ role: z.string() })),
          nextCursor: z.string().nullable(),
        }),
      },
      query: z.strictObject(paging),
    },
    async ({ user, query }) => {
      const page = pageInListOrder(await mentorshipsOf({ userId: user.id }), query, (m) => m._id);
      return { items: page.rows.map((m) => ({ ...mentorshipSummary(m), role: m.role })), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/me/outcomes',
      tag: 'mentoring',
      idempotent: true,
      summary: 'Record a step in your career',
      access: [],
      body: outcomeSchema,
      success: { status: 201, description: 'The outcome', schema: outcomeOut },
    },
    async ({ user, body, req }) =>
      presentOutcome(await recordOutcome({ actor: user, ...body, submissionKey: clientSubmissionKey(req) })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/outcomes',
      tag: 'mentoring',
      summary: 'The steps in your career you recorded',
      access: [],
      success: {
        status: 200,
        description: 'Outcomes',
        schema: z.object({ items: z.array(outcomeOut), nextCursor: z.string().nullable() }),
      },
      query: z.strictObject(paging),
    },
    async ({ user, query }) => {
      const page = pageInListOrder(await outcomesOf({ userId: user.id }), query, (o) => o._id);
      return { items: page.rows.map(presentOutcome), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/mentoring/overview',
      tag: 'mentoring',
      summary: 'The programme at a glance (admin)',
      access: ['admin'],
      success: { status: 200, description: 'Figures', schema: overviewOut },
    },
    async () => {
      const { chart, ...figures } = await mentoringOverview({});
      void chart;
      return figures;
    },
  );

  registerMentorshipPages(web);
}
