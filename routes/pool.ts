import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { poolModes, poolOffers } from '../models/PoolProfile.ts';
import { poolRequestStatuses } from '../models/PoolRequest.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { ConflictError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { confirmFirst, dialogText, type Confirmation } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { errorsOfListFields, formBody, formRefusalFrom, parseFilters, parseForm } from '../server/http/forms.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { connectionOf } from '../server/http/rateLimits.ts';
import { emailAddress, isoDate, objectId, optionalText, paging, personName, text } from '../server/http/validate.ts';
import { pageInMemory } from '../server/pagination.ts';
import { topicLabels, topics } from '../server/vocabulary.ts';
import * as pool from '../server/services/pool/pool.ts';

const messages = {
  profileSaved: 'Your pool profile is saved.',
  accepted: 'Thank you: you have accepted. The organisation has been told.',
  declined: 'You have declined this request.',
  offered: 'The request is offered to her.',
  closed: 'The request is closed and the organisation has been told.',
  // Asked before closing: the organisation is emailed at once, and that cannot be taken back.
  confirmClose: (r: { organisation: string; contactName: string }): Omit<Confirmation, 'back'> => ({
    question: `Close the request of ${r.organisation} and tell them?`,
    consequences: [
      `${r.contactName} is emailed now that no one in the pool can take it, with your reason. Offers still waiting for an answer are withdrawn. This cannot be undone.`,
    ],
    yes: 'Yes, close it and tell them',
  }),
};

/** Before an admin closes a request: whose, and that they are told (nothing to ask once it is no longer open). */
const confirmClose = confirmFirst(async (req) => {
  const found = await pool.requestToClose({ actor: req.user!, requestId: String(req.params.id) });
  return found && { ...messages.confirmClose(found), back: `/admin/pool#request-${String(req.params.id)}` };
});

const list = (max: number, item = 100) =>
  z.array(z.string().trim().max(item, `each must be at most ${item} characters`).pipe(text(item))).max(max);
const profileSchema = z.strictObject({
  offers: z.array(z.enum(poolOffers)).max(3),
  topics: z.array(z.enum(topics)).max(12),
  bio: optionalText(1000),
  regions: list(10),
  languages: list(10, 40),
  modes: z.array(z.enum(poolModes)).max(2),
  visible: z.boolean(),
});
const profileOut = profileSchema.extend({ id: z.string() });
const requestSchema = z.strictObject({
  offer: z.enum(poolOffers),
  topic: z.enum(topics),
  organisation: text(200),
  contactName: personName(120),
  contactEmail: emailAddress(),
  // Checked with the other fields, so a form with a bad email and a past date hears of both at once (the service
  // holds the same rule).
  date: isoDate.refine((date) => !pool.requestDateIsPast(date), pool.requestDatePastMessage).optional(),
  mode: z.enum(poolModes),
  message: text(2000),
});
const searchQuery = z.strictObject({
  offer: z.enum(poolOffers).optional(),
  topic: z.enum(topics).optional(),
  region: z.string().trim().max(100).optional(),
});
/** The API's list: the same filter with API.md's paging. */
const apiSearchQuery = searchQuery.extend(paging);
const requestsQuery = z.strictObject({ status: z.enum(poolRequestStatuses).optional(), ...paging });
const memberOut = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  offers: z.array(z.string()),
  topics: z.array(z.string()),
  bio: z.string(),
  regions: z.array(z.string()),
  languages: z.array(z.string()),
  modes: z.array(z.string()),
  engagements: z.number(),
});
const offerOut = z.object({ id: z.string(), status: z.string() }).loose();

const arr = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v]);
const lines = (v: unknown) =>
  String(v ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
const emptyToUndefined = (raw: unknown) =>
  Object.fromEntries(Object.entries({ ...(raw as object) }).filter(([, v]) => v !== '' && v !== undefined));

function profileFromForm(body: Record<string, unknown>) {
  return {
    offers: arr(body.offers),
    topics: arr(body.topics),
    bio: String(body.bio ?? ''),
    regions: lines(body.regions),
    languages: lines(body.languages),
    modes: arr(body.modes),
    visible: body.visible === 'yes',
  };
}

const common = { offerLabels: pool.offerLabels, topicLabels, poolOffers, poolModes, topics };

async function renderProfile(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const own = await pool.ownPoolProfile({ userId: req.user!.id });
  res.status(status).render('pool/profile', {
    title: 'Your pool profile',
    ...own,
    ...common,
    values: own.profile ?? { offers: [], topics: [], bio: '', regions: [], languages: [], modes: [], visible: false },
    ...extra,
  });
}

function renderRequestForm(res: Response, status = 200, extra: Record<string, unknown> = {}) {
  res.status(status).render('pool/request', {
    title: 'Ask the pool for a speaker, facilitator or researcher',
    ...common,
    values: {},
    ...extra,
  });
}

/** The pool's list; a filter that cannot be read lists nobody, with its error at its field (parseFilters). */
async function poolPage(req: Request, res: Response) {
  const filters = parseFilters(searchQuery, req.query);
  res.status(filters.ok ? 200 : 422).render('pool/index', {
    title: 'The pool',
    members: filters.ok ? await pool.searchPool(filters.data) : [],
    filters: filters.ok ? filters.data : filters.values,
    filterRefused: !filters.ok,
    errors: filters.errors,
    errorList: filters.list,
    ...common,
  });
}

/** The close form's reason (optional: a default is sent), as the API's is held (500 characters of text). */
const closeForm = z.object({ reason: optionalText(500) });

async function renderTriage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const requests = await pool.poolTriage({ actor: req.user! });
  res.status(status).render('pool/admin', {
    title: 'Pool requests',
    requests,
    confirmClose: (r: { organisation: string; contactName: string }) => dialogText(messages.confirmClose(r)),
    ...common,
    ...extra,
  });
}

export function registerPoolRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'put',
      path: '/me/pool-profile',
      tag: 'pool',
      summary: 'Offer yourself to the pool as a speaker, facilitator or researcher',
      access: [],
      body: profileSchema,
      success: { status: 200, description: 'Your pool profile', schema: profileOut },
    },
    async ({ user, body }) => pool.savePoolProfile({ userId: user.id, input: body }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/pool-profile',
      tag: 'pool',
      summary: 'Your pool profile, offers waiting for your answer, and what you have done',
      access: [],
      success: { status: 200, description: 'Profile, pending offers, accepted ones', schema: z.object({}).loose() },
    },
    async ({ user }) => pool.ownPoolProfile({ userId: user.id }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/pool',
      tag: 'pool',
      summary: 'Visible pool members (never an email)',
      access: [],
      query: apiSearchQuery,
      success: {
        status: 200,
        description: 'A page of members, in the order their profiles were made; nextCursor gives the next page',
        schema: z.object({ items: z.array(memberOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ query: { limit, cursor, ...filters } }) => {
      const page = pageInMemory(await pool.searchPool(filters), { limit, cursor }, (member) => member.id);
      return { items: page.rows, nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/pool/requests',
      tag: 'pool',
      idempotent: true,
      summary: 'Ask the pool for someone (public; confirmed by an emailed link)',
      access: 'public',
      body: requestSchema,
      success: {
        status: 202,
        description: 'Pending until the email is confirmed',
        schema: z.object({ status: z.literal('pending') }),
      },
      errors: [429],
    },
    async ({ body, req }) =>
      pool.submitPoolRequest({ input: body, connection: connectionOf(req), submissionKey: clientSubmissionKey(req) }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/pool/requests',
      tag: 'pool',
      summary: 'Confirmed requests, newest first (admins)',
      access: ['admin'],
      query: requestsQuery,
      success: {
        status: 200,
        description: 'A page of requests, newest first; nextCursor gives the next page',
        schema: z.object({ items: z.array(z.object({ id: z.string() }).loose()), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => pool.pagePoolRequests({ actor: user, ...query }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/pool/requests/:id/offers',
      tag: 'pool',
      summary: 'Offer a request to a pool member',
      access: ['admin'],
      body: z.strictObject({ userId: objectId }),
      success: { status: 201, description: 'The offer', schema: offerOut },
      errors: [409],
    },
    async ({ user, body, params }) =>
      pool.offerPoolRequest({ actor: user, requestId: String(params.id), userId: body.userId }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/pool/requests/:id/close',
      tag: 'pool',
      summary: 'Close a request no one can take (the organisation is emailed)',
      access: ['admin'],
      body: z.strictObject({ reason: text(500) }),
      success: { status: 200, description: 'Closed', schema: offerOut },
      errors: [409],
    },
    async ({ user, body, params }) =>
      pool.closePoolRequest({ actor: user, requestId: String(params.id), reason: body.reason }),
  );
  for (const decision of ['accept', 'decline'] as const) {
    apiOperation(
      api,
      {
        method: 'post',
        path: `/pool/offers/:id/${decision}`,
        tag: 'pool',
        summary: decision === 'accept' ? 'Accept an offer (the organisation is emailed)' : 'Decline an offer',
        access: [],
        success: { status: 200, description: 'Decided', schema: offerOut },
        errors: [409],
      },
      async ({ user, params }) =>
        (decision === 'accept' ? pool.acceptPoolOffer : pool.declinePoolOffer)({
          actor: user,
          offerId: String(params.id),
        }),
    );
  }

  // ── Web ──
  web.get('/pool', requireSignIn, poolPage);
  web.get('/pool/profile', requireSignIn, (req, res) => renderProfile(req, res));
  web.post('/pool/profile', requireSignIn, async (req, res) => {
    const form = parseForm(profileSchema, profileFromForm(req.body ?? {}));
    if (!form.ok) {
      const { errors, list } = errorsOfListFields(form.list, ['regions', 'languages']);
      return renderProfile(req, res, 422, { values: profileFromForm(req.body ?? {}), errors, errorList: list });
    }
    await pool.savePoolProfile({ userId: req.user!.id, input: form.data });
    flash(req, 'success', messages.profileSaved);
    res.redirect(303, '/pool/profile');
  });
  web.post('/pool/offers/:id/:decision', requireSignIn, async (req, res) => {
    const accept = req.params.decision === 'accept';
    if (!accept && req.params.decision !== 'decline') return res.redirect(303, '/pool/profile');
    try {
      await (accept ? pool.acceptPoolOffer : pool.declinePoolOffer)({
        actor: req.user!,
        offerId: String(req.params.id),
      });
      flash(req, 'success', accept ? messages.accepted : messages.declined);
    } catch (error) {
      // Taken, closed or answered while her page was open: said on her page, which now shows the offer as it is.
      if (!(error instanceof ConflictError)) throw error;
      flash(req, 'error', error.message);
    }
    res.redirect(303, '/pool/profile');
  });

  web.get('/pool/request', (_req, res) => renderRequestForm(res));
  web.post('/pool/request', async (req, res) => {
    // Bots fill every field: a filled honeypot gets the same answer as everyone, and nothing is stored or sent.
    if (typeof req.body?.website === 'string' && req.body.website.trim() !== '')
      return res.redirect(303, '/pool/request/thanks');
    const { website, ...fields } = formBody(req);
    void website;
    const form = parseForm(requestSchema, emptyToUndefined(fields));
    if (!form.ok)
      return renderRequestForm(res, 422, { values: req.body ?? {}, errors: form.errors, errorList: form.list });
    try {
      await pool.submitPoolRequest({
        input: form.data,
        connection: connectionOf(req),
        submissionKey: clientSubmissionKey(req),
      });
    } catch (error) {
      // Too many requests from her connection: the form again, with what she typed and when to try again (429).
      const { status, errors, list } = formRefusalFrom(error, res, '(body)');
      return renderRequestForm(res, status, { values: req.body ?? {}, errors, errorList: list });
    }
    res.redirect(303, '/pool/request/thanks');
  });
  web.get('/pool/request/thanks', (_req, res) => res.render('pool/thanks', { title: 'Check your email' }));
  web.get('/pool/requests/confirm/:token', async (req, res) => {
    // The GET only shows the request and a Confirm button: mail scanners open every link.
    const request = await pool.requestForLink({ secret: String(req.params.token) });
    res.render('pool/confirm', {
      title: 'Confirm your request',
      request,
      token: req.params.token,
      confirmed: request.status !== 'unconfirmed',
      ...common,
    });
  });
  web.post('/pool/requests/confirm/:token', async (req, res) => {
    const result = await pool.confirmPoolRequest({ secret: String(req.params.token) });
    res.render('pool/confirm', {
      title: 'Your request is confirmed',
      request: result.request,
      token: req.params.token,
      confirmed: true,
      ...common,
    });
  });

  web.get('/admin/pool', requireRole('admin'), (req, res) => renderTriage(req, res));
  web.post('/admin/pool/:id/offer', requireRole('admin'), async (req, res) => {
    try {
      await pool.offerPoolRequest({
        actor: req.user!,
        requestId: String(req.params.id),
        userId: String(req.body?.userId ?? ''),
      });
    } catch (error) {
      // Offered or closed meanwhile (another admin, a page left open): said at this request's field, not as an error page.
      const { status, errors, list } = formRefusalFrom(error, res, 'userId', { conflicts: true });
      return renderTriage(req, res, status, { failedRequest: req.params.id, errors, errorList: list });
    }
    flash(req, 'success', messages.offered);
    res.redirect(303, '/admin/pool');
  });
  web.post('/admin/pool/:id/close', requireRole('admin'), confirmClose, async (req, res) => {
    // Emailed to the organisation as typed: refused at its field when too long or not text, never cut short unseen.
    const form = parseForm(closeForm, formBody(req));
    if (!form.ok)
      return renderTriage(req, res, 422, {
        failedRequest: req.params.id,
        typedReason: String(formBody(req).reason ?? ''),
        errors: form.errors,
        errorList: form.list,
      });
    const reason = form.data.reason || 'No pool member was available.';
    try {
      await pool.closePoolRequest({ actor: req.user!, requestId: String(req.params.id), reason });
      flash(req, 'success', messages.closed);
    } catch (error) {
      // Accepted or closed meanwhile (another admin, a page left open): said on the page, which shows it as it is now.
      if (!(error instanceof ConflictError)) throw error;
      flash(req, 'error', error.message);
    }
    res.redirect(303, '/admin/pool');
  });
}
