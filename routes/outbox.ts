import type { Router } from 'express';
import { z } from 'zod';
import { OutboxMessageModel } from '../models/OutboxMessage.ts';
import { requireRole } from '../server/auth.ts';
import { canonicalEmail } from '../server/emailAddresses.ts';
import { NotFoundError } from '../server/errors.ts';
import { isObjectId } from '../server/http/validate.ts';

const outboxQuery = z.object({ to: z.string().trim().max(320).optional() });

/** Admins read the emails the app delivered to the outbox (development without SMTP, and the demo). */
export function registerOutboxRoutes(web: Router): void {
  web.get('/admin/outbox', requireRole('admin'), async (req, res) => {
    const query = outboxQuery.safeParse({ ...req.query });
    const to = query.success ? query.data.to : undefined;
    const messages = await OutboxMessageModel.find(to ? { to: canonicalEmail(to) } : {})
      .sort({ createdAt: -1 })
      .limit(100)
      .lean();
    res.render('outbox/index', { title: 'Outbox', messages, to: to ?? '' });
  });
  web.get('/admin/outbox/:id', requireRole('admin'), async (req, res) => {
    const message = isObjectId(req.params.id) ? await OutboxMessageModel.findById(req.params.id).lean() : null;
    if (!message) throw new NotFoundError('There is no such message in the outbox.');
    res.render('outbox/show', { title: message.subject, message });
  });
}
