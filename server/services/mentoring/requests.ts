import { Types } from 'mongoose';
import { interruptedBefore } from '../../interruptedWork.ts';
import {
  MentoringRequestModel,
  maxPendingRequests,
  requestExpiryDays,
  type MentoringRequest,
} from '../../../models/MentoringRequest.ts';
import { MentorshipModel, activeKeyOf, type Mentorship } from '../../../models/Mentorship.ts';
import { MentorProfileModel, type MentorProfile } from '../../../models/MentorProfile.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId, oid } from '../../ids.ts';
import { isBlockedBetween } from '../directory/blocks.ts';
import { expireRequest, openKeyOf, releasedKeys, slotKeyOf } from './requestKeys.ts';
import { pairBreaksARule } from './pairRules.ts';
import { mayMentorNow } from './suggestions.ts';
import { endMentorshipsBetween } from './mentorships.ts';
import { answerToMentee, mentorshipStarted, requestAnswered, requestSent } from './reminders.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/**
 * Mentoring requests and accepting them. Every rule that must hold with several app processes rests on a unique key
 * or on one conditional single-document write (see models/MentoringRequest.ts and models/MentorProfile.ts).
 */
export const messages = {
  noMentor: 'We could not find that mentor.',
  noRequest: 'We could not find that request.',
  noProfile: 'Fill in your mentee profile first: the rules that match you with a mentor need it.',
  alreadyPending: 'You already have a request waiting with this mentor.',
  alreadyMentored: 'This mentor is already mentoring you.',
  tooManyPending: `You already have ${maxPendingRequests} requests waiting for an answer: wait for one, or withdraw one.`,
  answered: (status: string) => `This request is no longer waiting for an answer (it is ${status}).`,
  acceptUnderWay:
    'This request was being accepted at the same moment (a second click, or another tab): reload it to see how that ended.',
  expired: 'This request has expired: it waited 14 days without an answer.',
  menteeNotActive: 'Her account is disabled, so her request can no longer be accepted.',
  mentorNoLonger: 'This account no longer has the mentor role, so the request cannot be accepted.',
  full: 'You have no free place: every place you offer is taken. Close a mentorship or raise your capacity first.',
  raced: 'Another mentorship took your last free place a moment ago.',
} as const;

type Actor = { id: string; roles: readonly string[] };
const isAdmin = (actor: Actor) => actor.roles.includes('admin');
const dayMs = 86_400_000;

export type PresentedRequest = {
  id: string;
  menteeId: string;
  mentorId: string;
  message: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  answeredAt: string | null;
  declineReason: string | null;
  mentorshipId: string | null;
};

export function presentRequest(r: MentoringRequest): PresentedRequest {
  return {
    id: String(r._id),
    menteeId: String(r.menteeId),
    mentorId: String(r.mentorId),
    message: r.message ?? '',
    status: r.status,
    createdAt: r.sentAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    answeredAt: r.answeredAt ? r.answeredAt.toISOString() : null,
    declineReason: r.declineReason ?? null,
    mentorshipId: r.mentorshipId ? String(r.mentorshipId) : null,
  };
}

/**
 * The mentor she may ask, or 404 "We could not find that mentor": an unknown id, someone with no mentor profile or
 * whose account is not active, or a block either way. A block keeps the two apart here as in the directory (her
 * request would write to the mentor, the form shows her the mentor's profile), answered as an unknown mentor so the
 * block is not given away. The request form (mentorToAsk) and sending (createMentoringRequest) both ask here.
 */
async function askableMentor(menteeId: string, mentorId: string): Promise<MentorProfile> {
  if (!isObjectId(mentorId)) throw new NotFoundError(messages.noMentor);
  const [profile, active] = await Promise.all([
    MentorProfileModel.findOne({ userId: oid(mentorId) }).lean<MentorProfile>(),
    // A disabled or erased mentor, or one whose mentor role was taken away, is never suggested; a saved link to her
    // must not reach her either.
    UserModel.exists({ _id: oid(mentorId), ...mayMentorNow }),
  ]);
  if (!profile || !active || (await isBlockedBetween(menteeId, mentorId))) throw new NotFoundError(messages.noMentor);
  return profile;
}

/** The mentor she is about to ask, for the request form: her name and profile, or the same 404 as sending. */
export async function mentorToAsk(props: {
  actor: Actor;
  mentorId: string;
}): Promise<{ id: string; name: string; profile: MentorProfile }> {
  const profile = await askableMentor(props.actor.id, props.mentorId);
  const user = await UserModel.findById(profile.userId).select('name').lean();
  return { id: props.mentorId, name: user?.name ?? 'Former member', profile };
}

/**
 * Sends a request from a mentee to a mentor: 404 when either has blocked the other; 409 when she already has one waiting with that mentor or an active
 * mentorship with her; 422 when a hard rule excludes the pair or she already holds 3 pending requests. Also used by
 * the admin assignment, which sends each pair on the mentee's behalf (`sentBy` is then the admin).
 */
export async function createMentoringRequest(props: {
  /** Who sends it: the mentee, or an admin sending an assignment on her behalf. */
  actor: Actor;
  /** The mentee; defaults to the actor. Only an admin may name someone else. */
  menteeId?: string;
  mentorId: string;
  message: string;
  now?: Date;
}): Promise<MentoringRequest> {
  const now = props.now ?? new Date();
  const menteeId = props.menteeId ?? props.actor.id;
  if (menteeId !== props.actor.id && !isAdmin(props.actor)) throw new NotFoundError(messages.noRequest);
  await askableMentor(menteeId, props.mentorId);
  const openKey = openKeyOf(menteeId, props.mentorId);
  await expireOverdueRequestsOf({ menteeId, now });
  await refuseIfAlreadyLinked({ menteeId, mentorId: props.mentorId, openKey, now });
  const broken = await pairBreaksARule({ menteeId, mentorId: props.mentorId, now });
  if (broken === 'no-mentee-profile')
    throw new ValidationError(messages.noProfile, [{ path: 'mentorId', message: messages.noProfile }]);
  if (broken) throw new ValidationError(broken, [{ path: 'mentorId', message: broken }]);

  const pending = await MentoringRequestModel.find({
    menteeId: oid(menteeId),
    status: 'pending',
    expiresAt: { $gt: now },
  })
    .select('slotKey')
    .lean();
  const taken = new Set(pending.map((p) => p.slotKey));
  for (let slot = 1; slot <= maxPendingRequests; slot += 1) {
    const slotKey = slotKeyOf(menteeId, slot);
    if (taken.has(slotKey)) continue;
    let request: MentoringRequest;
    try {
      const created = await MentoringRequestModel.create({
        menteeId: oid(menteeId),
        mentorId: oid(props.mentorId),
        message: props.message,
        status: 'pending',
        openKey,
        slotKey,
        sentAt: now,
        expiresAt: new Date(now.getTime() + requestExpiryDays * dayMs),
        sentBy: oid(props.actor.id),
      });
      request = created.toObject() as MentoringRequest;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Either key was taken by a request made at the same moment: which one decides the answer.
      await refuseIfAlreadyLinked({ menteeId, mentorId: props.mentorId, openKey, now });
      continue;
    }
    // The check above may have run just before an accept of her earlier request to this mentor made the pair's
    // mentorship, and the accept then freed the key this request took. That mentorship was made before this insert
    // (the earlier request held the key until then), so reading after the insert finds it: this one goes again.
    if (await MentorshipModel.exists({ activeKey: activeKeyOf(props.mentorId, menteeId) })) {
      await MentoringRequestModel.deleteOne({ _id: request._id });
      throw new ConflictError(messages.alreadyMentored);
    }
    await requestSent({ request });
    return request;
  }
  throw new ValidationError(messages.tooManyPending, [{ path: 'mentorId', message: messages.tooManyPending }]);
}

/**
 * The mentors each of these mentees has a request waiting with (unexpired: sending expires the overdue ones first).
 * With `refusedForPending`, what sending a request would answer because of her requests already waiting, for the
 * admin's assignment, which must never propose a pair that sending refuses. Sending itself enforces the same rule
 * through the requests' unique keys (openKey, slotKey), atomically.
 */
/** The mentors who declined each of these mentees: the assignment does not propose either to the other again. */
export async function mentorsWhoDeclined(menteeIds: string[]): Promise<Set<string>> {
  const declined = await MentoringRequestModel.find({ menteeId: { $in: menteeIds.map(oid) }, status: 'declined' })
    .select('menteeId mentorId')
    .lean();
  return new Set(declined.map((r) => `${String(r.menteeId)}:${String(r.mentorId)}`));
}

export async function pendingMentorsOf(menteeIds: string[], now: Date): Promise<Map<string, Set<string>>> {
  const pending = await readWithoutCursor(
    MentoringRequestModel.find({
      menteeId: { $in: menteeIds.map(oid) },
      status: 'pending',
      expiresAt: { $gt: now },
    })
      .select('menteeId mentorId')
      .lean(),
  );
  const out = new Map<string, Set<string>>();
  for (const r of pending) {
    const mentors = out.get(String(r.menteeId)) ?? new Set<string>();
    mentors.add(String(r.mentorId));
    out.set(String(r.menteeId), mentors);
  }
  return out;
}

/** Sending would be refused: 409 when she already asked this mentor, 422 when she holds her limit of requests. */
export const refusedForPending = (pendingMentors: Set<string> | undefined, mentorId: string): boolean =>
  !!pendingMentors && (pendingMentors.has(mentorId) || pendingMentors.size >= maxPendingRequests);

async function refuseIfAlreadyLinked(props: { menteeId: string; mentorId: string; openKey: string; now: Date }) {
  if (await MentorshipModel.exists({ activeKey: activeKeyOf(props.mentorId, props.menteeId) }))
    throw new ConflictError(messages.alreadyMentored);
  if (await MentoringRequestModel.exists({ openKey: props.openKey, expiresAt: { $gt: props.now } }))
    throw new ConflictError(messages.alreadyPending);
}

/**
 * Her requests past their expiry that the sweep (every 15 minutes) has not reached yet are expired now, by the
 * sweep's own conditional write: until then they still hold their unique keys, her place with that mentor and one of
 * her 3 slots, and a new request would be refused for a request nobody can answer any more.
 */
async function expireOverdueRequestsOf(props: { menteeId: string; now: Date }): Promise<void> {
  const overdue = await MentoringRequestModel.find({
    menteeId: oid(props.menteeId),
    status: 'pending',
    expiresAt: { $lte: props.now },
  })
    .select('_id menteeId mentorId')
    .lean();
  for (const request of overdue) await expireRequest(request);
}

/** The request, if the actor is its mentor (or an admin); its mentee may read it too when `asMentee`. */
async function requestForMentor(actor: Actor, requestId: string): Promise<MentoringRequest> {
  if (!isObjectId(requestId)) throw new NotFoundError(messages.noRequest);
  const request = await MentoringRequestModel.findById(requestId).lean<MentoringRequest>();
  if (!request || (String(request.mentorId) !== actor.id && !isAdmin(actor)))
    throw new NotFoundError(messages.noRequest);
  return request;
}

function refuseUnlessPending(request: MentoringRequest, now: Date): void {
  if (request.status !== 'pending') throw new ConflictError(messages.answered(request.status));
  if (request.expiresAt.getTime() <= now.getTime()) throw new ConflictError(messages.expired);
}

/**
 * The mentor accepts: a mentorship begins. Capacity holds however many accepts race, on any number of processes:
 * 1. the request is claimed by one conditional write (pending → accepted, with a fresh `acceptAttempt` id), so one
 *    request makes one mentorship;
 * 2. a place is taken by one conditional `$inc` on her profile (`freePlaces > 0`), held under the attempt's id, so
 *    six accepts for two places make two mentorships; a loser puts the request back to pending and is told why (409);
 * 3. the mentorship is inserted under unique `requestId` and `activeKey` (completeAccept); if that fails the place is
 *    given back.
 */
export async function acceptMentoringRequest(props: {
  actor: Actor;
  requestId: string;
  now?: Date;
}): Promise<Mentorship> {
  const now = props.now ?? new Date();
  const request = await requestForMentor(props.actor, props.requestId);
  refuseUnlessPending(request, now);
  // Her mentor role was taken away since she was asked (an admin's acceptance on her behalf included): she mentors
  // nobody new.
  if (!(await UserModel.exists({ _id: request.mentorId, ...mayMentorNow })))
    throw new ConflictError(messages.mentorNoLonger);
  // One of the two blocked the other since she asked: a mentorship would open its shared notes between them, so the
  // request is answered as one he cannot find, as her new request to him would be (askableMentor).
  if (await isBlockedBetween(String(request.menteeId), String(request.mentorId)))
    throw new NotFoundError(messages.noRequest);
  // A mentee an admin disabled (or erased) since she asked could not take part: no place is taken for her.
  if (!(await UserModel.exists({ _id: request.menteeId, status: 'active' })))
    throw new ConflictError(messages.menteeNotActive);
  const broken = await pairBreaksARule({
    menteeId: String(request.menteeId),
    mentorId: String(request.mentorId),
    now,
    ignoreCapacity: true,
  });
  if (broken) throw new ValidationError(broken, [{ path: 'requestId', message: broken }]);

  const attempt = new Types.ObjectId();
  const claimed = await MentoringRequestModel.updateOne(
    { _id: request._id, status: 'pending' },
    { $set: { status: 'accepted', answeredAt: now, acceptAttempt: attempt } },
  );
  if (claimed.modifiedCount !== 1) {
    const current = await MentoringRequestModel.findById(request._id).select({ status: 1, mentorshipId: 1 }).lean();
    // Claimed by another accept still at work (no mentorship yet), or put back to pending by one that found no place:
    // "it is accepted" (or "pending") would not be the answer, only how that other accept stood at the time.
    if (current?.status === 'pending' || (current?.status === 'accepted' && !current.mentorshipId))
      throw new ConflictError(messages.acceptUnderWay);
    throw new ConflictError(messages.answered(current?.status ?? 'gone'));
  }
  const place = await MentorProfileModel.updateOne(
    { userId: request.mentorId, freePlaces: { $gt: 0 } },
    { $inc: { freePlaces: -1 }, $push: { placesHeldFor: attempt } },
  );
  if (place.modifiedCount !== 1) {
    await backToPending(request._id, attempt);
    throw new ConflictError(messages.full);
  }
  return completeAccept({ request, attempt, now });
}

/**
 * The accept's second half, once its place is held under `attempt`: the mentorship is inserted, the place kept for
 * it, the request linked, both people told. An accept can be slow enough (five minutes) for the repair to take it
 * for dead, put the request back to pending and give its place back; it then finds its held id gone and takes a
 * free place again, or, with none left, deletes its mentorship and answers 409: the mentor is never over capacity.
 * Exported for the test that plays that stall.
 */
export async function completeAccept(props: {
  request: MentoringRequest;
  attempt: Types.ObjectId;
  now: Date;
}): Promise<Mentorship> {
  const { request, attempt, now } = props;
  let mentorship: Mentorship;
  try {
    const created = await MentorshipModel.create({
      requestId: request._id,
      mentorId: request.mentorId,
      menteeId: request.menteeId,
      status: 'active',
      activeKey: activeKeyOf(request.mentorId, request.menteeId),
      startedAt: now,
      requestedAt: request.sentAt,
      beginning: true,
    });
    mentorship = created.toObject() as Mentorship;
  } catch (error) {
    await giveBackHeldPlace(request.mentorId, attempt);
    const duplicate = isDuplicateKeyError(error);
    // The pair is active through another request (accepted at the same moment, say): this one is answered by that
    // mentorship rather than put back to pending, where accepting it could only be refused again.
    const active = duplicate
      ? await MentorshipModel.findOne({ activeKey: activeKeyOf(request.mentorId, request.menteeId) })
          .select('_id')
          .lean()
      : null;
    if (active) await answerByMentorship(request, active._id, now, attempt);
    else await backToPending(request._id, attempt);
    if (duplicate) throw new ConflictError(messages.alreadyMentored);
    throw error;
  }
  if (!(await keepHeldPlace(request, attempt, mentorship._id))) {
    await MentorshipModel.deleteOne({ _id: mentorship._id });
    await backToPending(request._id, attempt);
    throw new ConflictError(messages.full);
  }
  if (!(await linkMentorship(request, mentorship._id, { unlessClosed: true }))) {
    // Declined or expired while this accept was stalled and its request back to pending: the answer stands, so the
    // mentorship goes, and the place it kept with it.
    await MentorshipModel.deleteOne({ _id: mentorship._id });
    await MentorProfileModel.updateOne({ userId: request.mentorId }, placeGivenBack);
    const current = await MentoringRequestModel.findById(request._id).select('status').lean();
    throw new ConflictError(messages.answered(current?.status ?? 'gone'));
  }
  // A block made while this accept ran: the block's own close (./subscriptions.ts) may have looked before this
  // mentorship was written. The block was written before that look, so one of the two sees the other: here, this one.
  if (await isBlockedBetween(String(request.menteeId), String(request.mentorId))) {
    await endMentorshipsBetween({ a: String(request.menteeId), b: String(request.mentorId), now });
    throw new NotFoundError(messages.noRequest);
  }
  await tellMentorshipBegan(request, mentorship, now);
  return mentorship;
}

/**
 * What follows an accept, by the accept or by the repair that finished it (finishInterruptedAccepts,
 * tellInterruptedBeginnings): the request's reminders stop, the mentee is told, other requests of the pair are
 * answered, the mentorship's reminders planned, and then it is no longer `beginning`. Each step is keyed or
 * conditional, so when a slow accept and the repair both get here it is done once.
 */
async function tellMentorshipBegan(
  request: Pick<MentoringRequest, 'menteeId' | 'mentorId'> & { _id: Types.ObjectId },
  mentorship: Mentorship,
  now: Date,
): Promise<void> {
  await requestAnswered({ requestId: String(request._id) });
  await answerToMentee({ request, answer: { accepted: true, mentorshipId: String(mentorship._id) }, now });
  await answerOtherRequestsOfPair(mentorship, now);
  await mentorshipStarted({ mentorship, now });
  await MentorshipModel.updateOne({ _id: mentorship._id }, { $unset: { beginning: 1 } });
}

/**
 * Tells what an accept whose process stopped after linking its request left untold (run by the mentoring job, after
 * finishInterruptedAccepts): an active mentorship still `beginning` more than `graceMs` after it started gets
 * tellMentorshipBegan, as its accept would have. One closed meanwhile (a block) is left: nobody is told it began.
 * Returns how many it told.
 */
export async function tellInterruptedBeginnings(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const before = interruptedBefore({ now, graceMs: props.graceMs });
  const untold = await MentorshipModel.find({ beginning: true, status: 'active', startedAt: { $lt: before } }).lean<
    Mentorship[]
  >();
  let told = 0;
  for (const mentorship of untold) {
    const request = await MentoringRequestModel.findOne({ _id: mentorship.requestId, mentorshipId: mentorship._id })
      .select('_id menteeId mentorId')
      .lean();
    // Not linked yet: finishInterruptedAccepts links it (and tells) first.
    if (!request) continue;
    await tellMentorshipBegan(request, mentorship, now);
    told += 1;
  }
  return told;
}

/**
 * Any other pending request of the pair is answered by the mentorship that just began: left pending, accepting it
 * could only be refused (the pair is active). Her keys allow one pending request per mentor, so this finds one only
 * in data written past them; a request inserted while this accept runs finds the mentorship itself
 * (createMentoringRequest).
 */
async function answerOtherRequestsOfPair(mentorship: Mentorship, now: Date): Promise<void> {
  const others = await MentoringRequestModel.find({
    menteeId: mentorship.menteeId,
    mentorId: mentorship.mentorId,
    status: 'pending',
  })
    .select('_id menteeId mentorId')
    .lean();
  for (const other of others) await answerByMentorship(other, mentorship._id, now);
}

/**
 * The request is answered by the pair's mentorship (made from another request): accepted, linked to it, its keys
 * freed, nothing more sent about it. One conditional write, on the request still pending, or, given `attempt`,
 * still claimed by that accept and not linked.
 */
async function answerByMentorship(
  request: Pick<MentoringRequest, 'menteeId' | 'mentorId'> & { _id: Types.ObjectId },
  mentorshipId: Types.ObjectId,
  now: Date,
  attempt?: Types.ObjectId,
): Promise<void> {
  const still = attempt
    ? { status: 'accepted' as const, mentorshipId: { $exists: false }, acceptAttempt: attempt }
    : { status: 'pending' as const };
  const answered = await MentoringRequestModel.updateOne(
    { _id: request._id, ...still },
    {
      $set: { status: 'accepted', answeredAt: now, mentorshipId, ...releasedKeys(request) },
      $unset: { acceptAttempt: 1 },
    },
  );
  if (answered.modifiedCount === 1) await requestAnswered({ requestId: String(request._id) });
}

/**
 * The place held under `attempt` becomes the mentorship's: true if it was still held, or if the repair found the
 * mentorship and linked it first (it keeps the place then); if the repair gave it back instead, a free place is
 * taken again, and false when there is none. The repair sets the request's mentorship before it releases a hold,
 * so the request tells which of the two happened.
 */
async function keepHeldPlace(
  request: Pick<MentoringRequest, 'mentorId'> & { _id: Types.ObjectId },
  attempt: Types.ObjectId,
  mentorshipId: Types.ObjectId,
): Promise<boolean> {
  const kept = await MentorProfileModel.updateOne(
    { userId: request.mentorId, placesHeldFor: attempt },
    { $pullAll: { placesHeldFor: [attempt] } },
  );
  if (kept.modifiedCount === 1) return true;
  if (await MentoringRequestModel.exists({ _id: request._id, mentorshipId })) return true;
  const again = await MentorProfileModel.updateOne(
    { userId: request.mentorId, freePlaces: { $gt: 0 } },
    { $inc: { freePlaces: -1 } },
  );
  return again.modifiedCount === 1;
}

/** An accept that could not finish puts the request back to pending, unless another accept or the repair moved on. */
const backToPending = (requestId: Types.ObjectId, attempt: Types.ObjectId | undefined) =>
  MentoringRequestModel.updateOne(
    {
      _id: requestId,
      status: 'accepted',
      mentorshipId: { $exists: false },
      acceptAttempt: attempt ?? { $exists: false },
    },
    { $set: { status: 'pending' }, $unset: { answeredAt: 1, acceptAttempt: 1 } },
  );

/**
 * The accept's last step: the request points at its mentorship (accepted, whatever a repair did meanwhile) and its
 * keys are freed. With `unlessClosed`, a request declined or expired meanwhile is left as it is (false). The place
 * the accept held is released by whoever links: the accept itself (keepHeldPlace) or the repair.
 */
async function linkMentorship(
  request: Pick<MentoringRequest, 'menteeId' | 'mentorId'> & { _id: Types.ObjectId },
  mentorshipId: Types.ObjectId,
  options: { unlessClosed?: boolean } = {},
): Promise<boolean> {
  const linked = await MentoringRequestModel.updateOne(
    options.unlessClosed ? { _id: request._id, status: { $in: ['accepted', 'pending'] } } : { _id: request._id },
    { $set: { status: 'accepted', mentorshipId, ...releasedKeys(request) } },
  );
  return linked.matchedCount === 1;
}

/**
 * A place given back to a mentor: marked for the sweep of mentees' rankings, as a mentorship's close marks it
 * (./candidates.ts), since a freed place may put her back among a mentee's best (a sweep while she was full, after she
 * saved her profile, took her out of their records).
 */
const placeGivenBack = { $inc: { freePlaces: 1, matchVersion: 1 }, $set: { candidatesStale: true } };

/** Gives back the place an accept held under `held`: once, as the write is conditional on it still being held. */
async function giveBackHeldPlace(mentorId: Types.ObjectId, held: Types.ObjectId): Promise<void> {
  await MentorProfileModel.updateOne(
    { userId: mentorId, placesHeldFor: held },
    { ...placeGivenBack, $pullAll: { placesHeldFor: [held] } },
  );
}

/**
 * Finishes accepts that a killed process left half done (run by the mentoring job): a request `accepted` more than
 * `graceMs` ago without a mentorship. If its mentorship was made, the request is linked to it; if not, the request
 * is pending again and the place it held (if it got that far) is given back, for the mentor to accept once more.
 * Every write is conditional, so two runs at once, or a run racing the accept's own last steps, do each thing once;
 * an accept that was only slow sorts itself out (keepHeldPlace).
 */
export async function finishInterruptedAccepts(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const before = interruptedBefore({ now, graceMs: props.graceMs });
  const stuck = await MentoringRequestModel.find({
    status: 'accepted',
    mentorshipId: { $exists: false },
    answeredAt: { $lt: before },
  })
    .select('_id menteeId mentorId acceptAttempt')
    .lean();
  for (const request of stuck) {
    // Accepts made before attempts had ids held their place under the request's own id.
    const held = request.acceptAttempt ?? request._id;
    const mentorship = await MentorshipModel.findOne({ requestId: request._id }).lean<Mentorship>();
    if (mentorship) {
      // Linked first, then the hold released: a slow accept that finds its hold gone reads the link (keepHeldPlace).
      await linkMentorship(request, mentorship._id);
      await MentorProfileModel.updateOne({ userId: request.mentorId }, { $pullAll: { placesHeldFor: [held] } });
      // The accept that died told nobody: the mentee hears now, and the mentorship's reminders begin.
      await tellMentorshipBegan(request, mentorship, now);
      continue;
    }
    await giveBackHeldPlace(request.mentorId, held);
    await backToPending(request._id, request.acceptAttempt ?? undefined);
  }
  return stuck.length;
}

/** The mentor declines (a reason is optional and shown to the mentee, unless one of them blocked the other). */
export async function declineMentoringRequest(props: {
  actor: Actor;
  requestId: string;
  reason?: string;
  now?: Date;
}): Promise<MentoringRequest> {
  const now = props.now ?? new Date();
  const request = await requestForMentor(props.actor, props.requestId);
  if (request.status !== 'pending') throw new ConflictError(messages.answered(request.status));
  // Past its expiry it is the sweep's to close, as for an accept: her notice says it expired, not that it was declined.
  if (request.expiresAt.getTime() <= now.getTime()) throw new ConflictError(messages.expired);
  // A block either way stops his words reaching her: the decline stands, his reason is not kept or sent.
  const reason =
    props.reason && !(await isBlockedBetween(String(request.menteeId), String(request.mentorId)))
      ? props.reason
      : undefined;
  const result = await MentoringRequestModel.updateOne(
    { _id: request._id, status: 'pending', expiresAt: { $gt: now } },
    {
      $set: {
        status: 'declined',
        answeredAt: now,
        ...(reason ? { declineReason: reason } : {}),
        ...releasedKeys(request),
      },
    },
  );
  if (result.modifiedCount !== 1) throw new ConflictError(messages.answered('answered'));
  await requestAnswered({ requestId: String(request._id) });
  await answerToMentee({ request, answer: { accepted: false, reason: reason ?? null }, now });
  return (await MentoringRequestModel.findById(request._id).lean<MentoringRequest>())!;
}

/**
 * The mentee withdraws a request still waiting for an answer: her place with that mentor and one of her 3 slots are
 * free again at once, and nothing more about it is sent to the mentor. One conditional write on `pending`, so a
 * withdrawal racing the mentor's accept or decline leaves exactly one answer (the other is told, 409).
 */
export async function withdrawMentoringRequest(props: {
  actor: Actor;
  requestId: string;
  now?: Date;
}): Promise<MentoringRequest> {
  const now = props.now ?? new Date();
  if (!isObjectId(props.requestId)) throw new NotFoundError(messages.noRequest);
  const request = await MentoringRequestModel.findById(props.requestId).lean<MentoringRequest>();
  if (!request || String(request.menteeId) !== props.actor.id) throw new NotFoundError(messages.noRequest);
  refuseUnlessPending(request, now);
  const result = await MentoringRequestModel.updateOne(
    { _id: request._id, status: 'pending', expiresAt: { $gt: now } },
    { $set: { status: 'withdrawn', answeredAt: now, ...releasedKeys(request) } },
  );
  if (result.modifiedCount !== 1) {
    const current = await MentoringRequestModel.findById(request._id).select('status').lean();
    throw new ConflictError(messages.answered(current?.status ?? 'gone'));
  }
  await requestAnswered({ requestId: String(request._id) });
  return (await MentoringRequestModel.findById(request._id).lean<MentoringRequest>())!;
}

/**
 * Requests unanswered for 14 days become `expired` (their keys freed); the mentee's notice was planned when the
 * request was sent and goes out through the reminders pipeline. Run by the mentoring job; idempotent.
 */
export async function expireRequests(props: { now?: Date } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const due = await MentoringRequestModel.find({ status: 'pending', expiresAt: { $lte: now } })
    .select('_id menteeId mentorId')
    .lean();
  let expired = 0;
  for (const r of due) if (await expireRequest(r)) expired += 1;
  return expired;
}

/** Requests to her as a mentor, and from her as a mentee, newest first. */
export async function requestsOf(props: { userId: string }): Promise<{
  received: MentoringRequest[];
  sent: MentoringRequest[];
}> {
  const [received, sent] = await Promise.all([
    MentoringRequestModel.find({ mentorId: oid(props.userId) })
      .sort({ createdAt: -1 })
      .limit(200)
      .lean<MentoringRequest[]>(),
    MentoringRequestModel.find({ menteeId: oid(props.userId) })
      .sort({ createdAt: -1 })
      .limit(200)
      .lean<MentoringRequest[]>(),
  ]);
  return { received, sent };
}
