import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { organisationTypes, signatureKinds } from '../models/PledgeSignature.ts';
import { requireRole } from '../server/auth.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../server/errors.ts';
import { versionFromForm } from '../server/versions.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { afterAnswering } from '../server/http/afterAnswering.ts';
import { flash } from '../server/http/flash.ts';
import { sendKeepable } from '../server/http/keepableAnswers.ts';
import {
  emailLinkForm,
  formBody,
  formErrorsFrom,
  formRefusalFrom,
  parseFilters,
  parseForm,
} from '../server/http/forms.ts';
import { connectionOf } from '../server/http/rateLimits.ts';
import {
  emailAddress,
  optionalPersonName,
  optionalText,
  paging,
  personName,
  text,
  wholeNumberParam,
} from '../server/http/validate.ts';
import type { PledgeActor } from '../server/policies/pledge.ts';
import { absoluteUrl } from '../server/settings.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import * as pledge from '../server/services/pledge/index.ts';

const messages = {
  chooseType: 'choose the type of organisation',
  linkSent:
    'If this address has signed the Pledge, we have emailed it a link to manage the signature. The link works once, for 24 hours.',
  commitmentsSaved: 'Your commitments are saved. They now appear on your public page.',
  updatePosted: 'Your progress update is posted.',
  updateNotPosted: 'Your progress update was not posted',
  updateKept: 'Nothing was posted. Here is what you wrote: copy it, ask for a new manage link, and post it again.',
  preferenceSaved: 'Your choice is saved.',
  deleted: 'The signature and everything attached to it have been deleted.',
  finishedManaging:
    'You have finished managing: this browser can no longer manage the signature. To manage it again, ask for a new link.',
  hidden: 'The signature is hidden from the public list.',
  unhidden: 'The signature is visible again.',
  optionAdded: 'The commitment is added to the list.',
  optionSaved: 'The commitment is saved.',
  confirmDelete: 'Tick the box to confirm that you want to delete the signature.',
  countryCode: 'must be an ISO 3166-1 alpha-2 country code such as GB',
};

export const typeLabels: Record<string, string> = {
  school: 'School',
  trust: 'Trust',
  'governing-board': 'Governing board',
  'leadership-organisation': 'Leadership organisation',
  government: 'Government body',
  other: 'Other organisation',
  individual: 'Individual',
};

const country = z
  .string()
  .trim()
  .max(2, messages.countryCode)
  .toUpperCase()
  .refine(pledge.isCountryCode, messages.countryCode);

export const signSchema = z
  .strictObject({
    kind: z.enum(signatureKinds),
    name: personName(200),
    email: emailAddress(),
    organisationType: z.enum(organisationTypes).optional(),
    role: optionalText(120).optional(),
    contactName: optionalPersonName(120).optional(),
    region: text(100),
    country,
    showName: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.kind === 'organisation' && !value.organisationType)
      ctx.addIssue({ code: 'custom', path: ['organisationType'], message: messages.chooseType });
  });

const listQuerySchema = z.strictObject({
  type: z.enum([...organisationTypes, 'individual']).optional(),
  region: z.string().trim().max(100).optional(),
  country: country.optional(),
  q: z.string().trim().max(100).optional(),
  ...paging,
});
const hideSchema = z.strictObject({ hidden: z.boolean(), reason: text(500) });
const publicSignatureSchema = z.object({
  id: z.string(),
  kind: z.enum(signatureKinds),
  name: z.string(),
  organisationType: z.enum(organisationTypes).optional(),
  region: z.string(),
  country: z.string(),
  confirmedAt: z.string(),
});
const countsSchema = z.object({
  total: z.number(),
  byType: z.record(z.string(), z.number()),
  byRegion: z.record(z.string(), z.number()),
});

/**
 * Web sign forms: one page per kind, their fields in the order the form shows them (so the error summary lists them
 * in that order); the checkbox arrives as "yes"; the honeypot is dropped. An empty required field is absent (its
 * error is "is required"); the optional role is passed as typed, so that emptying it clears it when she signs again
 * (a role missing from the body, as from an older page, leaves it as it is).
 */
const signForms = {
  organisation: z.strictObject({
    kind: z.literal('organisation'),
    name: signSchema.shape.name,
    organisationType: z.enum(organisationTypes, { error: messages.chooseType }),
    contactName: personName(120),
    email: signSchema.shape.email,
    region: signSchema.shape.region,
    country,
  }),
  individual: z.strictObject({
    kind: z.literal('individual'),
    name: signSchema.shape.name,
    role: signSchema.shape.role,
    email: signSchema.shape.email,
    region: signSchema.shape.region,
    country,
    showName: z.boolean(),
  }),
};
const signFormSchema = (kind: 'organisation' | 'individual') =>
  z.preprocess((raw) => {
    const b = (raw ?? {}) as Record<string, unknown>;
    const pick = (k: string) => (typeof b[k] === 'string' && (b[k] as string).trim() !== '' ? b[k] : undefined);
    return kind === 'organisation'
      ? {
          kind,
          name: pick('name') ?? '',
          organisationType: pick('organisationType'),
          contactName: pick('contactName') ?? '',
          email: pick('email') ?? '',
          region: pick('region') ?? '',
          country: pick('country') ?? '',
        }
      : {
          kind,
          name: pick('name') ?? '',
          role: typeof b.role === 'string' ? b.role : undefined,
          email: pick('email') ?? '',
          region: pick('region') ?? '',
          country: pick('country') ?? '',
          showName: b.showName === 'yes',
        };
  }, signForms[kind]);

const emptyToUndefined = (raw: unknown) =>
  Object.fromEntries(Object.entries({ ...(raw as object) }).filter(([, v]) => v !== ''));
const optionFormSchema = z.object({
  title: text(200),
  description: optionalText(1000).optional(),
  position: wholeNumberParam({ min: 0, max: 10_000 }).optional(),
});
const progressFormSchema = z.object({ optionId: z.string().trim().min(1, 'choose a commitment'), body: text(1000) });
const reasonFormSchema = z.object({ reason: text(500) });
const adminListSchema = z.object({
  q: z.string().trim().max(100).optional(),
  status: z.enum(['pending', 'confirmed', 'hidden']).optional(),
  ...paging,
});

/**
 * A browser session's access to signatures, granted by a confirmation or manage link (two hours). It lives in the
 * session, so it ends with it (idle timeout, sign-out) or when she presses "Finish managing" (forgetGrants): on a
 * shared office computer the next person must not find it.
 */
const grantMs = 2 * 60 * 60 * 1000;
declare module 'express-session' {
  interface SessionData {
    pledgeGrants?: Record<string, number>;
  }
}
function grant(req: Request, signatureId: string): void {
  req.session.pledgeGrants = { ...(req.session.pledgeGrants ?? {}), [signatureId]: Date.now() + grantMs };
}
function forgetGrants(req: Request): void {
  delete req.session.pledgeGrants;
}
/** Whether this browser holds link access to forget ("Finish managing" is shown only then). */
const holdsGrants = (req: Request): boolean => actorOf(req).grantedSignatureIds.length > 0;
function actorOf(req: Request): PledgeActor {
  const now = Date.now();
  return {
    user: req.user,
    grantedSignatureIds: Object.entries(req.session?.pledgeGrants ?? {})
      .filter(([, until]) => until > now)
      .map(([id]) => id),
  };
}

async function publicList(query: z.output<typeof listQuerySchema>) {
  const { limit, cursor, ...filter } = query;
  const { q, ...countFilter } = filter;
  void q;
  const [page, { byCountry, ...counts }] = await Promise.all([
    pledge.listPublicSignatures({ filter, limit, cursor }),
    pledge.countSignatures({ filter: countFilter }),
  ]);
  void byCountry;
  return { ...page, counts };
}

/** The public list; a filter that cannot be read lists nobody, with its error at its field (parseFilters). */
async function signatoriesPage(req: Request, res: Response) {
  const filters = parseFilters(listQuerySchema, req.query);
  const all = await pledge.countSignatures({ filter: {} });
  const chosenCountry = filters.ok ? filters.data.country : undefined;
  // Only the countries that have signatories are offered (a select of 249 would mostly lead to empty pages).
  const countries = pledge.countries.filter((c) => all.byCountry[c.code] || c.code === chosenCountry);
  res.status(filters.ok ? 200 : 422).render('pledge/signatories', {
    title: 'Who has signed the Pledge',
    query: filters.ok ? filters.data : filters.values,
    ...(filters.ok ? await publicList(filters.data) : { items: [], nextCursor: null, counts: null }),
    filterRefused: !filters.ok,
    errors: filters.errors,
    errorList: filters.list,
    all,
    typeLabels,
    organisationTypes,
    countries,
    countryName: pledge.countryName,
  });
}

async function adminSignaturesPage(req: Request, res: Response) {
  const filters = parseFilters(adminListSchema, req.query);
  res.status(filters.ok ? 200 : 422).render('pledge/admin/signatures', {
    title: 'Pledge signatures',
    query: filters.ok ? filters.data : filters.values,
    ...(filters.ok ? await pledge.searchAllSignatures(filters.data) : { items: [], nextCursor: null }),
    filterRefused: !filters.ok,
    errors: filters.errors,
    errorList: filters.list,
    typeLabels,
  });
}

function renderSignForm(
  res: Response,
  kind: 'organisation' | 'individual',
  status = 200,
  extra: Record<string, unknown> = {},
) {
  res.status(status).render('pledge/sign', {
    title: kind === 'organisation' ? 'Sign the Pledge for an organisation' : 'Sign the Pledge as an individual',
    kind,
    countries: pledge.countries,
    organisationTypes,
    typeLabels,
    values: {},
    ...extra,
  });
}

async function signFromForm(req: Request, res: Response) {
  const kind = req.params.kind === 'individual' ? 'individual' : 'organisation';
  // Bots fill every field: a filled honeypot gets the same answer as everyone, and nothing is stored or sent.
  if (typeof req.body?.website === 'string' && req.body.website.trim() !== '')
    return res.redirect(303, '/pledge/thanks');
  const form = parseForm(signFormSchema(kind), req.body);
  if (!form.ok)
    return renderSignForm(res, kind, 422, { values: formBody(req), errors: form.errors, errorList: form.list });
  try {
    await pledge.signPledge({ input: form.data, now: new Date(), connection: connectionOf(req) });
  } catch (error) {
    // Too many signings from her connection: the form again, with what she typed and when to try again (429).
    const { status, errors, list } = formRefusalFrom(error, res, '(body)');
    return renderSignForm(res, kind, status, { values: formBody(req), errors, errorList: list });
  }
  res.redirect(303, '/pledge/thanks');
}

const confirmationTitles: Record<pledge.ConfirmationView['state'], (isChange: boolean) => string> = {
  ready: (isChange) => (isChange ? 'Confirm your new details' : 'Confirm your signature'),
  'confirmed-now': (isChange) => (isChange ? 'Your changes are confirmed' : 'Thank you for signing'),
  'already-confirmed': () => 'This signature is already confirmed',
};

function renderConfirmation(res: Response, token: string, confirmation: pledge.ConfirmationView) {
  res.render(confirmation.state === 'ready' ? 'pledge/confirm' : 'pledge/confirmed', {
    title: confirmationTitles[confirmation.state](confirmation.isChange),
    confirmation,
    token,
    typeLabels,
    countryName: pledge.countryName,
  });
}

/** The page where she asks for a manage link (and finds the signatures her account or session may manage). */
async function renderManageStart(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  res.status(status).render('pledge/manage-start', {
    title: 'Manage your pledge',
    signatures: await pledge.manageableSignatures(actorOf(req)),
    holdsGrants: holdsGrants(req),
    values: {},
    ...extra,
  });
}

async function renderManagePage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const view = await pledge.manageView({ actor: actorOf(req), signatureId: String(req.params.id) });
  res.status(status).render('pledge/manage', {
    title: `Manage the Pledge: ${view.signature.name}`,
    ...view,
    holdsGrants: holdsGrants(req),
    values: {},
    ...extra,
  });
}

/**
 * A progress update refused because her manage access ended while she wrote (it lasts grantMs from the link) or was
 * never hers: the manage page cannot be shown, so her text comes back on a page of its own, read-only, to copy. With
 * her access gone the refusal is the 404 of an unknown signature (mayKnowOfSignature), so both keep her text.
 */
function keptUpdatePage(error: unknown, req: Request, res: Response): boolean {
  const body = (req.body as Record<string, unknown> | undefined)?.body;
  const refused = error instanceof ForbiddenError || error instanceof NotFoundError;
  if (!refused || typeof body !== 'string' || !body.trim()) return false;
  res.status(error.status).render('pledge/update-kept', {
    title: messages.updateNotPosted,
    hint: messages.updateKept,
    body,
    errorList: [{ path: 'body', message: error.message }],
    errors: { body: error.message },
  });
  return true;
}

/**
 * Runs a manage action; a rule broken in a form re-renders the manage page with the errors (422). `keepsText`: a
 * refusal of access gives back the text she wrote (keptUpdatePage).
 */
function manageAction(action: (req: Request) => Promise<unknown>, done: string, keepsText = false) {
  return async (req: Request, res: Response) => {
    try {
      await action(req);
    } catch (error) {
      if (keepsText && keptUpdatePage(error, req, res)) return;
      if (error instanceof ConflictError && !error.errors.length) {
        // Saved by someone else since she opened the page: what she sent comes back unsaved, with the version now
        // stored (the page reads it again), so that sending it again (knowing) replaces the other change.
        const { version: _opened, ...values } = (req.body ?? {}) as Record<string, unknown>;
        void _opened;
        return renderManagePage(req, res, 409, { errorList: [{ path: '(page)', message: error.message }], values });
      }
      const { errors, list } = formErrorsFrom(error);
      return renderManagePage(req, res, 422, { errors, errorList: list, values: req.body ?? {} });
    }
    flash(req, 'success', done);
    res.redirect(303, `/pledge/signatures/${req.params.id}/manage`);
  };
}

async function postUpdate(req: Request) {
  const form = parseForm(progressFormSchema, req.body);
  if (!form.ok) throw new ValidationError('Some details need correcting.', form.list);
  await pledge.postProgressUpdate({
    actor: actorOf(req),
    signatureId: String(req.params.id),
    ...form.data,
    submissionKey: clientSubmissionKey(req),
    now: new Date(),
  });
}

async function adminDetail(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const detail = await pledge.adminSignatureDetail(String(req.params.id));
  res.status(status).render('pledge/admin/signature', {
    title: detail.signature ? detail.signature.name : 'Deleted signature',
    ...detail,
    typeLabels,
    values: {},
    ...extra,
  });
}

async function adminOptions(res: Response, status = 200, extra: Record<string, unknown> = {}) {
  res.status(status).render('pledge/admin/commitments', {
    title: 'Pledge commitments',
    options: await pledge.listCommitmentOptions({ includeRetired: true }),
    values: {},
    ...extra,
  });
}

export function registerPledgeRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'post',
      path: '/pledge/signatures',
      tag: 'pledge',
      summary: 'Sign the Pledge (always 202; a confirmation link is emailed)',
      access: 'public',
      body: signSchema,
      success: {
        status: 202,
        description: 'Recorded as pending until the email is confirmed',
        schema: z.object({ status: z.literal('pending') }),
      },
      errors: [429],
    },
    async ({ body, req }) => pledge.signPledge({ input: body, now: new Date(), connection: connectionOf(req) }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/pledge/signatures',
      tag: 'pledge',
      summary: 'The public list of signatories, with counts by type and region',
      access: 'public',
      query: listQuerySchema,
      success: {
        status: 200,
        description: 'A page of confirmed, visible signatures',
        schema: z.object({
          items: z.array(publicSignatureSchema),
          nextCursor: z.string().nullable(),
          counts: countsSchema,
        }),
      },
    },
    async ({ query }) => publicList(query),
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/pledge/signatures/:id',
      tag: 'pledge',
      summary: 'Hide a signature (or show it again), with a reason kept in the audit trail',
      access: ['admin'],
      body: hideSchema,
      success: {
        status: 200,
        description: 'The signature',
        schema: z.object({
          id: z.string(),
          hidden: z.boolean(),
          hiddenReason: z.string().nullable(),
          status: z.string(),
        }),
      },
    },
    async ({ body, params, user, req }) => {
      const updated = await pledge.setSignatureHidden({
        signatureId: params.id!,
        hidden: body.hidden,
        reason: body.reason,
        actor: user,
        now: new Date(),
        ip: req.ip,
      });
      return {
        id: updated.id,
        kind: updated.kind,
        name: updated.name,
        status: updated.status,
        hidden: updated.hidden,
        hiddenReason: updated.hiddenReason,
      };
    },
  );

  web.get('/pledge', async (_req, res) =>
    res.render('pledge/index', {
      title: 'The Leading Women to Headship Pledge',
      counts: await pledge.countSignatures({ filter: {} }),
      typeLabels,
    }),
  );
  web.get('/pledge/sign/:kind', (req, res) =>
    signatureKinds.includes(req.params.kind as never)
      ? renderSignForm(res, req.params.kind as 'organisation')
      : res.redirect(303, '/pledge'),
  );
  web.post('/pledge/sign/:kind', signFromForm);
  web.get('/pledge/thanks', (_req, res) => res.render('pledge/thanks', { title: 'Check your email' }));
  // The GET only shows the signature and a Confirm button: mail scanners open every link and must not use it up.
  web.get('/pledge/confirm/:token', async (req, res) =>
    renderConfirmation(
      res,
      req.params.token,
      await pledge.viewConfirmation({ secret: req.params.token, now: new Date() }),
    ),
  );
  web.post('/pledge/confirm/:token', async (req, res) => {
    const confirmation = await pledge.confirmSignature({ secret: req.params.token, now: new Date() });
    // Only the press that confirmed grants manage access; a later press of a used link shows the state, nothing more.
    if (confirmation.state === 'confirmed-now') grant(req, confirmation.id);
    renderConfirmation(res, req.params.token, confirmation);
  });
  web.get('/pledge/signatories', signatoriesPage);
  web.get('/pledge/organisations/:id', async (req, res) => {
    const page = await pledge.organisationPage({ id: req.params.id });
    res.render('pledge/organisation', {
      title: page.signature.name,
      ...page,
      typeLabels,
      badgeUrl: absoluteUrl(`/pledge/organisations/${page.signature.id}/badge.svg`),
      pageUrl: absoluteUrl(`/pledge/organisations/${page.signature.id}`),
    });
  });
  web.get('/pledge/organisations/:id/badge.svg', async (req, res) => {
    const signature = await pledge.findPublicOrganisation(req.params.id);
    // Embedded on other sites: helmet's default Cross-Origin-Resource-Policy (same-origin) would block the image there.
    res
      .set('Cache-Control', 'public, max-age=86400, stale-while-revalidate=604800')
      .set('Cross-Origin-Resource-Policy', 'cross-origin')
      .type('image/svg+xml');
    sendKeepable(
      res,
      pledge.badgeSvg({
        organisationName: signature.name,
        year: (signature.confirmedAt ?? new Date()).getUTCFullYear(),
      }),
    );
  });

  web.get('/pledge/manage', (req, res) => renderManageStart(req, res));
  web.post('/pledge/manage', async (req, res) => {
    // A malformed address is a typing error to show; a well-formed one gets the same answer whether or not it signed.
    const form = parseForm(emailLinkForm, req.body);
    if (!form.ok)
      return renderManageStart(req, res, 422, { values: formBody(req), errors: form.errors, errorList: form.list });
    let request: Awaited<ReturnType<typeof pledge.requestManageLink>>;
    try {
      request = await pledge.requestManageLink({
        email: form.data.email,
        now: new Date(),
        connection: connectionOf(req),
      });
    } catch (error) {
      // Too many requests from her connection: the form again, with her address and when to try again (429).
      const { status, errors, list } = formRefusalFrom(error, res, '(body)');
      return renderManageStart(req, res, status, { values: formBody(req), errors, errorList: list });
    }
    afterAnswering(res, 'pledge manage link request', request.send);
    flash(req, 'info', messages.linkSent);
    res.redirect(303, '/pledge/manage');
  });
  // Registered before the links' routes: "finish" is no link's secret.
  web.post('/pledge/manage/finish', (req, res) => {
    forgetGrants(req);
    flash(req, 'success', messages.finishedManaging);
    res.redirect(303, '/pledge');
  });
  // The GET only shows a button: mail scanners that open links must not use up a single-use link.
  web.get('/pledge/manage/:token', async (req, res) => {
    await pledge.checkManageLink({ secret: req.params.token, now: new Date() });
    res.render('pledge/manage-continue', { title: 'Manage your pledge', token: req.params.token });
  });
  web.post('/pledge/manage/:token', async (req, res) => {
    const { signatureId } = await pledge.openManageLink({ secret: req.params.token, now: new Date() });
    grant(req, signatureId);
    res.redirect(303, `/pledge/signatures/${signatureId}/manage`);
  });
  web.get('/pledge/signatures/:id/manage', (req, res) => renderManagePage(req, res));
  web.post(
    '/pledge/signatures/:id/commitments',
    manageAction(
      (req) =>
        pledge.setCommitments({
          actor: actorOf(req),
          signatureId: String(req.params.id),
          optionIds: [].concat(req.body?.optionIds ?? []).filter((v) => typeof v === 'string'),
          now: new Date(),
          expectedVersion: versionFromForm(req.body?.version),
        }),
      messages.commitmentsSaved,
    ),
  );
  web.post('/pledge/signatures/:id/updates', manageAction(postUpdate, messages.updatePosted, true));
  web.post(
    '/pledge/signatures/:id/show-name',
    manageAction(
      (req) =>
        pledge.setShowName({
          actor: actorOf(req),
          signatureId: String(req.params.id),
          showName: req.body?.showName === 'yes',
        }),
      messages.preferenceSaved,
    ),
  );
  web.post(
    '/pledge/signatures/:id/readiness',
    manageAction(
      (req) =>
        pledge.setReadinessShownByContact({
          actor: actorOf(req),
          signatureId: String(req.params.id),
          show: req.body?.show === 'yes',
        }),
      messages.preferenceSaved,
    ),
  );
  web.post('/pledge/signatures/:id/delete', async (req, res) => {
    if (req.body?.confirm !== 'yes')
      return renderManagePage(req, res, 422, {
        errors: { confirm: messages.confirmDelete },
        errorList: [{ path: 'confirm', message: messages.confirmDelete }],
      });
    await pledge.deleteOwnSignature({ actor: actorOf(req), signatureId: String(req.params.id), now: new Date() });
    flash(req, 'success', messages.deleted);
    res.redirect(303, '/pledge');
  });

  web.get('/admin/pledge', requireRole('admin'), async (req, res) =>
    res.render('pledge/admin/dashboard', {
      title: 'The Pledge: dashboard',
      ...(await pledge.pledgeDashboard({ now: new Date(), zone: req.user!.timezone })),
      typeLabels,
    }),
  );
  web.get('/admin/pledge/signatures', requireRole('admin'), adminSignaturesPage);
  web.get('/admin/pledge/signatures/:id', requireRole('admin'), (req, res) => adminDetail(req, res));
  web.post('/admin/pledge/signatures/:id/visibility', requireRole('admin'), async (req, res) => {
    const form = parseForm(reasonFormSchema, req.body);
    if (!form.ok)
      return adminDetail(req, res, 422, {
        failedForm: 'visibility',
        errors: form.errors,
        errorList: form.list,
        values: req.body ?? {},
      });
    const hidden = req.body?.hidden === 'yes';
    await pledge.setSignatureHidden({
      signatureId: String(req.params.id),
      hidden,
      reason: form.data.reason,
      actor: req.user!,
      now: new Date(),
      ip: req.ip,
    });
    flash(req, 'success', hidden ? messages.hidden : messages.unhidden);
    res.redirect(303, `/admin/pledge/signatures/${req.params.id}`);
  });
  web.post('/admin/pledge/signatures/:id/delete', requireRole('admin'), async (req, res) => {
    const form = parseForm(reasonFormSchema, req.body);
    if (!form.ok || req.body?.confirm !== 'yes')
      return adminDetail(req, res, 422, {
        failedForm: 'delete',
        values: req.body ?? {},
        errors: {
          ...(form.ok ? {} : form.errors),
          ...(req.body?.confirm === 'yes' ? {} : { confirm: messages.confirmDelete }),
        },
        errorList: [
          ...(form.ok ? [] : form.list),
          ...(req.body?.confirm === 'yes' ? [] : [{ path: 'confirm', message: messages.confirmDelete }]),
        ],
      });
    await pledge.deleteSignature({
      signatureId: String(req.params.id),
      actorId: req.user!.id,
      actorLabel: req.user!.name,
      reason: form.data.reason,
      now: new Date(),
    });
    flash(req, 'success', messages.deleted);
    res.redirect(303, '/admin/pledge/signatures');
  });
  web.get('/admin/pledge/commitments', requireRole('admin'), (_req, res) => adminOptions(res));
  web.post('/admin/pledge/commitments', requireRole('admin'), async (req, res) => {
    const form = parseForm(optionFormSchema, emptyToUndefined(req.body));
    if (!form.ok) return adminOptions(res, 422, { values: req.body, errors: form.errors, errorList: form.list });
    await pledge.createCommitmentOption({ ...form.data, submissionKey: clientSubmissionKey(req) });
    flash(req, 'success', messages.optionAdded);
    res.redirect(303, '/admin/pledge/commitments');
  });
  web.post('/admin/pledge/commitments/:id', requireRole('admin'), async (req, res) => {
    const form = parseForm(optionFormSchema, emptyToUndefined(req.body));
    if (!form.ok)
      return adminOptions(res, 422, {
        editing: req.params.id,
        values: req.body ?? {},
        errors: form.errors,
        errorList: form.list,
      });
    try {
      await pledge.updateCommitmentOption({
        id: String(req.params.id),
        ...form.data,
        active: req.body?.active === 'yes',
        expectedVersion: versionFromForm(req.body?.version),
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Edited by another admin since she opened the page: what she typed comes back unsaved on that option's form,
      // with the version now stored, so that sending it again (knowing) replaces the other edit.
      const { version: _opened, ...typed } = (req.body ?? {}) as Record<string, unknown>;
      void _opened;
      return adminOptions(res, 409, {
        editing: req.params.id,
        values: typed,
        errors: {},
        // One form among many: the summary links to the first field of hers (views/pledge/admin/commitments.ejs).
        errorList: [{ path: '(option)', at: 'title', message: error.message }],
      });
    }
    flash(req, 'success', messages.optionSaved);
    res.redirect(303, '/admin/pledge/commitments');
  });
  web.get('/admin/pledge/export/:file', requireRole('admin'), async (req, res) => {
    const kind = /^(\w+)\.csv$/.exec(String(req.params.file))?.[1];
    if (!pledge.exportKinds.includes(kind as never)) throw new NotFoundError('There is no such export.');
    res
      .set('Content-Disposition', downloadDisposition(`pledge-${kind}`, 'csv'))
      .set('Cache-Control', 'no-store')
      .type('text/csv; charset=utf-8')
      .send('\uFEFF' + (await pledge.exportCsv({ kind: kind as pledge.ExportKind })));
  });
}
