import { Types } from 'mongoose';
import { interruptedBefore } from '../../interruptedWork.ts';
import { CareerOutcomeModel, type CareerOutcome, type OutcomeKind } from '../../../models/CareerOutcome.ts';
import { MentorProfileModel } from '../../../models/MentorProfile.ts';
import { MentorshipMeetingModel, type MentorshipMeeting } from '../../../models/MentorshipMeeting.ts';
import {
  MentorshipModel,
  activeKeyOf,
  closedKeyOf,
  type MeetingFrequency,
  type Mentorship,
} from '../../../models/Mentorship.ts';
import { UserModel } from '../../../models/User.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId, oid } from '../../ids.ts';
import { agreedEndPassesAt, closedByMember, mentorshipClosed, planMentorshipReminders } from './reminders.ts';
import { localDate } from '../reminders/time.ts';
import { createOnce, submissionKey } from '../../submissions.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';

/**
 * A mentorship is visible to its two members and admins; to anyone else it does not exist (404). Private notes of a
 * meeting are shown to their author only, admins included.
 */
export const mentorshipMessages = {
  agreementSavedMeanwhile: savedMeanwhileMessage('agreement'),
  notFound: 'We could not find that mentorship.',
  membersOnly: 'Only its mentor and mentee do this. As an admin you can close the mentorship.',
  membersOnlyClosed: 'Only its mentor and mentee do this.',
  feedbackMembersOnly: 'is for its mentor or mentee to give',
  closed: 'This mentorship is closed.',
  endsOnPast: 'must be a date after the mentorship started',
  endsOnBeforeToday: 'must be today or later: a mentorship ends once its end date is over',
  heldAtFuture: 'must not be in the future',
  // A day's grace before the start, whatever her zone: a first talk just before the request was accepted is hers.
  heldAtBeforeStart: 'must be no more than a day before the mentorship started',
  outcomeFuture: 'must not be in the future',
  ratingMenteeOnly: 'is the mentee’s to give: close it without a rating',
  rateWhenClosed: 'A mentorship is rated when it closes: rate it in the close form.',
  alreadyRated: 'You have already rated this mentorship.',
} as const;

/** `timezone`: hers, for the dates she gives (the day a mentorship started, today); UTC when not known. */
type Actor = { id: string; roles: readonly string[]; timezone?: string };
const isAdmin = (actor: Actor) => actor.roles.includes('admin');
export const isMember = (actor: Actor, m: Pick<Mentorship, 'mentorId' | 'menteeId'>) =>
  String(m.mentorId) === actor.id || String(m.menteeId) === actor.id;

/** The mentorship, if the actor is one of its two members or an admin; else 404 (its existence is private). */
export async function mentorshipFor(props: { actor: Actor; mentorshipId: string }): Promise<Mentorship> {
  if (!isObjectId(props.mentorshipId)) throw new NotFoundError(mentorshipMessages.notFound);
  const m = await MentorshipModel.findById(props.mentorshipId).lean<Mentorship>();
  if (!m || (!isMember(props.actor, m) && !isAdmin(props.actor))) throw new NotFoundError(mentorshipMessages.notFound);
  return m;
}

/**
 * Members agree, log meetings and rate; an admin reads it and may close it (closeMentorship), but does not speak for
 * its two members: she is refused (403, as she sees it) with what she can do.
 */
async function mentorshipForMember(props: { actor: Actor; mentorshipId: string }): Promise<Mentorship> {
  const m = await mentorshipFor(props);
  if (!isMember(props.actor, m))
    throw new ForbiddenError(
      m.status === 'active' ? mentorshipMessages.membersOnly : mentorshipMessages.membersOnlyClosed,
    );
  return m;
}

export type PresentedMeeting = {
  id: string;
  heldAt: string;
  minutes: number;
  sharedNotes: string;
  loggedBy: string;
  privateNotes?: string;
};
export type PresentedMentorship = {
  id: string;
  mentorId: string;
  menteeId: string;
  status: string;
  startedAt: string;
  agreement: { goals: string[]; meetingFrequency: string | null; endsOn: string | null } | null;
  /** Sent back with a change of the agreement, a save by the other member since is a 409. */
  agreementVersion: number | null;
  closedAt: string | null;
  closeReason: string | null;
  meetings: PresentedMeeting[];
};

export function presentMeeting(meeting: MentorshipMeeting, viewer: Actor): PresentedMeeting {
  return {
    id: String(meeting._id),
    heldAt: meeting.heldAt.toISOString(),
    minutes: meeting.minutes,
    sharedNotes: meeting.sharedNotes ?? '',
    loggedBy: String(meeting.authorId),
    ...(String(meeting.authorId) === viewer.id ? { privateNotes: meeting.privateNotes ?? '' } : {}),
  };
}

export function presentMentorship(m: Mentorship, meetings: MentorshipMeeting[], viewer: Actor): PresentedMentorship {
  return {
    id: String(m._id),
    mentorId: String(m.mentorId),
    menteeId: String(m.menteeId),
    status: m.status,
    startedAt: m.startedAt.toISOString(),
    agreement: m.agreement
      ? {
          goals: m.agreement.goals ?? [],
          meetingFrequency: m.agreement.meetingFrequency ?? null,
          endsOn: m.agreement.endsOn ?? null,
        }
      : null,
    agreementVersion: m.agreementVersion ?? null,
    closedAt: m.closedAt ? m.closedAt.toISOString() : null,
    closeReason: m.closeReason ?? null,
    meetings: meetings.map((meeting) => presentMeeting(meeting, viewer)),
  };
}

/** The mentorship with its meetings (newest first), as the viewer may see it. */
export async function mentorshipView(props: { actor: Actor; mentorshipId: string }): Promise<{
  mentorship: Mentorship;
  meetings: MentorshipMeeting[];
  presented: PresentedMentorship;
}> {
  const mentorship = await mentorshipFor(props);
  const meetings = await MentorshipMeetingModel.find({ mentorshipId: mentorship._id })
    .sort({ heldAt: -1 })
    .lean<MentorshipMeeting[]>();
  return { mentorship, meetings, presented: presentMentorship(mentorship, meetings, props.actor) };
}

const refuseIfClosed = (m: Mentorship) => {
  if (m.status !== 'active') throw new ConflictError(mentorshipMessages.closed);
};

/**
 * Either member records (or revises) what they agreed: goals, a meeting rhythm and an end date. With
 * `expectedVersion` (the version her form was opened at, or an API client read), a save by the other member since is
 * a 409 rather than silently undone (server/versions.ts).
 */
export async function saveAgreement(props: {
  actor: Actor;
  mentorshipId: string;
  goals: string[];
  meetingFrequency: MeetingFrequency;
  /** YYYY-MM-DD. */
  endsOn: string;
  now?: Date;
  expectedVersion?: ExpectedVersion;
}): Promise<Mentorship> {
  const m = await mentorshipForMember(props);
  refuseIfClosed(m);
  if (movedOn(m.agreementVersion, props.expectedVersion))
    throw new ConflictError(mentorshipMessages.agreementSavedMeanwhile);
  // Dates are days on her calendar: the day it started is the one in her zone.
  if (props.endsOn <= localDate(m.startedAt, props.actor.timezone ?? 'UTC'))
    throw new ValidationError('Some details need correcting.', [
      { path: 'endsOn', message: mentorshipMessages.endsOnPast },
    ]);
  // An end already over would close it at the next sweep (endMentorshipsPastTheirEnd): refused, not quietly ended.
  if (props.endsOn < localDate(props.now ?? new Date(), props.actor.timezone ?? 'UTC'))
    throw new ValidationError('Some details need correcting.', [
      { path: 'endsOn', message: mentorshipMessages.endsOnBeforeToday },
    ]);
  // Conditional on `active`: a close landing since the read makes it match nothing, and she is told (409) rather
  // than shown a saved page with nothing saved.
  const saved = await MentorshipModel.updateOne(
    { _id: m._id, status: 'active', ...versionFilter(props.expectedVersion, 'agreementVersion') },
    {
      $inc: { agreementVersion: 1 },
      $set: {
        agreement: {
          goals: props.goals,
          meetingFrequency: props.meetingFrequency,
          endsOn: props.endsOn,
          updatedAt: props.now ?? new Date(),
          updatedBy: oid(props.actor.id),
        },
      },
    },
  );
  if (saved.matchedCount !== 1)
    throw new ConflictError(
      (await MentorshipModel.exists({ _id: m._id, status: 'active' }))
        ? mentorshipMessages.agreementSavedMeanwhile
        : mentorshipMessages.closed,
    );
  await planMentorshipReminders({ mentorshipId: String(m._id), now: props.now });
  return (await MentorshipModel.findById(m._id).lean<Mentorship>())!;
}

/**
 * A member logs a meeting; the rhythm reminder counts again from the latest meeting held. A meeting is kept only if
 * the mentorship is still active once it is stored, whichever process closes it: the meeting is inserted, then
 * recorded on the mentorship by one conditional write (`status: 'active'`). Closing is one conditional write on the
 * same document, so the database orders the two: a meeting recorded before the close stays (it was logged while
 * active); a close that lands first, even between the check below and the insert, makes the write match nothing and
 * the meeting is deleted again (409). Insert first: recording first would let a late insert land after the close.
 */
export async function logMeeting(props: {
  actor: Actor;
  mentorshipId: string;
  heldAt: Date;
  minutes: number;
  sharedNotes?: string;
  privateNotes?: string;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
  now?: Date;
}): Promise<MentorshipMeeting> {
  const now = props.now ?? new Date();
  const m = await mentorshipForMember(props);
  refuseIfClosed(m);
  // A minute's grace for clocks that disagree.
  if (props.heldAt.getTime() > now.getTime() + 60_000)
    throw new ValidationError('Some details need correcting.', [
      { path: 'heldAt', message: mentorshipMessages.heldAtFuture },
    ]);
  if (props.heldAt.getTime() < m.startedAt.getTime() - 86_400_000)
    throw new ValidationError('Some details need correcting.', [
      { path: 'heldAt', message: mentorshipMessages.heldAtBeforeStart },
    ]);
  // A repeat (same key; without one, the same author, mentorship, time, length and notes) answers with the first
  // meeting, once that one is recorded: it may still be undone by a close, which the write below tells. Another
  // meeting logged at that time with other notes is not a repeat: answering it with the first would drop her notes.
  const key = submissionKey({
    scope: [props.actor.id, String(m._id)],
    clientKey: props.submissionKey,
    content: [props.heldAt.toISOString(), props.minutes, props.sharedNotes ?? '', props.privateNotes ?? ''],
  });
  const inserted = await createOnce(MentorshipMeetingModel, key, {
    mentorshipId: m._id,
    authorId: oid(props.actor.id),
    heldAt: props.heldAt,
    minutes: props.minutes,
    sharedNotes: props.sharedNotes ?? '',
    privateNotes: props.privateNotes ?? '',
  });
  if (!inserted.created) {
    if (!inserted.doc) throw new ConflictError(mentorshipMessages.closed);
    return inserted.doc as MentorshipMeeting;
  }
  const created = inserted.doc as MentorshipMeeting;
  // `$max`: the latest meeting only ever moves forward, so two meetings logged at once leave the later one.
  const recorded = await MentorshipModel.updateOne(
    { _id: m._id, status: 'active' },
    { $max: { lastMeetingAt: props.heldAt } },
  );
  if (recorded.matchedCount !== 1) {
    await MentorshipMeetingModel.deleteOne({ _id: created._id });
    throw new ConflictError(mentorshipMessages.closed);
  }
  await planMentorshipReminders({ mentorshipId: String(m._id), now });
  return created;
}

/**
 * What every close writes (a member's, a block's, the end-date sweep's, an erasure's), each by one conditional write on
 * `status: 'active'`: the active pair's unique `activeKey` is released by making it the mentorship's own.
 */
export function closingFields(
  m: Pick<Mentorship, '_id' | 'mentorId' | 'menteeId'>,
  now: Date,
  reason: string,
  closedBy?: string,
) {
  return {
    status: 'closed' as const,
    activeKey: closedKeyOf(m),
    closedAt: now,
    settling: true,
    ...(closedBy ? { closedBy: oid(closedBy) } : {}),
    closeReason: reason,
  };
}

/**
 * Either member closes it with a reason (the mentee may rate it). Closing is one conditional write (active →
 * closed), so the mentor's place is given back exactly once however many closes race.
 */
export async function closeMentorship(props: {
  actor: Actor;
  mentorshipId: string;
  reason: string;
  rating?: number;
  feedback?: string;
  now?: Date;
}): Promise<Mentorship> {
  const now = props.now ?? new Date();
  // Its members, or an admin (a safeguarding concern, a mentor who left): she gives a reason, never a rating or the
  // members' feedback.
  const m = await mentorshipFor(props);
  refuseIfClosed(m);
  // The rating is how the mentee found it (the outcomes read it so): a mentor does not rate her own mentoring.
  if (props.rating !== undefined && String(m.menteeId) !== props.actor.id)
    throw new ValidationError('Only the mentee rates a mentorship.', [
      { path: 'rating', message: mentorshipMessages.ratingMenteeOnly },
    ]);
  if (props.feedback && !isMember(props.actor, m))
    throw new ValidationError('Feedback comes from its members.', [
      { path: 'feedback', message: mentorshipMessages.feedbackMembersOnly },
    ]);
  const result = await MentorshipModel.updateOne(
    { _id: m._id, status: 'active' },
    {
      $set: {
        ...closingFields(m, now, props.reason, props.actor.id),
        ...(props.rating !== undefined ? { rating: props.rating } : {}),
        ...(props.feedback ? { feedback: props.feedback } : {}),
      },
    },
  );
  if (result.modifiedCount !== 1) throw new ConflictError(mentorshipMessages.closed);
  const closed = await afterClosing(m, now);
  await closedByMember({ mentorship: closed, closedBy: props.actor.id, now });
  return closed;
}

/**
 * The mentee rates a closed mentorship afterwards, once: her mentor, a block or the end-date sweep may have closed it
 * (a close of her own takes the rating with it). One conditional write on a closed mentorship not yet rated, so two
 * ratings at once keep one. 404 for anyone but its mentee; 409 while it is active or once it is rated.
 */
export async function rateClosedMentorship(props: {
  actor: Actor;
  mentorshipId: string;
  rating: number;
}): Promise<void> {
  const m = await mentorshipForMember(props);
  if (String(m.menteeId) !== props.actor.id)
    throw new ValidationError('Only the mentee rates a mentorship.', [
      { path: 'rating', message: mentorshipMessages.ratingMenteeOnly },
    ]);
  if (m.status === 'active') throw new ConflictError(mentorshipMessages.rateWhenClosed);
  const result = await MentorshipModel.updateOne(
    { _id: m._id, status: 'closed', rating: null },
    { $set: { rating: props.rating } },
  );
  if (result.modifiedCount !== 1) throw new ConflictError(mentorshipMessages.alreadyRated);
}

/** What a mentorship ended by a block says to both: it does not tell the one blocked that she was (as elsewhere). */
export const contactEndedReason = 'Contact ended';

/**
 * Closes any active mentorship between two people, whichever of them mentors, by the same conditional write as a
 * member's close (so the place comes back once, whoever else closes it at the same moment). For a block
 * (./subscriptions.ts) and an accept that finds one made meanwhile (./requests.ts). Returns how many it closed.
 */
export async function endMentorshipsBetween(props: {
  a: string;
  b: string;
  /** Who ended it (the one who blocked), for the admins' record; unknown to an accept that finds a block. */
  closedBy?: string;
  now?: Date;
}): Promise<number> {
  const now = props.now ?? new Date();
  // The pair's active key, either way round: one indexed read finds it whichever of them mentors.
  const active = await MentorshipModel.find({
    activeKey: { $in: [activeKeyOf(props.a, props.b), activeKeyOf(props.b, props.a)] },
    status: 'active',
  }).lean<Mentorship[]>();
  return closeEach(active, { now, reason: contactEndedReason, closedBy: props.closedBy });
}

/**
 * Closes each of these mentorships still active by the one conditional write (active → closed), then its steps
 * (afterClosing); one closed meanwhile by someone else is left to her close. Returns how many it closed.
 */
async function closeEach(
  active: readonly Mentorship[],
  how: { now: Date; reason: string; closedBy?: string; leaving?: Types.ObjectId },
): Promise<number> {
  let closed = 0;
  for (const m of active) {
    const result = await MentorshipModel.updateOne(
      { _id: m._id, status: 'active' },
      { $set: closingFields(m, how.now, how.reason, how.closedBy) },
    );
    if (result.modifiedCount !== 1) continue;
    await afterClosing(m, how.now, how.leaving);
    closed += 1;
  }
  return closed;
}

/**
 * After the write that closed it: the place comes back, reminders stop and the mentee's outcomes prompt is planned,
 * then the mentorship is marked settled. Each step can be done again without effect (the place's `$inc` is
 * conditional on the mentorship not being listed in `placesReturnedFor`, in the same write; notifications are keyed),
 * so a close whose process stopped half-way is finished by settleInterruptedCloses, once. `leaving`: a member being
 * erased, whose own place is not given back (her mentor profile goes) and who is neither asked nor named six months on
 * (mentorshipClosed).
 */
async function afterClosing(m: Mentorship, now: Date, leaving?: Types.ObjectId): Promise<Mentorship> {
  // A freed place may put her back in mentees' rankings: marked for the sweep (./candidates.ts).
  if (!leaving || String(leaving) !== String(m.mentorId))
    await MentorProfileModel.updateOne(
      { userId: m.mentorId, placesReturnedFor: { $ne: m._id } },
      {
        $inc: { freePlaces: 1, matchVersion: 1 },
        $set: { candidatesStale: true },
        $addToSet: { placesReturnedFor: m._id },
      },
    );
  const closed = (await MentorshipModel.findById(m._id).lean<Mentorship>())!;
  await mentorshipClosed({ mentorship: closed, closedAt: now, leaving });
  await MentorshipModel.updateOne({ _id: m._id }, { $unset: { settling: 1 } });
  return closed;
}

/**
 * Finishes closes that a stopped process left half done (the `mentoring:end-mentorships` sweep): a mentorship closed
 * more than `graceMs` ago and still settling gets what follows a close (afterClosing), as its own process would have
 * done; a member whose account has been erased since is the one leaving. Returns how many it finished.
 */
export async function settleInterruptedCloses(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const before = interruptedBefore({ now, graceMs: props.graceMs });
  const unsettled = await MentorshipModel.find({ settling: true, status: 'closed', closedAt: { $lt: before } }).lean<
    Mentorship[]
  >();
  for (const m of unsettled) {
    const erased = await UserModel.findOne(
      { _id: { $in: [m.mentorId, m.menteeId] }, status: 'erased' },
      { _id: 1 },
    ).lean<{ _id: Types.ObjectId }>();
    await afterClosing(m, m.closedAt ?? now, erased?._id);
  }
  return unsettled.length;
}

/**
 * Erasure (./personalData.ts): each of her active mentorships is closed by the same conditional write as any other
 * close, and the same steps follow it (afterClosing, with her as the one leaving). Returns how many it closed.
 */
export async function endMentorshipsOfLeaving(props: {
  userId: Types.ObjectId;
  reason: string;
  now?: Date;
}): Promise<number> {
  const now = props.now ?? new Date();
  const active = await MentorshipModel.find({
    $or: [{ mentorId: props.userId }, { menteeId: props.userId }],
    status: 'active',
  }).lean<Mentorship[]>();
  return closeEach(active, { now, reason: props.reason, leaving: props.userId });
}

export const endedOnAgreedDateReason = 'Ended on its agreed end date';

/**
 * The `mentoring:end-mentorships` sweep: an active mentorship whose agreed end day is over for both members
 * (`agreedEndPassesAt`) is closed, as a member's close would be, by the same conditional write (active → closed,
 * with the end date as read), so of two sweeps, or a sweep and a member, one closes it and the place comes back once;
 * an end date moved meanwhile makes the write match nothing. Returns how many this run closed.
 */
export async function endMentorshipsPastTheirEnd(props: { now?: Date } = {}): Promise<number> {
  const now = props.now ?? new Date();
  // A day is over first at UTC+14: no end date on or after that day's date can be over anywhere yet.
  const candidates = await MentorshipModel.find({
    status: 'active',
    'agreement.endsOn': { $lt: localDate(now, 'Etc/GMT-14') },
  }).lean<Mentorship[]>();
  let ended = 0;
  for (const m of candidates) {
    const endsOn = m.agreement!.endsOn!;
    const members = await UserModel.find({ _id: { $in: [m.mentorId, m.menteeId] } })
      .select({ timezone: 1 })
      .lean();
    if (
      agreedEndPassesAt(
        endsOn,
        members.map((u) => u.timezone || 'UTC'),
      ).getTime() > now.getTime()
    )
      continue;
    const result = await MentorshipModel.updateOne(
      { _id: m._id, status: 'active', 'agreement.endsOn': endsOn },
      { $set: closingFields(m, now, endedOnAgreedDateReason) },
    );
    if (result.modifiedCount !== 1) continue;
    await afterClosing(m, now);
    ended += 1;
  }
  return ended;
}

/** Her mentorships, as mentor and as mentee, newest first, with the other member's name. */
export async function mentorshipsOf(props: {
  userId: string;
}): Promise<(Mentorship & { role: 'mentor' | 'mentee'; otherName: string })[]> {
  const me = oid(props.userId);
  const [asMentor, asMentee] = await Promise.all([
    MentorshipModel.find({ mentorId: me }).lean<Mentorship[]>(),
    MentorshipModel.find({ menteeId: me }).lean<Mentorship[]>(),
  ]);
  const names = await namesOf([...asMentor.map((m) => m.menteeId), ...asMentee.map((m) => m.mentorId)]);
  return [
    ...asMentor.map((m) => ({
      ...m,
      role: 'mentor' as const,
      otherName: names.get(String(m.menteeId)) ?? 'Former member',
    })),
    ...asMentee.map((m) => ({
      ...m,
      role: 'mentee' as const,
      otherName: names.get(String(m.mentorId)) ?? 'Former member',
    })),
  ].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
}

export async function namesOf(ids: (string | Types.ObjectId)[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const users = await UserModel.find({ _id: { $in: [...new Set(ids.map(String))].map(oid) } })
    .select('name')
    .lean();
  return new Map(users.map((u) => [String(u._id), u.name]));
}

/** She records a step in her career (any signed-in person, for herself). */
export async function recordOutcome(props: {
  actor: Actor;
  kind: OutcomeKind;
  /** YYYY-MM-DD. */
  on: string;
  detail?: string;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
  now?: Date;
}): Promise<CareerOutcome & { _id: Types.ObjectId }> {
  // "Today" is hers: in Sydney it is already tomorrow in UTC for part of the day, in New York still yesterday.
  const today = localDate(props.now ?? new Date(), props.actor.timezone ?? 'UTC');
  if (props.on > today)
    throw new ValidationError('Some details need correcting.', [
      { path: 'on', message: mentorshipMessages.outcomeFuture },
    ]);
  // A repeat (same key; without one, the same kind, day and detail) is the first one: counted once in every figure.
  const fields = { userId: oid(props.actor.id), kind: props.kind, on: props.on, detail: props.detail ?? '' };
  const key = submissionKey({
    scope: [props.actor.id],
    clientKey: props.submissionKey,
    content: [fields.kind, fields.on, fields.detail],
  });
  let inserted = await createOnce(CareerOutcomeModel, key, fields);
  // No first one only if it was removed meanwhile (her account erased): then this one is stored after all.
  if (!inserted.doc) inserted = await createOnce(CareerOutcomeModel, key, fields);
  if (!inserted.doc) throw new ConflictError('That outcome changed while it was saved: send it again.');
  return inserted.doc as CareerOutcome & { _id: Types.ObjectId };
}

export async function outcomesOf(props: { userId: string }) {
  return CareerOutcomeModel.find({ userId: oid(props.userId) })
    .sort({ on: -1 })
    .lean<(CareerOutcome & { _id: Types.ObjectId; createdAt: Date })[]>();
}

export const presentOutcome = (o: CareerOutcome & { _id: Types.ObjectId }) => ({
  id: String(o._id),
  kind: o.kind,
  on: o.on,
  detail: o.detail ?? '',
});
