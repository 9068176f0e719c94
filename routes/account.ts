import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { formBody, formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { personName } from '../server/http/validate.ts';
import { navigationGroup } from '../server/navigation.ts';
import {
  detailsMessages,
  nameMaxLength,
  updateOwnDetails,
  type DetailsChanges,
} from '../server/services/accounts/details.ts';
import { timeZoneGroups, timeZoneNamed } from '../server/services/accounts/timeZones.ts';
import { formatTime } from '../server/time.ts';
import { meSchema } from './users.ts';

const messages = {
  zoneChanged: (zone: string, time: string) =>
    `Your details are saved. Times are now shown in your zone, ${zone}: it is ${time} there now.`,
  zoneKept: (zone: string) => `Your details are saved. Times are shown in your zone, ${zone}, as before.`,
};

/** Her name and zone, as the "Your account" form, the invitation page and `PATCH /api/v1/me` check them. */
export const ownDetailsFields = {
  name: personName(nameMaxLength),
  timezone: z
    .string()
    .trim()
    .max(64, detailsMessages.zone)
    .refine((zone) => timeZoneNamed(zone) !== undefined, detailsMessages.zone),
};
export const ownDetailsSchema = z.strictObject({
  name: ownDetailsFields.name.optional(),
  timezone: ownDetailsFields.timezone.optional(),
});
const ownDetailsFormSchema = z.object(ownDetailsFields);
const actorOf = (req: Request) => ({ id: req.user!.id, name: req.user!.name, ip: req.ip ?? null });

/** "Your account": her details form (name, zone) above the list of her settings pages. */
function renderAccount(req: Request, res: Response, status = 200, locals: Record<string, unknown> = {}) {
  const values = (locals.values as DetailsChanges | undefined) ?? {
    name: req.user!.name,
    timezone: req.user!.timezone,
  };
  res.status(status).render('account/index', {
    title: 'Your account',
    pages: navigationGroup(req.user!, 'account'),
    // A hostile form may send a list or an object where the zone belongs: only a string is offered back.
    zoneGroups: timeZoneGroups({ selected: typeof values.timezone === 'string' ? values.timezone : undefined }),
    fieldLabels: { name: 'Your name', timezone: 'Time zone' },
    ...locals,
    values,
  });
}

async function saveDetails(req: Request, res: Response) {
  const form = parseForm(ownDetailsFormSchema, req.body);
  if (!form.ok)
    return renderAccount(req, res, 422, { values: formBody(req), errors: form.errors, errorList: form.list });
  try {
    const saved = await updateOwnDetails({ actor: actorOf(req), changes: form.data });
    const message =
      saved.timezone === req.user!.timezone
        ? messages.zoneKept(saved.timezone)
        : messages.zoneChanged(saved.timezone, formatTime(new Date(), saved.timezone));
    flash(req, 'success', message);
  } catch (error) {
    const { errors, list } = formErrorsFrom(error);
    return renderAccount(req, res, 422, { values: formBody(req), errors, errorList: list });
  }
  res.redirect(303, '/account');
}

/** The two hub pages of the navigation: her own settings, and (admins) administration; and her own details. */
export function registerAccountRoutes(web: Router, api: Router): void {
  web.get('/account', requireSignIn, (req, res) => renderAccount(req, res));
  web.post('/account', requireSignIn, saveDetails);
  web.get('/admin', requireRole('admin'), (req, res) => {
    res.render('admin/index', { title: 'Administration', pages: navigationGroup(req.user!, 'admin') });
  });

  apiOperation(
    api,
    {
      method: 'patch',
      path: '/me',
      tag: 'users',
      summary: 'Change your own name or time zone (every time is then shown in the new zone)',
      access: [],
      body: ownDetailsSchema,
      success: { status: 200, description: 'You, as GET /me shows you', schema: meSchema },
      // 404: the account stopped being active while the request ran (disabled or erased meanwhile).
      errors: [404],
    },
    async ({ req, body }) => updateOwnDetails({ actor: actorOf(req), changes: body }),
  );
}
