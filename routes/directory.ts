import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { directoryVisibilities, openToOptions } from '../models/DirectoryProfile.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { countries, isCountryCode } from '../server/countries.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../server/errors.ts';
import { formBody, formRefusalFrom, parseForm } from '../server/http/forms.ts';
import { objectId, optionalText, paging, text } from '../server/http/validate.ts';
import { blockedBy, blockPerson, unblockPerson } from '../server/services/directory/blocks.ts';
import {
  messageFor,
  messagesOf,
  reportedMessages,
  replyToMessage,
  reportMessage,
  sendDirectoryMessage,
} from '../server/services/directory/contact.ts';
import {
  directoryFrontPage,
  directoryProfileFor,
  ownDirectoryProfile,
  saveDirectoryProfile,
  searchDirectory,
} from '../server/services/directory/profiles.ts';
import { formatDateTime } from '../server/time.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { phaseLabels, phases, topicLabels, topics } from '../server/vocabulary.ts';

const messages = {
  saved: 'Your directory profile is saved.',
  sent: (name: string) => `Your message was sent to ${name}. Your email address was not shared.`,
  replied: 'Your reply was sent, with your email address so that you can go on by email.',
  reported: 'Thank you. The message was reported to the Pathways admins.',
  blocked:
    'You blocked this person: she cannot write to you, neither of you sees the other in the directory, and any mentorship between you has ended.',
  unblocked: 'You unblocked this person.',
  notSent: 'Your message was not sent',
  kept: 'Nothing was sent. Here is what you wrote: copy it to keep it.',
};

export const openToLabels: Record<(typeof openToOptions)[number], string> = {
  mentoring: 'Mentoring',
  'peer-support': 'Peer support',
  speaking: 'Speaking',
  research: 'Research',
};
const visibilityLabels: Record<(typeof directoryVisibilities)[number], string> = {
  hidden: 'Hidden: only you see your profile',
  networks: 'People who share a network with you',
  everyone: 'Everyone signed in to Pathways',
};

export const directoryProfileSchema = z.strictObject({
  visibility: z.enum(directoryVisibilities),
  headline: optionalText(160).default(''),
  role: optionalText(120).default(''),
  phase: z.enum(phases).nullable().default(null),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')
    .nullable()
    .default(null),
  region: optionalText(120).default(''),
  topics: z.array(z.enum(topics)).max(topics.length).default([]),
  openTo: z.array(z.enum(openToOptions)).max(openToOptions.length).default([]),
});
/** The web form: empty selects are "none", a checkbox group arrives as a string or an array. */
const profileForm = z.preprocess((raw) => {
  const b = { ...((raw ?? {}) as Record<string, unknown>) };
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return {
    ...b,
    phase: b.phase === '' || b.phase === undefined ? null : b.phase,
    country: b.country === '' || b.country === undefined ? null : b.country,
    topics: list(b.topics),
    openTo: list(b.openTo),
  };
}, directoryProfileSchema);

export const directoryQuery = z.strictObject({
  topic: z.enum(topics).optional(),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')
    .optional(),
  network: objectId.optional(),
  q: z.string().trim().max(100).optional(),
  ...paging,
});
/**
 * People on one page of the directory's HTML page: 20 cards (Moodle's participants page shows 20 by default), which a
 * keyboard or screen-reader user can get through; `?limit=` still asks for up to 200. The API's lists keep the
 * contract's 50 (API.md).
 */
const peoplePerPage = '20';
/** The search page's GET form: empty fields are "any". */
const directoryPageQuery = z.preprocess((raw) => {
  const b = Object.fromEntries(Object.entries((raw ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));
  return { limit: peoplePerPage, ...b };
}, directoryQuery);

const messageSchema = z.strictObject({ body: text(4000) });
const reportSchema = z.strictObject({ reason: text(1000) });

const profileOut = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  headline: z.string(),
  role: z.string(),
  phase: z.string().nullable(),
  country: z.string().nullable(),
  countryName: z.string().nullable(),
  region: z.string(),
  topics: z.array(z.string()),
  openTo: z.array(z.string()),
  visibility: z.enum(directoryVisibilities).optional(),
  self: z.boolean(),
});
const messageOut = z.object({
  id: z.string(),
  fromId: z.string(),
  toId: z.string(),
  fromName: z.string(),
  toName: z.string(),
  body: z.string(),
  inReplyTo: z.string().nullable(),
  sentAt: z.string(),
  reported: z.boolean(),
});

const vocabularies = { topicLabels, phaseLabels, openToLabels, visibilityLabels, countries, topics, phases };

async function searchPage(req: Request, res: Response) {
  const values = req.query as Record<string, string>;
  const form = parseForm(directoryPageQuery, req.query);
  const page = await directoryFrontPage({ actor: req.user!, search: form.ok ? form.data : undefined });
  const nextQuery = page.nextCursor ? new URLSearchParams({ ...values, cursor: page.nextCursor }).toString() : null;
  res.status(form.ok ? 200 : 422).render('directory/index', {
    title: 'People directory',
    values,
    errors: form.ok ? {} : form.errors,
    errorList: form.ok ? [] : form.list,
    items: page.items,
    nextQuery,
    networks: page.networks,
    own: page.own,
    ...vocabularies,
  });
}

async function profileFormPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const own = await ownDirectoryProfile(req.user!);
  res.status(status).render('directory/profile-form', {
    title: 'Your directory profile',
    values: own ?? { visibility: 'hidden', topics: [], openTo: [] },
    blocked: await blockedBy(req.user!.id),
    ...vocabularies,
    ...extra,
  });
}

/**
 * The hourly limit refused her message: the form again with what she wrote and why (429, with Retry-After), so a long
 * message is not lost. Anything else is rethrown.
 */
/**
 * A message or reply she may no longer send (the profile hidden or a block made while she wrote; an unknown person
 * answers the same, 404): her text on a page of its own, read-only, to copy, so that it is not lost with the form.
 */
function keptMessagePage(error: unknown, req: Request, res: Response): boolean {
  if (!(error instanceof NotFoundError || error instanceof ForbiddenError || error instanceof ConflictError))
    return false;
  const { body } = formBody(req);
  res.status(error.status).render('directory/message-kept', {
    title: messages.notSent,
    hint: messages.kept,
    body: typeof body === 'string' ? body : '',
    errorList: [{ path: 'body', message: error.message }],
    errors: { body: error.message },
  });
  return true;
}

function keptWhenLimited(error: unknown, req: Request, res: Response): Record<string, unknown> {
  if (!(error instanceof RateLimitedError)) throw error;
  const { errors, list } = formRefusalFrom(error, res, 'body');
  return { errors, errorList: list, values: formBody(req) };
}

async function personPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const person = await directoryProfileFor({ actor: req.user!, userId: String(req.params.userId) });
  res.status(status).render('directory/person', {
    title: person.name,
    person,
    values: {},
    ...vocabularies,
    ...extra,
  });
}

async function messagePage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const message = await messageFor({ actor: req.user!, messageId: String(req.params.id) });
  res.status(status).render('directory/message', {
    title: `Message from ${message.fromName}`,
    message,
    received: message.toId === req.user!.id,
    sentAt: formatDateTime(message.sentAt, req.user!.timezone),
    values: {},
    ...extra,
  });
}

export function registerDirectoryRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'put',
      path: '/me/directory-profile',
      tag: 'directory',
      summary: 'Write your directory profile and choose who sees it',
      access: [],
      body: directoryProfileSchema,
      success: { status: 200, description: 'Your profile', schema: profileOut },
    },
    async ({ user, body }) => saveDirectoryProfile({ actor: user, profile: body }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/directory',
      tag: 'directory',
      summary: 'Profiles you may see (hidden: only yours; networks: people sharing a network with you); never an email',
      access: [],
      query: directoryQuery,
      success: {
        status: 200,
        description: 'A page of profiles, in id order',
        schema: z.object({ items: z.array(profileOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => searchDirectory({ actor: user, ...query }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/directory/:userId',
      tag: 'directory',
      summary: 'One profile, when you may see it',
      access: [],
      success: { status: 200, description: 'The profile', schema: profileOut },
    },
    async ({ user, params }) => directoryProfileFor({ actor: user, userId: params.userId! }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/directory/:userId/messages',
      tag: 'directory',
      idempotent: true,
      summary: 'Write to someone you can see in the directory; emailed by Pathways, no address shared (5 an hour)',
      access: [],
      body: messageSchema,
      success: { status: 201, description: 'The message', schema: messageOut },
      errors: [429],
    },
    async ({ user, params, body, req }) => {
      const m = await sendDirectoryMessage({
        actor: user,
        toId: params.userId!,
        body: body.body,
        submissionKey: clientSubmissionKey(req),
      });
      return { ...m, sentAt: m.sentAt.toISOString() };
    },
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/me/blocks/:userId',
      tag: 'directory',
      summary: 'Block a person: no messages from her, and neither sees the other in the directory',
      access: [],
      success: { status: 204, description: 'Blocked' },
      errors: [422],
    },
    async ({ user, params }) => blockPerson({ actor: user, userId: params.userId! }),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/me/blocks/:userId',
      tag: 'directory',
      summary: 'Unblock a person',
      access: [],
      success: { status: 204, description: 'Unblocked' },
    },
    async ({ user, params }) => unblockPerson({ actor: user, userId: params.userId! }),
  );

  web.get('/directory', requireSignIn, searchPage);
  web.get('/directory/profile', requireSignIn, (req, res) => profileFormPage(req, res));
  web.post('/directory/profile', requireSignIn, async (req, res) => {
    const form = parseForm(profileForm, formBody(req));
    if (!form.ok)
      return profileFormPage(req, res, 422, { errors: form.errors, errorList: form.list, values: formBody(req) });
    await saveDirectoryProfile({ actor: req.user!, profile: form.data });
    flash(req, 'success', messages.saved);
    res.redirect(303, '/directory/profile');
  });
  web.get('/directory/messages', requireSignIn, async (req, res) => {
    const items = await messagesOf(req.user!);
    res.render('directory/messages', {
      title: 'Directory messages',
      items: items.map((m) => ({ ...m, when: formatDateTime(m.sentAt, req.user!.timezone) })),
    });
  });
  web.get('/directory/messages/:id', requireSignIn, (req, res) => messagePage(req, res));
  web.post('/directory/messages/:id/reply', requireSignIn, async (req, res) => {
    const form = parseForm(messageSchema, formBody(req));
    if (!form.ok)
      return messagePage(req, res, 422, { errors: form.errors, errorList: form.list, values: formBody(req) });
    const submission = clientSubmissionKey(req);
    try {
      await replyToMessage({
        actor: req.user!,
        messageId: String(req.params.id),
        body: form.data.body,
        submissionKey: submission,
      });
    } catch (error) {
      if (keptMessagePage(error, req, res)) return;
      return messagePage(req, res, 429, keptWhenLimited(error, req, res));
    }
    flash(req, 'success', messages.replied);
    res.redirect(303, `/directory/messages/${String(req.params.id)}`);
  });
  web.post('/directory/messages/:id/report', requireSignIn, async (req, res) => {
    const form = parseForm(reportSchema, formBody(req));
    if (!form.ok)
      return messagePage(req, res, 422, { errors: form.errors, errorList: form.list, values: formBody(req) });
    await reportMessage({ actor: req.user!, messageId: String(req.params.id), reason: form.data.reason, ip: req.ip });
    flash(req, 'success', messages.reported);
    res.redirect(303, `/directory/messages/${String(req.params.id)}`);
  });
  web.get('/directory/people/:userId', requireSignIn, (req, res) => personPage(req, res));
  web.post('/directory/people/:userId/contact', requireSignIn, async (req, res) => {
    const form = parseForm(messageSchema, formBody(req));
    if (!form.ok)
      return personPage(req, res, 422, { errors: form.errors, errorList: form.list, values: formBody(req) });
    let m;
    const submission = clientSubmissionKey(req);
    try {
      m = await sendDirectoryMessage({
        actor: req.user!,
        toId: String(req.params.userId),
        body: form.data.body,
        submissionKey: submission,
      });
    } catch (error) {
      if (keptMessagePage(error, req, res)) return;
      return personPage(req, res, 429, keptWhenLimited(error, req, res));
    }
    flash(req, 'success', messages.sent(m.toName));
    res.redirect(303, `/directory/people/${String(req.params.userId)}`);
  });
  web.post('/directory/people/:userId/block', requireSignIn, async (req, res) => {
    await blockPerson({ actor: req.user!, userId: String(req.params.userId) });
    flash(req, 'success', messages.blocked);
    res.redirect(303, '/directory');
  });
  web.post('/directory/people/:userId/unblock', requireSignIn, async (req, res) => {
    await unblockPerson({ actor: req.user!, userId: String(req.params.userId) });
    flash(req, 'success', messages.unblocked);
    res.redirect(303, '/directory/profile#blocked');
  });
  web.get('/admin/directory/reports', requireRole('admin'), async (req, res) => {
    const items = await reportedMessages(req.user!);
    res.render('directory/reports', {
      title: 'Reported directory messages',
      items: items.map((m) => ({ ...m, when: formatDateTime(m.reportedAt, req.user!.timezone) })),
    });
  });
}
