import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { apiOperation } from '../server/http/api.ts';
import { paging, text } from '../server/http/validate.ts';
import { pageInListOrder } from '../server/pagination.ts';
import { afterAnswering } from '../server/http/afterAnswering.ts';
import { flash } from '../server/http/flash.ts';
import {
  emailLinkForm,
  formBody,
  formErrorsFrom,
  formRefusalFrom,
  parseForm,
  renderFormWithErrors,
} from '../server/http/forms.ts';
import { connectionOf, formLimiter, signInLimiters } from '../server/http/rateLimits.ts';
import { sameSitePath } from '../server/http/sameSitePath.ts';
import { ConflictError, ForbiddenError, UnauthenticatedError, type FieldError } from '../server/errors.ts';
import { spendAllowance, uncountHit } from '../server/services/rateLimits.ts';
import { requiresTwoStepSetup } from '../server/policies/accounts.ts';
import { SignInOutdatedError, forgetSignedInSession } from '../server/services/accounts/sessions.ts';
import { logIn } from '../server/http/signedInSessions.ts';
import { recordAuditEvent } from '../server/services/audit/events.ts';
import {
  checkPassword,
  checkSecondFactor,
  recordSignIn,
  type SignedInUser,
} from '../server/services/accounts/signIn.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../server/services/apiTokens.ts';
import { UserModel } from '../models/User.ts';
import { passwordFieldErrors } from '../server/services/passwords.ts';
import { currentUserOf, findValidLink, requestPasswordReset, setPasswordWithLink } from '../server/services/users.ts';
import { detailsMessages, refuseIfDetailsMovedOn, updateOwnDetails } from '../server/services/accounts/details.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import { timeZoneGroups } from '../server/services/accounts/timeZones.ts';
import { ownDetailsFields } from './account.ts';
import type { OwnAccountRouters } from './index.ts';

const messages = {
  badCredentials: 'The email or password is not right. Check them and try again.',
  enterEmail: 'Enter your email address.',
  enterPassword: 'Enter your password.',
  signedOut: 'You have signed out.',
  resetSent: 'If an account uses that address, we have sent it a link to reset the password. It works for one hour.',
  passwordSet: 'Your password is set. You are signed in.',
  passwordSetCode: 'Your password is set. Enter a code from your authenticator app to sign in.',
  wrongCode: 'That code is not right, or it was used already. Enter the code your app shows now, or a recovery code.',
  enterCode: 'Enter the code your app shows now, or a recovery code.',
  secondStepExpired: 'Enter your email and password again: the sign-in waited too long for a code.',
  mfaRequired: 'This account uses two-step sign-in: send the current code from the authenticator app as `otp`.',
  mfaWrong: 'The two-step code is not right, or it was used already.',
  mfaSetupRequired:
    'Your role requires two-step sign-in: set it up on the account security page before creating API tokens.',
  tooManyCodes: 'Too many wrong codes. Please wait a few minutes and try again.',
  notSame: 'The two passwords are not the same.',
  tooLong: 'Use at most 256 characters.',
};

/** How long the second step waits after a right password. */
const secondStepMs = 5 * 60 * 1000;

export const tokenRequestSchema = z.strictObject({
  // Either left empty is a 422 naming it, checked against no account (nor counted: signInLimiters).
  email: z.string().trim().min(1, 'is required').max(320),
  password: z.string().min(1, 'is required').max(256),
  name: text(100).optional(),
  otp: z.string().trim().max(64).optional(),
});
const tokenCreatedSchema = z.object({ token: z.string(), id: z.string(), expiresAt: z.string() });
const tokenListSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      createdAt: z.string(),
      expiresAt: z.string(),
      lastUsedAt: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

const loginSchema = z.object({
  email: z.string().trim().max(320),
  password: z.string().max(256),
  _csrf: z.string().optional(),
});
const codeSchema = z.object({ code: z.string().trim().max(64), _csrf: z.string().optional() });
/**
 * A second step sent with no code (Enter pressed early, a password manager that filled nothing) is asked for again at
 * its field, before any code is checked: it is no guess, so it spends none of her 10 (secondStepLimiter skips it).
 */
const codeLeftEmpty = (req: Request) => String(req.body?.code ?? '').trim() === '';
/** The strength rules are the domain's (setPasswordWithLink); the form checks only that she typed the same twice. */
const passwordFields = {
  password: z.string().max(256, messages.tooLong),
  confirm: z.string().max(256, messages.tooLong),
  _csrf: z.string().optional(),
};
const sameTwice = (form: { password: string; confirm: string }) => form.password === form.confirm;
const notSame = { path: ['confirm'], message: messages.notSame };
const setPasswordForm = z.object(passwordFields).refine(sameTwice, notSame);
/**
 * An invitation also asks her to confirm the name and zone she was given (a people import names her from her email
 * and gives her the default zone). A form without them (a page loaded before they were asked) keeps what is stored.
 */
const invitationForm = z
  .object({ ...passwordFields, name: ownDetailsFields.name.optional(), timezone: ownDetailsFields.timezone.optional() })
  .refine(sameTwice, notSame);
/**
 * A set-password form refused for another field (her name, her zone, or the second password) also names what is wrong
 * with the password itself, so that she corrects everything at once (WCAG 3.3.1): its strength by the domain's rule
 * (which setPasswordWithLink applies again) and a second password that differs. Only what the form did not say.
 */
function passwordProblemsBesides(said: Record<string, string>, sent: Record<string, unknown>, email: string) {
  const password = typeof sent.password === 'string' ? sent.password : '';
  return [
    ...(said.password ? [] : passwordFieldErrors(password, { email })),
    ...(said.confirm || password === sent.confirm ? [] : [{ path: 'confirm', message: messages.notSame }]),
  ];
}

/** The fields of the set-password page in the order it shows them, which its error summary keeps. */
const setPasswordFieldOrder = ['name', 'timezone', 'password', 'confirm'];
const inFormOrder = (list: FieldError[]) =>
  list.toSorted(
    (a, b) => (setPasswordFieldOrder.indexOf(a.path) >>> 0) - (setPasswordFieldOrder.indexOf(b.path) >>> 0),
  );

/** The error summary names the fields as the page labels them. */
const setPasswordLabels = { password: 'New password', confirm: 'New password again', name: 'Your name' };

/** The invitation page's name and zone: what the admin gave, or what she sent (kept when the form comes back). */
function detailsLocals(
  purpose: 'password-reset' | 'invitation',
  values: { name?: unknown; timezone?: unknown },
): Record<string, unknown> {
  if (purpose !== 'invitation') return { askDetails: false };
  const timezone = typeof values.timezone === 'string' ? values.timezone : undefined;
  return {
    askDetails: true,
    values: { name: values.name, timezone },
    zoneGroups: timeZoneGroups({ selected: timezone }),
  };
}

/** Only same-site paths are followed after sign-in (no open redirect: server/http/sameSitePath.ts). */
const safeReturnTo = (value: unknown): string => sameSitePath(value) ?? '/';

async function signIn(req: Request, res: Response): Promise<void> {
  // A field left empty is named, and tied to its field, before any account is looked at (WCAG 3.3.1); a wrong pair
  // still names neither.
  const sent = formBody(req);
  const typed = (field: string) => (typeof sent[field] === 'string' ? (sent[field] as string) : '');
  const missing: FieldError[] = [
    ...(typed('email').trim() === '' ? [{ path: 'email', message: messages.enterEmail }] : []),
    ...(typed('password') === '' ? [{ path: 'password', message: messages.enterPassword }] : []),
  ];
  if (missing.length)
    return renderFormWithErrors(
      res,
      'auth/login',
      { title: 'Sign in', values: { email: typed('email').trim().slice(0, 320) } },
      Object.fromEntries(missing.map((e) => [e.path, e.message])),
      missing,
    );
  const parsed = loginSchema.safeParse(req.body);
  const values = { email: parsed.success ? parsed.data.email : '' };
  const refuse = () =>
    res
      .status(401)
      .render('auth/login', { title: 'Sign in', values, formError: messages.badCredentials, refused: true });
  if (!parsed.success) return refuse();
  const user = await checkPassword({ ...parsed.data, ip: req.ip, channel: 'web' });
  if (!user) return refuse();
  if (user.mfaEnabled) {
    // The password is right; the session remembers that (for 5 minutes) and nothing more until the code.
    req.session.pendingSignIn = { userId: user.id, at: Date.now(), sessionsEpoch: user.sessionsEpoch };
    return res.redirect(303, '/login/two-step');
  }
  const returnTo = safeReturnTo(req.session.returnTo);
  try {
    await logIn(req, user);
  } catch (error) {
    if (error instanceof SignInOutdatedError) return refuse();
    throw error;
  }
  await recordSignIn({ user, ip: req.ip, factor: 'password' });
  res.redirect(303, returnTo);
}

/** The account waiting for its second step, while the wait is fresh. */
function pendingSignIn(req: Request): { userId: string; sessionsEpoch?: number } | undefined {
  const pending = req.session.pendingSignIn;
  return pending && Date.now() - pending.at <= secondStepMs ? pending : undefined;
}

async function signInSecondStep(req: Request, res: Response): Promise<void> {
  const pending = pendingSignIn(req);
  if (!pending) {
    delete req.session.pendingSignIn;
    flash(req, 'error', messages.secondStepExpired);
    return res.redirect(303, '/login');
  }
  if (codeLeftEmpty(req))
    return renderFormWithErrors(res, 'auth/two-step', { title: 'Enter your code' }, { code: messages.enterCode }, [
      { path: 'code', message: messages.enterCode },
    ]);
  const parsed = codeSchema.safeParse(req.body);
  const user = await UserModel.findOne({ _id: pending.userId, status: 'active' }).lean();
  if (!user) {
    delete req.session.pendingSignIn;
    return res.redirect(303, '/login');
  }
  // Recorded under the epoch read with her password at the first step: a change since then refuses the sign-in.
  const current: SignedInUser = { ...currentUserOf(user), sessionsEpoch: pending.sessionsEpoch ?? 0 };
  const factor = parsed.success
    ? await checkSecondFactor({ user: current, code: parsed.data.code, ip: req.ip, channel: 'web' })
    : null;
  if (!factor) {
    return void res.status(401).render('auth/two-step', {
      title: 'Enter your code',
      errors: { code: messages.wrongCode },
      errorList: [{ path: 'code', message: messages.wrongCode }],
    });
  }
  const returnTo = safeReturnTo(req.session.returnTo);
  try {
    await logIn(req, current);
  } catch (error) {
    if (!(error instanceof SignInOutdatedError)) throw error;
    delete req.session.pendingSignIn;
    flash(req, 'error', error.message);
    return res.redirect(303, '/login');
  }
  await recordSignIn({ user: current, ip: req.ip, factor });
  res.redirect(303, returnTo);
}

/**
 * Wrong two-step codes per account, 10 in 15 minutes (across processes): the second step's form and the token
 * endpoint's `otp` count together, so neither adds guesses to the other. A right one does not count.
 */
const secondStepGuesses = { name: 'sign-in:second-step', limit: 10, windowMs: 15 * 60 * 1000 };
const guessesOf = (userId: string) => ({
  key: `${secondStepGuesses.name}|${userId}`,
  windowMs: secondStepGuesses.windowMs,
});

/** The second step's form, counted by its waiting account. */
const secondStepLimiter = formLimiter({
  name: secondStepGuesses.name,
  limit: secondStepGuesses.limit,
  windowMs: secondStepGuesses.windowMs,
  message: messages.tooManyCodes,
  skipSuccessful: true,
  skip: codeLeftEmpty,
  // No pending account: the handler sends her back to the password step, whatever the count.
  key: (req) => req.session.pendingSignIn?.userId ?? 'none',
});

/** Signing in and out, the password links and her API tokens: all of it her own account's (OwnAccountRouters). */
export function registerAuthRoutes(_web: Router, _api: Router, { web, api }: OwnAccountRouters): void {
  web.get('/login', (req, res) =>
    req.user ? res.redirect(303, '/') : res.render('auth/login', { title: 'Sign in', values: {} }),
  );
  web.post('/login', ...signInLimiters(), signIn);
  web.get('/login/two-step', (req, res) =>
    pendingSignIn(req) ? res.render('auth/two-step', { title: 'Enter your code' }) : res.redirect(303, '/login'),
  );
  web.post('/login/two-step', secondStepLimiter, signInSecondStep);
  // "Stay signed in", from the warning a page shows before the idle sign-out (public/js/enhance.js): any request
  // renews the rolling session, so this one only says whether there is still a session to renew.
  web.get('/session/keep-alive', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.status(req.user && req.authInfo?.via !== 'token' ? 204 : 401).end();
  });
  web.post('/logout', async (req, res, next) => {
    const user = req.user;
    if (user) {
      await forgetSignedInSession({ sessionId: req.sessionID, userId: user.id });
      await recordAuditEvent({ action: 'sign-out', actor: user, target: { type: 'user', id: user.id }, ip: req.ip });
    }
    req.logout((error) =>
      error ? next(error) : (flash(req, 'info', messages.signedOut), res.redirect(303, '/login')),
    );
  });

  web.get('/password-reset', (_req, res) =>
    res.render('auth/reset-request', { title: 'Reset your password', values: {} }),
  );
  web.post('/password-reset', async (req, res) => {
    // A malformed address is a typing error to show; a well-formed one gets the same answer whether or not it has an
    // account.
    const form = parseForm(emailLinkForm, req.body);
    const page = { title: 'Reset your password', values: formBody(req) };
    if (!form.ok) return renderFormWithErrors(res, 'auth/reset-request', page, form.errors, form.list);
    let request: Awaited<ReturnType<typeof requestPasswordReset>>;
    try {
      request = await requestPasswordReset({ email: form.data.email, connection: connectionOf(req) });
    } catch (error) {
      // Too many requests from her connection: the form again, with her address and when to try again (429).
      const { status, errors, list } = formRefusalFrom(error, res, '(body)');
      return res.status(status).render('auth/reset-request', { ...page, errors, errorList: list });
    }
    afterAnswering(res, 'password reset request', request.send);
    flash(req, 'info', messages.resetSent);
    res.redirect(303, '/login');
  });
  for (const purpose of ['password-reset', 'invitation'] as const) {
    const base = purpose === 'invitation' ? '/invitations' : '/password-reset';
    const title = purpose === 'invitation' ? 'Welcome to Pathways: set up your account' : 'Choose a new password';
    web.get(`${base}/:token`, async (req, res) => {
      const { user } = await findValidLink(purpose, req.params.token);
      res.render('auth/set-password', {
        title,
        email: user.email,
        action: `${base}/${req.params.token}`,
        ...detailsLocals(purpose, user),
        // The version of her details the page shows: an admin's correction meanwhile is a 409, never undone.
        version: versionForForm(user.version),
      });
    });
    web.post(`${base}/:token`, async (req, res) => {
      const { user } = await findValidLink(purpose, req.params.token);
      const sent = formBody(req);
      const locals = {
        title,
        email: user.email,
        action: `${base}/${req.params.token}`,
        fieldLabels: setPasswordLabels,
        ...detailsLocals(purpose, { name: sent.name ?? user.name, timezone: sent.timezone ?? user.timezone }),
        version: sent.version,
      };
      const expectedVersion = purpose === 'invitation' ? versionFromForm(sent.version) : undefined;
      const form = parseForm(purpose === 'invitation' ? invitationForm : setPasswordForm, req.body);
      if (!form.ok) {
        const list = inFormOrder([...form.list, ...passwordProblemsBesides(form.errors, sent, user.email)]);
        return renderFormWithErrors(
          res,
          'auth/set-password',
          locals,
          Object.fromEntries(list.map((e) => [e.path, e.message])),
          list,
        );
      }
      let updated;
      try {
        // Her details changed since the page was opened: refused before her password is set, so nothing is.
        refuseIfDetailsMovedOn(user.version, expectedVersion);
        updated = await setPasswordWithLink({
          purpose,
          secret: req.params.token,
          password: form.data.password,
          ip: req.ip,
        });
      } catch (error) {
        // What she typed comes back unsaved, with the version now stored: sent again, knowing, it is saved.
        if (error instanceof ConflictError && error.message === detailsMessages.savedMeanwhile)
          return res.status(409).render('auth/set-password', {
            ...locals,
            version: versionForForm(user.version),
            errors: {},
            errorList: [{ path: '(account)', message: error.message }],
          });
        const { errors, list } = formErrorsFrom(error);
        return renderFormWithErrors(res, 'auth/set-password', locals, errors, list);
      }
      if (purpose === 'invitation') {
        const { name, timezone } = form.data as z.output<typeof invitationForm>;
        try {
          await updateOwnDetails({
            actor: { id: updated.id, name: updated.name, ip: req.ip },
            changes: { name, timezone },
            expectedVersion,
          });
        } catch (error) {
          // An admin's correction landing between the check above and this write: her password is set (she is
          // signed in below) and the admin's details stay rather than being undone; she sees them on every page.
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      const signedIn = await UserModel.findById(updated.id).lean();
      if (signedIn?.mfaEnabledAt) {
        // A new password is one factor: she still proves the second before she is signed in.
        req.session.pendingSignIn = { userId: updated.id, at: Date.now(), sessionsEpoch: signedIn.sessionsEpoch ?? 0 };
        flash(req, 'success', messages.passwordSetCode);
        return res.redirect(303, '/login/two-step');
      }
      const current = currentUserOf(signedIn!);
      await logIn(req, current);
      await recordSignIn({ user: current, ip: req.ip, factor: 'password' });
      flash(req, 'success', messages.passwordSet);
      res.redirect(303, '/');
    });
  }

  apiOperation(
    api,
    {
      method: 'post',
      path: '/auth/tokens',
      tag: 'auth',
      summary: 'Create a personal API token with email and password',
      access: 'public',
      body: tokenRequestSchema,
      before: signInLimiters(),
      success: { status: 201, description: 'The token (shown only once)', schema: tokenCreatedSchema },
      errors: [401, 403, 429],
    },
    async ({ body, req }) => {
      const user = await checkPassword({
        email: body.email,
        password: body.password,
        ip: req.ip,
        channel: 'api-token',
      });
      if (!user) throw new UnauthenticatedError(messages.badCredentials);
      if (user.mfaEnabled) {
        // A code takes its place in the count before it is judged, and a right one gives it back, as the form's
        // limiter does: codes sent all at once (to several processes) would otherwise each read a count under the
        // limit and all be judged.
        if (body.otp)
          await spendAllowance({
            ...guessesOf(user.id),
            limit: secondStepGuesses.limit,
            refusal: messages.tooManyCodes,
          });
        const factor =
          body.otp && (await checkSecondFactor({ user, code: body.otp, ip: req.ip, channel: 'api-token' }));
        if (factor) await uncountHit(guessesOf(user.id));
        if (!factor) {
          const refused = new UnauthenticatedError(body.otp ? messages.mfaWrong : messages.mfaRequired);
          refused.extensions = { mfaRequired: true };
          throw refused;
        }
      } else if (requiresTwoStepSetup(user)) {
        const refused = new ForbiddenError(messages.mfaSetupRequired);
        refused.extensions = { mfaSetupRequired: true };
        throw refused;
      }
      return createApiToken({
        userId: user.id,
        name: body.name,
        actor: user,
        ip: req.ip,
        sessionsEpoch: user.sessionsEpoch,
      });
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/auth/tokens',
      tag: 'auth',
      summary: 'List your API tokens, newest first',
      access: [],
      query: z.strictObject(paging),
      success: { status: 200, description: 'Your tokens', schema: tokenListSchema },
    },
    async ({ user, query }) => {
      const page = pageInListOrder(await listApiTokens({ userId: user.id }), query, (token) => token.id);
      return { items: page.rows, nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/auth/tokens/:id',
      tag: 'auth',
      summary: 'Revoke one of your API tokens',
      access: [],
      success: { status: 204, description: 'Revoked' },
    },
    async ({ user, params, req }) => revokeApiToken({ userId: user.id, tokenId: params.id!, actor: user, ip: req.ip }),
  );
}
