import ical, { ICalCalendarMethod, ICalEventStatus, type ICalCalendar } from 'ical-generator';
import { Types } from 'mongoose';
import { EventRsvpModel } from '../../../models/EventRsvp.ts';
import { NetworkModel } from '../../../models/Network.ts';
import {
  NetworkEventModel,
  type EventMode,
  type EventStatus,
  type NetworkEvent,
} from '../../../models/NetworkEvent.ts';
import { finishEach, interruptedBefore } from '../../interruptedWork.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../../pagination.ts';
import { absoluteUrl } from '../../settings.ts';
import { changeNoticeWaitMs, planChangeNotices } from '../reminders/changeNotices.ts';
import { registerNotificationKind } from '../reminders/compose.ts';
import { cancelNotifications, planNotifications, replanNotifications } from '../reminders/plan.ts';
import { howSoon } from '../reminders/time.ts';
import { createOnce, submissionKey } from '../../submissions.ts';
import { movedOn, savedMeanwhileMessage, type ExpectedVersion } from '../../versions.ts';
import { currentMemberships, isLead, isMember, networksOf } from './membership.ts';
import { calendarName, calendarOrganizer, icsFile, parameterValue } from '../../icsText.ts';
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
  cancelled: 'This event was cancelled.',
  leadsChange: 'Only the network’s leads can change its events.',
  changedMeanwhile: 'This event was changed or cancelled at the same moment by someone else: open it again and retry.',
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
  status: EventStatus;
  /** Grows with each change: the version a change is made over (server/versions.ts), and the calendar's SEQUENCE. */
  sequence: number;
  /** What it was before its changes, oldest first (a lead's change or cancelling each adds one). */
  history: EventChange[];
};

export type EventChange = {
  at: Date;
  change: 'rescheduled' | 'updated' | 'cancelled';
  previousStartsAt: Date | null;
  previousDurationMinutes: number | null;
};

const isCancelled = (event: Pick<NetworkEvent, 'status'>) => event.status === 'cancelled';

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
    status: (e.status ?? 'scheduled') as EventStatus,
    sequence: e.sequence ?? 0,
    history: (e.history ?? []).map((h) => ({
      at: h.at,
      change: h.change as EventChange['change'],
      previousStartsAt: h.previousStartsAt ?? null,
      previousDurationMinutes: h.previousDurationMinutes ?? null,
    })),
  }));
}

/**
 * The rules an event's details keep, on creation and on each change: a start in the future (a change that keeps the
 * start may keep one already passed only if the event has not ended, which the caller checks), a joining link online,
 * a place in person.
 */
function checkEventInput(event: EventInput, props: { now: Date; startMoved: boolean }): void {
  const errors = [];
  if (props.startMoved && event.startsAt.getTime() <= props.now.getTime())
    errors.push({ path: 'startsAt', message: messages.past });
  if (event.mode === 'online' && !event.joinUrl) errors.push({ path: 'joinUrl', message: messages.needsJoinUrl });
  if (event.mode === 'in-person' && !event.location) errors.push({ path: 'location', message: messages.needsLocation });
  if (errors.length) throw new ValidationError('Some details need correcting.', errors);
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
  checkEventInput(event, { now: props.now ?? new Date(), startMoved: true });
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
 * Cancelled ones are listed too, marked, until they would have ended: a member who looks for one learns it is off.
 * The cursor is the last event's (start, id) as it was read (server/pagination.ts): a lead may move an event between
 * two pages, and the walk goes on from where the first page ended, never skipping or repeating another event.
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
  const from = new Date(now.getTime() - 12 * 3600_000);
  const after = decodeTimeCursor(props.cursor);
  const query: Record<string, unknown> = after
    ? {
        networkId,
        // The `startsAt` bound repeats what the `$or` says, so the index is read from the cursor on.
        startsAt: { $gte: after.at > from ? after.at : from },
        $or: [{ startsAt: { $gt: after.at } }, { startsAt: after.at, _id: { $gt: after.id } }],
      }
    : { networkId, startsAt: { $gte: from } };
  const events = (await NetworkEventModel.find(query)
    .sort({ startsAt: 1, _id: 1 })
    .limit(props.limit + 1)
    .lean()) as NetworkEvent[];
  const more = events.length > props.limit;
  const shown = more ? events.slice(0, props.limit) : events;
  return {
    items: await presentEvents(shown, props.actor.id),
    nextCursor: more ? encodeTimeCursor(shown.at(-1)!.startsAt, shown.at(-1)!._id) : null,
  };
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
  if (isCancelled(event)) throw new ConflictError(messages.cancelled);
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
  // The event as it is now. A lead who cancelled or moved it at the same moment (another process) wrote it first and
  // then read who is going, perhaps before her answer was written; this wrote her answer first and reads the event
  // now, so one of the two sees the other: her cancellation notice, or her reminders at the new start, are planned
  // here when the lead's could not see her.
  const current = await loadEvent(props.eventId);
  if ((current.sequence ?? 0) === (event.sequence ?? 0)) return (await presentEvents([event], props.actor.id))[0]!;
  await cancelNotifications({
    about: { type: 'event', id: eventId },
    kinds: ['network-event-reminder'],
    userId: props.actor.id,
  });
  if (isCancelled(current)) {
    if (props.going && current.startsAt > now)
      await planNotifications([cancellationNotice(current, props.actor.id, now)]);
    throw new ConflictError(messages.cancelled);
  }
  await remindersFollowAnswer({ event: current, userId: props.actor.id, going: props.going, now });
  return (await presentEvents([current], props.actor.id))[0]!;
}

/** The one notice a member going is sent when an event is cancelled (its key makes it one, whoever plans it). */
function cancellationNotice(event: NetworkEvent, userId: string, now: Date) {
  const eventId = String(event._id);
  return {
    key: `network-event-cancelled:${eventId}:${userId}`,
    userId,
    kind: 'network-event-cancelled' as const,
    about: { type: 'event' as const, id: eventId },
    sendAt: now,
    eventAt: event.startsAt,
    subject: `Cancelled: ${event.title}`,
  };
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

/** Leads of the event's network (and admins) change or cancel it; a member who is not a lead is told so. */
async function assertMayChange(actor: Express.User, event: NetworkEvent): Promise<void> {
  if (isAdmin(actor) || (await isLead(event.networkId, actor.id))) return;
  await assertMayRead(actor, event.networkId);
  throw new ForbiddenError(messages.leadsChange);
}

/** Where an event takes place, in the words of a change notice: "online (https://…)", "in person at Room 4". */
export function eventPlaceInWords(e: { mode: string; joinUrl?: string | null; location?: string | null }): string {
  if (e.mode === 'online') return e.joinUrl ? `online (${e.joinUrl})` : 'online';
  return e.location ? `in person at ${e.location}` : 'in person';
}

/**
 * A lead changes an event (title, time, length, place). One conditional update over the SEQUENCE read (atomic on
 * MongoDB and on our patched FerretDB): of two changes at once one lands and the other is a 409; with
 * `expectedSequence` (the version her form was opened at, or one an API client read) a change saved by someone else
 * since is a 409 too, never undone by the fields she left as shown (server/versions.ts). A change that changes
 * nothing writes nothing and tells nobody. Members going are then told (networkEventChanged).
 */
export async function changeNetworkEvent(props: {
  actor: Express.User;
  eventId: string;
  input: Partial<EventInput>;
  expectedSequence?: ExpectedVersion;
  now?: Date;
}): Promise<PresentedEvent> {
  const event = await loadEvent(props.eventId);
  await assertMayChange(props.actor, event);
  const now = props.now ?? new Date();
  if (isCancelled(event)) throw new ConflictError(messages.cancelled);
  if (hasEnded(event, now)) throw new ConflictError(messages.ended);
  const mode = props.input.mode ?? (event.mode as EventMode);
  const merged: EventInput = {
    title: props.input.title ?? event.title,
    startsAt: props.input.startsAt ?? event.startsAt,
    durationMinutes: props.input.durationMinutes ?? event.durationMinutes,
    mode,
    // Switching to online needs a link, to in person a place: the one stored for the other mode is not carried over.
    joinUrl: mode === 'online' ? (props.input.joinUrl ?? event.joinUrl ?? undefined) : undefined,
    location: mode === 'in-person' ? (props.input.location ?? event.location ?? undefined) : undefined,
  };
  const startMoved = merged.startsAt.getTime() !== event.startsAt.getTime();
  checkEventInput(merged, { now, startMoved });
  const timeChanged = startMoved || merged.durationMinutes !== event.durationMinutes;
  const placeChanged = eventPlaceInWords(merged) !== eventPlaceInWords(event);
  if (!timeChanged && !placeChanged && merged.title === event.title)
    return (await presentEvents([event], props.actor.id))[0]!;
  if (movedOn(event.sequence, props.expectedSequence)) throw new ConflictError(savedMeanwhileMessage('event'));
  const entry = {
    at: now,
    byUserId: new Types.ObjectId(props.actor.id),
    change: timeChanged ? 'rescheduled' : 'updated',
    previousTitle: event.title,
    previousStartsAt: event.startsAt,
    previousDurationMinutes: event.durationMinutes,
    previousMode: event.mode,
    previousJoinUrl: event.joinUrl ?? undefined,
    previousLocation: event.location ?? undefined,
  };
  const written = await NetworkEventModel.updateOne(
    { _id: event._id, sequence: event.sequence ?? null, status: { $ne: 'cancelled' } },
    {
      $set: {
        title: merged.title,
        startsAt: merged.startsAt,
        durationMinutes: merged.durationMinutes,
        mode: merged.mode,
        joinUrl: merged.mode === 'online' ? merged.joinUrl : null,
        location: merged.mode === 'in-person' ? merged.location : null,
        sequence: (event.sequence ?? 0) + 1,
        announcePendingSince: now,
      },
      $push: { history: entry },
    },
  );
  if (written.modifiedCount !== 1) throw new ConflictError(messages.changedMeanwhile);
  const changed = await loadEvent(props.eventId);
  await announceEventChange(changed, now);
  return (await presentEvents([changed], props.actor.id))[0]!;
}

/**
 * Runs an event change's reactions (networkEventChanged or networkEventCancelled) as its last history entry says, then
 * marks it announced over the `sequence` it wrote: a later change's own announcement clears its own.
 */
async function announceEventChange(event: NetworkEvent, now: Date): Promise<void> {
  if (isCancelled(event)) await networkEventCancelled({ event, now });
  else {
    const last = event.history?.at(-1);
    const timeOrPlaceChanged =
      !last ||
      last.change === 'rescheduled' ||
      eventPlaceInWords({
        mode: last.previousMode ?? event.mode,
        joinUrl: last.previousJoinUrl,
        location: last.previousLocation,
      }) !== eventPlaceInWords(event);
    await networkEventChanged({ event, timeOrPlaceChanged, now });
  }
  await NetworkEventModel.updateOne(
    { _id: event._id, sequence: event.sequence ?? 0 },
    { $unset: { announcePendingSince: 1 } },
  );
}

/**
 * Announces again every event change written more than the grace of interrupted work ago and never announced (its
 * process stopped between the write and the reactions), so the members going still hear of a move or a cancellation.
 * The notices are keyed (one a reader), so a run after a process that stopped only before the flag was cleared sends
 * nothing twice. Every 5 minutes (jobs/networks.ts).
 */
export async function eventChangesAnnounced(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const before = interruptedBefore({ now, graceMs: props.graceMs });
  const pending = await NetworkEventModel.find({ announcePendingSince: { $lt: before } }).lean<NetworkEvent[]>();
  return finishEach('network event changes', pending, (event) => announceEventChange(event, now));
}

/**
 * A lead cancels an event: it stays, marked, so members who look learn it is off and calendars receive
 * STATUS:CANCELLED; it takes no more answers. Its reminders and change notices are cancelled, and each member going
 * gets one cancellation notice. Cancelling one already cancelled changes nothing.
 */
export async function cancelNetworkEvent(props: {
  actor: Express.User;
  eventId: string;
  now?: Date;
}): Promise<PresentedEvent> {
  const event = await loadEvent(props.eventId);
  await assertMayChange(props.actor, event);
  const now = props.now ?? new Date();
  if (isCancelled(event)) return (await presentEvents([event], props.actor.id))[0]!;
  if (hasEnded(event, now)) throw new ConflictError(messages.ended);
  const entry = {
    at: now,
    byUserId: new Types.ObjectId(props.actor.id),
    change: 'cancelled',
    previousStartsAt: event.startsAt,
    previousDurationMinutes: event.durationMinutes,
  };
  const written = await NetworkEventModel.updateOne(
    { _id: event._id, sequence: event.sequence ?? null, status: { $ne: 'cancelled' } },
    {
      $set: { status: 'cancelled', sequence: (event.sequence ?? 0) + 1, announcePendingSince: now },
      $push: { history: entry },
    },
  );
  if (written.modifiedCount !== 1) throw new ConflictError(messages.changedMeanwhile);
  const cancelled = await loadEvent(props.eventId);
  await announceEventChange(cancelled, now);
  return (await presentEvents([cancelled], props.actor.id))[0]!;
}

/** The members going to an event now: her answer is "going" and she is still a member (as goingCounts counts). */
async function membersGoing(event: NetworkEvent): Promise<string[]> {
  const going = await EventRsvpModel.find({ eventId: event._id, going: true }).select({ userId: 1 }).lean();
  const members = await currentMemberships({
    userIds: going.map((r) => String(r.userId)),
    networkIds: [String(event.networkId)],
  });
  return going.map((r) => String(r.userId)).filter((id) => members.has(`${String(event.networkId)}:${id}`));
}

/**
 * After a change: reminders follow the new start (a reminder's key names the start, so one already sent for the old
 * time never blocks the new one) and, when its time, length or place changed, each member going gets ONE change
 * notice however many edits follow within ten minutes: it waits (less when the event is close), is written when sent
 * so it tells the latest state, and names what it was before the first of those edits.
 */
async function networkEventChanged(props: { event: NetworkEvent; timeOrPlaceChanged: boolean; now: Date }) {
  const { event, now } = props;
  const eventId = String(event._id);
  await replanNotifications({
    about: { type: 'event', id: eventId },
    kinds: ['network-event-reminder'],
    wanted: async () => {
      const current = await NetworkEventModel.findById(event._id).lean<NetworkEvent>();
      if (!current || isCancelled(current)) return null;
      return (await membersGoing(current)).flatMap((userId) => reminderPlans(current, userId, now));
    },
  });
  if (!props.timeOrPlaceChanged) return;
  const history = event.history ?? [];
  // The state before the first of the edits this notice covers: the entry of the edit that opened its wait.
  const before = history.find((h) => h.at.getTime() > now.getTime() - changeNoticeWaitMs) ?? history.at(-1);
  await planChangeNotices({
    kind: 'network-event-changed',
    about: { type: 'event', id: eventId },
    readers: await membersGoing(event),
    eventAt: event.startsAt,
    subject: `Changed: ${event.title}`,
    data: {
      previousStartsAt: before?.previousStartsAt?.toISOString() ?? null,
      previousDurationMinutes: before?.previousDurationMinutes ?? null,
      previousPlace: before?.previousMode
        ? eventPlaceInWords({
            mode: before.previousMode,
            joinUrl: before.previousJoinUrl,
            location: before.previousLocation,
          })
        : null,
    },
    now,
  });
}

/** After cancelling: nothing more is sent about it but one cancellation notice to each member going. */
async function networkEventCancelled(props: { event: NetworkEvent; now: Date }) {
  const { event, now } = props;
  const eventId = String(event._id);
  await cancelNotifications({
    about: { type: 'event', id: eventId },
    kinds: ['network-event-reminder', 'network-event-changed'],
  });
  if (event.startsAt <= now) return;
  await planNotifications((await membersGoing(event)).map((userId) => cancellationNotice(event, userId, now)));
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
      status: isCancelled(e) ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
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

/** Why a notice about an event is not sent to her (or true): the event gone, her answer or her membership changed. */
async function stillGoing(event: NetworkEvent | null, record: { about: { id: string }; userId: unknown }) {
  if (!event) return 'The event was removed.';
  const rsvp = await EventRsvpModel.findById(`${record.about.id}:${String(record.userId)}`).lean();
  if (!rsvp?.going) return 'She is no longer going.';
  return (await isMember(event.networkId, String(record.userId))) ? true : 'She is no longer a member of the network.';
}

/** What every email about an event says of it (templates network-event-*). */
async function eventEmailData(event: NetworkEvent) {
  const network = await NetworkModel.findById(event.networkId).select({ name: 1 }).lean();
  return {
    networkName: network?.name ?? '',
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
  };
}

registerNotificationKind('network-event-reminder', {
  isStillRelevant: async ({ record }) => {
    const event = await NetworkEventModel.findById(record.about.id).lean<NetworkEvent>();
    if (event && isCancelled(event)) return 'The event was cancelled (a cancellation notice is sent instead).';
    if (event && record.eventAt && event.startsAt.getTime() !== record.eventAt.getTime()) return 'The event moved.';
    return stillGoing(event, record);
  },
  compose: async ({ record, now }) => {
    const event = (await NetworkEventModel.findById(record.about.id).lean()) as NetworkEvent;
    const { networkName, data } = await eventEmailData(event);
    const { body, filename } = eventIcsBody(event, networkName);
    return {
      subject: `Reminder: ${event.title}, ${howSoon(event.startsAt, record.data?.offsetMinutes, now)}`,
      template: 'network-event-reminder',
      data,
      attachments: [{ filename, content: body, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' }],
    };
  },
});

registerNotificationKind('network-event-changed', {
  isStillRelevant: async ({ record }) => {
    const event = await NetworkEventModel.findById(record.about.id).lean<NetworkEvent>();
    if (event && isCancelled(event)) return 'The event was cancelled (a cancellation notice is sent instead).';
    const previousStartsAt = record.data?.previousStartsAt as string | null | undefined;
    const previousDuration = record.data?.previousDurationMinutes as number | null | undefined;
    const previousPlace = record.data?.previousPlace as string | null | undefined;
    if (
      event &&
      previousStartsAt &&
      new Date(previousStartsAt).getTime() === event.startsAt.getTime() &&
      previousDuration === event.durationMinutes &&
      previousPlace === eventPlaceInWords(event)
    )
      return 'Its time, length and place are as they were before the change (a new title shows in her calendar).';
    return stillGoing(event, record);
  },
  compose: async ({ record }) => {
    const event = (await NetworkEventModel.findById(record.about.id).lean()) as NetworkEvent;
    const { networkName, data } = await eventEmailData(event);
    const { body, filename } = eventIcsBody(event, networkName);
    const previousStartsAt = record.data?.previousStartsAt as string | null | undefined;
    const previousPlace = record.data?.previousPlace as string | null | undefined;
    const place = eventPlaceInWords(event);
    return {
      subject: `Changed: ${event.title}`,
      template: 'network-event-changed',
      data: {
        ...data,
        // "It was planned for …" only when its time did change; "It was …; it is now …" only when its place did.
        previousStartsAt:
          previousStartsAt && new Date(previousStartsAt).getTime() !== event.startsAt.getTime()
            ? previousStartsAt
            : null,
        previousPlace: previousPlace && previousPlace !== place ? previousPlace : null,
        place,
      },
      attachments: [{ filename, content: body, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' }],
    };
  },
});

registerNotificationKind('network-event-cancelled', {
  isStillRelevant: async ({ record }) => {
    const event = await NetworkEventModel.findById(record.about.id).lean<NetworkEvent>();
    if (event && !isCancelled(event)) return 'The event is no longer cancelled.';
    return stillGoing(event, record);
  },
  compose: async ({ record, recipient }) => {
    const event = (await NetworkEventModel.findById(record.about.id).lean()) as NetworkEvent;
    const { networkName, data } = await eventEmailData(event);
    const { body, filename } = eventIcsBody(event, networkName, recipient);
    return {
      subject: `Cancelled: ${event.title}`,
      template: 'network-event-cancelled',
      data,
      attachments: [{ filename, content: body, contentType: 'text/calendar; charset=utf-8; method=CANCEL' }],
    };
  },
});

/**
 * One event as an .ics file. A cancelled one is a CANCEL naming its reader as the ATTENDEE whose event it cancels and
 * Pathways as its ORGANIZER (RFC 5546 3.2.5), as a session's cancellation is: without them, some calendar apps leave
 * the event in place.
 */
function eventIcsBody(event: NetworkEvent, networkName: string, reader?: { name: string; email: string }) {
  const cancel = isCancelled(event) && reader !== undefined;
  const calendar = ical({
    name: calendarName(event.title),
    prodId: { company: 'Pathways', product: 'Pathways network events', language: 'EN' },
    method: cancel ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH,
  });
  addEventsToCalendar(calendar, [event], new Map([[String(event.networkId), networkName]]));
  if (cancel) {
    const [created] = calendar.events();
    created!.organizer(calendarOrganizer());
    created!.createAttendee({ name: parameterValue(reader.name), email: reader.email });
  }
  return { filename: fileNameOf(event.title, 'ics', 'event'), body: icsFile(calendar) };
}
