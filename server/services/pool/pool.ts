import { formatDate } from '../../time.ts';
import { Types } from 'mongoose';
import { PoolOfferModel } from '../../../models/PoolOffer.ts';
import { PoolProfileModel, type PoolOfferKind } from '../../../models/PoolProfile.ts';
import { PoolRequestModel, type PoolRequest, type poolRequestStatuses } from '../../../models/PoolRequest.ts';
import { UserModel } from '../../../models/User.ts';
import { distinctChoices } from '../../choices.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { createOnce, submissionKey } from '../../submissions.ts';
import { renderEmail } from '../../emails.ts';
import { canonicalEmail } from '../../emailAddresses.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId, oid } from '../../ids.ts';
import { finishEach, interruptedAfterMs, interruptedBefore } from '../../interruptedWork.ts';
import { logger } from '../../logger.ts';
import { sendToAddress } from '../reminders/addressedEmails.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import { absoluteUrl } from '../../settings.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { planNotification, registerNotificationKind } from '../reminders/index.ts';
import { topicLabel, type Topic } from '../../vocabulary.ts';

type Id = string | Types.ObjectId;

const messages = {
  notMember: 'is not a pool member who offers this',
  notActive: 'Her account is disabled, so she cannot be offered a request.',
  notOpen: 'This request is no longer open.',
  alreadyOffered: 'This request has already been offered to her.',
  offerDecided: 'This offer has already been answered.',
  taken: 'Someone else has already accepted this request.',
  requestClosed: 'This request has been closed, so it no longer needs an answer from you.',
  linkUnknown: 'This link is not valid, has expired or has been used.',
  tooManyRequests: 'Too many requests from this connection. Please wait a few minutes and try again.',
  datePast: 'must be today or later',
};

/**
 * The last calendar date that is already over everywhere: the day before today on the clocks furthest behind
 * (UTC−12). The public form has no zone of its own, so a date still current anywhere is taken.
 */
const lastDayOverEverywhere = (now: Date): string =>
  new Date(now.getTime() - 36 * 60 * 60 * 1000).toISOString().slice(0, 10);

/** Whether a request's date is over everywhere already (the rule submitPoolRequest holds it to). */
export const requestDateIsPast = (date: string, now = new Date()): boolean => date <= lastDayOverEverywhere(now);
export const requestDatePastMessage = messages.datePast;

/**
 * Requests per connection (its address) in 15 minutes, counted in the database so the limit holds across processes
 * and is shared by the web form and the API. Only requests that pass validation count: the limit is there to stop
 * confirmation emails being sent in bulk, and a refused attempt sends none.
 */
export const requestLimit = { limit: 5, windowMs: 15 * 60 * 1000 };

/** A confirmation link lasts 7 days, like the Pledge's. */
export const confirmLinkMs = 7 * 24 * 60 * 60 * 1000;
export const offerLabels: Record<PoolOfferKind, string> = {
  speaker: 'Speaker',
  facilitator: 'Facilitator',
  researcher: 'Researcher',
};

export type PoolProfileInput = {
  offers: PoolOfferKind[];
  topics: Topic[];
  bio: string;
  regions: string[];
  languages: string[];
  modes: ('online' | 'in-person')[];
  visible: boolean;
};

export async function savePoolProfile(props: { userId: Id; input: PoolProfileInput }) {
  const { offers, topics, regions, languages, modes } = props.input;
  const input = {
    ...props.input,
    offers: distinctChoices(offers),
    topics: distinctChoices(topics),
    regions: distinctChoices(regions),
    languages: distinctChoices(languages),
    modes: distinctChoices(modes),
  };
  const saved = await PoolProfileModel.findOneAndUpdate(
    { userId: oid(props.userId) },
    { $set: input },
    { upsert: true, returnDocument: 'after', runValidators: true },
  ).lean();
  return presentOwnProfile(saved!);
}

function presentOwnProfile(p: {
  _id: Types.ObjectId;
  offers: string[];
  topics: Topic[];
  bio: string;
  regions: string[];
  languages: string[];
  modes: string[];
  visible: boolean;
}) {
  return {
    id: String(p._id),
    offers: p.offers,
    topics: p.topics,
    bio: p.bio,
    regions: p.regions,
    languages: p.languages,
    modes: p.modes,
    visible: p.visible,
  };
}

/** Her profile and what she has done for the pool (accepted requests), and offers waiting for her answer. */
export async function ownPoolProfile(props: { userId: Id }) {
  const [profile, offers] = await Promise.all([
    PoolProfileModel.findOne({ userId: oid(props.userId) }).lean(),
    PoolOfferModel.find({ userId: oid(props.userId) }).lean(),
  ]);
  const requests = await PoolRequestModel.find({ _id: { $in: offers.map((o) => o.requestId) } })
    .select({ offer: 1, topic: 1, organisation: 1, date: 1, mode: 1, message: 1 })
    .lean();
  const byId = new Map(requests.map((r) => [String(r._id), r]));
  const view = (o: (typeof offers)[number]) => {
    const r = byId.get(String(o.requestId));
    return {
      id: String(o._id),
      status: o.status,
      offer: r?.offer,
      topic: r?.topic,
      organisation: r?.organisation,
      date: r?.date ?? null,
      mode: r?.mode,
      message: o.status === 'pending' ? r?.message : undefined,
    };
  };
  return {
    profile: profile ? presentOwnProfile(profile) : null,
    pending: offers.filter((o) => o.status === 'pending').map(view),
    done: offers.filter((o) => o.status === 'accepted').map(view),
  };
}

/** Visible profiles, with names and what they have done; never an email. */
export async function searchPool(props: { offer?: string; topic?: string; region?: string }) {
  const filter: Record<string, unknown> = { visible: true };
  if (props.offer) filter.offers = props.offer;
  const profiles = (await PoolProfileModel.find(filter).lean()).filter(
    (p) =>
      (!props.topic || p.topics.includes(props.topic as Topic)) &&
      (!props.region || p.regions.some((r) => r.toLowerCase() === props.region!.toLowerCase())),
  );
  const [users, done] = await Promise.all([
    UserModel.find({ _id: { $in: profiles.map((p) => p.userId) }, status: 'active' })
      .select({ name: 1 })
      .lean(),
    PoolOfferModel.find({ userId: { $in: profiles.map((p) => p.userId) }, status: 'accepted' })
      .select({ userId: 1 })
      .lean(),
  ]);
  const names = new Map(users.map((u) => [String(u._id), u.name]));
  return profiles
    .filter((p) => names.has(String(p.userId)))
    .map((p) => ({
      id: String(p._id),
      userId: String(p.userId),
      name: names.get(String(p.userId))!,
      offers: p.offers,
      topics: p.topics,
      bio: p.bio,
      regions: p.regions,
      languages: p.languages,
      modes: p.modes,
      engagements: done.filter((d) => String(d.userId) === String(p.userId)).length,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export type PoolRequestInput = {
  offer: PoolOfferKind;
  topic: Topic;
  organisation: string;
  contactName: string;
  contactEmail: string;
  date?: string;
  mode: 'online' | 'in-person';
  message: string;
};

/**
 * The contact has no account: the email waits in the outbox of emails to an address, tried at once (a few seconds of
 * the request at most) and again by the job after a temporary refusal (sendToAddress).
 */
type PoolTemplate = 'pool-confirm' | 'pool-outcome';

/** Renders and queues an email to an address (it has no account); a failure to queue it is thrown. */
async function queueEmail(to: string, template: PoolTemplate, subject: string, data: object) {
  const body = await renderEmail(template, { subject, ...data, footer: 'pool' });
  await sendToAddress({ purpose: template, to, subject, ...body });
}

/** queueEmail, a failure logged: for emails nothing will send again. */
async function mail(to: string, template: PoolTemplate, subject: string, data: object) {
  await queueEmail(to, template, subject, data).catch((err: unknown) =>
    logger.error({ err, template }, 'pool email not sent'),
  );
}

/**
 * A public request: stored unconfirmed, and a confirmation link is emailed to the contact. Nothing reaches admins
 * until the link is followed, so a form filled with someone else's address only costs that person one email.
 */
/** Stores a request as unconfirmed and emails its confirmation link; past requestLimit, a RateLimitedError (429). */
export async function submitPoolRequest(props: {
  input: PoolRequestInput;
  /** The connection she asks from (its address): the key of requestLimit. */
  connection: string;
  /** The form's `_submission` or the API's `Idempotency-Key` (server/submissions.ts). */
  submissionKey?: string;
  now?: Date;
}) {
  const now = props.now ?? new Date();
  // Before the allowance is spent: a refused request sends no email, so it does not count (see requestLimit).
  if (props.input.date !== undefined && requestDateIsPast(props.input.date, now))
    throw new ValidationError('Some details need correcting.', [{ path: 'date', message: messages.datePast }]);
  const secret = newSecret();
  // Sent twice (a double-click, a retry; without a key, the same request from the same address within minutes): one
  // request and one email. The repeat's answer is the same, "check your email".
  const key = submissionKey({
    scope: ['pool-request', canonicalEmail(props.input.contactEmail)],
    clientKey: props.submissionKey,
    content: [props.input],
    text: true,
    now,
  });
  // A repeat is answered before the allowance is spent, and spends none (createOnce).
  const inserted = await createOnce(
    PoolRequestModel,
    key,
    {
      ...props.input,
      status: 'unconfirmed',
      confirmTokenHash: hashSecret(secret),
      confirmExpiresAt: new Date(now.getTime() + confirmLinkMs),
    },
    { allowance: { key: `pool-request|${props.connection}`, ...requestLimit, now, refusal: messages.tooManyRequests } },
  );
  if (!inserted.created) return { status: 'pending' as const };
  // To an address nobody has proved yet, at anyone's word: nothing she typed goes in, not even her name to greet (a
  // name can carry a sentence and a link, which Pathways' sender would then mail to anyone). Offer and topic are ours.
  await mail(props.input.contactEmail, 'pool-confirm', 'Confirm your request to the Pathways pool', {
    link: absoluteUrl(`/pool/requests/confirm/${secret}`),
    offer: offerLabels[props.input.offer].toLowerCase(),
    topic: topicLabel(props.input.topic),
  });
  return { status: 'pending' as const };
}

/** The request behind a confirmation link (for the page with the Confirm button), or 404. */
export async function requestForLink(props: { secret: string }) {
  const request =
    typeof props.secret === 'string' && props.secret.length <= 200
      ? await PoolRequestModel.findOne({ confirmTokenHash: hashSecret(props.secret) }).lean()
      : null;
  if (!request) throw new NotFoundError(messages.linkUnknown);
  return request;
}

/** Confirms once, with a conditional update (unconfirmed and unexpired → open). */
export async function confirmPoolRequest(props: { secret: string; now?: Date }) {
  const now = props.now ?? new Date();
  const request = await requestForLink(props);
  const confirmed = await PoolRequestModel.findOneAndUpdate(
    { confirmTokenHash: request.confirmTokenHash, status: 'unconfirmed', confirmExpiresAt: { $gt: now } },
    { $set: { status: 'open', confirmedAt: now } },
    { returnDocument: 'after' },
  ).lean();
  if (confirmed) return { state: 'confirmed-now' as const, request: confirmed };
  if (request.status !== 'unconfirmed') return { state: 'already-confirmed' as const, request };
  throw new NotFoundError(messages.linkUnknown);
}

const requireAdmin = (actor: Express.User) => {
  if (!actor.roles.includes('admin')) throw new ForbiddenError();
};

type PoolRequestStatus = (typeof poolRequestStatuses)[number];
const requestFilter = (status?: PoolRequestStatus) => ({
  status: { $in: status ? [status] : (['open', 'offered', 'accepted', 'closed'] as const) },
});

/** Confirmed requests for the triage page, newest first (the latest 500). */
export async function listPoolRequests(props: { actor: Express.User; status?: PoolRequestStatus }) {
  requireAdmin(props.actor);
  const requests = await PoolRequestModel.find(requestFilter(props.status))
    .sort({ createdAt: -1 })
    .limit(500)
    .lean<PoolRequest[]>();
  return presentPoolRequests(requests);
}

/**
 * The triage page: the confirmed requests, each with the members it can still be offered to, those who offer that
 * kind of help and have not been offered this request yet (a member is offered a request once, whatever she
 * answered: the unique index on offers), alphabetically, each marked when her topics include the request's.
 */
export async function poolTriage(props: { actor: Express.User }) {
  const [requests, members] = await Promise.all([listPoolRequests(props), searchPool({})]);
  return requests.map((request) => {
    const offered = new Set(request.offers.map((o) => o.userId));
    const candidates = members
      .filter((m) => m.offers.includes(request.offer) && !offered.has(m.userId))
      .map((m) => ({ userId: m.userId, name: m.name, topicMatch: m.topics.includes(request.topic) }));
    return { ...request, candidates };
  });
}

/**
 * One page of the same list for the API (API.md's list convention): newest first by id, which is the order they were
 * made in, with the shared keyset cursor (server/pagination.ts), so a walk never skips or repeats one.
 */
export async function pagePoolRequests(props: {
  actor: Express.User;
  status?: PoolRequestStatus;
  limit: number;
  cursor?: string;
}) {
  requireAdmin(props.actor);
  const after = decodeCursor(props.cursor);
  const requests = await PoolRequestModel.find({
    ...requestFilter(props.status),
    ...(after ? { _id: { $lt: after } } : {}),
  })
    .sort({ _id: -1 })
    .limit(props.limit + 1)
    .lean<PoolRequest[]>();
  const page = pageOf(requests, props.limit);
  return { items: await presentPoolRequests(page.rows), nextCursor: page.nextCursor };
}

async function presentPoolRequests(requests: PoolRequest[]) {
  const offers = await PoolOfferModel.find({ requestId: { $in: requests.map((r) => r._id) } }).lean();
  const names = new Map(
    (
      await UserModel.find({ _id: { $in: offers.map((o) => o.userId) } })
        .select({ name: 1 })
        .lean()
    ).map((u) => [String(u._id), u.name]),
  );
  return requests.map((r) => ({
    id: String(r._id),
    offer: r.offer,
    topic: r.topic,
    organisation: r.organisation,
    contactName: r.contactName,
    contactEmail: r.contactEmail,
    date: r.date ?? null,
    mode: r.mode,
    message: r.message,
    status: r.status,
    // Why an admin closed it (told to the organisation too): kept with the request for whoever reads it later.
    closedReason: r.status === 'closed' ? (r.closedReason ?? '') : null,
    createdAt: (r.createdAt as Date).toISOString(),
    offers: offers
      .filter((o) => String(o.requestId) === String(r._id))
      .map((o) => ({
        id: String(o._id),
        userId: String(o.userId),
        name: names.get(String(o.userId)) ?? 'Former member',
        status: o.status,
      })),
  }));
}

/** Admins offer an open request to a member who offers that kind of help (one offer per member and request). */
export async function offerPoolRequest(props: { actor: Express.User; requestId: string; userId: string; now?: Date }) {
  requireAdmin(props.actor);
  if (!isObjectId(props.requestId)) throw new NotFoundError();
  const request = await PoolRequestModel.findById(props.requestId).lean();
  if (!request || request.status === 'unconfirmed') throw new NotFoundError();
  if (!['open', 'offered'].includes(request.status)) throw new ConflictError(messages.notOpen);
  const profile = isObjectId(props.userId)
    ? await PoolProfileModel.findOne({ userId: oid(props.userId) }).lean()
    : null;
  if (!profile || !profile.offers.includes(request.offer))
    throw new ValidationError('Some details need correcting.', [{ path: 'userId', message: messages.notMember }]);
  // The triage page lists active members only (searchPool); an id given through the API is held to the same: a
  // disabled member could never answer, and the request would wait as "offered" on her.
  if (!(await UserModel.exists({ _id: profile.userId, status: 'active' })))
    throw new ValidationError('Some details need correcting.', [{ path: 'userId', message: messages.notActive }]);
  try {
    const offer = await PoolOfferModel.create({
      requestId: request._id,
      userId: profile.userId,
      offeredBy: oid(props.actor.id),
      status: 'pending',
    });
    await PoolRequestModel.updateOne({ _id: request._id, status: 'open' }, { $set: { status: 'offered' } });
    // Accepted or closed meanwhile (another process): that write came before its own withdrawal of the pending
    // offers, which may have missed this one; so it is read again now, and the offer withdrawn if it is too late.
    const now = await PoolRequestModel.findById(request._id).select({ status: 1 }).lean();
    if (!now || !['open', 'offered'].includes(now.status)) {
      await PoolOfferModel.updateOne({ _id: offer._id, status: 'pending' }, { $set: { status: 'withdrawn' } });
      throw new ConflictError(messages.notOpen);
    }
    // Through the reminders: once (its key), by her preferences, and skipped if answered before it goes.
    await planNotification({
      key: `pool-offer:${String(offer._id)}`,
      userId: profile.userId,
      kind: 'pool-offer',
      about: { type: 'user', id: profile.userId },
      sendAt: props.now ?? new Date(),
      subject: `A request for a ${offerLabels[request.offer as PoolOfferKind].toLowerCase()}: ${request.organisation}`,
      // What she is asked for, so she can decide from the email: the role, online or in person, and the day if any.
      data: {
        offerId: String(offer._id),
        organisation: request.organisation,
        topic: topicLabel(request.topic),
        offer: request.offer,
        role: offerLabels[request.offer as PoolOfferKind].toLowerCase(),
        mode: request.mode === 'online' ? 'online' : 'in person',
        ...(request.date ? { requestedOn: formatDate(request.date) } : {}),
      },
    });
    return { id: String(offer._id), requestId: String(request._id), userId: String(profile.userId), status: 'pending' };
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ConflictError(messages.alreadyOffered);
    throw error;
  }
}

/**
 * She accepts: the request is claimed first with a conditional update (open or offered → accepted, naming her
 * offer, `settling`), so of two members accepting at once exactly one wins and the other gets 409; then her offer is
 * marked, the other pending offers withdrawn, and the organisation emailed (finishAccept). Sent again after a stop
 * half-way (her retry finds the request claimed for her own offer), it carries on from where it stopped rather than
 * withdrawing her offer as taken; left alone, the pool's sweep finishes it (acceptsFinished).
 */
export async function acceptPoolOffer(props: { actor: Express.User; offerId: string; now?: Date }) {
  const now = props.now ?? new Date();
  const offer = await ownPendingOffer(props.actor, props.offerId);
  const claimed =
    (await PoolRequestModel.findOneAndUpdate(
      { _id: offer.requestId, status: { $in: ['open', 'offered'] } },
      {
        $set: {
          status: 'accepted',
          acceptedOfferId: offer._id,
          acceptedBy: offer.userId,
          decidedAt: now,
          settling: true,
        },
      },
      { returnDocument: 'after' },
    ).lean()) ??
    (await PoolRequestModel.findOne({ _id: offer.requestId, status: 'accepted', acceptedOfferId: offer._id }).lean());
  if (!claimed) {
    await PoolOfferModel.updateOne(
      { _id: offer._id, status: 'pending' },
      { $set: { status: 'withdrawn', decidedAt: now } },
    );
    throw new ConflictError(messages.taken);
  }
  if (!(await finishAccept({ request: claimed, memberName: props.actor.name, now })))
    throw new ConflictError(messages.offerDecided);
  return { id: String(offer._id), status: 'accepted' as const };
}

/**
 * The steps after an accept's claim, each safe to run again: her offer accepted only if it is still pending (she may
 * have declined it from another tab meanwhile, and that answer must stand: the request is then given back, false), the
 * other pending offers withdrawn, the organisation emailed, and `settling` unset.
 */
async function finishAccept(props: {
  request: Pick<PoolRequest, '_id' | 'acceptedOfferId' | 'contactEmail' | 'contactName' | 'topic' | 'organisation'>;
  memberName: string;
  now: Date;
}): Promise<boolean> {
  const { request, now } = props;
  const offerId = request.acceptedOfferId!;
  const accepted = await PoolOfferModel.updateOne(
    { _id: offerId, status: 'pending' },
    { $set: { status: 'accepted', decidedAt: now } },
  );
  if (accepted.modifiedCount !== 1 && !(await PoolOfferModel.exists({ _id: offerId, status: 'accepted' }))) {
    await PoolRequestModel.updateOne(
      { _id: request._id, status: 'accepted', acceptedOfferId: offerId },
      { $set: { status: 'offered' }, $unset: { acceptedOfferId: 1, acceptedBy: 1, decidedAt: 1, settling: 1 } },
    );
    await reopenIfNoOfferPending(request._id);
    return false;
  }
  await PoolOfferModel.updateMany(
    { requestId: request._id, status: 'pending', _id: { $ne: offerId } },
    { $set: { status: 'withdrawn', decidedAt: now } },
  );
  // The email is leased before it is queued (two finishes at once, her retry and the sweep, email once), and `settling`
  // is unset only once it is queued: a process that stops in between, or a queueing that fails (thrown, not logged
  // away), leaves the lease to run out and the sweep to queue it then.
  const lease = await PoolRequestModel.updateOne(
    {
      _id: request._id,
      acceptedOfferId: offerId,
      settling: true,
      $or: [{ mailingUntil: null }, { mailingUntil: { $lte: now } }],
    },
    { $set: { mailingUntil: new Date(now.getTime() + interruptedAfterMs) } },
  );
  if (lease.modifiedCount !== 1) return true;
  await queueEmail(request.contactEmail, 'pool-outcome', 'Your request to the Pathways pool: someone can help', {
    name: request.contactName,
    accepted: true,
    memberName: props.memberName,
    topic: topicLabel(request.topic),
    organisation: request.organisation,
  });
  await PoolRequestModel.updateOne({ _id: request._id, settling: true }, { $unset: { settling: 1, mailingUntil: 1 } });
  return true;
}

/**
 * Finishes every accept whose claim was written more than the grace of interrupted work ago and never carried through
 * (`settling` still set: its process stopped between the steps), so the organisation hears and the other members'
 * offers are withdrawn. Every 15 minutes, with the other repairs of stopped work (jobs/maintenance.ts).
 */
export async function acceptsFinished(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const before = interruptedBefore({ now, graceMs: props.graceMs });
  const stopped = await PoolRequestModel.find({ settling: true, decidedAt: { $lt: before } }).lean();
  const members = await UserModel.find({ _id: { $in: stopped.map((r) => r.acceptedBy) } }, { name: 1 }).lean();
  const nameOf = new Map(members.map((m) => [String(m._id), m.name]));
  return finishEach('pool accepts', stopped, (request) =>
    finishAccept({ request, memberName: nameOf.get(String(request.acceptedBy)) ?? 'A member of the pool', now }),
  );
}

export async function declinePoolOffer(props: { actor: Express.User; offerId: string; now?: Date }) {
  const offer = await ownPendingOffer(props.actor, props.offerId);
  const result = await PoolOfferModel.updateOne(
    { _id: offer._id, status: 'pending' },
    { $set: { status: 'declined', decidedAt: props.now ?? new Date() } },
  );
  if (!result.modifiedCount) throw new ConflictError(messages.offerDecided);
  await reopenIfNoOfferPending(offer.requestId);
  return { id: String(offer._id), status: 'declined' as const };
}

/**
 * A request whose every offer was declined is waiting for nobody: it is open again, so the admins' list (and
 * `?status=open`) shows it as needing a new offer rather than "offered". Two conditional writes: back to open only
 * from offered, then a look again, since an admin may have offered it to someone new in between (her write moves
 * only an open request to offered, so it may have found it still offered); that offer puts it back to offered.
 */
async function reopenIfNoOfferPending(requestId: Types.ObjectId): Promise<void> {
  const pending = () => PoolOfferModel.exists({ requestId, status: 'pending' });
  if (await pending()) return;
  const reopened = await PoolRequestModel.updateOne(
    { _id: requestId, status: 'offered' },
    { $set: { status: 'open' } },
  );
  if (reopened.modifiedCount && (await pending()))
    await PoolRequestModel.updateOne({ _id: requestId, status: 'open' }, { $set: { status: 'offered' } });
}

/**
 * Erasure (../research/personalData.ts): her pending offers are withdrawn, and a request left waiting on nobody is
 * open again, as when every offer is declined. Every request she was offered and did not take is looked at, not only
 * those withdrawn now, so erasing again finishes an erasure stopped between the two steps.
 */
export async function withdrawOffersOf(props: { userId: Types.ObjectId; now?: Date }): Promise<void> {
  await PoolOfferModel.updateMany(
    { userId: props.userId, status: 'pending' },
    { $set: { status: 'withdrawn', decidedAt: props.now ?? new Date() } },
  );
  const requestIds = await PoolOfferModel.distinct('requestId', { userId: props.userId, status: 'withdrawn' });
  for (const requestId of requestIds) await reopenIfNoOfferPending(requestId);
}

async function ownPendingOffer(actor: Express.User, offerId: string) {
  if (!isObjectId(offerId)) throw new NotFoundError();
  const offer = await PoolOfferModel.findById(offerId).lean();
  if (!offer || String(offer.userId) !== actor.id) throw new NotFoundError();
  if (offer.status === 'withdrawn') {
    // Not her answer: the request was taken by someone else or closed while her page was open. Say which.
    const request = await PoolRequestModel.findById(offer.requestId).select({ status: 1 }).lean();
    throw new ConflictError(request?.status === 'accepted' ? messages.taken : messages.requestClosed);
  }
  if (offer.status !== 'pending') throw new ConflictError(messages.offerDecided);
  return offer;
}

/**
 * What closing a request asks first (server/http/confirmFirst.ts): whom it tells. Null when it is no longer open (the
 * close then says so), so only a request that can still be closed is asked about.
 */
export async function requestToClose(props: { actor: Express.User; requestId: string }) {
  requireAdmin(props.actor);
  if (!isObjectId(props.requestId)) throw new NotFoundError();
  const request = await PoolRequestModel.findOne({ _id: oid(props.requestId), status: { $in: ['open', 'offered'] } })
    .select({ organisation: 1, contactName: 1 })
    .lean();
  return request && { organisation: request.organisation, contactName: request.contactName };
}

/** Admins close a request no one could take; the organisation is told. */
export async function closePoolRequest(props: { actor: Express.User; requestId: string; reason: string; now?: Date }) {
  requireAdmin(props.actor);
  if (!isObjectId(props.requestId)) throw new NotFoundError();
  const closed = await PoolRequestModel.findOneAndUpdate(
    { _id: oid(props.requestId), status: { $in: ['open', 'offered'] } },
    { $set: { status: 'closed', closedReason: props.reason, decidedAt: props.now ?? new Date() } },
    { returnDocument: 'after' },
  ).lean();
  if (!closed) {
    if (await PoolRequestModel.exists({ _id: oid(props.requestId), status: { $ne: 'unconfirmed' } }))
      throw new ConflictError(messages.notOpen);
    throw new NotFoundError();
  }
  await PoolOfferModel.updateMany(
    { requestId: closed._id, status: 'pending' },
    { $set: { status: 'withdrawn', decidedAt: props.now ?? new Date() } },
  );
  await mail(closed.contactEmail, 'pool-outcome', 'Your request to the Pathways pool', {
    name: closed.contactName,
    accepted: false,
    reason: props.reason,
    topic: topicLabel(closed.topic),
    organisation: closed.organisation,
  });
  return { id: String(closed._id), status: 'closed' as const };
}

registerNotificationKind('pool-offer', {
  isStillRelevant: async ({ record }) => {
    const offer = await PoolOfferModel.findById(String(record.data?.offerId)).select({ status: 1 }).lean();
    return offer?.status === 'pending' ? true : 'The offer has been answered or withdrawn.';
  },
  compose: async ({ record }) => ({
    subject: record.data?.role
      ? `A request for a ${String(record.data.role)}: ${String(record.data.organisation)}`
      : `A request for you from ${String(record.data?.organisation)}`,
    template: 'pool-offer',
    data: { ...(record.data ?? {}), profileUrl: absoluteUrl('/pool/profile') },
  }),
});
