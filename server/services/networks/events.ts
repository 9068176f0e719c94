import ical, { ICalCalendarMethod, ICalEventStatus, type ICalCalendar } from 'ical-generator';
import { Types } from 'mongoose';
import { EventRsvpModel } from '../../../models/EventRsvp.ts';
import { NetworkModel } from '../../../models/Network.ts';
import { NetworkEventModel, type EventMode, type NetworkEvent } from '../../../models/NetworkEvent.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import { absoluteUrl } from '../../settings.ts';
import { registerNotificationKind } from '../reminders/compose.ts';
import { cancelNotifications, planNotifications } from '../reminders/plan.ts';
import { howSoon } from '../reminders/time.ts';
import { createOnce, submissionKey } from '../../submissions.ts';
import { currentMemberships, isLead, isMember, networksOf } from './membership.ts';
import { calendarName, icsFile } from '../../icsText.ts';
import { fileNameOf } from '../../fileNames.ts';

/**
 * Network events: leads create them, members answer whether they are going. Reminders use the reminders pipeline
 * exactly as session reminders do (server/services/reminders/sessions.ts): one record per (event, person, start
 * time, offset) under its unique key, a series per (event, person, start time) so only the latest due one goes out
 * after downtime, `eventAt` so none is sent late, and a check at send time that she is still going and still a
 * member. They are planned when she says she is going and cancelled when she says she is not.
 */
export const eventReminderOffsets = [1440, 60] as const;

/**
 * The reminders (minutes before the start) still ahead of an answer given at `now`: one whose time has passed is
 * never sent (it would be late), so "going" an hour before the start plans none, and she is told so.
 */
export const remindersAhead = (startsAt: Date, now: Date): number[] =>
  eventReminderOffsets.filter((offset) => startsAt.getTime() - offset * 60_000 > now.getTime());

/** An event that has ended takes no more answers: "going" to it would count her and promise reminders for nothing. */
export const hasEnded = (event: { startsAt: Date; durationMinutes: number }, now: Date): boolean =>
  event.startsAt.getTime() + event.durationMinutes * 60_000 <= now.getTime();

const messages = {
  membersOnly: 'Only members of this network can see its events.',
  leadsOnly: 'Only the network’s leads can create events.',
  past: 'must be in the future',
  needsJoinUrl: 'is required for an online event',
  needsLocation: 'is required for an event in person',
  badCursor: 'The cursor is not valid.',
  notOurCursor: 'is not a cursor from this list',
  ended: 'This event has ended.',
};

export type EventInput = {
  title: string;
  startsAt: Date;
  durationMinutes: number;
  mode: EventMode;
  joinUrl?: string;
  location?: string;
};

export type PresentedEvent = {
  id: string;
  networkId: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  durationMinutes: number;
  mode: EventMode;
  joinUrl: string | null;
  location: string | null;
  goingCount: number;
  /** Her own answer (null before she answers). */
  going: boolean | null;
};

export const eventUid = (eventId: string | Types.ObjectId): string => `network-event-${String(eventId)}@pathways`;
const isAdmin = (actor: Express.User) => actor.roles.includes('admin');

/**
 * Members (and admins) read a network's events. A network that does not exist is a 404 like any unknown id; only a
 * refusal or an admin's read asks, so a member's read costs nothing more. Networks are listed to everyone signed in,
 * so a non-member's 403 gives nothing away.
 */
async function assertMayRead(actor: Express.User, networkId: Types.ObjectId): Promise<void> {
  if (!isAdmin(actor) && (await isMember(networkId, actor.id))) return;
  if (!(await NetworkModel.exists({ _id: networkId }))) throw new NotFoundError();
  if (!isAdmin(actor)) throw new ForbiddenError(messages.membersOnly);
}

/**
 * Going counts only the answers of current members: her answer outlives her leaving or removal (it is hers, in her
 * export), but from then on she cannot see the event nor get its reminders, so she is not counted either; nor while
 * an admin has disabled her account (her row is counted out of `memberCount` then too). Read from the membership
 * rows on every request, like access, so every process agrees at once.
 */
async function goingCounts(events: NetworkEvent[]): Promise<Map<string, number>> {
  const networkOf = new Map(events.map((e) => [String(e._id), String(e.networkId)]));
  const going = await EventRsvpModel.find({ eventId: { $in: events.map((e) => e._id) }, going: true })
    .select({ eventId: 1, userId: 1 })
    .lean();
  const members = await currentMemberships({
    userIds: [...new Set(going.map((r) => String(r.userId)))],
    networkIds: [...new Set(networkOf.values())],
  });
  const counts = new Map<string, number>();
  for (const r of going) {
    const eventId = String(r.eventId);
    if (members.has(`${networkOf.get(eventId)}:${String(r.userId)}`))
      counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
  }
  return counts;
}

async function presentEvents(events: NetworkEvent[], viewerId: string): Promise<PresentedEvent[]> {
  if (!events.length) return [];
  const ids = events.map((e) => e._id);
  const [counts, mine] = await Promise.all([
    goingCounts(events),
    EventRsvpModel.find({ _id: { $in: ids.map((id) => `${String(id)}:${viewerId}`) } })
      .select({ eventId: 1, going: 1 })
      .lean(),
  ]);
  const answers = new Map(mine.map((r) => [String(r.eventId), r.going]));
  return events.map((e) => ({
    id: String(e._id),
    networkId: String(e.networkId),
    title: e.title,
    startsAt: e.startsAt,
    endsAt: new Date(e.startsAt.getTime() + e.durationMinutes * 60_000),
    durationMinutes: e.durationMinutes,
    mode: e.mode as EventMode,
    joinUrl: e.joinUrl ?? null,
    location: e.location ?? null,
    goingCount: counts.get(String(e._id)) ?? 0,
    going: answers.get(String(e._id)) ?? null,
  }));
}

/** A lead (or an admin) creates an event in her network. */
export async function createNetworkEvent(props: {
  actor: Express.User;
  networkId: string;
  event: EventInput;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
  now?: Date;
}): Promise<PresentedEvent> {
  const { actor, networkId, event } = props;
  if (!isObjectId(networkId) || !(await NetworkModel.exists({ _id: networkId }))) throw new NotFoundError();
  if (!isAdmin(actor) && !(await isLead(networkId, actor.id))) throw new ForbiddenError(messages.leadsOnly);
  const errors = [];
  if (event.startsAt.getTime() <= (props.now ?? new Date()).getTime())
    errors.push({ path: 'startsAt', message: messages.past });
  if (event.mode === 'online' && !event.joinUrl) errors.push({ path: 'joinUrl', message: messages.needsJoinUrl });
  if (event.mode === 'in-person' && !event.location) errors.push({ path: 'location', message: messages.needsLocation });
  if (errors.length) throw new ValidationError('Some details need correcting.', errors);
  // A repeat (same key; without one, the same title at the same time in this network) is the first event.
  const key = submissionKey({
    scope: [actor.id, networkId],
    clientKey: props.submissionKey,
    content: [event.title, event.startsAt.toISOString()],
  });
  const inserted = await createOnce(NetworkEventModel, key, {
    networkId,
    title: event.title,
    startsAt: event.startsAt,
    durationMinutes: event.durationMinutes,
    mode: event.mode,
    joinUrl: event.mode === 'online' ? event.joinUrl : null,
    location: event.mode === 'in-person' ? event.location : null,
    createdBy: actor.id,
  });
  if (!inserted.doc) throw new NotFoundError();
  return (await presentEvents([inserted.doc as NetworkEvent], actor.id))[0]!;
}

async function loadEvent(eventId: string): Promise<NetworkEvent> {
  if (!isObjectId(eventId)) throw new NotFoundError();
  const event = await NetworkEventModel.findById(eventId).lean();
  if (!event) throw new NotFoundError();
  return event as NetworkEvent;
}

/** One event, for its network's members (and admins). */
export async function eventFor(props: { actor: Express.User; eventId: string }): Promise<PresentedEvent> {
  const event = await loadEvent(props.eventId);
  await assertMayRead(props.actor, event.networkId);
  return (await presentEvents([event], props.actor.id))[0]!;
}

/**
 * A network's events not yet ended (from 12 hours ago), by start time, a page at a time (API.md's list convention).
 * The cursor is the shared one (server/pagination.ts), the last event's id; the page after it starts from that
 * event's (start, id), read again here. Nothing moves an event once created, so a walk never skips or repeats one
 * (were rescheduling added, the cursor would have to carry the start it was read at).
 */
export async function eventsOfNetwork(props: {
  actor: Express.User;
  networkId: string;
  limit: number;
  cursor?: string;
  now?: Date;
}): Promise<{ items: PresentedEvent[]; nextCursor: string | null }> {
  if (!isObjectId(props.networkId)) throw new NotFoundError();
  const networkId = new Types.ObjectId(props.networkId);
  await assertMayRead(props.actor, networkId);
  const now = props.now ?? new Date();
  const query: Record<string, unknown> = { networkId, startsAt: { $gte: new Date(now.getTime() - 12 * 3600_000) } };
  const after = decodeCursor(props.cursor);
  if (after) {
    const last = await NetworkEventModel.findOne({ _id: after, networkId }).select({ startsAt: 1 }).lean();
    if (!last) throw new ValidationError(messages.badCursor, [{ path: 'cursor', message: messages.notOurCursor }]);
    query.$or = [{ startsAt: { $gt: last.startsAt } }, { startsAt: last.startsAt, _id: { $gt: after } }];
  }
  const events = (await NetworkEventModel.find(query)
    .sort({ startsAt: 1, _id: 1 })
    .limit(props.limit + 1)
    .lean()) as NetworkEvent[];
  const page = pageOf(events, props.limit);
  return { items: await presentEvents(page.rows, props.actor.id), nextCursor: page.nextCursor };
}

function reminderPlans(event: NetworkEvent, userId: string, now: Date) {
  const eventId = String(event._id);
  const startsAt = event.startsAt.toISOString();
  return remindersAhead(event.startsAt, now).map((offset) => ({
    key: `network-event-reminder:${eventId}:${userId}:${startsAt}:${offset}`,
    userId,
    kind: 'network-event-reminder' as const,
    about: { type: 'event' as const, id: eventId },
    series: `network-event-reminder:${eventId}:${userId}:${startsAt}`,
    sendAt: new Date(event.startsAt.getTime() - offset * 60_000),
    eventAt: event.startsAt,
    subject: `Reminder: ${event.title}`,
    data: { offsetMinutes: offset },
  }));
}

/** She answers whether she is going (members only); reminders follow her answer. */
export async function rsvpToEvent(props: {
  actor: Express.User;
  eventId: string;
  going: boolean;
  now?: Date;
}): Promise<PresentedEvent> {
  const event = await loadEvent(props.eventId);
  if (!(await isMember(event.networkId, props.actor.id))) throw new ForbiddenError(messages.membersOnly);
  const now = props.now ?? new Date();
  if (hasEnded(event, now)) throw new ConflictError(messages.ended);
  const eventId = String(event._id);
  await EventRsvpModel.updateOne(
    { _id: `${eventId}:${props.actor.id}` },
    {
      $set: { going: props.going },
      $setOnInsert: { eventId: event._id, userId: new Types.ObjectId(props.actor.id) },
    },
    { upsert: true },
  );
  await remindersFollowAnswer({ event, userId: props.actor.id, going: props.going, now });
  return (await presentEvents([event], props.actor.id))[0]!;
}

/**
 * Plans or cancels her reminders for the answer she gave, then reads her stored answer again and, if another answer
 * (another tab, another process) landed meanwhile, follows that one: two answers at once may write her row in one
 * order and plan and cancel in the other, but whichever acts last reads the last answer, so her reminders always end
 * up matching her row.
 */
async function remindersFollowAnswer(props: { event: NetworkEvent; userId: string; going: boolean; now: Date }) {
  const { event, userId, now } = props;
  const rsvpId = `${String(event._id)}:${userId}`;
  let going = props.going;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (going && event.startsAt > now) {
      await planNotifications(reminderPlans(event, userId, now));
    } else {
      await cancelNotifications({ about: { type: 'event', id: String(event._id) }, userId });
    }
    const stored = (await EventRsvpModel.findById(rsvpId).select({ going: 1 }).lean())?.going ?? false;
    if (stored === going) return;
    going = stored;
  }
}

/** Adds network events to an iCalendar (one UID per event for life, SEQUENCE from the event). */
export function addEventsToCalendar(calendar: ICalCalendar, events: NetworkEvent[], networkNames: Map<string, string>) {
  for (const e of events) {
    const where = e.mode === 'online' ? (e.joinUrl ?? '') : (e.location ?? '');
    const url = absoluteUrl(`/events/${String(e._id)}`);
    calendar.createEvent({
      id: eventUid(e._id),
      sequence: e.sequence ?? 0,
      start: e.startsAt,
      end: new Date(e.startsAt.getTime() + e.durationMinutes * 60_000),
      summary: `${e.title} (${networkNames.get(String(e.networkId)) ?? 'Pathways network'})`,
      description: `${e.mode === 'online' ? `Join online: ${where}` : `In person: ${where}`}\n\nDetails: ${url}`,
      location: where || null,
      url,
      status: ICalEventStatus.CONFIRMED,
      stamp: e.updatedAt ?? new Date(),
    });
  }
}

/**
 * The events she said she is going to, from `since` on, with their networks' names (for her calendar feed). Only
 * events of networks she still belongs to: her answer outlives a removal, her access does not.
 */
export async function eventsGoingTo(userId: Types.ObjectId | string, since: Date) {
  const answers = await EventRsvpModel.find({ userId: new Types.ObjectId(String(userId)), going: true })
    .select({ eventId: 1 })
    .lean();
  if (!answers.length) return { events: [] as NetworkEvent[], networkNames: new Map<string, string>() };
  const events = (await NetworkEventModel.find({
    _id: { $in: answers.map((a) => a.eventId) },
    networkId: { $in: await networksOf(userId) },
    startsAt: { $gte: since },
  }).lean()) as NetworkEvent[];
  const networks = await NetworkModel.find({ _id: { $in: events.map((e) => e.networkId) } })
    .select({ name: 1 })
    .lean();
  return { events, networkNames: new Map(networks.map((n) => [String(n._id), n.name])) };
}

/** One event as an .ics file, for its members. */
export async function eventIcs(props: { actor: Express.User; eventId: string }) {
  const event = await loadEvent(props.eventId);
  await assertMayRead(props.actor, event.networkId);
  const network = await NetworkModel.findById(event.networkId).select({ name: 1 }).lean();
  return eventIcsBody(event, network?.name ?? '');
}

registerNotificationKind('network-event-reminder', {
  isStillRelevant: async ({ record }) => {
    const event = await NetworkEventModel.findById(record.about.id).lean();
    if (!event) return 'The event was removed.';
    if (record.eventAt && event.startsAt.getTime() !== record.eventAt.getTime()) return 'The event moved.';
    const rsvp = await EventRsvpModel.findById(`${record.about.id}:${String(record.userId)}`).lean();
    if (!rsvp?.going) return 'She is no longer going.';
    return (await isMember(event.networkId, record.userId)) ? true : 'She is no longer a member of the network.';
  },
  compose: async ({ record, now }) => {
    const event = (await NetworkEventModel.findById(record.about.id).lean()) as NetworkEvent;
    const network = await NetworkModel.findById(event.networkId).select({ name: 1 }).lean();
    const { body, filename } = await eventIcsBody(event, network?.name ?? '');
    return {
      subject: `Reminder: ${event.title}, ${howSoon(event.startsAt, record.data?.offsetMinutes, now)}`,
      template: 'network-event-reminder',
      data: {
        title: event.title,
        networkName: network?.name ?? '',
        startsAt: event.startsAt.toISOString(),
        durationMinutes: event.durationMinutes,
        mode: event.mode,
        joinUrl: event.joinUrl ?? '',
        location: event.location ?? '',
        eventUrl: absoluteUrl(`/events/${String(event._id)}`),
      },
      attachments: [{ filename, content: body, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' }],
    };
  },
});

async function eventIcsBody(event: NetworkEvent, networkName: string) {
  const calendar = ical({
    name: calendarName(event.title),
    prodId: { company: 'Pathways', product: 'Pathways network events', language: 'EN' },
    method: ICalCalendarMethod.PUBLISH,
  });
  addEventsToCalendar(calendar, [event], new Map([[String(event.networkId), networkName]]));
  return { filename: fileNameOf(event.title, 'ics', 'event'), body: icsFile(calendar) };
}
