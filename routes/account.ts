import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { ConflictError } from '../server/errors.ts';
import { formBody, formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { personName } from '../server/http/validate.ts';
import { navigationGroup } from '../server/navigation.ts';
import {
  detailsMessages,
  nameMaxLength,
  ownDetailsVersion,
  updateOwnDetails,
  type DetailsChanges,
} from '../server/services/accounts/details.ts';
import { timeZoneGroups, timeZoneNamed } from '../server/services/accounts/timeZones.ts';
import { formatTime } from '../server/time.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import { meSchema } from './users.ts';
import type { OwnAccountRouters } from './index.ts';

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
  /** The `version` of `GET /me` she read: sent, a change made since (by an admin) is a 409 (server/versions.ts). */
  version: z.number().int().min(0).nullable().optional(),
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
    // The version she opens it at goes with the form: an admin's change meanwhile is a 409, never undone.
    version: versionForForm(req.user!.version),
    ...locals,
    values,
  });
}

async function saveDetails(req: Request, res: Response) {
  // Sent back, a refused form keeps the version she opened, so an admin's change meanwhile is still noticed.
  const { version, ...body } = formBody(req);
  const form = parseForm(ownDetailsFormSchema, body);
  if (!form.ok)
    return renderAccount(req, res, 422, { values: body, version, errors: form.errors, errorList: form.list });
  try {
    const saved = await updateOwnDetails({
      actor: actorOf(req),
      changes: form.data,
      expectedVersion: versionFromForm(version),
    });
    const message =
      saved.timezone === req.user!.timezone
        ? messages.zoneKept(saved.timezone)
        : messages.zoneChanged(saved.timezone, formatTime(new Date(), saved.timezone));
    flash(req, 'success', message);
  } catch (error) {
    // Changed by an admin since she opened it: what she typed comes back unsaved, with the version now stored.
    if (error instanceof ConflictError)
      return renderAccount(req, res, 409, {
        values: body,
        version: versionForForm(await ownDetailsVersion(req.user!.id)),
        errorList: [{ path: '(account)', message: error.message }],
      });
    const { errors, list } = formErrorsFrom(error);
    return renderAccount(req, res, 422, { values: body, version, errors, errorList: list });
  }
  res.redirect(303, '/account');
}

/** The two hub pages of the navigation: her own settings, and (admins) administration; and her own details. */
export function registerAccountRoutes(web: Router, _api: Router, own: OwnAccountRouters): void {
  own.web.get('/account', requireSignIn, (req, res) => renderAccount(req, res));
  own.web.post('/account', requireSignIn, saveDetails);
  web.get('/admin', requireRole('admin'), (req, res) => {
    res.render('admin/index', { title: 'Administration', pages: navigationGroup(req.user!, 'admin') });
  });

  apiOperation(
    own.api,
    {
      method: 'patch',
      path: '/me',
      tag: 'users',
      summary: 'Change your own name or time zone (every time is then shown in the new zone)',
      access: [],
      body: ownDetailsSchema,
      success: { status: 200, description: 'You, as GET /me shows you', schema: meSchema },
      // 404: the account stopped being active while the request ran (disabled or erased meanwhile).
      // 409: she sent the version she read and an admin changed her details since.
      errors: [404, 409],
    },
    async ({ req, body }) => {
      const { version, ...changes } = body;
      return updateOwnDetails({ actor: actorOf(req), changes, expectedVersion: version });
    },
  );
}
