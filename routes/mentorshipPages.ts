import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { outcomeKinds } from '../models/CareerOutcome.ts';
import { meetingFrequencies } from '../models/Mentorship.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { ConflictError, ValidationError, type FieldError } from '../server/errors.ts';
import { flash } from '../server/http/flash.ts';
import { errorsOfListFields, formBody, parseForm } from '../server/http/forms.ts';
import { isoDate, optionalText, text, wholeNumberParam } from '../server/http/validate.ts';
import { readWallClock } from '../server/time.ts';
import {
  closeMentorship,
  rateClosedMentorship,
  logMeeting,
  mentorshipsOf,
  mentorshipView,
  namesOf,
  outcomesOf,
  recordOutcome,
  saveAgreement,
} from '../server/services/mentoring/mentorships.ts';
import { mentoringOverview } from '../server/services/mentoring/overview.ts';
import { latestFeedback, minRatingsPerMentor, ratingValues } from '../server/services/mentoring/ratings.ts';
import { versionFromForm } from '../server/versions.ts';
import {
  acceptMentoringRequest,
  createMentoringRequest,
  declineMentoringRequest,
  mentorToAsk,
  requestsOf,
  withdrawMentoringRequest,
} from '../server/services/mentoring/requests.ts';
import { sendAssignedRequests } from '../server/services/mentoring/assignmentSend.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { kindColours, outcomeChart } from '../server/services/mentoring/outcomeChart.ts';
import { menteesAsking } from '../server/services/mentoring/askingMentees.ts';
import { blockedEitherWay } from '../server/services/directory/blocks.ts';
import { phaseLabels, topicLabel } from '../server/vocabulary.ts';

/** The web pages of requests, mentorships, outcomes and the admin overview, on the same domain functions as the API. */
const messages = {
  requestSent: (name: string) => `Your request was sent to ${name}. She has 14 days to answer.`,
  accepted: (name: string) => `You are now mentoring ${name}.`,
  declined: 'The request was declined.',
  withdrawn: (name: string) => `Your request to ${name} was withdrawn. You can ask another mentor.`,
  agreementSaved: 'The agreement was saved.',
  meetingLogged: 'The meeting was logged.',
  closed: 'The mentorship was closed.',
  rated: 'Thank you: your rating was recorded.',
  outcomeRecorded: 'Thank you: your outcome was recorded.',
  /** Each pair not sent by name (the first 10), so the admin knows whom to look at. */
  assignmentSent: (
    sent: number,
    outcomes: { menteeId: string; mentorId: string; status: number; detail: string | null }[],
    names: Map<string, string>,
  ) => {
    const refused = outcomes.filter((o) => o.status !== 201);
    const name = (id: string) => names.get(id) ?? 'Former member';
    const listed = refused
      .slice(0, 10)
      .map((o) => `${name(o.menteeId)} with ${name(o.mentorId)}: ${o.detail ?? 'refused.'}`)
      .join(' ');
    const more = refused.length > 10 ? ` And ${refused.length - 10} more.` : '';
    return `${sent} request${sent === 1 ? '' : 's'} sent on the mentees’ behalf.${refused.length ? ` ${refused.length} not sent: ${listed}${more}` : ''}`;
  },
};
export const outcomeLabels: Record<(typeof outcomeKinds)[number], string> = {
  applied: 'Applied for a post',
  interviewed: 'Interviewed',
  appointed: 'Appointed',
  'salary-negotiated': 'Negotiated my salary',
  promoted: 'Promoted',
};
const frequencyLabels = { weekly: 'Every week', fortnightly: 'Every two weeks', monthly: 'Every month' };

const optionalInt = (min: number, max: number) =>
  z.preprocess(
    (v) => (v === '' || v === undefined ? undefined : Number(v)),
    z
      .number()
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .optional(),
  );
const requestForm = z.object({ mentorId: z.string(), message: text(2000) });
const declineForm = z.object({ reason: optionalText(1000).optional() });
const agreementForm = z.object({
  goals: z
    .string()
    .transform((s) =>
      s
        .split(/\r?\n/)
        .map((g) => g.trim())
        .filter(Boolean),
    )
    .pipe(z.array(text(200)).min(1, 'name at least one goal, one a line').max(12, 'at most 12 goals')),
  meetingFrequency: z.enum(meetingFrequencies, { message: 'choose how often you meet' }),
  endsOn: isoDate,
});
const meetingForm = z.object({
  heldAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be a date and time'),
  minutes: wholeNumberParam({ min: 1, max: 600 }),
  sharedNotes: optionalText(5000).optional(),
  privateNotes: optionalText(5000).optional(),
});
const rateForm = z.object({ rating: wholeNumberParam({ min: 1, max: 5 }) });
const closeForm = z.object({ reason: text(1000), rating: optionalInt(1, 5), feedback: optionalText(2000).optional() });
const outcomeForm = z.object({
  kind: z.enum(outcomeKinds, { message: 'choose what happened' }),
  on: isoDate,
  detail: optionalText(1000).optional(),
});

/** A domain refusal as the form shows it: the API's message, and its field errors (or one on `field`). */
function refusal(error: unknown, field: string): { status: number; message: string; list: FieldError[] } {
  if (error instanceof ValidationError)
    return {
      status: 422,
      message: error.message,
      list: error.errors.length ? error.errors : [{ path: field, message: error.message }],
    };
  if (error instanceof ConflictError)
    return { status: 409, message: error.message, list: [{ path: field, message: error.message }] };
  throw error;
}
const byPath = (list: FieldError[]) => Object.fromEntries(list.map((e) => [e.path, e.message]));

async function requestFormPage(
  req: Request,
  res: Response,
  mentorId: string,
  status = 200,
  extra: Record<string, unknown> = {},
) {
  res.status(status).render('mentorships/request-new', {
    title: 'Ask a mentor',
    mentor: await mentorToAsk({ actor: req.user!, mentorId }),
    values: {},
    ...extra,
  });
}

async function requestsPage(req: Request, res: Response) {
  const [{ received, sent }, blocked] = await Promise.all([
    requestsOf({ userId: req.user!.id }),
    blockedEitherWay(req.user!.id),
  ]);
  // A request between two people of whom one blocked the other can only be declined (accepting it is the 404 of a
  // request he cannot find), and her profile is no more his to read than in the directory.
  const answerable = received.filter((r) => !blocked.has(String(r.menteeId)));
  const [names, asking] = await Promise.all([
    namesOf([...received.map((r) => r.menteeId), ...sent.map((r) => r.mentorId)]),
    menteesAsking({ mentorId: req.user!.id, requests: answerable, zone: String(res.locals.zone) }),
  ]);
  res.render('mentorships/requests', {
    title: 'Mentoring requests',
    received,
    sent,
    names,
    asking,
    blocked,
    phaseLabels,
    topicLabel,
  });
}

async function mentorshipPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const view = await mentorshipView({ actor: req.user!, mentorshipId: String(req.params.id) });
  const names = await namesOf([view.mentorship.mentorId, view.mentorship.menteeId]);
  const me = req.user!.id;
  const isMember = me === String(view.mentorship.mentorId) || me === String(view.mentorship.menteeId);
  res.status(status).render('mentorships/show', {
    title: 'Mentorship',
    m: view.mentorship,
    meetings: view.presented.meetings,
    names,
    isMember,
    // An admin who is one of its members reads it as a member: no rating, no feedback.
    programmeTeam: !isMember && req.user!.roles.includes('admin'),
    isMentee: me === String(view.mentorship.menteeId),
    frequencies: meetingFrequencies,
    frequencyLabels,
    agreementErrors: {},
    meetingErrors: {},
    closeErrors: {},
    agreementValues: view.mentorship.agreement
      ? {
          goals: (view.mentorship.agreement.goals ?? []).join('\n'),
          meetingFrequency: view.mentorship.agreement.meetingFrequency,
          endsOn: view.mentorship.agreement.endsOn,
        }
      : {},
    meetingValues: {},
    closeValues: {},
    rateErrors: {},
    rateValues: {},
    ...extra,
  });
}

async function outcomesPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  res.status(status).render('mentorships/outcomes', {
    title: 'My career outcomes',
    outcomes: await outcomesOf({ userId: req.user!.id }),
    kinds: outcomeKinds,
    outcomeLabels,
    values: {},
    ...extra,
  });
}

export function registerMentorshipPages(web: Router): void {
  web.get('/mentoring/requests/new', requireSignIn, (req, res) =>
    requestFormPage(req, res, String(req.query.mentorId ?? '')),
  );
  web.post('/mentoring/requests', requireSignIn, async (req, res) => {
    const body = formBody(req);
    const mentorId = String(body.mentorId ?? '');
    const form = parseForm(requestForm, body);
    if (!form.ok)
      return requestFormPage(req, res, mentorId, 422, { errors: form.errors, errorList: form.list, values: body });
    try {
      await createMentoringRequest({ actor: req.user!, mentorId, message: form.data.message });
    } catch (error) {
      // A refusal is about the pair (the mentor is a hidden field), not what she typed: said once, above the form.
      const r = refusal(error, 'message');
      return requestFormPage(req, res, mentorId, r.status, { values: body, refusal: r.message, refused: true });
    }
    flash(req, 'success', messages.requestSent((await mentorToAsk({ actor: req.user!, mentorId })).name));
    res.redirect(303, '/mentoring/requests');
  });
  web.get('/mentoring/requests', requireSignIn, requestsPage);
  web.post('/mentoring/requests/:id/accept', requireSignIn, async (req, res) => {
    try {
      const m = await acceptMentoringRequest({ actor: req.user!, requestId: String(req.params.id) });
      flash(req, 'success', messages.accepted((await namesOf([m.menteeId])).get(String(m.menteeId)) ?? 'her'));
      return res.redirect(303, `/mentorships/${String(m._id)}`);
    } catch (error) {
      flash(req, 'error', refusal(error, 'request').message);
    }
    res.redirect(303, '/mentoring/requests');
  });
  web.post('/mentoring/requests/:id/decline', requireSignIn, async (req, res) => {
    const form = parseForm(declineForm, formBody(req));
    if (!form.ok) throw new ValidationError('Some details need correcting.', form.list);
    try {
      await declineMentoringRequest({ actor: req.user!, requestId: String(req.params.id), reason: form.data.reason });
      flash(req, 'success', messages.declined);
    } catch (error) {
      flash(req, 'error', refusal(error, 'reason').message);
    }
    res.redirect(303, '/mentoring/requests');
  });

  web.post('/mentoring/requests/:id/withdraw', requireSignIn, async (req, res) => {
    try {
      const r = await withdrawMentoringRequest({ actor: req.user!, requestId: String(req.params.id) });
      flash(req, 'success', messages.withdrawn((await namesOf([r.mentorId])).get(String(r.mentorId)) ?? 'the mentor'));
    } catch (error) {
      flash(req, 'error', refusal(error, 'request').message);
    }
    res.redirect(303, '/mentoring/requests#sent');
  });

  web.get('/mentorships', requireSignIn, async (req, res) =>
    res.render('mentorships/index', {
      title: 'My mentorships',
      mentorships: await mentorshipsOf({ userId: req.user!.id }),
    }),
  );
  web.get('/mentorships/:id', requireSignIn, (req, res) => mentorshipPage(req, res));
  web.post('/mentorships/:id/agreement', requireSignIn, async (req, res) => {
    const body = formBody(req);
    const form = parseForm(agreementForm, body);
    // Sent back, a refused form keeps the version she opened, so a save by the other member meanwhile is still noticed.
    // The goals are one box, a goal a line: a goal's message goes to the box, naming which goal.
    const again = (refused: FieldError[], status = 422) => {
      const { errors, list } = errorsOfListFields(refused, ['goals'], { goals: 'goal' });
      return mentorshipPage(req, res, status, { agreementErrors: errors, errorList: list, agreementValues: body });
    };
    if (!form.ok) return again(form.list);
    try {
      await saveAgreement({
        actor: req.user!,
        mentorshipId: String(req.params.id),
        ...form.data,
        expectedVersion: versionFromForm(body.version),
      });
    } catch (error) {
      const r = refusal(error, 'goals');
      // Saved by the other member since she opened it: what she typed comes back unsaved, with the version now stored
      // (the page reads the mentorship again), so that sending it again (knowing) replaces the other agreement.
      if (r.status === 409) {
        const { version: _opened, ...typed } = body;
        void _opened;
        const list = [{ path: '(agreement)', message: r.message }];
        return mentorshipPage(req, res, 409, { errorList: list, agreementValues: typed });
      }
      return again(r.list, r.status);
    }
    flash(req, 'success', messages.agreementSaved);
    res.redirect(303, `/mentorships/${String(req.params.id)}`);
  });
  web.post('/mentorships/:id/meetings', requireSignIn, async (req, res) => {
    const body = formBody(req);
    const again = (list: FieldError[], status = 422) =>
      mentorshipPage(req, res, status, { meetingErrors: byPath(list), errorList: list, meetingValues: body });
    const form = parseForm(meetingForm, body);
    if (!form.ok) return again(form.list);
    // Typed in her own zone (named beside the field); a time the clocks skip is refused.
    const reading = readWallClock(form.data.heldAt, String(res.locals.zone));
    if (!('instant' in reading))
      return again([
        {
          path: 'heldAt',
          message:
            reading.problem === 'skipped'
              ? 'does not exist in your zone (the clocks go forward then); choose another time'
              : 'must be a date and time',
        },
      ]);
    const heldAt = reading.instant;
    try {
      await logMeeting({
        actor: req.user!,
        mentorshipId: String(req.params.id),
        ...form.data,
        heldAt,
        submissionKey: clientSubmissionKey(req),
      });
    } catch (error) {
      const r = refusal(error, 'heldAt');
      return again(r.list, r.status);
    }
    flash(req, 'success', messages.meetingLogged);
    res.redirect(303, `/mentorships/${String(req.params.id)}`);
  });
  web.post('/mentorships/:id/close', requireSignIn, async (req, res) => {
    const body = formBody(req);
    const again = (list: FieldError[], status = 422) =>
      mentorshipPage(req, res, status, { closeErrors: byPath(list), errorList: list, closeValues: body });
    const form = parseForm(closeForm, body);
    if (!form.ok) return again(form.list);
    try {
      await closeMentorship({ actor: req.user!, mentorshipId: String(req.params.id), ...form.data });
    } catch (error) {
      const r = refusal(error, 'reason');
      return again(r.list, r.status);
    }
    flash(req, 'success', messages.closed);
    res.redirect(303, `/mentorships/${String(req.params.id)}`);
  });

  web.post('/mentorships/:id/rating', requireSignIn, async (req, res) => {
    const body = formBody(req);
    const again = (list: FieldError[], status = 422) =>
      mentorshipPage(req, res, status, { rateErrors: byPath(list), errorList: list, rateValues: body });
    const form = parseForm(rateForm, body);
    if (!form.ok) return again(form.list);
    try {
      await rateClosedMentorship({ actor: req.user!, mentorshipId: String(req.params.id), rating: form.data.rating });
    } catch (error) {
      const r = refusal(error, 'rating');
      return again(r.list, r.status);
    }
    flash(req, 'success', messages.rated);
    res.redirect(303, `/mentorships/${String(req.params.id)}`);
  });

  web.get('/mentoring/outcomes', requireSignIn, (req, res) => outcomesPage(req, res));
  web.post('/mentoring/outcomes', requireSignIn, async (req, res) => {
    const body = formBody(req);
    const form = parseForm(outcomeForm, body);
    if (!form.ok) return outcomesPage(req, res, 422, { errors: form.errors, errorList: form.list, values: body });
    try {
      await recordOutcome({ actor: req.user!, ...form.data, submissionKey: clientSubmissionKey(req) });
    } catch (error) {
      const r = refusal(error, 'on');
      return outcomesPage(req, res, r.status, { errors: byPath(r.list), errorList: r.list, values: body });
    }
    flash(req, 'success', messages.outcomeRecorded);
    res.redirect(303, '/mentoring/outcomes');
  });

  // The assignment review page (routes/mentoring.ts) posts its pairs here as "menteeId:mentorId".
  web.post('/mentoring/assignments', requireRole('admin'), async (req, res) => {
    const raw = formBody(req).items;
    const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
    if (!list.length || list.some((p) => !/^[0-9a-f]{24}:[0-9a-f]{24}$/.test(p)))
      throw new ValidationError('Some details need correcting.', [{ path: 'items', message: 'must be pairs to send' }]);
    const items = list.map((p) => ({ menteeId: p.slice(0, 24), mentorId: p.slice(25) }));
    const outcomes = await sendAssignedRequests({ actor: req.user!, items });
    const sent = outcomes.filter((o) => o.status === 201).length;
    const refused = outcomes.filter((o) => o.status !== 201).slice(0, 10);
    const names = await namesOf(refused.flatMap((o) => [o.menteeId, o.mentorId]));
    flash(req, sent === outcomes.length ? 'success' : 'info', messages.assignmentSent(sent, outcomes, names));
    res.redirect(303, '/mentoring/assignments');
  });

  web.get('/admin/mentoring', requireRole('admin'), async (req, res) => {
    const overview = await mentoringOverview({ zone: req.user!.timezone });
    res.render('mentorships/overview', {
      title: 'Mentoring at a glance',
      overview,
      mentorNames: await namesOf(overview.ratings.mentors.map((m) => m.mentorId)),
      feedback: await latestFeedback(),
      ratingValues,
      minRatingsPerMentor,
      chart: outcomeChart(overview.chart),
      kinds: outcomeKinds,
      outcomeLabels,
      colours: kindColours,
    });
  });
}
