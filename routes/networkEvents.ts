import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { eventModes } from '../models/NetworkEvent.ts';
import { NetworkModel } from '../models/Network.ts';
import { requireSignIn } from '../server/auth.ts';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../server/errors.ts';
import { confirmFirst, dialogText, type Confirmation } from '../server/http/confirmFirst.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { formBody, formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { isObjectId, isoDateTime, paging, text, wholeNumberParam } from '../server/http/validate.ts';
import {
  cancelNetworkEvent,
  changeNetworkEvent,
  createNetworkEvent,
  eventFor,
  eventIcs,
  eventsOfNetwork,
  hasEnded,
  remindersAhead,
  rsvpToEvent,
  type EventChange,
  type PresentedEvent,
} from '../server/services/networks/events.ts';
import { isLead, isMember } from '../server/services/networks/membership.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { formatDate, formatDateTime, readWallClock, toWallClock } from '../server/time.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';

const messages = {
  created: (title: string) => `${title} was created.`,
  going: (ahead: number[]) =>
    ahead.length === 2
      ? 'You are going. We will remind you a day and an hour before.'
      : ahead.length === 1
        ? 'You are going. We will remind you an hour before.'
        : 'You are going. It starts within the hour, so no reminder will be sent.',
  notGoing: 'You are not going. No reminders will be sent.',
  leadsChange: 'Only the network’s leads can change its events.',
  isCancelled: 'This event was cancelled.',
  hasEnded: 'This event has ended.',
  changed: 'Event changed. Members going will be told.',
  cancelled: 'Event cancelled. Members going will be told.',
  // Asked before cancelling, on the confirmation page and in the form's dialog (server/http/confirmFirst.ts).
  confirmCancel: (title: string, startsAt: Date, zone: string): Omit<Confirmation, 'back'> => ({
    question: `Cancel the event “${title}” on ${formatDateTime(startsAt, zone)}?`,
    consequences: [
      'Everyone who said they are going will be emailed that it is cancelled, and it is marked cancelled in their calendars. It cannot be undone.',
    ],
    yes: 'Yes, cancel the event',
  }),
  change: (c: EventChange, zone: string) =>
    c.change === 'cancelled'
      ? `Cancelled on ${formatDate(c.at, zone)}.`
      : c.change === 'rescheduled' && c.previousStartsAt
        ? `Changed on ${formatDate(c.at, zone)}: it was planned for ${formatDateTime(c.previousStartsAt, zone)}, ${c.previousDurationMinutes} minutes.`
        : `Changed on ${formatDate(c.at, zone)} (its title or place).`,
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
export const eventPatchSchema = eventSchema.partial().extend({
  /** The `sequence` the client read: when given, a change saved by someone else since is a 409 (server/versions.ts). */
  sequence: z.number().int().min(0).optional(),
});
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
  status: z.enum(['scheduled', 'cancelled']),
  sequence: z.number(),
});
const serialise = ({ history: _history, ...e }: PresentedEvent) => ({
  ...e,
  startsAt: e.startsAt.toISOString(),
  endsAt: e.endsAt.toISOString(),
});

/** The web form takes a wall-clock time in the lead's own zone (named on the form), as the session form does. */
const eventFormSchema = (zone: string) =>
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

const mayChangeEvents = async (actor: Express.User, networkId: string) =>
  actor.roles.includes('admin') || (await isLead(networkId, actor.id));

/** The change form's values from the event as stored: its start as a wall-clock time in her zone. */
const valuesOf = (e: PresentedEvent, zone: string) => ({
  title: e.title,
  startsAtLocal: toWallClock(e.startsAt, zone),
  durationMinutes: String(e.durationMinutes),
  mode: e.mode,
  joinUrl: e.joinUrl ?? '',
  location: e.location ?? '',
});

/**
 * The change form. Only leads (and admins) see it: anyone else gets the refusal changeNetworkEvent would give, and an
 * event cancelled or ended is a 409 there too, so the form is never offered for a change that can only be refused.
 */
async function eventForm(
  req: Request,
  res: Response,
  event: PresentedEvent,
  props: { values: Record<string, unknown>; version: unknown; errors?: object; errorList?: object[]; status?: number },
) {
  const zone = req.user!.timezone;
  if (!(await mayChangeEvents(req.user!, event.networkId))) throw new ForbiddenError(messages.leadsChange);
  if (event.status === 'cancelled') throw new ConflictError(messages.isCancelled);
  if (hasEnded(event, new Date())) throw new ConflictError(messages.hasEnded);
  res.status(props.status ?? 200).render('networks/event-form', {
    title: `Change ${event.title}`,
    event,
    zone,
    values: props.values,
    version: props.version,
    errors: props.errors ?? {},
    errorList: props.errorList ?? [],
    confirmCancel: dialogText(messages.confirmCancel(event.title, event.startsAt, zone)),
  });
}

/** Before an event is cancelled: which one, when (in her zone), and who will be told; nothing to ask if it is. */
const confirmCancel = confirmFirst(async (req) => {
  const event = await eventFor({ actor: req.user!, eventId: String(req.params.id) });
  if (event.status === 'cancelled' || !(await mayChangeEvents(req.user!, event.networkId))) return null;
  return {
    ...messages.confirmCancel(event.title, event.startsAt, req.user!.timezone),
    back: `/events/${event.id}/edit`,
  };
});

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

  apiOperation(
    api,
    {
      method: 'patch',
      path: '/events/:id',
      tag: 'networks',
      summary: 'Change an event (leads, admins): members going are told once, reminders follow the new time',
      access: [],
      errors: [409],
      body: eventPatchSchema,
      success: { status: 200, description: 'The event', schema: eventOut },
    },
    async ({ user, params, body: { sequence, ...input } }) =>
      serialise(await changeNetworkEvent({ actor: user, eventId: params.id!, input, expectedSequence: sequence })),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/events/:id',
      tag: 'networks',
      summary: 'Cancel an event (leads, admins): kept, marked cancelled; members going are told',
      access: [],
      errors: [409],
      success: { status: 204, description: 'Cancelled' },
    },
    async ({ user, params }) => {
      await cancelNetworkEvent({ actor: user, eventId: params.id! });
    },
  );

  web.get('/networks/:id/events', requireSignIn, (req, res) => eventsPage(req, res));
  web.post('/networks/:id/events', requireSignIn, async (req, res) => {
    const form = parseForm(eventFormSchema(req.user!.timezone), formBody(req));
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
    const zone = req.user!.timezone;
    const shown = withTimes(event, zone);
    const cancelledAt = event.history.findLast((c) => c.change === 'cancelled')?.at;
    res.render('networks/event', {
      title: event.title,
      event: shown,
      networkName: network?.name ?? '',
      zone,
      // Admins read every network's events, but only members answer (rsvpToEvent): no form that can only refuse.
      mayAnswer: await isMember(event.networkId, req.user!.id),
      mayChange: event.status === 'scheduled' && !shown.ended && (await mayChangeEvents(req.user!, event.networkId)),
      changes: event.history.map((c) => messages.change(c, zone)),
      cancelledOn: cancelledAt ? formatDate(cancelledAt, zone) : null,
    });
  });
  web.get('/events/:id/edit', requireSignIn, async (req, res) => {
    const event = await eventFor({ actor: req.user!, eventId: String(req.params.id) });
    return eventForm(req, res, event, {
      values: valuesOf(event, req.user!.timezone),
      version: versionForForm(event.sequence),
    });
  });
  web.post('/events/:id/edit', requireSignIn, async (req, res) => {
    const event = await eventFor({ actor: req.user!, eventId: String(req.params.id) });
    // Sent back, a refused form keeps the SEQUENCE she opened, so a change by someone else meanwhile is still noticed.
    const { version, ...fields } = formBody(req);
    const zone = req.user!.timezone;
    const form = parseForm(eventFormSchema(zone), fields);
    if (!form.ok)
      return eventForm(req, res, event, {
        values: formBody(req),
        version,
        errors: form.errors,
        errorList: form.list,
        status: 422,
      });
    try {
      // Its start shown unchanged keeps the instant stored: on the night the clocks go back, 01:30 names two instants,
      // and a form saved as it was must not move an event at the second one to the first.
      const unchanged = fields.startsAtLocal === toWallClock(event.startsAt, zone);
      await changeNetworkEvent({
        actor: req.user!,
        eventId: event.id,
        input: { ...form.data, ...(unchanged ? { startsAt: event.startsAt } : {}) },
        expectedSequence: versionFromForm(version),
      });
      flash(req, 'success', messages.changed);
      res.redirect(303, `/events/${event.id}`);
    } catch (error) {
      // Changed or cancelled by someone else since she opened it: her changes come back unsaved, with the SEQUENCE
      // now stored, so that sending them again (knowing) replaces the other change.
      if (error instanceof DomainError && error.status === 409) {
        const latest = await eventFor({ actor: req.user!, eventId: event.id });
        return eventForm(req, res, latest, {
          values: formBody(req),
          version: versionForForm(latest.sequence),
          errorList: [{ path: '(event)', message: error.message }],
          status: 409,
        });
      }
      const { errors, list } = formErrorsFrom(error);
      return eventForm(req, res, event, { values: formBody(req), version, errors, errorList: list, status: 422 });
    }
  });
  web.post('/events/:id/cancel', requireSignIn, confirmCancel, async (req, res) => {
    await cancelNetworkEvent({ actor: req.user!, eventId: String(req.params.id) });
    flash(req, 'success', messages.cancelled);
    res.redirect(303, `/events/${String(req.params.id)}`);
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
