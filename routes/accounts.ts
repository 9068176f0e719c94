import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { roles } from '../models/User.ts';
import { requireRole } from '../server/auth.ts';
import { ConflictError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { parseForm } from '../server/http/forms.ts';
import { text, timezone } from '../server/http/validate.ts';
import {
  getUserForAdmin,
  resendInvitation,
  updateUserAsAdmin,
  type AccountActor,
} from '../server/services/accounts/manage.ts';

const messages = {
  saved: 'The changes are saved.',
  disabled: (name: string) => `${name} is disabled: her sessions have ended and her API tokens no longer work.`,
  enabled: (name: string) => `${name} can sign in again.`,
  invitationSent: (email: string) => `A new invitation was sent to ${email}.`,
};

export const updateUserSchema = z.strictObject({
  name: text(120).optional(),
  timezone: timezone.optional(),
  roles: z.array(z.enum(roles)).min(1, 'choose at least one role').optional(),
  status: z.enum(['active', 'disabled']).optional(),
});
const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.enum(roles)),
  timezone: z.string(),
  status: z.string(),
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
  updateUserSchema.required({ name: true, timezone: true, roles: true }).omit({ status: true }),
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
    ...locals,
  });
}

export function registerAccountRoutes(web: Router, api: Router): void {
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
    async ({ req, params, body }) => updateUserAsAdmin({ actor: actorOf(req), userId: params.id!, changes: body }),
  );

  web.get('/admin/users/:id', requireRole('admin'), (req, res) => renderUserPage(req, res));
  web.post('/admin/users/:id', requireRole('admin'), async (req, res) => {
    const form = parseForm(editFormSchema, req.body);
    if (!form.ok)
      return renderUserPage(
        req,
        res,
        { values: { ...req.body, roles: [].concat(req.body?.roles ?? []) }, errors: form.errors, errorList: form.list },
        422,
      );
    try {
      await updateUserAsAdmin({ actor: actorOf(req), userId: String(req.params.id), changes: form.data });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return renderUserPage(req, res, { conflict: error.message }, 409);
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
