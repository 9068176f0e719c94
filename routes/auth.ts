import type { NextFunction, Request, Response, Router } from 'express';
import passport from 'passport';
import { z } from 'zod';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { formErrorsFrom } from '../server/http/forms.ts';
import { formLimiter, signInLimiters } from '../server/http/rateLimits.ts';
import { UnauthenticatedError } from '../server/errors.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../server/services/apiTokens.ts';
import {
  authenticateWithPassword,
  findValidLink,
  requestPasswordReset,
  setPasswordWithLink,
} from '../server/services/users.ts';

const messages = {
  badCredentials: 'The email or password is not right. Check them and try again.',
  signedOut: 'You have signed out.',
  resetSent: 'If an account uses that address, we have sent it a link to reset the password. It works for one hour.',
  passwordSet: 'Your password is set. You are signed in.',
};

export const tokenRequestSchema = z.strictObject({
  email: z.string().trim().max(320),
  password: z.string().max(256),
  name: z.string().trim().min(1).max(100).optional(),
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
  nextCursor: z.null(),
});

const loginSchema = z.object({
  email: z.string().trim().max(320),
  password: z.string().max(256),
  _csrf: z.string().optional(),
});
const passwordSchema = z.object({
  password: z.string().max(256),
  confirm: z.string().max(256),
  _csrf: z.string().optional(),
});

/** Only same-site paths are followed after sign-in (no open redirect). */
const safeReturnTo = (value: unknown): string => (typeof value === 'string' && /^\/(?!\/)/.test(value) ? value : '/');

function signIn(req: Request, res: Response, next: NextFunction): void {
  const parsed = loginSchema.safeParse(req.body);
  const values = { email: parsed.success ? parsed.data.email : '' };
  if (!parsed.success) {
    res.status(401).render('auth/login', { title: 'Sign in', values, formError: messages.badCredentials });
    return;
  }
  const returnTo = safeReturnTo(req.session.returnTo);
  passport.authenticate('local', (error: unknown, user: Express.User | false) => {
    if (error) return next(error);
    if (!user)
      return res.status(401).render('auth/login', { title: 'Sign in', values, formError: messages.badCredentials });
    // passport 0.7 regenerates the session here (no fixation); startedAt begins the absolute timeout.
    req.login(user, (loginError) => {
      if (loginError) return next(loginError);
      req.session.startedAt = Date.now();
      res.redirect(303, returnTo);
    });
  })(req, res, next);
}

export function registerAuthRoutes(web: Router, api: Router): void {
  web.get('/login', (req, res) =>
    req.user ? res.redirect(303, '/') : res.render('auth/login', { title: 'Sign in', values: {} }),
  );
  web.post('/login', ...signInLimiters(), signIn);
  web.post('/logout', (req, res, next) =>
    req.logout((error) =>
      error ? next(error) : (flash(req, 'info', messages.signedOut), res.redirect(303, '/login')),
    ),
  );

  web.get('/password-reset', (_req, res) =>
    res.render('auth/reset-request', { title: 'Reset your password', values: {} }),
  );
  web.post(
    '/password-reset',
    formLimiter({ name: 'password-reset', limit: 20, message: 'Too many reset requests. Please wait and try again.' }),
    async (req, res) => {
      const email = z.string().trim().max(320).safeParse(req.body?.email);
      if (email.success && email.data) await requestPasswordReset({ email: email.data });
      flash(req, 'info', messages.resetSent);
      res.redirect(303, '/login');
    },
  );
  for (const purpose of ['password-reset', 'invitation'] as const) {
    const base = purpose === 'invitation' ? '/invitations' : '/password-reset';
    const title = purpose === 'invitation' ? 'Welcome to Pathways: choose a password' : 'Choose a new password';
    web.get(`${base}/:token`, async (req, res) => {
      const { user } = await findValidLink(purpose, req.params.token);
      res.render('auth/set-password', { title, email: user.email, action: `${base}/${req.params.token}` });
    });
    web.post(`${base}/:token`, async (req, res, next) => {
      const { user } = await findValidLink(purpose, req.params.token);
      const locals = { title, email: user.email, action: `${base}/${req.params.token}` };
      const parsed = passwordSchema.safeParse(req.body);
      if (!parsed.success || parsed.data.password !== parsed.data.confirm) {
        return res
          .status(422)
          .render('auth/set-password', { ...locals, errors: { confirm: 'The two passwords are not the same.' } });
      }
      try {
        const updated = await setPasswordWithLink({
          purpose,
          secret: req.params.token,
          password: parsed.data.password,
        });
        req.login(
          {
            id: updated.id,
            email: updated.email,
            name: updated.name,
            roles: updated.roles,
            timezone: updated.timezone,
          },
          (error) => {
            if (error) return next(error);
            req.session.startedAt = Date.now();
            flash(req, 'success', messages.passwordSet);
            res.redirect(303, '/');
          },
        );
      } catch (error) {
        const { errors } = formErrorsFrom(error);
        res.status(422).render('auth/set-password', { ...locals, errors });
      }
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
      errors: [401, 429],
    },
    async ({ body }) => {
      const user = await authenticateWithPassword({ email: body.email, password: body.password });
      if (!user) throw new UnauthenticatedError(messages.badCredentials);
      return createApiToken({ userId: user.id, name: body.name });
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/auth/tokens',
      tag: 'auth',
      summary: 'List your API tokens',
      access: [],
      success: { status: 200, description: 'Your tokens', schema: tokenListSchema },
    },
    async ({ user }) => ({ items: await listApiTokens({ userId: user.id }), nextCursor: null }),
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
    async ({ user, params }) => revokeApiToken({ userId: user.id, tokenId: params.id! }),
  );
}
