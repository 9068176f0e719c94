import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { eventModes } from '../models/NetworkEvent.ts';
import { NetworkModel } from '../models/Network.ts';
import { requireSignIn } from '../server/auth.ts';
import { NotFoundError } from '../server/errors.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { formBody, formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { isObjectId, isoDateTime, paging, text, wholeNumberParam } from '../server/http/validate.ts';
import {
  createNetworkEvent,
  eventFor,
  eventIcs,
  eventsOfNetwork,
  hasEnded,
  remindersAhead,
  rsvpToEvent,
  type PresentedEvent,
} from '../server/services/networks/events.ts';
import { isLead, isMember } from '../server/services/networks/membership.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { formatDateTime, readWallClock } from '../server/time.ts';

const messages = {
  created: (title: string) => `${title} was created.`,
  going: (ahead: number[]) =>
    ahead.length === 2
      ? 'You are going. We will remind you a day and an hour before.'
      : ahead.length === 1
        ? 'You are going. We will remind you an hour before.'
        : 'You are going. It starts within the hour, so no reminder will be sent.',
  notGoing: 'You are not going. No reminders will be sent.',
  skipped: (zone: string) => `does not exist in ${zone} (the clocks go forward then); choose another time`,
};

const httpsUrl = z
  .string()
  .trim()
  .max(500)
  .url('must be a web address')
  .refine((u) => u.startsWith('https://'), 'must start with https://');
const eventMinutes = z.number().int().min(15, 'must be at least 15 minutes').max(720, 'must be at most 720 minutes');
export const eventSchema = z.strictObject({
  title: text(160),
  startsAt: isoDateTime.transform((s) => new Date(s)),
  // A JSON number, as a session's length: `[60]`, "60" and true are refused, not read as 60, 60 and 1.
  durationMinutes: eventMinutes,
  mode: z.enum(eventModes),
  joinUrl: httpsUrl.optional(),
  location: text(300).optional(),
});
const rsvpSchema = z.strictObject({ going: z.boolean() });
const eventsQuery = z.strictObject(paging);

const eventOut = z.object({
  id: z.string(),
  networkId: z.string(),
  title: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  durationMinutes: z.number(),
  mode: z.enum(eventModes),
  joinUrl: z.string().nullable(),
  location: z.string().nullable(),
  goingCount: z.number(),
  going: z.boolean().nullable(),
});
const serialise = (e: PresentedEvent) => ({ ...e, startsAt: e.startsAt.toISOString(), endsAt: e.endsAt.toISOString() });

/** The web form takes a wall-clock time in the lead's own zone (named on the form), as the session form does. */
const eventForm = (zone: string) =>
  z.preprocess(
    (raw) => {
      const b = { ...((raw ?? {}) as Record<string, unknown>) };
      for (const k of ['joinUrl', 'location']) if (b[k] === '') delete b[k];
      // A time the clocks skip is refused; one they show twice is the first (server/time.ts readWallClock).
      const local = typeof b.startsAtLocal === 'string' ? readWallClock(b.startsAtLocal, zone) : undefined;
      delete b.startsAtLocal;
      return { ...b, startsAt: !local ? 'invalid' : 'instant' in local ? local.instant.toISOString() : local.problem };
    },
    eventSchema.extend({
      // The form's field is text: read as a number here, and only here.
      durationMinutes: wholeNumberParam({
        min: 15,
        max: 720,
        notWhole: 'must be a whole number of minutes',
        tooSmall: 'must be at least 15 minutes',
        tooBig: 'must be at most 720 minutes',
      }),
      startsAt: z
        .string()
        .refine((s) => s !== 'invalid', 'must be a date and time')
        .refine((s) => s !== 'skipped', messages.skipped(zone))
        .pipe(isoDateTime)
        .transform((s) => new Date(s)),
    }),
  );

/** The events page lists as many as it did before the API was paged; later ones are a link away. */
const eventsPerPage = 100;

const withTimes = (e: PresentedEvent, zone: string) => ({
  ...e,
  when: formatDateTime(e.startsAt, zone),
  ended: hasEnded(e, new Date()),
});

async function eventsPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const networkId = String(req.params.id);
  if (!isObjectId(networkId)) throw new NotFoundError();
  const network = await NetworkModel.findById(networkId).select({ name: 1 }).lean();
  if (!network) throw new NotFoundError();
  const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
  const page = await eventsOfNetwork({ actor: req.user!, networkId, limit: eventsPerPage, cursor });
  res.status(status).render('networks/events', {
    title: `Events · ${network.name}`,
    network: { id: networkId, name: network.name },
    events: page.items.map((e) => withTimes(e, req.user!.timezone)),
    nextCursor: page.nextCursor,
    zone: req.user!.timezone,
    canCreate: req.user!.roles.includes('admin') || (await isLead(networkId, req.user!.id)),
    values: { mode: 'online', durationMinutes: '60' },
    ...extra,
  });
}

export function registerNetworkEventRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'post',
      path: '/networks/:id/events',
      tag: 'networks',
      idempotent: true,
      summary: 'Create a network event (leads, admins); joinUrl for online, location in person',
      access: [],
      body: eventSchema,
      success: { status: 201, description: 'The event', schema: eventOut },
    },
    async ({ user, params, body, req }) =>
      serialise(
        await createNetworkEvent({
          actor: user,
          networkId: params.id!,
          event: body,
          submissionKey: clientSubmissionKey(req),
        }),
      ),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/networks/:id/events',
      tag: 'networks',
      summary: 'A network’s coming events (members, admins)',
      access: [],
      query: eventsQuery,
      success: {
        status: 200,
        description: 'A page of events by start time; nextCursor gives the next page',
        schema: z.object({ items: z.array(eventOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, params, query }) => {
      const page = await eventsOfNetwork({ actor: user, networkId: params.id!, ...query });
      return { items: page.items.map(serialise), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/events/:id/rsvp',
      tag: 'networks',
      summary: 'Say whether you are going (members); reminders a day and an hour before when going',
      access: [],
      errors: [409],
      body: rsvpSchema,
      success: { status: 200, description: 'The event with your answer', schema: eventOut },
    },
    async ({ user, params, body }) =>
      serialise(await rsvpToEvent({ actor: user, eventId: params.id!, going: body.going })),
  );

  web.get('/networks/:id/events', requireSignIn, (req, res) => eventsPage(req, res));
  web.post('/networks/:id/events', requireSignIn, async (req, res) => {
    const form = parseForm(eventForm(req.user!.timezone), formBody(req));
    if (!form.ok)
      return eventsPage(req, res, 422, { errors: form.errors, errorList: form.list, values: formBody(req) });
    try {
      const event = await createNetworkEvent({
        actor: req.user!,
        networkId: String(req.params.id),
        event: form.data,
        submissionKey: clientSubmissionKey(req),
      });
      flash(req, 'success', messages.created(event.title));
      res.redirect(303, `/events/${event.id}`);
    } catch (error) {
      const { errors, list } = formErrorsFrom(error);
      return eventsPage(req, res, 422, { errors, errorList: list, values: formBody(req) });
    }
  });
  web.get('/events/:id', requireSignIn, async (req, res) => {
    const event = await eventFor({ actor: req.user!, eventId: String(req.params.id) });
    const network = await NetworkModel.findById(event.networkId).select({ name: 1 }).lean();
    res.render('networks/event', {
      title: event.title,
      event: withTimes(event, req.user!.timezone),
      networkName: network?.name ?? '',
      zone: req.user!.timezone,
      // Admins read every network's events, but only members answer (rsvpToEvent): no form that can only refuse.
      mayAnswer: await isMember(event.networkId, req.user!.id),
    });
  });
  web.post('/events/:id/rsvp', requireSignIn, async (req, res) => {
    const going = formBody(req).going === 'yes';
    const now = new Date();
    const event = await rsvpToEvent({ actor: req.user!, eventId: String(req.params.id), going, now });
    flash(req, 'success', going ? messages.going(remindersAhead(event.startsAt, now)) : messages.notGoing);
    res.redirect(303, `/events/${String(req.params.id)}`);
  });
  web.get('/events/:id/event.ics', requireSignIn, async (req, res) => {
    const file = await eventIcs({ actor: req.user!, eventId: String(req.params.id) });
    res.setHeader('Content-Type', 'text/calendar; charset=utf-8');
    res.setHeader('Content-Disposition', downloadDisposition(file.filename));
    res.send(file.body);
  });
}
