import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { dailyDigestKind, notificationKinds, notificationStatuses } from '../models/Notification.ts';
import { UserModel } from '../models/User.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { canonicalEmail } from '../server/emailAddresses.ts';
import { NotFoundError, ValidationError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { parseForm } from '../server/http/forms.ts';
import { fieldErrorsFrom, isObjectId, objectId, paging } from '../server/http/validate.ts';
import { listScheduledJobs } from '../server/services/jobQueue.ts';
import { dailyDigestHandling, isSecurityKind, kindInfo } from '../server/services/reminders/kinds.ts';
import {
  pageNotifications,
  preferencesOf,
  resendNotification,
  savePreferences,
  unsubscribe,
} from '../server/services/reminders/queries.ts';
import type { OwnAccountRouters } from './index.ts';

const messages = {
  saved: 'Your email settings are saved.',
  resent: 'The notification will be sent again within seconds.',
  badLink:
    'This unsubscribe link is not valid. Use the link in a recent email, or sign in and change your email settings.',
};

const notificationSchema = z.object({
  id: z.string(),
  kind: z.string(),
  about: z.object({ type: z.string(), id: z.string() }),
  subject: z.string(),
  status: z.enum(notificationStatuses),
  sendAt: z.string(),
  sentAt: z.string().nullable(),
});
const listSchema = z.object({ items: z.array(notificationSchema), nextCursor: z.string().nullable() });
const ownQuery = z.strictObject({ ...paging });
const adminQuery = z.strictObject({
  userId: objectId.optional(),
  kind: z.enum(notificationKinds).optional(),
  status: z.enum(notificationStatuses).optional(),
  ...paging,
});
/** Notifications on one page of the admin list (its caption says so). */
const adminPageSize = 100;
const webFilter = z.object({
  email: z.string().trim().max(320).optional(),
  kind: z.enum(notificationKinds).optional().catch(undefined),
  status: z.enum(notificationStatuses).optional().catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
});

const weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const preferencesForm = z.preprocess(
  (raw) => {
    const b = (raw ?? {}) as Record<string, unknown>;
    const on = b.kinds === undefined ? [] : Array.isArray(b.kinds) ? b.kinds : [b.kinds];
    return { on, emailDigest: b.emailDigest, digestWeekday: b.digestWeekday ?? '1' };
  },
  z.object({
    on: z.array(z.enum(notificationKinds)),
    emailDigest: z.enum(['single', 'daily'], { message: 'Choose single emails or a daily digest.' }),
    digestWeekday: z.coerce.number().int().min(1, 'Choose a weekday.').max(7, 'Choose a weekday.'),
  }),
);

const present = (page: Awaited<ReturnType<typeof pageNotifications>>) => ({
  items: page.items.map(({ id, kind, about, subject, status, sendAt, sentAt }) => ({
    id,
    kind,
    about,
    subject,
    status,
    sendAt,
    sentAt,
  })),
  nextCursor: page.nextCursor,
});

async function renderPreferences(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const { sent, ...locals } = extra;
  const saved = await preferencesOf(req.user!.id);
  res.status(status).render('notifications/preferences', {
    title: 'Email settings',
    kindInfo,
    kinds: notificationKinds,
    digestHandling: dailyDigestHandling,
    preferences: sent ? { ...saved, ...sent } : saved,
    weekdays,
    isFacilitator: req.user!.roles.includes('facilitator') || req.user!.roles.includes('admin'),
    ...locals,
  });
}

/** The unsubscribe page: GET shows what the link turns off and a button (link scanners prefetch GETs), POST does it. */
async function unsubscribePage(req: Request, res: Response, done: boolean) {
  const { userId, kind, signature } = req.params as Record<string, string>;
  const target = await unsubscribe({ userId: userId!, kind: kind!, signature: signature!, dryRun: !done });
  if (!target) throw new NotFoundError(messages.badLink);
  res.render('notifications/unsubscribe', {
    title: done ? 'Unsubscribed' : 'Unsubscribe',
    done,
    label: target.label,
    isDigest: target.kind === dailyDigestKind,
    mutedLabels: target.mutes.map((k) => kindInfo[k].label),
    action: req.originalUrl,
  });
}

/** Reminders: your notifications (API), email settings, one-click unsubscribe, and the admin outbox of notifications and the job queue. */
export function registerNotificationRoutes(web: Router, api: Router, own: OwnAccountRouters): void {
  apiOperation(
    own.api,
    {
      method: 'get',
      path: '/me/notifications',
      tag: 'reminders',
      summary: 'What Pathways has sent or will send you',
      access: [],
      query: ownQuery,
      success: { status: 200, description: 'Your notifications, newest first', schema: listSchema },
    },
    async ({ user, query }) => present(await pageNotifications({ userId: user.id, ...query })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/notifications',
      tag: 'reminders',
      summary: 'Notifications of anyone (admins)',
      access: ['admin'],
      query: adminQuery,
      success: { status: 200, description: 'Notifications, newest first', schema: listSchema },
    },
    async ({ query }) => present(await pageNotifications(query)),
  );

  own.web.get('/account/notifications', requireSignIn, (req, res) => renderPreferences(req, res));
  own.web.post('/account/notifications', requireSignIn, async (req, res) => {
    const form = parseForm(preferencesForm, req.body);
    if (!form.ok) {
      // Sent back with her ticks and choices as she sent them, not as saved.
      const b = (req.body ?? {}) as Record<string, unknown>;
      const on = ([] as unknown[]).concat(b.kinds ?? []).map(String);
      const sent = {
        mutedKinds: notificationKinds.filter((k) => !on.includes(k)),
        emailDigest: b.emailDigest,
        digestWeekday: Number(b.digestWeekday),
      };
      return renderPreferences(req, res, 422, { errors: form.errors, errorList: form.list, sent });
    }
    const mutedKinds = notificationKinds.filter((k) => !form.data.on.includes(k));
    await savePreferences({
      userId: req.user!.id,
      preferences: { mutedKinds, emailDigest: form.data.emailDigest, digestWeekday: form.data.digestWeekday },
    });
    flash(req, 'success', messages.saved);
    res.redirect(303, '/account/notifications');
  });

  // GET only shows a button (link scanners prefetch GETs); POST is the RFC 8058 one-click, signed, no CSRF token or sign-in.
  own.web.get('/unsubscribe/:userId/:kind/:signature', (req, res) => unsubscribePage(req, res, false));
  own.web.post('/unsubscribe/:userId/:kind/:signature', (req, res) => unsubscribePage(req, res, true));

  web.get('/admin/notifications', requireRole('admin'), async (req, res) => {
    // A recipient the filter cannot read lists nothing, with its error at its field, rather than every notification.
    // (A kind, status or cursor it does not know, from a link an older version made, is only left aside.)
    const filter = webFilter.safeParse({ ...req.query });
    const f = filter.success ? filter.data : {};
    const refused = filter.success ? undefined : fieldErrorsFrom(filter.error, 'query');
    const user = f.email
      ? await UserModel.findOne({ email: canonicalEmail(f.email) })
          .select({ _id: 1 })
          .lean()
      : undefined;
    const { items, nextCursor } =
      refused || (f.email && !user)
        ? { items: [], nextCursor: null }
        : await pageNotifications({
            userId: user ? String(user._id) : undefined,
            kind: f.kind,
            status: f.status,
            limit: adminPageSize,
            cursor: f.cursor,
          });
    const people = new Map(
      (
        await UserModel.find({ _id: { $in: [...new Set(items.map((i) => i.userId))] } })
          .select({ email: 1 })
          .lean()
      ).map((u) => [String(u._id), u.email]),
    );
    res.status(refused ? 422 : 200).render('notifications/admin', {
      title: 'Notifications',
      items,
      nextCursor,
      people,
      filter: refused ? { email: String(req.query.email ?? '') } : f,
      errors: Object.fromEntries((refused ?? []).map((e) => [e.path, e.message])),
      errorList: refused ?? [],
      kinds: notificationKinds,
      statuses: notificationStatuses,
      isSecurityKind,
      pageSize: adminPageSize,
    });
  });
  web.post('/admin/notifications/:id/resend', requireRole('admin'), async (req, res) => {
    if (!isObjectId(req.params.id)) throw new NotFoundError();
    // A refusal (pressed twice, or another admin resent it first) is said on the list she came from, which shows
    // where things stand, rather than on an error page with no way back to it.
    try {
      await resendNotification({ id: req.params.id });
      flash(req, 'success', messages.resent);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      flash(req, 'error', error.message);
    }
    res.redirect(303, '/admin/notifications?status=failed');
  });
  web.get('/admin/jobs', requireRole('admin'), async (_req, res) => {
    const jobs = await listScheduledJobs({ limit: 200 });
    res.render('notifications/jobs', { title: 'Job queue', jobs });
  });
}
