import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { roles } from '../models/User.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { ConflictError } from '../server/errors.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { formErrorsFrom, formRefusalFrom, parseForm } from '../server/http/forms.ts';
import { personName, timezone } from '../server/http/validate.ts';
import {
  getUserForAdmin,
  resendInvitation,
  staleDetailsMessage,
  updateUserAsAdmin,
  type AccountActor,
} from '../server/services/accounts/manage.ts';
import { clearSessionCookie } from '../server/http/sessionCookie.ts';
import { eraseAccount } from '../server/services/privacy/erase.ts';
import { exportPersonalData } from '../server/services/privacy/export.ts';
import { exportZip } from '../server/services/privacy/zip.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import type { OwnAccountRouters } from './index.ts';

const messages = {
  saved: 'The changes are saved.',
  disabled: (name: string) => `${name} is disabled: her sessions have ended and her API tokens no longer work.`,
  enabled: (name: string) => `${name} can sign in again.`,
  invitationSent: (email: string) => `A new invitation was sent to ${email}.`,
  erased: 'The account was erased. Its records now read “Former member”.',
  confirmErase: 'Type ERASE to confirm.',
  enterPassword: 'Enter your password.',
};

export const eraseMeSchema = z.strictObject({ password: z.string().min(1, 'is required').max(256) });
// Empty is asked for, not checked: checking it would spend one of her 10 tries (isCurrentPassword) and call it wrong.
const eraseFormSchema = z.object({ password: z.string().min(1, messages.enterPassword).max(256) });
const adminEraseFormSchema = z.object({ confirm: z.literal('ERASE', messages.confirmErase) });
const exportSchema = z.object({ exportedAt: z.string(), userId: z.string(), areas: z.record(z.string(), z.unknown()) });

export const updateUserSchema = z.strictObject({
  name: personName().optional(),
  timezone: timezone.optional(),
  roles: z.array(z.enum(roles)).min(1, 'choose at least one role').optional(),
  status: z.enum(['active', 'disabled']).optional(),
  /** The `version` of the user she read: sent, a change made since (by her, another admin) is a 409. */
  version: z.number().int().min(0).nullable().optional(),
});
const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.enum(roles)),
  timezone: z.string(),
  status: z.string(),
  version: z.number().nullable(),
});

/** Web form: checkboxes arrive as a string, an array or nothing at all. */
const editFormSchema = z.preprocess(
  (raw) => {
    const b = (raw ?? {}) as Record<string, unknown>;
    return {
      name: b.name,
      timezone: b.timezone,
      roles: b.roles === undefined ? [] : Array.isArray(b.roles) ? b.roles : [b.roles],
    };
  },
  updateUserSchema.required({ name: true, timezone: true, roles: true }).omit({ status: true, version: true }),
);
const statusFormSchema = z.object({ status: z.enum(['active', 'disabled']) });

export const actorOf = (req: Request): AccountActor => ({ id: req.user!.id, name: req.user!.name, ip: req.ip ?? null });

async function renderUserPage(req: Request, res: Response, locals: Record<string, unknown> = {}, status = 200) {
  const person = await getUserForAdmin({ userId: String(req.params.id) });
  res.status(status).render('users/show', {
    title: person.name,
    person,
    roles,
    values: person,
    errors: {},
    isSelf: person.id === req.user!.id,
    // The version she opens it at goes with the form (server/versions.ts); a refused form keeps the one she sent.
    version: versionForForm(person.version),
    ...locals,
  });
}

/** Ends the request's own session and its cookie, then shows the public "account deleted" page. */
function leaveAfterErasure(req: Request, res: Response): void {
  req.session.destroy(() => {
    clearSessionCookie(res);
    res.redirect(303, '/account-deleted');
  });
}

export function registerAccountManagementRoutes(web: Router, api: Router, own: OwnAccountRouters): void {
  apiOperation(
    own.api,
    {
      method: 'get',
      path: '/me/export',
      tag: 'users',
      summary: 'Everything stored about you, as one JSON document',
      access: [],
      success: { status: 200, description: 'Your data, a section per area', schema: exportSchema },
    },
    async ({ req, user }) => exportPersonalData({ actor: actorOf(req), userId: user.id }),
  );
  apiOperation(
    own.api,
    {
      method: 'delete',
      path: '/me',
      tag: 'users',
      summary: 'Erase your account (your password confirms it)',
      access: [],
      body: eraseMeSchema,
      success: { status: 202, description: 'Erased: you can no longer sign in' },
      // 429: too many wrong passwords for this account (server/services/passwords.ts).
      errors: [409, 429],
    },
    async ({ req, res, user, body }) => {
      await eraseAccount({ actor: actorOf(req), userId: user.id, bySelf: true, password: body.password });
      res.status(202).end();
    },
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/users/:id',
      tag: 'users',
      summary: 'Erase a person’s account',
      access: ['admin'],
      success: { status: 202, description: 'Erased' },
      errors: [404, 409],
    },
    async ({ req, res, params }) => {
      await eraseAccount({ actor: actorOf(req), userId: params.id!, bySelf: false });
      res.status(202).end();
    },
  );

  own.web.get('/account/data', requireSignIn, (_req, res) => res.render('account/data', { title: 'Your data' }));
  own.web.get('/account/data/export', requireSignIn, async (req, res) => {
    const data = await exportPersonalData({ actor: actorOf(req), userId: req.user!.id });
    res.set('Content-Disposition', downloadDisposition(`pathways-my-data-${data.exportedAt.slice(0, 10)}`, 'json'));
    res.type('application/json').send(JSON.stringify(data, null, 2));
  });
  own.web.get('/account/data/export.zip', requireSignIn, async (req, res) => {
    const data = await exportPersonalData({ actor: actorOf(req), userId: req.user!.id });
    res.set('Content-Disposition', downloadDisposition(`pathways-my-data-${data.exportedAt.slice(0, 10)}`, 'zip'));
    res.type('application/zip').send(Buffer.from(exportZip(data)));
  });
  own.web.get('/account/delete', requireSignIn, (_req, res) =>
    res.render('account/delete', { title: 'Delete my account', errors: {} }),
  );
  own.web.post('/account/delete', requireSignIn, async (req, res) => {
    const form = parseForm(eraseFormSchema, req.body);
    if (!form.ok)
      return res
        .status(422)
        .render('account/delete', { title: 'Delete my account', errors: form.errors, errorList: form.list });
    try {
      await eraseAccount({ actor: actorOf(req), userId: req.user!.id, bySelf: true, password: form.data.password });
    } catch (error) {
      if (error instanceof ConflictError)
        return res
          .status(409)
          .render('account/delete', { title: 'Delete my account', errors: {}, conflict: error.message });
      const { status, errors, list } = formRefusalFrom(error, res, 'password');
      return res.status(status).render('account/delete', { title: 'Delete my account', errors, errorList: list });
    }
    leaveAfterErasure(req, res);
  });
  own.web.get('/account-deleted', (_req, res) => res.render('account/deleted', { title: 'Your account is deleted' }));
  web.post('/admin/users/:id/erase', requireRole('admin'), async (req, res) => {
    const form = parseForm(adminEraseFormSchema, req.body);
    if (!form.ok)
      return renderUserPage(
        req,
        res,
        {
          eraseErrors: { confirm: messages.confirmErase },
          // The summary at the top says it too: the form is far down her page (WCAG 3.3.1).
          errorList: [{ path: 'confirm', message: messages.confirmErase }],
        },
        422,
      );
    try {
      await eraseAccount({ actor: actorOf(req), userId: String(req.params.id), bySelf: false });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return renderUserPage(req, res, { conflict: error.message }, 409);
    }
    flash(req, 'success', messages.erased);
    res.redirect(303, `/admin/users/${req.params.id}`);
  });

  apiOperation(
    api,
    {
      method: 'patch',
      path: '/users/:id',
      tag: 'users',
      summary: 'Change a person’s name, zone, roles or status (disabling ends her sessions and tokens)',
      access: ['admin'],
      body: updateUserSchema,
      success: { status: 200, description: 'The user', schema: userSchema },
      errors: [404, 409],
    },
    async ({ req, params, body }) => {
      const { version, ...changes } = body;
      return updateUserAsAdmin({ actor: actorOf(req), userId: params.id!, changes, expectedVersion: version });
    },
  );

  apiOperation(
    api,
    {
      method: 'post',
      path: '/users/:id/invitation',
      tag: 'users',
      summary: 'Send the invitation again to a person who has not accepted it (earlier links stop working)',
      access: ['admin'],
      success: { status: 202, description: 'Sent' },
      errors: [409],
    },
    async ({ req, res, params }) => {
      await resendInvitation({ actor: actorOf(req), userId: params.id! });
      res.status(202).end();
    },
  );

  web.get('/admin/users/:id', requireRole('admin'), (req, res) => renderUserPage(req, res));
  web.post('/admin/users/:id', requireRole('admin'), async (req, res) => {
    const form = parseForm(editFormSchema, req.body);
    const typed = { ...req.body, roles: [].concat(req.body?.roles ?? []) };
    const version = req.body?.version;
    if (!form.ok)
      return renderUserPage(req, res, { values: typed, version, errors: form.errors, errorList: form.list }, 422);
    try {
      await updateUserAsAdmin({
        actor: actorOf(req),
        userId: String(req.params.id),
        changes: form.data,
        expectedVersion: versionFromForm(version),
      });
    } catch (error) {
      // Refused as a whole (the last active admin, a change made meanwhile): said above the form, which keeps what
      // she sent. Changed since she opened it, the form carries the version now stored: sent again, knowing, it is
      // saved; otherwise it keeps the one she opened.
      if (error instanceof ConflictError)
        return renderUserPage(
          req,
          res,
          { conflict: error.message, values: typed, ...(error.message === staleDetailsMessage ? {} : { version }) },
          409,
        );
      // Roles that cannot go together: at the roles field, with what she chose kept.
      const { errors, list } = formErrorsFrom(error);
      return renderUserPage(req, res, { values: typed, version, errors, errorList: list }, 422);
    }
    flash(req, 'success', messages.saved);
    res.redirect(303, `/admin/users/${req.params.id}`);
  });
  web.post('/admin/users/:id/status', requireRole('admin'), async (req, res) => {
    const form = parseForm(statusFormSchema, req.body);
    if (!form.ok) return renderUserPage(req, res, { conflict: 'Choose to disable or re-enable the account.' }, 422);
    try {
      const person = await updateUserAsAdmin({
        actor: actorOf(req),
        userId: String(req.params.id),
        changes: { status: form.data.status },
      });
      flash(
        req,
        'success',
        form.data.status === 'disabled' ? messages.disabled(person.name) : messages.enabled(person.name),
      );
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return renderUserPage(req, res, { conflict: error.message }, 409);
    }
    res.redirect(303, `/admin/users/${req.params.id}`);
  });
  web.post('/admin/users/:id/invitation', requireRole('admin'), async (req, res) => {
    const person = await getUserForAdmin({ userId: String(req.params.id) });
    try {
      await resendInvitation({ actor: actorOf(req), userId: person.id });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return renderUserPage(req, res, { conflict: error.message }, 409);
    }
    flash(req, 'success', messages.invitationSent(person.email));
    res.redirect(303, `/admin/users/${req.params.id}`);
  });
}
