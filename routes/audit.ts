import type { Request, Response, Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { auditActions } from '../models/AuditEvent.ts';
import { UserModel } from '../models/User.ts';
import { requireRole } from '../server/auth.ts';
import { toCsv } from '../server/csv.ts';
import { canonicalEmail } from '../server/emailAddresses.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { parseForm } from '../server/http/forms.ts';
import { isoDate, isoDateTime, objectId, paging } from '../server/http/validate.ts';
import { exportAuditEvents, searchAuditEvents, type AuditFilter } from '../server/services/audit/trail.ts';
import { startOfLocalDay } from '../server/time.ts';

const messages = {
  noSuchPerson: 'Nobody has this email address.',
  dates: 'The first day must not be after the last.',
};

/** The CSV holds at most this many events, newest first (narrow the filter for older ones). */
const csvMax = 50_000;

const auditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({ id: z.string(), name: z.string() }).nullable(),
  action: z.enum(auditActions),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  ip: z.string().nullable(),
  detail: z.string(),
});

export const auditQuerySchema = z.strictObject({
  actorId: objectId.optional(),
  action: z.enum(auditActions).optional(),
  targetId: z.string().trim().min(1).max(100).optional(),
  since: isoDateTime.optional(),
  ...paging,
});

/** The admin page's filter: a person by email, an action, and days in the reader's zone. */
const pageFilterSchema = z.object({
  person: z.string().trim().max(320).optional().default(''),
  action: z
    .union([z.enum(auditActions), z.literal('')])
    .optional()
    .default(''),
  from: z
    .union([isoDate, z.literal('')])
    .optional()
    .default(''),
  to: z
    .union([isoDate, z.literal('')])
    .optional()
    .default(''),
  cursor: z.string().max(200).optional(),
});
type PageFilter = z.output<typeof pageFilterSchema>;

/** The page's filter as the service's, or the field errors that stop it. */
async function filterOf(
  values: PageFilter,
  zone: string,
): Promise<{ filter: AuditFilter; errors: Record<string, string> }> {
  const errors: Record<string, string> = {};
  const filter: AuditFilter = {};
  if (values.person) {
    const person = await UserModel.findOne({ email: canonicalEmail(values.person) }, { _id: 1 }).lean();
    if (person) filter.personId = String(person._id);
    else errors.person = messages.noSuchPerson;
  }
  if (values.action) filter.action = values.action;
  // Whole days in her zone: from the start of the first to the start of the day after the last (a day the clocks
  // change lasts 23 or 25 hours, and in a few zones it begins at 01:00).
  if (values.from) filter.since = startOfLocalDay(values.from, zone);
  if (values.to) filter.until = startOfLocalDay(DateTime.fromISO(values.to).plus({ days: 1 }).toISODate()!, zone);
  if (values.from && values.to && values.from > values.to) errors.to = messages.dates;
  return { filter, errors };
}

async function auditPage(req: Request, res: Response): Promise<void> {
  const zone = req.user!.timezone;
  const form = parseForm(pageFilterSchema, { ...req.query });
  // A filter it cannot read keeps what she typed beside the error, the other fields too.
  const typed = (key: string) => (typeof req.query[key] === 'string' ? (req.query[key] as string) : '');
  const values = form.ok
    ? form.data
    : { person: typed('person'), action: typed('action'), from: typed('from'), to: typed('to') };
  const parsed = form.ok ? await filterOf(form.data, zone) : { filter: {}, errors: form.errors };
  const errorList = Object.entries(parsed.errors).map(([path, message]) => ({ path, message }));
  const result = errorList.length
    ? { items: [], nextCursor: null }
    : await searchAuditEvents({ ...parsed.filter, limit: 50, cursor: form.ok ? form.data.cursor : undefined });
  const query = new URLSearchParams(
    Object.entries(values).filter(([k, v]) => k !== 'cursor' && typeof v === 'string' && v !== '') as [
      string,
      string,
    ][],
  );
  res.status(errorList.length ? 422 : 200).render('audit/index', {
    title: 'Audit trail',
    events: result.items,
    nextCursor: result.nextCursor,
    values,
    actions: auditActions,
    errors: parsed.errors,
    errorList,
    query: query.toString(),
  });
}

export function registerAuditRoutes(web: Router, api: Router): void {
  web.get('/admin/audit', requireRole('admin'), auditPage);
  web.get('/admin/audit.csv', requireRole('admin'), async (req, res) => {
    const form = parseForm(pageFilterSchema, { ...req.query });
    const parsed = form.ok ? await filterOf(form.data, req.user!.timezone) : undefined;
    if (!parsed || Object.keys(parsed.errors).length) return auditPage(req, res);
    const events = await exportAuditEvents({ ...parsed.filter, max: csvMax });
    const csv = toCsv({
      header: ['at (UTC)', 'action', 'actor id', 'actor name', 'target type', 'target id', 'ip', 'detail'],
      rows: events.map((e) => [
        e.at,
        e.action,
        e.actor?.id,
        e.actor?.name,
        e.target?.type,
        e.target?.id,
        e.ip,
        e.detail,
      ]),
    });
    res
      .set('Content-Disposition', downloadDisposition('audit-trail', 'csv'))
      .set('Cache-Control', 'no-store')
      .type('text/csv; charset=utf-8')
      .send('\uFEFF' + csv);
  });

  apiOperation(
    api,
    {
      method: 'get',
      path: '/audit-events',
      tag: 'audit',
      summary: 'The audit trail, newest first (read-only: nothing edits or deletes an event)',
      access: ['admin'],
      query: auditQuerySchema,
      success: {
        status: 200,
        description: 'A page of events',
        schema: z.object({ items: z.array(auditEventSchema), nextCursor: z.string().nullable() }),
      },
    },
    async ({ query }) =>
      searchAuditEvents({
        actorId: query.actorId,
        action: query.action,
        targetId: query.targetId,
        since: query.since ? new Date(query.since) : undefined,
        limit: query.limit,
        cursor: query.cursor,
      }),
  );
}
