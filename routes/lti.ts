import { logger } from '../server/logger.ts';
import { parse as parseCookies } from 'cookie';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { sendKeepable } from '../server/http/keepableAnswers.ts';
import { errorsOfListFields, formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { allowFramingBy } from '../server/http/ltiFraming.ts';
import { connectionOf } from '../server/http/rateLimits.ts';
import { logIn } from '../server/http/signedInSessions.ts';
import { paging, text } from '../server/http/validate.ts';
import { ConflictError } from '../server/errors.ts';
import { pageInMemory } from '../server/pagination.ts';
import { recordAuditEvent } from '../server/services/audit/events.ts';
import { recordSignIn } from '../server/services/accounts/signIn.ts';
import { loadRunCohort } from '../server/services/cohorts/cohorts.ts';
import { settings } from '../server/settings.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import {
  LaunchRefusedError,
  addDeploymentId,
  deepLinkingResponse,
  deletePlatform,
  findPlatform,
  frameOriginsOf,
  issueLaunchSecret,
  lastRosterSync,
  launchToLink,
  linkExistingAccount,
  listPlatforms,
  pendingDeepLink,
  newAccountZone,
  personOf,
  pickerItems,
  placePerson,
  platformChangesSchema,
  platformOrigins,
  platformSettingsSchema,
  recordLaunch,
  requireContentAdder,
  requireCourseRole,
  registerPlatform,
  rotateToolKey,
  coursesOfCohort,
  signedInUser,
  startLogin,
  stateCookieName,
  syncCohortRoster,
  toolJwks,
  toolValues,
  undeliveredScores,
  updatePlatform,
  verifyLaunch,
} from '../server/services/lti/index.ts';
import { isCourseStaff, personNameOf, rolesOf } from '../server/services/lti/claims.ts';
import { originOf } from '../server/services/lti/platforms.ts';

const messages = {
  registered: 'The platform is registered. Paste the tool values shown here into it.',
  saved: 'The platform registration is saved: its people keep their links and its courses their cohorts.',
  deleted: 'The platform registration is deleted: its launches are refused from now on.',
  deploymentAdded: 'The deployment id is added: launches from that deployment are accepted from now on.',
  rotated: 'A new signing key is in use; the previous one stays published for 7 days.',
  rotatedAlready: 'The signing key had just been replaced by another request, so nothing more was changed.',
  synced: (c: { added: number; kept: number; waitlisted: number }) =>
    `Class list synced: ${c.added} enrolled, ${c.kept} already here, ${c.waitlisted} on the waitlist.`,
  confirmDelete: 'Tick the box to confirm that you want to delete this registration.',
};

/** A registration as an admin sends it: named as anything else is (text()), with what LTI asks of the rest. */
const platformInputSchema = z.strictObject({ name: text(120), ...platformSettingsSchema.shape });
const platformView = platformInputSchema.extend({
  id: z.string(),
  createdAt: z.string(),
  version: z.number().nullable(),
});
/** A correction: any of the registration's fields, and the `version` read (a save by someone else since is a 409). */
const platformChangesInputSchema = z.strictObject({
  name: text(120).optional(),
  ...platformChangesSchema.shape,
  version: z.number().int().min(0).nullable().optional(),
});
const syncView = z.object({ added: z.number().int(), kept: z.number().int(), waitlisted: z.number().int() });

/** The web forms send deployment ids one per line. */
const deploymentIdsOfForm = (typed: unknown): string[] =>
  typeof typed === 'string'
    ? typed
        .split(/[\r\n,]+/)
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

const platformFormSchema = z.preprocess((raw) => {
  const b = (raw ?? {}) as Record<string, unknown>;
  const ids = deploymentIdsOfForm(b.deploymentIds);
  return {
    name: b.name,
    issuer: b.issuer,
    clientId: b.clientId,
    authLoginUrl: b.authLoginUrl,
    authTokenUrl: b.authTokenUrl,
    // Optional: a field left empty is no audience (the token URL's), not an address that fails to be one.
    authTokenAudience:
      typeof b.authTokenAudience === 'string' && b.authTokenAudience.trim() ? b.authTokenAudience : undefined,
    jwksUrl: b.jwksUrl,
    deploymentIds: ids,
  };
}, platformInputSchema);

/**
 * The edit form: every field but the issuer and client id, which it shows and never sends (updatePlatform). An empty
 * token audience goes back to the token URL's.
 */
const platformEditFormSchema = z.preprocess(
  (raw) => {
    const b = (raw ?? {}) as Record<string, unknown>;
    return {
      name: b.name ?? '',
      authLoginUrl: b.authLoginUrl ?? '',
      authTokenUrl: b.authTokenUrl ?? '',
      authTokenAudience:
        typeof b.authTokenAudience === 'string' && b.authTokenAudience.trim() ? b.authTokenAudience : null,
      jwksUrl: b.jwksUrl ?? '',
      deploymentIds: deploymentIdsOfForm(b.deploymentIds),
    };
  },
  platformChangesInputSchema.omit({ issuer: true, clientId: true, version: true }),
);

/** States whose cookies this browser sent (a state cookie's value is its state). */
function browserStates(req: Request): Set<string> {
  const cookies = parseCookies(req.headers.cookie ?? '');
  return new Set(
    Object.entries(cookies)
      .filter(([name, value]) => name.startsWith('lti_state_') && name === stateCookieName(value ?? ''))
      .map(([, value]) => value!),
  );
}

/**
 * Set on our answer to the platform's login request and sent back with its cross-site form post: in production
 * `SameSite=None; Secure` (a Lax cookie is not sent with a cross-site POST); plain http outside production cannot
 * carry a Secure cookie, so there it has no SameSite attribute. With embedded launches on (SESSION_COOKIE_SAMESITE=
 * none) it is also Partitioned, as the session cookie is: inside the LMS's frame it is a third-party cookie, which
 * browsers that block those (Chromium's default now) send only when partitioned (test/e2e/ltiEmbedded.test.ts).
 */
const stateCookieOptions = (maxAge?: number) => ({
  httpOnly: true,
  path: '/lti',
  ...(maxAge ? { maxAge } : {}),
  ...(settings.env === 'production' ? { sameSite: 'none' as const, secure: true } : {}),
  ...(settings.sessionCookieSameSite === 'none' ? { partitioned: true } : {}),
});

/**
 * The refusal page shows inside the LMS's frame. Besides the registered platforms' origins it may be framed by the
 * origin that posted the launch (the platform's page on the course's domain: on Canvas the school's, which no
 * registration names); the page holds no session and no form, so that origin gains nothing by framing it.
 */
function refused(req: Request, res: Response, error: LaunchRefusedError, origins: string[]): void {
  logger.warn({ requestId: req.id, check: error.check, reason: error.message }, 'LTI launch refused');
  if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  const poster = req.method === 'POST' ? originOf(req.get('origin')) : undefined;
  allowFramingBy(res, poster ? [...origins, poster] : origins);
  res.status(error.status).render('lti/refused', {
    title: 'Launch refused',
    check: error.check,
    reason: error.message,
    newWindowUrl: error.newWindowUrl,
  });
}

async function loginHandler(req: Request, res: Response) {
  const source = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
  const request = Object.fromEntries(
    ['iss', 'login_hint', 'target_link_uri', 'client_id', 'lti_deployment_id', 'lti_message_hint']
      .filter((k) => typeof source?.[k] === 'string')
      .map((k) => [k, source[k] as string]),
  );
  try {
    const { redirectUrl, state, maxAgeMs } = await startLogin({ request, connection: connectionOf(req) });
    res.cookie(stateCookieName(state), state, stateCookieOptions(maxAgeMs));
    res.redirect(302, redirectUrl);
  } catch (error) {
    if (error instanceof LaunchRefusedError) return refused(req, res, error, await platformOrigins());
    throw error;
  }
}

async function launchHandler(req: Request, res: Response) {
  const body = (req.body ?? {}) as Record<string, unknown>;
  // The state is used once whatever happens: its cookie goes with this answer (set before any page is sent).
  if (typeof body.state === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(body.state))
    res.clearCookie(stateCookieName(body.state), stateCookieOptions());
  let launch;
  try {
    launch = await verifyLaunch({
      idToken: body.id_token,
      state: body.state,
      error: body.error,
      errorDescription: body.error_description,
      browserStates: browserStates(req),
    });
    await requireCourseRole(launch);
  } catch (error) {
    if (error instanceof LaunchRefusedError) return refused(req, res, error, await platformOrigins());
    throw error;
  }
  const { platform, claims } = launch;
  const origins = frameOriginsOf(launch);
  const roles = rolesOf(claims);
  const person = await personOf({
    platform,
    sub: claims.sub!,
    name: personNameOf(claims),
    email: typeof claims.email === 'string' ? claims.email : undefined,
    instructor: isCourseStaff(roles),
    timezone: () => newAccountZone(launch),
  });
  if ('linkEmail' in person) {
    const record = await recordLaunch({ launch });
    allowFramingBy(res, origins);
    const secret = await issueLaunchSecret(record._id);
    return res.render('lti/link', { title: 'Link your Pathways account', email: person.linkEmail, secret });
  }
  let user: Express.User;
  try {
    // Before the launch is recorded: one refused (an administrator's account) leaves no line item a grade could follow.
    user = await signedInUser(person.userId);
  } catch (error) {
    if (error instanceof LaunchRefusedError) return refused(req, res, error, origins);
    throw error;
  }
  const record = await recordLaunch({ launch, userId: person.userId });
  allowFramingBy(res, origins);
  let landing: string;
  let notice: string | undefined;
  if (launch.messageType === 'LtiDeepLinkingRequest') {
    try {
      requireContentAdder(user, roles);
    } catch (error) {
      if (error instanceof LaunchRefusedError) return refused(req, res, error, origins);
      throw error;
    }
    landing = `/lti/deep-link/${await issueLaunchSecret(record._id)}`;
  } else ({ landing, notice } = await placePerson({ launch: record, userId: person.userId }));
  await logIn(req, user);
  await recordSignIn({ user, ip: req.ip, factor: { lms: platform.name ?? platform.issuer } });
  req.session.ltiFrameOrigins = origins;
  req.session.signedInByLms = true;
  if (notice) flash(req, 'info', notice);
  res.redirect(303, landing);
}

export function registerLtiRoutes(web: Router, api: Router): void {
  // ── Tool endpoints (LTI Core 1.3; outside /api/v1) ──
  web.get('/lti/jwks', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('application/json');
    sendKeepable(res, JSON.stringify(await toolJwks()));
  });
  web.get('/lti/login', loginHandler);
  web.post('/lti/login', loginHandler);
  web.post('/lti/launch', launchHandler);
  web.get('/lti/link/:secret', requireSignIn, async (req, res) => {
    const launch = await launchToLink({ actor: req.user!, secret: req.params.secret as string });
    allowFramingBy(res, launch.frameOrigins);
    res.render('lti/link-confirm', { title: 'Link your Pathways account', secret: req.params.secret, launch });
  });
  web.post('/lti/link/:secret', requireSignIn, async (req, res) => {
    const { landing, notice } = await linkExistingAccount({ actor: req.user!, secret: req.params.secret as string });
    flash(req, 'success', 'Your LMS account is linked: next time you land here directly.');
    if (notice) flash(req, 'info', notice);
    res.redirect(303, landing);
  });
  web.get('/lti/deep-link/:secret', requireSignIn, async (req, res) => {
    const launch = await pendingDeepLink({ actor: req.user!, secret: req.params.secret as string });
    res.render('lti/picker', {
      title: 'Add Pathways content to your course',
      secret: req.params.secret,
      items: await pickerItems(req.user!, launch),
      oneOnly: launch.deepLinkAcceptMultiple === false,
    });
  });
  web.post('/lti/deep-link/:secret', requireSignIn, async (req, res) => {
    const raw = (req.body ?? {}).items;
    const choices = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (c): c is string => typeof c === 'string',
    );
    try {
      const { returnUrl, jwt } = await deepLinkingResponse({
        actor: req.user!,
        secret: req.params.secret as string,
        choices,
      });
      allowFramingBy(res, req.session.ltiFrameOrigins ?? [], [new URL(returnUrl).origin]);
      res.render('lti/autopost', { title: 'Returning to your course', returnUrl, jwt });
    } catch (error) {
      const form = formErrorsFrom(error);
      const launch = await pendingDeepLink({ actor: req.user!, secret: req.params.secret as string });
      res.status(422).render('lti/picker', {
        title: 'Add Pathways content to your course',
        secret: req.params.secret,
        items: await pickerItems(req.user!, launch),
        chosen: choices,
        errors: form.errors,
        errorList: form.list,
      });
    }
  });

  // ── Admin pages ──
  const renderAdmin = async (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
    res.render('lti/admin', {
      title: 'LTI platforms',
      platforms: await listPlatforms({ actor: req.user! }),
      tool: toolValues(),
      values: {},
      ...extra,
    });
  web.get('/admin/lti', requireRole('admin'), (req, res) => renderAdmin(req, res));
  web.post('/admin/lti/platforms', requireRole('admin'), async (req, res) => {
    const form = parseForm(platformFormSchema, req.body);
    const fail = (errors: Record<string, string>, errorList: unknown[], status = 422) =>
      renderAdmin(req, res.status(status), { values: req.body, errors, errorList });
    if (!form.ok) {
      const { errors, list } = errorsOfListFields(form.list, ['deploymentIds']);
      return fail(errors, list);
    }
    try {
      await registerPlatform({ actor: req.user!, input: form.data });
    } catch (error) {
      // Already registered: the API's 409, shown at the client id she typed, with everything she sent kept.
      if (error instanceof ConflictError)
        return fail({ clientId: error.message }, [{ path: 'clientId', message: error.message }], 409);
      const problem = formErrorsFrom(error);
      return fail(problem.errors, problem.list);
    }
    flash(req, 'success', messages.registered);
    res.redirect(303, '/admin/lti');
  });
  // Correcting a registration keeps its people's links and its courses' placements, which deleting would cut.
  const renderEdit = async (req: Request, res: Response, extra: Record<string, unknown> = {}) => {
    const platform = await findPlatform({ actor: req.user!, platformId: req.params.id as string });
    res.render('lti/edit', {
      title: `Edit ${platform.name}`,
      platform,
      values: { ...platform, deploymentIds: platform.deploymentIds.join('\n') },
      // The version she opens it at goes with the form: a save by someone else meanwhile is a 409, never undone.
      version: versionForForm(platform.version),
      ...extra,
    });
  };
  web.get('/admin/lti/platforms/:id/edit', requireRole('admin'), (req, res) => renderEdit(req, res));
  web.post('/admin/lti/platforms/:id/edit', requireRole('admin'), async (req, res) => {
    // Sent back, a refused form keeps what she typed and the version she opened.
    const { version, ...body } = (req.body ?? {}) as Record<string, unknown>;
    const fail = (status: number, errorList: { path: string; message: string }[], at = version) =>
      renderEdit(req, res.status(status), {
        values: body,
        version: at,
        errors: Object.fromEntries(errorList.map((e) => [e.path, e.message])),
        errorList,
      });
    const form = parseForm(platformEditFormSchema, body);
    if (!form.ok) return fail(422, errorsOfListFields(form.list, ['deploymentIds']).list);
    const platformId = req.params.id as string;
    try {
      await updatePlatform({
        actor: req.user!,
        platformId,
        changes: form.data,
        expectedVersion: versionFromForm(version),
      });
    } catch (error) {
      // Saved by someone else since she opened it: her changes come back unsaved, with the version now stored, so
      // that sending them again (knowing) replaces the other changes.
      if (error instanceof ConflictError && !error.errors.length) {
        const latest = await findPlatform({ actor: req.user!, platformId });
        return fail(409, [{ path: '(registration)', message: error.message }], versionForForm(latest.version));
      }
      const problem = formErrorsFrom(error);
      return fail(problem.status, problem.list);
    }
    flash(req, 'success', messages.saved);
    res.redirect(303, '/admin/lti');
  });
  // Deleting cuts every person and course of that LMS off their links (re-registering makes new ones): asked first.
  const renderDelete = async (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
    res.render('lti/delete', {
      title: 'Delete an LTI platform registration',
      platform: await findPlatform({ actor: req.user!, platformId: req.params.id as string }),
      ...extra,
    });
  web.get('/admin/lti/platforms/:id/delete', requireRole('admin'), (req, res) => renderDelete(req, res));
  web.post('/admin/lti/platforms/:id/delete', requireRole('admin'), async (req, res) => {
    if (req.body?.confirm !== 'yes')
      return renderDelete(req, res.status(422), {
        errors: { confirm: messages.confirmDelete },
        errorList: [{ path: 'confirm', message: messages.confirmDelete }],
      });
    await deletePlatform({ actor: req.user!, platformId: req.params.id as string });
    flash(req, 'success', messages.deleted);
    res.redirect(303, '/admin/lti');
  });
  // A new deployment of Pathways in the LMS (another Canvas sub-account) is added to its registration, links kept.
  const renderDeployments = async (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
    res.render('lti/deployments', {
      title: 'Add a deployment id',
      platform: await findPlatform({ actor: req.user!, platformId: req.params.id as string }),
      values: {},
      ...extra,
    });
  web.get('/admin/lti/platforms/:id/deployments', requireRole('admin'), (req, res) => renderDeployments(req, res));
  web.post('/admin/lti/platforms/:id/deployments', requireRole('admin'), async (req, res) => {
    const deploymentId = (req.body ?? {}).deploymentId as unknown;
    try {
      await addDeploymentId({ actor: req.user!, platformId: req.params.id as string, deploymentId });
    } catch (error) {
      const form = formErrorsFrom(error);
      return renderDeployments(req, res.status(form.status), {
        values: { deploymentId },
        errors: form.errors,
        errorList: form.list,
      });
    }
    flash(req, 'success', messages.deploymentAdded);
    res.redirect(303, '/admin/lti');
  });
  web.post('/admin/lti/keys/rotate', requireRole('admin'), async (req, res) => {
    const { kid, rotatedNow } = await rotateToolKey();
    if (!rotatedNow) {
      flash(req, 'info', messages.rotatedAlready);
      res.redirect(303, '/admin/lti');
      return;
    }
    await recordAuditEvent({
      action: 'lti-key-rotated',
      actor: { id: req.user!.id, name: req.user!.name },
      target: { type: 'lti-key', id: kid },
      ip: req.ip,
    });
    flash(req, 'success', messages.rotated);
    res.redirect(303, '/admin/lti');
  });

  // ── Cohort class list (facilitators of the cohort, admins) ──
  web.get('/cohorts/:id/lms', requireSignIn, async (req, res) => {
    const cohort = await loadRunCohort({ actor: req.user!, cohortId: req.params.id as string });
    res.render('lti/cohort', {
      title: `${cohort.name}: LMS class list`,
      cohort,
      sync: await lastRosterSync(String(cohort._id)),
      courses: await coursesOfCohort(String(cohort._id)),
      undelivered: await undeliveredScores(String(cohort._id)),
    });
  });
  web.post('/cohorts/:id/lti-sync', requireSignIn, async (req, res) => {
    try {
      const counts = await syncCohortRoster({ actor: req.user!, cohortId: req.params.id as string });
      flash(req, 'success', messages.synced(counts));
    } catch (error) {
      const problem = formErrorsFrom(error);
      flash(req, 'error', problem.message);
    }
    res.redirect(303, `/cohorts/${req.params.id as string}/lms`);
  });

  // ── API ──
  apiOperation(
    api,
    {
      method: 'post',
      path: '/lti/platforms',
      tag: 'lti',
      summary: 'Register an LTI 1.3 platform (an LMS)',
      access: ['admin'],
      body: platformInputSchema,
      success: { status: 201, description: 'The registration', schema: platformView },
      errors: [409],
    },
    async ({ user, body }) => registerPlatform({ actor: user, input: body }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/lti/platforms',
      tag: 'lti',
      summary: 'Registered LTI platforms',
      access: ['admin'],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'A page of platforms, in the order they were registered; nextCursor gives the next page',
        schema: z.object({ items: z.array(platformView), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => {
      const page = pageInMemory(await listPlatforms({ actor: user }), query, (platform) => platform.id);
      return { items: page.rows, nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/lti/platforms/:id',
      tag: 'lti',
      summary:
        'Correct an LTI platform registration (its links and course placements stay; the issuer and client id cannot change)',
      access: ['admin'],
      body: platformChangesInputSchema,
      success: { status: 200, description: 'The registration', schema: platformView },
      errors: [409],
    },
    async ({ user, params, body: { version, ...changes } }) =>
      updatePlatform({ actor: user, platformId: params.id!, changes, expectedVersion: version }),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/lti/platforms/:id',
      tag: 'lti',
      summary: 'Delete an LTI platform registration',
      access: ['admin'],
      success: { status: 204, description: 'Deleted' },
    },
    async ({ user, params }) => deletePlatform({ actor: user, platformId: params.id! }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/cohorts/:id/lti-sync',
      tag: 'lti',
      summary: "Sync a cohort from its LMS course's class list (NRPS)",
      access: [],
      success: { status: 200, description: 'What the sync did', schema: syncView },
      errors: [409, 422],
    },
    async ({ user, params }) => syncCohortRoster({ actor: user, cohortId: params.id! }),
  );
}
