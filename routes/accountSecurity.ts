import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { UserModel, type Role } from '../models/User.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { canonicalEmail } from '../server/emailAddresses.ts';
import { ConflictError, NotFoundError } from '../server/errors.ts';
import { isObjectId } from '../server/ids.ts';
import { requiresTwoStepSetup } from '../server/policies/accounts.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { formErrorsFrom, formRefusalFrom, parseForm } from '../server/http/forms.ts';
import {
  changePassword,
  confirmEmailChange,
  findEmailChange,
  requestEmailChange,
} from '../server/services/accounts/credentials.ts';
import { endOtherSessions, endSignedInSession, listSignedInSessions } from '../server/services/accounts/sessions.ts';
import {
  confirmTwoStepSetup,
  currentTwoStepSetup,
  beginTwoStepSetup,
  disableTwoStep,
  recoveryCodesLeft,
  resetTwoStep,
} from '../server/services/accounts/twoStep.ts';
import type { OwnAccountRouters } from './index.ts';

const messages = {
  alreadyOn: 'Two-step sign-in is already on.',
  turnedOff: 'Two-step sign-in is off. You can set it up again at any time.',
  sessionEnded: 'That session has ended: the browser there is signed out.',
  passwordChanged:
    'Your password is changed. You are signed out everywhere else, and your other API tokens are revoked.',
  notSame: 'The two new passwords are not the same.',
  enterCurrentPassword: 'Enter your current password.',
  enterNewPassword: 'Enter a new password.',
  enterNewPasswordAgain: 'Enter the new password again.',
  enterNewEmail: 'Enter your new email address.',
  enterPassword: 'Enter your password.',
  emailSent: (to: string) =>
    `We have sent a link to ${to}. Your address changes when you follow it (within 24 hours); until then nothing changes.`,
  emailChanged: (to: string) => `Your email address is now ${to}.`,
  othersEnded: (n: number) =>
    n === 0 ? 'You were signed in nowhere else.' : `Signed out everywhere else (${n} session${n === 1 ? '' : 's'}).`,
  reset: (name: string, mustSetUp: boolean) =>
    mustSetUp
      ? `Two-step sign-in of ${name} is off; her role needs it, so she sets it up again at her next sign-in.`
      : `Two-step sign-in of ${name} is off; she signs in with her password alone until she turns it on again.`,
};

const sessionListSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      createdAt: z.string(),
      lastSeenAt: z.string(),
      userAgent: z.string(),
      current: z.boolean(),
    }),
  ),
});

/** The web session making the request, when it is one (a bearer token has none). */
const sessionOf = (req: Request): string | undefined => (req.authInfo?.via === 'token' ? undefined : req.sessionID);

// A password left empty is asked for before any is checked: an empty one is never hers, and checking it would spend one
// of her 10 tries (isCurrentPassword) and tell her it is wrong when it is missing. Empty means '': spaces may be typed.
export const passwordChangeSchema = z.strictObject({
  currentPassword: z.string().min(1, 'is required').max(256),
  newPassword: z.string().min(1, 'is required').max(256),
});
const passwordFormSchema = z.object({
  currentPassword: z.string().min(1, messages.enterCurrentPassword).max(256),
  newPassword: z.string().min(1, messages.enterNewPassword).max(256),
  confirm: z.string().min(1, messages.enterNewPasswordAgain).max(256),
});
const emailFormSchema = z.object({
  newEmail: z.string().trim().min(1, messages.enterNewEmail).max(320),
  password: z.string().min(1, messages.enterPassword).max(256),
});

export const otpSchema = z.strictObject({ otp: z.string().trim().min(1, 'enter a code').max(64) });
const otpFormSchema = z.object({ otp: z.string().trim().min(1, 'Enter the code your app shows.').max(64) });

async function renderSecurity(req: Request, res: Response, status = 200, locals: Record<string, unknown> = {}) {
  const user = (await UserModel.findById(req.user!.id).lean())!;
  res.status(status).render('account/security', {
    title: 'Account security',
    sessions: await listSignedInSessions({ userId: req.user!.id, currentSessionId: req.sessionID }),
    twoStep: {
      enabled: Boolean(user.mfaEnabledAt),
      enabledAt: user.mfaEnabledAt,
      recoveryCodesLeft: user.mfaEnabledAt ? await recoveryCodesLeft({ userId: req.user!.id }) : 0,
    },
    ...locals,
  });
}

async function renderSetup(req: Request, res: Response, status = 200, locals: Record<string, unknown> = {}) {
  try {
    const setup = await currentTwoStepSetup({ userId: req.user!.id });
    res.status(status).render('account/two-step-setup', {
      title: 'Set up two-step sign-in',
      setup,
      required: requiresTwoStepSetup(req.user!),
      ...locals,
    });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    flash(req, 'info', messages.alreadyOn);
    res.redirect(303, '/account/security');
  }
}

export function registerAccountSecurityRoutes(web: Router, api: Router, own: OwnAccountRouters): void {
  own.web.get('/account/security', requireSignIn, (req, res) => renderSecurity(req, res));
  own.web.get('/account/two-step', requireSignIn, (req, res) => renderSetup(req, res));
  own.web.post('/account/two-step', requireSignIn, async (req, res) => {
    const form = parseForm(otpFormSchema, req.body);
    if (!form.ok) return renderSetup(req, res, 422, { errors: form.errors, errorList: form.list });
    try {
      const { recoveryCodes } = await confirmTwoStepSetup({ actor: req.user!, otp: form.data.otp, ip: req.ip });
      req.user!.mfaEnabled = true;
      res.render('account/recovery-codes', { title: 'Two-step sign-in is on', recoveryCodes });
    } catch (error) {
      const { errors, list } = formErrorsFrom(error);
      return renderSetup(req, res, 422, { errors, errorList: list });
    }
  });
  own.web.post('/account/two-step/off', requireSignIn, async (req, res) => {
    const form = parseForm(otpFormSchema, req.body);
    if (!form.ok) return renderSecurity(req, res, 422, { errors: form.errors, errorList: form.list });
    try {
      await disableTwoStep({ actor: req.user!, otp: form.data.otp, ip: req.ip });
      flash(req, 'success', messages.turnedOff);
      res.redirect(303, '/account/security');
    } catch (error) {
      const { status, errors, list } = formRefusalFrom(error, res, 'otp');
      return renderSecurity(req, res, status, { errors, errorList: list });
    }
  });

  own.web.post('/account/sessions/:id/end', requireSignIn, async (req, res) => {
    await endSignedInSession({ actor: req.user!, sessionId: String(req.params.id), ip: req.ip });
    flash(req, 'success', messages.sessionEnded);
    res.redirect(303, '/account/security#sessions-title');
  });
  own.web.post('/account/sessions/end-others', requireSignIn, async (req, res) => {
    const ended = await endOtherSessions({
      userId: req.user!.id,
      keepSessionId: req.sessionID,
      actor: req.user!,
      ip: req.ip,
      reason: 'signed out everywhere else',
    });
    flash(req, 'success', messages.othersEnded(ended));
    res.redirect(303, '/account/security#sessions-title');
  });

  own.web.post('/account/password', requireSignIn, async (req, res) => {
    const form = parseForm(passwordFormSchema, req.body);
    if (!form.ok) return renderSecurity(req, res, 422, { errors: form.errors, errorList: form.list });
    if (form.data.newPassword !== form.data.confirm) {
      const list = [{ path: 'confirm', message: messages.notSame }];
      return renderSecurity(req, res, 422, { errors: { confirm: messages.notSame }, errorList: list });
    }
    try {
      await changePassword({ actor: req.user!, ...form.data, keepSessionId: req.sessionID, ip: req.ip });
    } catch (error) {
      const { status, errors, list } = formRefusalFrom(error, res, 'currentPassword');
      return renderSecurity(req, res, status, { errors, errorList: list });
    }
    flash(req, 'success', messages.passwordChanged);
    res.redirect(303, '/account/security');
  });
  own.web.post('/account/email', requireSignIn, async (req, res) => {
    const form = parseForm(emailFormSchema, req.body);
    if (!form.ok) return renderSecurity(req, res, 422, { errors: form.errors, errorList: form.list });
    try {
      await requestEmailChange({ actor: req.user!, ...form.data, ip: req.ip });
    } catch (error) {
      const { status, errors, list } = formRefusalFrom(error, res, 'newEmail');
      return renderSecurity(req, res, status, { errors, errorList: list, values: { newEmail: form.data.newEmail } });
    }
    flash(req, 'success', messages.emailSent(canonicalEmail(form.data.newEmail)));
    res.redirect(303, '/account/security');
  });
  // Mail scanners open every link: the GET shows a Confirm button, and only its POST uses the link.
  own.web.get('/account/email/confirm/:token', async (req, res) => {
    const { token } = await findEmailChange(String(req.params.token));
    res.render('account/email-confirm', { title: 'Confirm your new email address', newEmail: token.newEmail });
  });
  own.web.post('/account/email/confirm/:token', async (req, res) => {
    const { email } = await confirmEmailChange({ secret: String(req.params.token), ip: req.ip });
    if (req.user) req.user.email = email;
    flash(req, 'success', messages.emailChanged(email));
    res.redirect(303, req.user ? '/account/security' : '/login');
  });

  web.get('/admin/users/:id/two-step', requireRole('admin'), async (req, res) => {
    const id = String(req.params.id);
    const user = isObjectId(id) ? await UserModel.findById(id).lean() : null;
    if (!user) throw new NotFoundError('No such person.');
    res.render('account/admin-two-step', { title: `Two-step sign-in of ${user.name}`, person: user });
  });
  web.post('/admin/users/:id/two-step/reset', requireRole('admin'), async (req, res) => {
    await resetTwoStep({ actor: req.user!, userId: String(req.params.id), ip: req.ip });
    const user = await UserModel.findById(String(req.params.id)).lean();
    flash(req, 'success', messages.reset(user!.name, requiresTwoStepSetup({ roles: user!.roles as Role[] })));
    res.redirect(303, `/admin/users/${String(req.params.id)}/two-step`);
  });

  apiOperation(
    own.api,
    {
      method: 'post',
      path: '/me/password',
      tag: 'account',
      summary: 'Change your password; every other session ends and every other API token is revoked',
      access: [],
      body: passwordChangeSchema,
      success: { status: 204, description: 'Changed' },
      // 429: too many wrong current passwords for this account (server/services/passwords.ts).
      errors: [429],
    },
    async ({ user, body, req }) =>
      changePassword({
        actor: user,
        ...body,
        keepSessionId: sessionOf(req),
        keepTokenId: req.authInfo?.tokenId,
        ip: req.ip,
      }),
  );
  apiOperation(
    own.api,
    {
      method: 'get',
      path: '/me/sessions',
      tag: 'account',
      summary: "Where you're signed in: your web sessions, newest first",
      access: [],
      success: { status: 200, description: 'Your sessions', schema: sessionListSchema },
    },
    async ({ user, req }) => ({
      items: (await listSignedInSessions({ userId: user.id, currentSessionId: sessionOf(req) })).map(
        ({ device, ...item }) => (void device, item),
      ),
    }),
  );
  apiOperation(
    own.api,
    {
      method: 'delete',
      path: '/me/sessions/:id',
      tag: 'account',
      summary: 'End one of your sessions (that browser is signed out at its next request)',
      access: [],
      success: { status: 204, description: 'Ended' },
    },
    async ({ user, params, req }) => endSignedInSession({ actor: user, sessionId: params.id!, ip: req.ip }),
  );
  apiOperation(
    own.api,
    {
      method: 'delete',
      path: '/me/sessions',
      tag: 'account',
      summary: 'End every session but the current one (all of them, called with a token)',
      access: [],
      success: { status: 204, description: 'Ended' },
    },
    async ({ user, req }) => {
      await endOtherSessions({
        userId: user.id,
        keepSessionId: sessionOf(req),
        actor: user,
        ip: req.ip,
        reason: 'signed out everywhere else',
      });
    },
  );
  apiOperation(
    own.api,
    {
      method: 'post',
      path: '/me/mfa',
      tag: 'account',
      summary: 'Begin setting up two-step sign-in (TOTP): a new secret, confirmed with /me/mfa/confirm',
      access: [],
      success: {
        status: 201,
        description: 'The secret (base32) and its otpauth:// URL',
        schema: z.object({ secret: z.string(), otpauthUrl: z.string() }),
      },
      errors: [409],
    },
    async ({ user }) => {
      const { secret, otpauthUrl } = await beginTwoStepSetup({ userId: user.id });
      return { secret, otpauthUrl };
    },
  );
  apiOperation(
    own.api,
    {
      method: 'post',
      path: '/me/mfa/confirm',
      tag: 'account',
      summary: 'Turn two-step sign-in on with a current code; returns 10 recovery codes, shown once',
      access: [],
      body: otpSchema,
      success: {
        status: 200,
        description: 'Recovery codes',
        schema: z.object({ recoveryCodes: z.array(z.string()) }),
      },
      errors: [409],
    },
    async ({ user, body, req }) => confirmTwoStepSetup({ actor: user, otp: body.otp, ip: req.ip }),
  );
  apiOperation(
    own.api,
    {
      method: 'delete',
      path: '/me/mfa',
      tag: 'account',
      summary: 'Turn two-step sign-in off (a current code or a recovery code required)',
      access: [],
      body: otpSchema,
      success: { status: 204, description: 'Off' },
      errors: [409, 429],
    },
    async ({ user, body, req }) => disableTwoStep({ actor: user, otp: body.otp, ip: req.ip }),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/users/:id/mfa',
      tag: 'account',
      summary: "Reset someone's two-step sign-in (a lost phone); audited as mfa-reset",
      access: ['admin'],
      success: { status: 204, description: 'Off; she sets it up again' },
      errors: [409],
    },
    async ({ user, params, req }) => resetTwoStep({ actor: user, userId: params.id!, ip: req.ip }),
  );
}
