import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireRole } from '../server/auth.ts';
import { countries, isCountryCode } from '../server/countries.ts';
import { NotFoundError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { objectId, optionalText, text, timezone } from '../server/http/validate.ts';
import { availabilitySchema, dayLabels } from '../server/services/mentoring/availability.ts';
import { previewAssignment, previewAssignmentForReview } from '../server/services/mentoring/assignmentPreview.ts';
import { scoreWeightRows } from '../server/services/mentoring/matching.ts';
import {
  menteeProfileOf,
  mentorProfileOf,
  presentMenteeProfile,
  presentMentorProfile,
  saveMenteeProfile,
  saveMentorProfile,
} from '../server/services/mentoring/profiles.ts';
import { mentorSuggestions } from '../server/services/mentoring/suggestions.ts';
import { pendingMentorsOf } from '../server/services/mentoring/requests.ts';
import { maxPendingRequests } from '../models/MentoringRequest.ts';
import { phaseLabels, phases, topicLabels, topics } from '../server/vocabulary.ts';
import { availabilityRows, formValuesOf, parseMenteeForm, parseMentorForm } from './mentoringForms.ts';

const messages = {
  mentorSaved: 'Your mentor profile was saved.',
  menteeSaved: 'Your mentee profile was saved. Your suggested mentors are below.',
  noMentorProfile: 'You have no mentor profile yet.',
  noMenteeProfile: 'You have no mentee profile yet.',
};

const topic = z.enum(topics, { error: `is not one of the topics (${topics.join(', ')})` });
const phase = z.enum(phases, { error: `must be one of ${phases.join(', ')}` });
const country = z.string().trim().refine(isCountryCode, 'must be a country code such as GB, CA, AE, MY or AU');
const languages = z.array(text(40)).max(10, 'must list at most 10 languages');
/**
 * A school's name is stored composed (NFC), as a person's is: one spelling to show and compare, however its accents
 * were typed (matching compares names as a reader sees them, see sameSchool).
 */
const composed = (typed: string) => typed.normalize('NFC');

export const mentorProfileSchema = z.strictObject({
  phase,
  yearsAsHead: z.number({ error: 'must be a number of years' }).int('must be a whole number').min(0).max(60),
  schoolName: text(200).transform(composed),
  country,
  region: optionalText(100).default(''),
  timezone,
  languages: languages.default([]),
  expertise: z.array(topic).max(topics.length).default([]),
  capacity: z
    .number({ error: 'must be a number from 0 to 10' })
    .int('must be a whole number')
    .min(0, 'must be 0 (not taking mentees now) or more')
    .max(10, 'must be at most 10'),
  availability: availabilitySchema,
  bio: optionalText(2000).default(''),
});
export const menteeProfileSchema = z.strictObject({
  goals: z.array(topic).max(topics.length).default([]),
  phase,
  schoolName: optionalText(200).transform(composed).default(''),
  country,
  region: optionalText(100).default(''),
  timezone,
  languages: languages.default([]),
  availability: availabilitySchema,
  preferences: z
    .strictObject({
      sameRegion: z.boolean().default(false),
      language: optionalText(40).default(''),
    })
    .default({ sameRegion: false, language: '' }),
});

const windowOut = z.object({ day: z.string(), from: z.string(), to: z.string() });
const mentorProfileOut = z.object({
  id: z.string(),
  userId: z.string(),
  phase: z.string(),
  yearsAsHead: z.number(),
  schoolName: z.string(),
  country: z.string(),
  region: z.string(),
  timezone: z.string(),
  languages: z.array(z.string()),
  expertise: z.array(z.string()),
  capacity: z.number(),
  freePlaces: z.number(),
  availability: z.array(windowOut),
  bio: z.string(),
});
const menteeProfileOut = z.object({
  id: z.string(),
  userId: z.string(),
  goals: z.array(z.string()),
  phase: z.string(),
  schoolName: z.string(),
  country: z.string(),
  region: z.string(),
  timezone: z.string(),
  languages: z.array(z.string()),
  availability: z.array(windowOut),
  preferences: z.object({ sameRegion: z.boolean(), language: z.string() }),
});
const suggestionsOut = z.object({
  items: z.array(
    z.object({
      mentorId: z.string(),
      name: z.string(),
      score: z.number(),
      overlapMinutesPerWeek: z.number(),
      sharedTopics: z.array(z.string()),
      reasons: z.array(z.string()),
    }),
  ),
});

export const assignmentPreviewSchema = z.strictObject({
  menteeIds: z.array(objectId).max(5000).optional(),
});
const assignmentPreviewOut = z.object({
  items: z.array(z.object({ menteeId: z.string(), mentorId: z.string(), score: z.number() })),
  totalScore: z.number(),
  unassigned: z.array(z.string()),
});

/** What every profile form needs besides her values. */
const formLocals = {
  countries,
  phases,
  phaseLabels,
  topics,
  topicLabels,
  dayLabels,
};

function renderMentorForm(res: Response, values: Record<string, unknown>, status = 200, extra = {}) {
  res.status(status).render('mentoring/mentor-profile', {
    title: 'Your mentor profile',
    ...formLocals,
    values,
    ...extra,
  });
}
function renderMenteeForm(res: Response, values: Record<string, unknown>, status = 200, extra = {}) {
  res.status(status).render('mentoring/mentee-profile', {
    title: 'Your mentee profile',
    ...formLocals,
    values,
    ...extra,
  });
}

/** A blank form starts in her account's zone. */
const blankValues = (req: Request) => ({
  timezone: req.user!.timezone,
  rows: availabilityRows([]),
  expertise: [],
  goals: [],
});

export function registerMentoringRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'put',
      path: '/me/mentor-profile',
      tag: 'mentoring',
      summary: 'Save her mentor profile (capacity 0 takes no new mentees; current ones stay)',
      access: ['mentor'],
      body: mentorProfileSchema,
      success: { status: 200, description: 'Saved', schema: mentorProfileOut },
      errors: [409],
    },
    async ({ user, body }) => {
      await saveMentorProfile({ userId: user.id, profile: body });
      return presentMentorProfile((await mentorProfileOf(user.id))!);
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/mentor-profile',
      tag: 'mentoring',
      summary: 'Her mentor profile',
      access: ['mentor'],
      success: { status: 200, description: 'Her profile', schema: mentorProfileOut },
      errors: [404],
    },
    async ({ user }) => {
      const profile = await mentorProfileOf(user.id);
      if (!profile) throw new NotFoundError(messages.noMentorProfile);
      return presentMentorProfile(profile);
    },
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/me/mentee-profile',
      tag: 'mentoring',
      summary: 'Save her mentee profile',
      access: ['participant'],
      body: menteeProfileSchema,
      success: { status: 200, description: 'Saved', schema: menteeProfileOut },
    },
    async ({ user, body }) => {
      await saveMenteeProfile({ userId: user.id, profile: body });
      return presentMenteeProfile((await menteeProfileOf(user.id))!);
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/mentee-profile',
      tag: 'mentoring',
      summary: 'Her mentee profile',
      access: ['participant'],
      success: { status: 200, description: 'Her profile', schema: menteeProfileOut },
      errors: [404],
    },
    async ({ user }) => {
      const profile = await menteeProfileOf(user.id);
      if (!profile) throw new NotFoundError(messages.noMenteeProfile);
      return presentMenteeProfile(profile);
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/mentor-suggestions',
      tag: 'mentoring',
      summary: 'Her best mentors (at most 5), best first, with score and reasons; empty until she has a profile',
      access: ['participant'],
      success: { status: 200, description: 'Suggestions', schema: suggestionsOut },
    },
    async ({ user }) => ({ items: (await mentorSuggestions({ userId: user.id })).items }),
  );

  apiOperation(
    api,
    {
      method: 'post',
      path: '/mentoring/assignments/preview',
      tag: 'mentoring',
      summary:
        'The optimal assignment of unmatched mentees to mentors with free places: most mentees matched, then the highest total score',
      access: ['admin'],
      body: assignmentPreviewSchema,
      success: { status: 200, description: 'The proposed pairs (nothing is sent)', schema: assignmentPreviewOut },
    },
    async ({ body }) => previewAssignment({ menteeIds: body.menteeIds }),
  );

  web.get('/mentoring/assignments', requireRole('admin'), async (_req, res) => {
    const preview = await previewAssignmentForReview({});
    res.render('mentoring/assignments', { title: 'Mentor assignment', ...preview, weights: scoreWeightRows });
  });
  web.get('/mentoring/profile/mentor', requireRole('mentor'), async (req, res) => {
    const profile = await mentorProfileOf(req.user!.id);
    renderMentorForm(res, profile ? formValuesOf(presentMentorProfile(profile)) : blankValues(req));
  });
  web.post('/mentoring/profile/mentor', requireRole('mentor'), async (req, res) => {
    const parsed = parseMentorForm(mentorProfileSchema, req.body);
    if (!parsed.ok) return renderMentorForm(res, parsed.values, 422, { errors: parsed.errors, errorList: parsed.list });
    await saveMentorProfile({ userId: req.user!.id, profile: parsed.data });
    flash(req, 'success', messages.mentorSaved);
    res.redirect(303, '/mentoring/profile/mentor');
  });
  web.get('/mentoring/profile/mentee', requireRole('participant'), async (req, res) => {
    const profile = await menteeProfileOf(req.user!.id);
    renderMenteeForm(res, profile ? formValuesOf(presentMenteeProfile(profile)) : blankValues(req));
  });
  web.post('/mentoring/profile/mentee', requireRole('participant'), async (req, res) => {
    const parsed = parseMenteeForm(menteeProfileSchema, req.body);
    if (!parsed.ok) return renderMenteeForm(res, parsed.values, 422, { errors: parsed.errors, errorList: parsed.list });
    await saveMenteeProfile({ userId: req.user!.id, profile: parsed.data });
    flash(req, 'success', messages.menteeSaved);
    res.redirect(303, '/mentoring/suggestions');
  });
  web.get('/mentoring/suggestions', requireRole('participant'), async (req, res) => {
    const [suggestions, pending] = await Promise.all([
      mentorSuggestions({ userId: req.user!.id }),
      pendingMentorsOf([req.user!.id], new Date()),
    ]);
    res.render('mentoring/suggestions', {
      title: 'Suggested mentors',
      ...suggestions,
      // Asking again would only be refused (409, or 422 at her limit): the page says so instead of linking to a form.
      waitingWith: pending.get(req.user!.id) ?? new Set<string>(),
      maxPendingRequests,
      weights: scoreWeightRows,
    });
  });
}
