import type { Router } from 'express';
import { z } from 'zod';
import { OutboxMessageModel } from '../models/OutboxMessage.ts';
import { requireRole } from '../server/auth.ts';
import { canonicalEmail } from '../server/emailAddresses.ts';
import { NotFoundError } from '../server/errors.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { parseFilters } from '../server/http/forms.ts';
import { isObjectId } from '../server/http/validate.ts';

const outboxQuery = z.object({ to: z.string().trim().max(320).optional() });

/** Admins read the emails the app delivered to the outbox (development without SMTP, and the demo). */
export function registerOutboxRoutes(web: Router): void {
  web.get('/admin/outbox', requireRole('admin'), async (req, res) => {
    // A recipient the filter cannot read lists nothing, with its error at its field, rather than every email.
    const filters = parseFilters(outboxQuery, req.query);
    const to = filters.ok ? filters.data.to : undefined;
    const messages = filters.ok
      ? await OutboxMessageModel.find(to ? { to: canonicalEmail(to) } : {})
          .sort({ createdAt: -1 })
          .limit(100)
          .lean()
      : [];
    res.status(filters.ok ? 200 : 422).render('outbox/index', {
      title: 'Outbox',
      messages,
      to: filters.ok ? (to ?? '') : (filters.values.to ?? ''),
      errors: filters.errors,
      errorList: filters.list,
    });
  });
  const messageOf = async (id: unknown) => {
    const message = isObjectId(id) ? await OutboxMessageModel.findById(id).lean() : null;
    if (!message) throw new NotFoundError('There is no such message in the outbox.');
    return message;
  };
  web.get('/admin/outbox/:id', requireRole('admin'), async (req, res) => {
    const message = await messageOf(req.params.id);
    res.render('outbox/show', { title: message.subject, message });
  });
  // The HTML part as the reader's mail program shows it: on a page of its own that may run nothing and load nothing
  // (its inline styles only), since it is mail, not one of Pathways' pages.
  web.get('/admin/outbox/:id/html', requireRole('admin'), async (req, res) => {
    const message = await messageOf(req.params.id);
    if (!message.html) throw new NotFoundError('This message has no HTML part.');
    res
      .set('Content-Security-Policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      .type('text/html; charset=utf-8')
      .send(message.html);
  });
  web.get('/admin/outbox/:id/attachments/:n', requireRole('admin'), async (req, res) => {
    const message = await messageOf(req.params.id);
    const file = /^\d{1,2}$/.test(String(req.params.n)) ? message.attachments?.[Number(req.params.n)] : undefined;
    if (!file) throw new NotFoundError('This message has no such attachment.');
    res
      .set('Content-Disposition', downloadDisposition(file.filename ?? 'attachment'))
      .type(file.contentType ?? 'application/octet-stream')
      .send(file.content ?? '');
  });
}
