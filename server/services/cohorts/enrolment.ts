import { auditAdminAction } from '../audit/events.ts';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import { CohortModel, type Cohort } from '../../../models/Cohort.ts';
import type { Track } from '../../../models/Programme.ts';
import { EnrolmentModel, type Enrolment } from '../../../models/Enrolment.ts';
import { SeatModel } from '../../../models/Seat.ts';
import { liveUserStatuses, UserModel, type UserStatus } from '../../../models/User.ts';
import { WaitlistTicketModel } from '../../../models/WaitlistTicket.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { canonicalEmail, emailAddressProblem, notAnEmailAddress } from '../../emailAddresses.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { formatDate } from '../../time.ts';
import { emitDomainEvent } from '../../events.ts';
import { isObjectId } from '../../ids.ts';
import { finishEach, interruptedBefore } from '../../interruptedWork.ts';
import { canChangeEnrolment, canRunCohort, hasEnded, isAdmin, mayBeEnrolled } from '../../policies/cohorts.ts';
import { loadCohort, loadRunCohort, loadVisibleCohort, namesOf, trackOf } from './cohorts.ts';
import { nameParticipantAfresh, participantNamesOf } from './participantNames.ts';
import { createUser, planInvitation } from '../users.ts';
import { deliverSecurityEmails } from '../reminders/accounts.ts';
import { isolatedText } from '../../visibleText.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/** The most people one class-list import takes, not counting its header row. */
const importMaxRows = 500;

const messages = {
  already: 'She is already enrolled in this cohort (or on its waitlist).',
  withdrawnStays: 'She was withdrawn from this cohort; only those who run it can enrol her again.',
  ended: (endsOn: string) =>
    `This cohort ended on ${formatDate(endsOn)}, so it takes no one new. Choose another cohort of its programme.`,
  notEnrolled: 'She is not enrolled in this cohort.',
  noPerson: 'We could not find that person.',
  // To an admin, who sees every account: whose, and what to do.
  notForHer: (name: string, roles: readonly string[], track: Track | null) =>
    roles.includes('researcher')
      ? `${name} has a researcher account, which is not enrolled in cohorts (it has no other role).`
      : `${name} is not a participant${track === 'governing-board' ? ' or a governor' : ''}, so she cannot be enrolled. An admin can give her the participant role on her account page.`,
  // To a facilitator, whose people search lists participants only: neither the account's name nor its role.
  notForThisCohort:
    'This account cannot be enrolled: a cohort is for participants (and for governors, in a governing-board programme). If she should take part, ask an admin.',
  noAccountFor: (email: string) => `Nobody has the email ${email}. Use the CSV import to invite new people.`,
  csvEmpty: 'The CSV has no email addresses.',
  severalAddresses: (count: number) =>
    `This line holds ${count} email addresses: put one person on each line (her email address, then her name).`,
  csvTooLong: `Import at most ${importMaxRows} rows at a time.`,
  csvUnreadable: (line: number, what: string) =>
    `Nothing was imported: line ${line} could not be read, because ${what}. Correct that line and import again.`,
  csvQuoteNotClosed:
    'a quotation mark (") opens a value that is never closed; close it at the end of the value, or remove it',
  csvTextAfterQuote:
    'text follows the closing quotation mark (") of a quoted value; put the whole value between the quotation marks, or remove them',
  csvOther: 'it is not one email address, optionally followed by a comma (or a tab) and a name',
  leftToCorrect: (count: number) =>
    `${count === 1 ? 'This line was' : `These ${count} lines were`} not enrolled and ${count === 1 ? 'is' : 'are'} left here to correct and import again.`,
  // Its line in the box, where she corrects it, and in what she imported, as the results table numbers it.
  lineRefused: (line: number, original: number, email: string, why: string) =>
    `Line ${line} (${email ? `${email}; ` : ''}line ${original} of what you imported): ${why}`,
  duplicate: (firstLine: number) =>
    `This email is also on line ${firstLine} of what you imported, which was read first.`,
};

/** What a csv-parse error code means, in words for the person who typed the list. */
const csvProblems: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: messages.csvQuoteNotClosed,
  CSV_INVALID_CLOSING_QUOTE: messages.csvTextAfterQuote,
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: messages.csvTextAfterQuote,
};

/** Who acts: a signed-in person, or the system itself (e.g. the boards area enrolling a recruitment panel). */
export type Actor = Express.User | 'system';

export type EnrolmentResult = { status: 'active' | 'waitlisted'; position?: number };

type Seating = 'seated' | 'already-seated' | 'full';

/**
 * Refuses a change of enrolment she may not make: 404 as for an unknown id when she cannot even see the cohort, 403
 * when she can. Only a refusal asks whether she sees it, so an allowed change reads nothing more.
 */
async function refuseEnrolmentChange(actor: Express.User, cohortId: string): Promise<never> {
  await loadVisibleCohort({ actor, cohortId });
  throw new ForbiddenError();
}

/** How long an enrolment request can take; waitlist rows older than this belong to people who really wait. */
const settleMs = 10_000;

/**
 * Takes a free place numbered 1..capacity by inserting a Seat: the unique index on (cohortId, number) is the one
 * atomic arbiter, so of several people reaching for the same place exactly one gets it. A failed insert means
 * someone else got there first; we look again at which places are free until none are. The capacity is read again
 * after the insert: lowered meanwhile (on another process) below the number taken, the place is given back and the
 * free places are looked for under the new capacity (settings.ts moves the places above it down).
 */
async function takeSeat(cohort: Cohort, userId: Types.ObjectId): Promise<Seating> {
  let capacity = cohort.capacity;
  for (let round = 0; round < 20; round += 1) {
    const taken = new Set(
      (await SeatModel.find({ cohortId: cohort._id }, { number: 1, userId: 1 }).lean()).map((s) => {
        if (String(s.userId) === String(userId)) throw Object.assign(new Error('seated'), { seated: true });
        return s.number;
      }),
    );
    const free: number[] = [];
    for (let n = 1; n <= capacity; n += 1) if (!taken.has(n)) free.push(n);
    if (!free.length) return 'full';
    for (const number of free) {
      try {
        await SeatModel.create({ cohortId: cohort._id, number, userId });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // Either the place went to someone else (try the next), or she holds one already (unique cohortId+userId).
        if (await SeatModel.exists({ cohortId: cohort._id, userId })) return 'already-seated';
        continue;
      }
      const now = (await CohortModel.findById(cohort._id, { capacity: 1 }).lean())?.capacity ?? 0;
      if (number <= now) return 'seated';
      const gaveBack = await SeatModel.deleteOne({ cohortId: cohort._id, userId, number: { $gt: now } });
      // Not given back: the capacity change moved her place below the new capacity already.
      if (gaveBack.deletedCount !== 1) return 'seated';
      capacity = now;
      break;
    }
  }
  return 'full';
}

async function seat(cohort: Cohort, userId: Types.ObjectId): Promise<Seating> {
  try {
    return await takeSeat(cohort, userId);
  } catch (error) {
    if ((error as { seated?: boolean }).seated) return 'already-seated';
    throw error;
  }
}

/** Takes the next waitlist number by insert (see models/WaitlistTicket.ts). */
async function takeTicket(cohort: Cohort, userId: Types.ObjectId): Promise<number> {
  for (let round = 0; round < 1000; round += 1) {
    const last = await WaitlistTicketModel.findOne({ cohortId: cohort._id }, { number: 1 }).sort({ number: -1 }).lean();
    try {
      const number = (last?.number ?? 0) + 1;
      await WaitlistTicketModel.create({ cohortId: cohort._id, number, userId });
      return number;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const mine = await WaitlistTicketModel.findOne({ cohortId: cohort._id, userId }, { number: 1 }).lean();
      if (mine) return mine.number;
    }
  }
  throw new Error('could not take a waitlist number');
}

/**
 * Whether a newcomer would wait rather than take a place (enrolParticipant's own reading): every place is held, or
 * people have been waiting a while (the freed places are theirs). Said before she asks, so "Enrol" is not a surprise.
 */
export async function joinsTheWaitlist(cohort: Cohort): Promise<boolean> {
  const [held, waiting] = await Promise.all([
    SeatModel.countDocuments({ cohortId: cohort._id }),
    someoneWaitingLong(cohort._id),
  ]);
  return held >= cohort.capacity || waiting;
}

/**
 * Whether people have been waiting a while (the cohort was full when they came): freed places are theirs, and a
 * newcomer joins the end. Younger tickets may belong to concurrent newcomers (settleMs).
 */
async function someoneWaitingLong(cohortId: Types.ObjectId): Promise<boolean> {
  return (await WaitlistTicketModel.exists({ cohortId, createdAt: { $lt: new Date(Date.now() - settleMs) } })) !== null;
}

/** Her place in the waitlist, 1 being next in line. */
async function waitlistPosition(cohortId: Types.ObjectId, number: number): Promise<number> {
  return (await WaitlistTicketModel.countDocuments({ cohortId, number: { $lt: number } })) + 1;
}

/** Her place in a cohort's waitlist (1 = next in line), or null when she holds no waitlist ticket there. */
export async function waitlistPositionOf(props: { cohortId: Types.ObjectId | string; userId: string }) {
  if (!isObjectId(props.userId)) return null;
  const cohortId = new Types.ObjectId(String(props.cohortId));
  const ticket = await WaitlistTicketModel.findOne({ cohortId, userId: props.userId }, { number: 1 }).lean();
  return ticket ? waitlistPosition(cohortId, ticket.number) : null;
}

/** Writes her enrolment row as active or waitlisted: a new row, or her withdrawn one re-opened. False if she was enrolled meanwhile. */
async function writeEnrolment(
  cohort: Cohort,
  userId: Types.ObjectId,
  existing: Enrolment | null,
  set: Record<string, unknown>,
): Promise<boolean> {
  if (existing) {
    const result = await EnrolmentModel.updateOne(
      { _id: existing._id, status: 'withdrawn' },
      { $set: set, $unset: { withdrawnAt: 1 } },
    );
    if (result.modifiedCount !== 1) return false;
  } else {
    try {
      await EnrolmentModel.create({ cohortId: cohort._id, userId, programmeId: cohort.programmeId, ...set });
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }
  // Registers and reports name her from her enrolment (./participantNames.ts): named after the write, so a rename
  // that lands meanwhile is copied by one of the two. Her row names the cohort's programme as it is now, likewise: a
  // move landing after `cohort` was read wrote every row but this one.
  await nameParticipantAfresh(userId);
  const now = await CohortModel.findById(cohort._id, { programmeId: 1 }).lean();
  if (now && String(now.programmeId) !== String(cohort.programmeId))
    await EnrolmentModel.updateOne(
      { cohortId: cohort._id, userId, programmeId: { $ne: now.programmeId } },
      { $set: { programmeId: now.programmeId } },
    );
  return true;
}

/**
 * Enrols a person in a cohort: a place if one is free, else the end of the waitlist. Safe under concurrency: places
 * are taken through the Seat unique index, waitlist numbers through the WaitlistTicket one, and the enrolment row
 * is unique per (cohort, person).
 * Those who run the cohort enrol anyone; she enrols herself when canSelfEnrol says she may (open cohorts:
 * participants, and governors in governing-board ones); 'system' is for other areas' automation (governing-board
 * panels). Someone who cannot see the cohort gets the 404 of an unknown id; someone who sees it but may not make
 * this change, 403.
 * @param now when she asked; defaults to the current time
 */
export async function enrolParticipant(props: {
  actor: Actor;
  cohortId: string;
  userId: string;
  now?: Date;
  /**
   * A withdrawal stands (an LMS's launch or class list, lti/people.ts): her withdrawn row is refused (409) instead of
   * re-opened, decided on the row this call reads, so a withdrawal landing after any earlier look is not undone.
   */
  keepWithdrawn?: boolean;
}): Promise<EnrolmentResult> {
  const now = props.now ?? new Date();
  const cohort = await loadCohort(props.cohortId);
  if (props.actor !== 'system') {
    // Who may join by herself depends on whom the programme is for (canSelfEnrol): read only when it can matter.
    const track = cohort.selfEnrolment && props.actor.id === props.userId ? await trackOf(cohort) : null;
    if (!canChangeEnrolment(props.actor, cohort, props.userId, 'enrol', track)) {
      // Open to join until it ended: she is told why, not just refused.
      if (props.actor.id === props.userId && cohort.selfEnrolment && hasEnded(cohort, now)) {
        await loadVisibleCohort({ actor: props.actor, cohortId: props.cohortId });
        throw new ConflictError(messages.ended(cohort.endsOn));
      }
      await refuseEnrolmentChange(props.actor, props.cohortId);
    }
  }
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.noPerson);
  const found = await UserModel.findById(props.userId, { _id: 1, status: 1, roles: 1, name: 1 }).lean();
  // A live account only: an erased one ("Former member") would take a seat as surely as a disabled one.
  const user = found && liveUserStatuses.includes(found.status as UserStatus) ? found : null;
  if (!user) throw new NotFoundError(messages.noPerson);
  // Whom the cohort is for (mayBeEnrolled). The areas' automation enrols whom its own rules chose (a round's panel, an
  // LMS class list), never a researcher.
  if (props.actor !== 'system' || user.roles.includes('researcher')) {
    const track = user.roles.includes('participant') ? null : await trackOf(cohort);
    if (!mayBeEnrolled(user.roles, track)) {
      const message =
        props.actor === 'system' || isAdmin(props.actor)
          ? messages.notForHer(user.name, user.roles, track)
          : messages.notForThisCohort;
      throw new ValidationError(message, [{ path: 'userId', message }]);
    }
  }
  const existing = await EnrolmentModel.findOne({ cohortId: cohort._id, userId: user._id }).lean<Enrolment>();
  if (existing && existing.status !== 'withdrawn') throw new ConflictError(messages.already);
  if (existing && props.keepWithdrawn) throw new ConflictError(messages.withdrawnStays);

  // Nobody jumps the queue: when people have been waiting a while (the cohort was full when they came), freed
  // places are theirs and a newcomer joins the end. Younger tickets may belong to concurrent newcomers, so every
  // newcomer then tries for a place and the Seat index decides.
  const longWaiting = await someoneWaitingLong(cohort._id);
  const seating = longWaiting ? 'full' : await seat(cohort, user._id);
  if (seating === 'already-seated') throw new ConflictError(messages.already);
  if (seating === 'seated') {
    if (!(await writeEnrolment(cohort, user._id, existing, { status: 'active', enrolledAt: now }))) {
      await SeatModel.deleteOne({ cohortId: cohort._id, userId: user._id });
      throw new ConflictError(messages.already);
    }
    await emitDomainEvent('enrolment.activated', {
      cohortId: cohort._id,
      userId: user._id,
      promotedFromWaitlist: false,
    });
    await auditAdminAction({
      actor: props.actor,
      action: 'enrolment-added',
      target: { type: 'user', id: user._id },
      detail: `${cohort.name}: active`,
    });
    return { status: 'active' };
  }
  const number = await takeTicket(cohort, user._id);
  if (!(await writeEnrolment(cohort, user._id, existing, { status: 'waitlisted', waitlistedAt: now }))) {
    // Her enrolment was written meanwhile by another request (sent twice, from two processes). The ticket is hers,
    // not this request's: both requests hold the one her (cohortId, userId) index allows. It is given back only when
    // that enrolment does not wait on it (she took a place); taken from her waiting enrolment, she would never be
    // promoted and newcomers would pass her.
    if (!(await EnrolmentModel.exists({ cohortId: cohort._id, userId: user._id, status: 'waitlisted' })))
      await WaitlistTicketModel.deleteOne({ cohortId: cohort._id, userId: user._id });
    throw new ConflictError(messages.already);
  }
  await auditAdminAction({
    actor: props.actor,
    action: 'enrolment-added',
    target: { type: 'user', id: user._id },
    detail: `${cohort.name}: waitlisted`,
  });
  return { status: 'waitlisted', position: await waitlistPosition(cohort._id, number) };
}

/**
 * Moves people from the waitlist into free places, in waitlist order, until the cohort is full or nobody waits.
 * Each promoted person is announced ('enrolment.activated', promotedFromWaitlist) so she is told.
 */
export async function fillFromWaitlist(props: { cohortId: string; now?: Date }): Promise<string[]> {
  const now = props.now ?? new Date();
  const cohort = await loadCohort(props.cohortId);
  const promoted: string[] = [];
  // Where the queue is read from: after a batch in which nobody could be promoted, the next batch.
  let passed: number | undefined;
  for (;;) {
    const after = passed === undefined ? {} : { number: { $gt: passed } };
    const tickets = await WaitlistTicketModel.find({ cohortId: cohort._id, ...after })
      .sort({ number: 1 })
      .limit(20)
      .lean();
    if (!tickets.length) return promoted;
    // Only someone who can take part is promoted: an account disabled while she waited keeps her place in the queue
    // (for if it is enabled again) but is passed over meanwhile; an erased one left the queue when she was erased.
    const live = new Set(
      (
        await UserModel.find(
          { _id: { $in: tickets.map((t) => t.userId) }, status: { $in: liveUserStatuses } },
          { _id: 1 },
        ).lean()
      ).map((u) => String(u._id)),
    );
    let progressed = false;
    for (const ticket of tickets) {
      if (!live.has(String(ticket.userId))) continue;
      const outcome = await seat(cohort, ticket.userId);
      if (outcome === 'full') return promoted;
      // 'already-seated': another withdrawal is promoting her at this moment; the next person may still fit.
      if (outcome === 'already-seated') continue;
      const announcePendingSince = new Date();
      const activated = await EnrolmentModel.updateOne(
        { cohortId: cohort._id, userId: ticket.userId, status: 'waitlisted' },
        { $set: { status: 'active', enrolledAt: now, announcePendingSince }, $unset: { waitlistedAt: 1 } },
      );
      await WaitlistTicketModel.deleteOne({ _id: ticket._id });
      if (activated.modifiedCount === 1) {
        promoted.push(String(ticket.userId));
        await announcePromotion({ cohortId: cohort._id, userId: ticket.userId, announcePendingSince });
      } else {
        // She left the waitlist meanwhile: give the place back.
        await SeatModel.deleteOne({ cohortId: cohort._id, userId: ticket.userId });
      }
      progressed = true;
      break;
    }
    // Everyone in this batch was passed over (or is being promoted by another withdrawal): read on down the queue.
    // After a promotion the queue is read from its head again, as those passed over are still in it.
    passed = progressed ? undefined : tickets.at(-1)!.number;
  }
}

/**
 * Tells the other areas she was promoted from the waitlist (her "A place is yours" email, her reminders: keyed, so
 * telling them twice plans nothing twice), then marks it told, over the value her promotion set.
 */
async function announcePromotion(props: {
  cohortId: Types.ObjectId;
  userId: Types.ObjectId;
  announcePendingSince: Date;
}): Promise<void> {
  await emitDomainEvent('enrolment.activated', {
    cohortId: props.cohortId,
    userId: props.userId,
    promotedFromWaitlist: true,
  });
  await EnrolmentModel.updateOne(
    { cohortId: props.cohortId, userId: props.userId, announcePendingSince: props.announcePendingSince },
    { $unset: { announcePendingSince: 1 } },
  );
}

/**
 * Announces again every promotion from a waitlist made more than the grace of interrupted work ago and never announced
 * (its process stopped between the promotion and the announcement), so she learns a place is hers. Every 5 minutes
 * (jobs/cohorts.ts).
 */
export async function promotionsAnnounced(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const before = interruptedBefore({ now: props.now ?? new Date(), graceMs: props.graceMs });
  const pending = await EnrolmentModel.find(
    { announcePendingSince: { $lt: before } },
    { cohortId: 1, userId: 1, status: 1, announcePendingSince: 1 },
  ).lean();
  return finishEach('waitlist promotions', pending, async (e) => {
    if (e.status === 'active')
      await announcePromotion({
        cohortId: e.cohortId,
        userId: e.userId,
        announcePendingSince: e.announcePendingSince!,
      });
    else
      // Withdrawn since: there is nothing to tell her now.
      await EnrolmentModel.updateOne(
        { _id: e._id, announcePendingSince: e.announcePendingSince },
        { $unset: { announcePendingSince: 1 } },
      );
  });
}

/**
 * What withdrawing a person would change, for her confirmation (the same refusals as withdrawParticipant): the
 * cohort, her name and whether she holds a place or waits for one; null when she is not enrolled (withdrawing then
 * answers 404).
 */
export async function withdrawalToConfirm(props: { actor: Express.User; cohortId: string; userId: string }) {
  const cohort = await loadCohort(props.cohortId);
  if (!canChangeEnrolment(props.actor, cohort, props.userId, 'withdraw', null))
    await refuseEnrolmentChange(props.actor, props.cohortId);
  if (!isObjectId(props.userId)) return null;
  const enrolment = await EnrolmentModel.findOne(
    { cohortId: cohort._id, userId: props.userId, status: { $in: ['active', 'waitlisted'] } },
    { status: 1 },
  ).lean();
  if (!enrolment) return null;
  const person = (await namesOf([props.userId])).get(props.userId);
  return { cohort, name: person?.name ?? '', waitlisted: enrolment.status === 'waitlisted' };
}

/**
 * Withdraws a person (those who run the cohort, or she herself; refusals as for enrolParticipant): her place is
 * freed and the first person on the waitlist takes it.
 */
export async function withdrawParticipant(props: {
  actor: Actor;
  cohortId: string;
  userId: string;
  now?: Date;
}): Promise<{ promoted: string[] }> {
  const now = props.now ?? new Date();
  const cohort = await loadCohort(props.cohortId);
  if (props.actor !== 'system' && !canChangeEnrolment(props.actor, cohort, props.userId, 'withdraw', null))
    await refuseEnrolmentChange(props.actor, props.cohortId);
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.notEnrolled);
  const enrolment = await EnrolmentModel.findOne({
    cohortId: cohort._id,
    userId: props.userId,
    status: { $in: ['active', 'waitlisted'] },
  }).lean<Enrolment>();
  if (!enrolment) throw new NotFoundError(messages.notEnrolled);
  const result = await EnrolmentModel.updateOne(
    { _id: enrolment._id, status: enrolment.status },
    { $set: { status: 'withdrawn', withdrawnAt: now }, $unset: { waitlistedAt: 1 } },
  );
  if (result.modifiedCount !== 1) throw new NotFoundError(messages.notEnrolled);
  await Promise.all([
    SeatModel.deleteOne({ cohortId: cohort._id, userId: enrolment.userId }),
    WaitlistTicketModel.deleteOne({ cohortId: cohort._id, userId: enrolment.userId }),
  ]);
  await emitDomainEvent('enrolment.withdrawn', { cohortId: cohort._id, userId: enrolment.userId });
  await auditAdminAction({
    actor: props.actor,
    action: 'enrolment-withdrawn',
    target: { type: 'user', id: enrolment.userId },
    detail: cohort.name,
  });
  return { promoted: await fillFromWaitlist({ cohortId: String(cohort._id), now }) };
}

type Id = string | Types.ObjectId;

/** An active participant as registers and reports name her. */
export type RosterMember = {
  userId: string;
  enrolledAt: Date | null;
  /** When she first enrolled (her enrolment row was made; withdrawn and enrolled again, it is the same row). */
  firstEnrolledAt: Date | null;
  name: string;
  email: string;
};

/** A cohort's active enrolments: who (named, ./participantNames.ts) and since when (cohortId leads their unique index). */
export async function activeEnrolmentsIn(cohortId: Id) {
  return readWithoutCursor(
    EnrolmentModel.find(
      { cohortId, status: 'active' },
      { userId: 1, enrolledAt: 1, createdAt: 1, participantName: 1 },
    ).lean(),
  );
}

/** The roster from a cohort's active enrolments and their names, by name (then id, so the order is stable). */
export function rosterFrom(
  enrolments: { userId: Types.ObjectId; enrolledAt?: Date | null; createdAt?: Date | null }[],
  names: Map<string, string>,
): Omit<RosterMember, 'email'>[] {
  return enrolments
    .map((e) => ({
      userId: String(e.userId),
      enrolledAt: e.enrolledAt ?? null,
      firstEnrolledAt: e.createdAt ?? null,
      name: names.get(String(e.userId)) ?? '',
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
}

/**
 * Active participants of a cohort, by name: its active enrolments, which name them (one indexed read). Their email
 * addresses only when asked for (an export): one read of their accounts more.
 */
export async function rosterOf(cohortId: Id, options: { emails?: boolean } = {}): Promise<RosterMember[]> {
  const enrolments = await activeEnrolmentsIn(cohortId);
  const roster = rosterFrom(enrolments, await participantNamesOf(enrolments));
  const people = options.emails ? await namesOf(enrolments.map((e) => e.userId)) : null;
  return roster.map((m) => ({ ...m, email: people?.get(m.userId)?.email ?? '' }));
}

/** Which of these people are actively enrolled in the cohort now (one indexed query). */
export async function activeAmong(props: { cohortId: Id; userIds: string[] }): Promise<Set<string>> {
  const ids = [...new Set(props.userIds)].filter(isObjectId);
  if (!ids.length) return new Set();
  const rows = await EnrolmentModel.find(
    { cohortId: props.cohortId, userId: { $in: ids }, status: 'active' },
    { userId: 1 },
  ).lean();
  return new Set(rows.map((r) => String(r.userId)));
}

/** Is she actively enrolled in the cohort now? Read from her enrolment, so a withdrawal counts at once everywhere. */
export async function isActivelyEnrolled(props: { cohortId: Id; userId: string }): Promise<boolean> {
  if (!isObjectId(props.userId)) return false;
  return !!(await EnrolmentModel.exists({ cohortId: props.cohortId, userId: props.userId, status: 'active' }));
}

/** The cohorts she is actively enrolled in (userId leads an enrolment index). */
export async function enrolledCohortIds(userId: Id): Promise<Types.ObjectId[]> {
  return (await EnrolmentModel.find({ userId, status: 'active' }, { cohortId: 1 }).lean()).map((e) => e.cohortId);
}

/** The key under which her home page's panels share `activeEnrolmentsOf` (services/dashboard.ts). */
export const activeEnrolmentsKey = 'active-enrolments';

export type ActiveEnrolments = {
  /**
   * Her active enrolments, as stored (a cohort since deleted is still listed here), with her progress as her home page
   * shows it (learning/enrolmentProgress.ts; undefined until first written).
   */
  enrolments: {
    cohortId: Types.ObjectId;
    enrolledAt: Date | null;
    completedModuleIds?: Types.ObjectId[];
    certificate?: { certificateId: Types.ObjectId; expiresAt: Date | null } | null;
  }[];
  /** Their cohorts that exist: name and programme (the cohort, not the enrolment, names the programme). */
  cohorts: { _id: Types.ObjectId; name: string; programmeId: Types.ObjectId }[];
  /** The cohorts whose waitlist she is on (read by the same query): her home page says so. */
  waiting: { cohortId: Types.ObjectId; name: string }[];
};

/**
 * Her active enrolments with their cohorts, in two indexed reads (`{userId, status}`, then the cohorts by `_id`).
 * Her home page reads them once for her sessions and her programmes.
 */
export async function activeEnrolmentsOf(userId: Id): Promise<ActiveEnrolments> {
  const found = await readWithoutCursor(
    EnrolmentModel.find(
      {
        userId: typeof userId === 'string' ? new Types.ObjectId(userId) : userId,
        status: { $in: ['active', 'waitlisted'] },
      },
      { cohortId: 1, status: 1, enrolledAt: 1, createdAt: 1, completedModuleIds: 1, certificate: 1 },
    ).lean(),
  );
  if (!found.length) return { enrolments: [], cohorts: [], waiting: [] };
  const rows = found.filter((e) => e.status === 'active');
  const waitlisted = found.filter((e) => e.status === 'waitlisted');
  const read = await readWithoutCursor(
    CohortModel.find(
      { _id: { $in: [...new Set(found.map((e) => String(e.cohortId)))].map((id) => new Types.ObjectId(id)) } },
      { name: 1, programmeId: 1 },
    ).lean(),
  );
  const active = new Set(rows.map((e) => String(e.cohortId)));
  const cohorts = read.filter((c) => active.has(String(c._id)));
  const nameOf = new Map(read.map((c) => [String(c._id), c.name]));
  return {
    waiting: waitlisted.flatMap((e) =>
      nameOf.has(String(e.cohortId)) ? [{ cohortId: e.cohortId, name: nameOf.get(String(e.cohortId))! }] : [],
    ),
    enrolments: rows.map((e) => ({
      cohortId: e.cohortId,
      enrolledAt: e.enrolledAt ?? (e as { createdAt?: Date }).createdAt ?? null,
      completedModuleIds: e.completedModuleIds ?? undefined,
      certificate: e.certificate
        ? { certificateId: e.certificate.certificateId!, expiresAt: e.certificate.expiresAt ?? null }
        : null,
    })),
    cohorts: cohorts.map((c) => ({ _id: c._id, name: c.name, programmeId: c.programmeId })),
  };
}

/** Enrolled and waitlisted people, the waitlist in order (those who run the cohort). */
export async function listEnrolments(props: { actor: Express.User; cohort: Cohort }) {
  if (!canRunCohort(props.actor, props.cohort)) throw new ForbiddenError();
  const rows = await EnrolmentModel.find({
    cohortId: props.cohort._id,
    status: { $in: ['active', 'waitlisted'] },
  }).lean<Enrolment[]>();
  const names = await namesOf(rows.map((r) => r.userId));
  const active = rows
    .filter((r) => r.status === 'active')
    .sort((a, b) => (names.get(String(a.userId))?.name ?? '').localeCompare(names.get(String(b.userId))?.name ?? ''));
  const tickets = new Map(
    (await WaitlistTicketModel.find({ cohortId: props.cohort._id }, { number: 1, userId: 1 }).lean()).map((t) => [
      String(t.userId),
      t.number,
    ]),
  );
  const numberOf = (r: Enrolment) => tickets.get(String(r.userId)) ?? Number.MAX_SAFE_INTEGER;
  const waitlisted = rows.filter((r) => r.status === 'waitlisted').sort((a, b) => numberOf(a) - numberOf(b));
  const view = (r: Enrolment, position?: number) => ({
    userId: String(r.userId),
    name: names.get(String(r.userId))?.name ?? '',
    email: names.get(String(r.userId))?.email ?? '',
    status: r.status as 'active' | 'waitlisted',
    ...(position ? { position } : {}),
    enrolledAt: r.enrolledAt ?? null,
    waitlistedAt: r.waitlistedAt ?? null,
  });
  return [...active.map((r) => view(r)), ...waitlisted.map((r, i) => view(r, i + 1))];
}

/**
 * An email address as typed or pasted: invisible format characters (zero-width spaces, soft hyphens, direction marks,
 * which addresses copied from mail programs and web pages carry) removed, then in its stored form. Left in, they would
 * name an address nobody has, and an import would invite a second account for someone who has one.
 */
const typedEmail = (text: string): string => canonicalEmail(text.replace(/\p{Cf}/gu, ''));

/** Enrols an existing account found by email (those who run the cohort). */
export async function enrolByEmail(props: { actor: Express.User; cohortId: string; email: string; now?: Date }) {
  // Authorised before the address is looked up: otherwise the answer (no account, or refused) would tell anyone
  // signed in whether an email has an account.
  await loadRunCohort({ actor: props.actor, cohortId: props.cohortId });
  const email = typedEmail(props.email);
  const user = await UserModel.findOne({ email, status: { $ne: 'disabled' } }, { _id: 1, name: 1 }).lean();
  if (!user)
    throw new ValidationError(messages.noAccountFor(email), [{ path: 'email', message: messages.noAccountFor(email) }]);
  try {
    const result = await enrolParticipant({
      actor: props.actor,
      cohortId: props.cohortId,
      userId: String(user._id),
      now: props.now,
    });
    return { ...result, name: user.name };
  } catch (error) {
    // Said at the field she typed the address in.
    if (error instanceof ValidationError)
      throw new ValidationError(error.message, [{ path: 'email', message: error.message }]);
    throw error;
  }
}

export type ImportRow = {
  line: number;
  email: string;
  outcome:
    'enrolled' | 'waitlisted' | 'invited-and-enrolled' | 'invited-and-waitlisted' | 'already-enrolled' | 'invalid';
  message: string;
};

/** A row of the import as read: its cells, the line it ends on, and its lines as she typed them. */
type ImportRecord = { record: string[]; line: number; typed: string };

/**
 * The import's rows, each with the line it ends on (as the file numbers its lines: blank lines count). A quotation
 * mark inside an unquoted value is taken as written (`Ada "Countess" Lovelace`), as people type it; a
 * line that still cannot be read (a quote never closed, text after a closing quote) refuses the whole file, before
 * anything is written, naming that line and what is wrong.
 */
function readImportCsv(csv: string): ImportRecord[] {
  // The line each row ends on, in order; after the last good one, the failing row starts at the next non-blank line.
  const ends: number[] = [];
  // One line end throughout: csv-parse counts a Windows line end inside a quoted value as two lines.
  const text = csv.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  /** The first line of the row after the one ending on `end`: blank lines between rows are skipped. */
  const nextStart = (end: number) => {
    let line = end + 1;
    while (line < lines.length && !lines[line - 1]!.trim()) line += 1;
    return line;
  };
  try {
    const records = parse(text, {
      // A comma as typed; a tab between two columns pasted from a spreadsheet; a semicolon where spreadsheets save
      // "CSV" with one (locales whose decimal mark is a comma). No email address holds any of them.
      delimiter: [',', '\t', ';'],
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      relax_quotes: true,
      bom: true,
      on_record: (record, context) => {
        ends.push(context.lines);
        return record;
      },
    });
    return (
      records
        .map((record, i) => ({
          record,
          line: ends[i]!,
          // A row may span lines (a quoted name holding a line break): all of them.
          typed: lines.slice(nextStart(ends[i - 1] ?? 0) - 1, ends[i]).join('\n'),
        }))
        // A line of nothing but separators (an empty spreadsheet row pasted: a tab) is a blank line, not a row.
        .filter((r) => r.record.some((cell) => cell !== ''))
    );
  } catch (error) {
    const line = nextStart(ends.at(-1) ?? 0);
    const what = csvProblems[(error as { code?: string }).code ?? ''] ?? messages.csvOther;
    const message = messages.csvUnreadable(line, what);
    throw new ValidationError(message, [{ path: 'csv', message }]);
  }
}

/** Which cells of a row hold her email and her name: a name in one cell, or in a first and a last name. */
/**
 * Where her email and name are. `nameToEnd`: the name is the last column, so cells after it are the rest of a name
 * written with a comma and not quoted ("Ngata, Kiri"), which the CSV reader split: they are kept, not dropped.
 */
type ImportColumns = { email: number; name: number[]; nameToEnd?: boolean };

/** A heading as compared: lower case, letters only ("E-mail address" is `emailaddress`). */
const heading = (cell: string) => cell.toLowerCase().replace(/[^a-z]/g, '');
// A prefix, as before headings were read: "Email addresses", "E-mail (work)".
const emailHeading = /^e?mail/;
const nameHeading = /^(full|display|participant)?name$/;
const firstNameHeading = /^(first|given)name$|^forename$/;
const lastNameHeading = /^(last|family)name$|^surname$/;

/**
 * The import's columns. Without a header row, as documented: the email, then optionally the name. A first row with
 * no email address in it and a cell headed like an email column ("Email", "E-mail", "Email address") is a header:
 * its columns are read by their headings, in any order ("Name, Email"; "First name, Last name, Email").
 */
export function importColumns(first: string[] | undefined): { header: boolean; columns: ImportColumns } {
  const plain = { header: false, columns: { email: 0, name: [1], nameToEnd: true } };
  if (!first || first.some((cell) => !emailAddressProblem(typedEmail(cell)))) return plain;
  const headings = first.map(heading);
  const email = headings.findIndex((h) => emailHeading.test(h));
  if (email < 0) return plain;
  const one = headings.findIndex((h) => nameHeading.test(h));
  const parts = [firstNameHeading, lastNameHeading]
    .map((pattern) => headings.findIndex((h) => pattern.test(h)))
    .filter((i) => i >= 0);
  // No heading names her: the column after the email, as in a file without a header.
  const name = one >= 0 ? [one] : parts.length ? parts : [email + 1];
  return { header: true, columns: { email, name, nameToEnd: name.length === 1 && name[0] === headings.length - 1 } };
}

/**
 * Which cell of a row holds her email: the email column's, or, when that cell is empty and the row has one cell
 * only (an address typed alone under a "Name, Email" header), that one cell.
 */
function emailCellOf(record: string[], columns: ImportColumns): number {
  const filled = record.flatMap((cell, i) => (cell.trim() === '' ? [] : [i]));
  return (record[columns.email] ?? '').trim() === '' && filled.length === 1 ? filled[0]! : columns.email;
}

/**
 * What an import did: every row, and the rows it refused (`invalid`) as she typed them, for her to correct and import
 * again: `csv` holds them (after the header row, when the file had one, so their columns are read as before) and
 * `message` names each by its line in that text and says what is wrong. Null when no row was refused.
 */
export type ImportReport = { rows: ImportRow[]; toCorrect: { csv: string; message: string } | null };

/**
 * Enrols a CSV of emails (one per row, optionally followed by a name; a header row names the columns, importColumns) for those who run the
 * cohort. People without an account are invited (an account without a password, and an invitation email). Every row
 * is reported, and the refused ones are given back as typed (ImportReport).
 */
export async function importEnrolments(props: {
  actor: Express.User;
  cohortId: string;
  csv: string;
  now?: Date;
  /** Where the import was sent from, for the audit events of the accounts it makes. */
  ip?: string | null;
}): Promise<ImportReport> {
  const cohort = await loadRunCohort({ actor: props.actor, cohortId: props.cohortId });
  const records = readImportCsv(props.csv);
  const { header, columns } = importColumns(records[0]?.record);
  const people = records.slice(header ? 1 : 0);
  if (people.length > importMaxRows)
    throw new ValidationError(messages.csvTooLong, [{ path: 'csv', message: messages.csvTooLong }]);
  const rows: ImportRow[] = [];
  const seen = new Map<string, number>();
  // The invitations' emails, each planned (its record written) as her account is made, so an import stopped half-way
  // leaves them to the reminders job; sent together once every row is done (or one fails), so that a stalled mail
  // server holds the import for one wait, not one per person (40 people waited 2 minutes, past a proxy's timeout).
  const invitations: string[] = [];
  try {
    for (const { record, line } of people) {
      const emailCell = emailCellOf(record, columns);
      const email = typedEmail(record[emailCell] ?? '');
      const nameCells =
        columns.nameToEnd && record.length > columns.name[0]! + 1
          ? record.map((_, i) => i).filter((i) => i >= columns.name[0]!)
          : columns.name;
      const name = nameCells
        .filter((i) => i !== emailCell)
        .map((i) => (record[i] ?? '').trim())
        .filter(Boolean)
        .join(nameCells === columns.name ? ' ' : ', ');
      // A list of addresses pasted as one line ("a@x, b@x" from a mail client): the others would become her name.
      const addressesInName = name
        .split(/[\s,;]+/)
        .filter((word) => word.includes('@') && !emailAddressProblem(typedEmail(word)));
      if (addressesInName.length) {
        rows.push({ line, email, outcome: 'invalid', message: messages.severalAddresses(addressesInName.length + 1) });
        continue;
      }
      const problem = emailAddressProblem(email);
      if (problem) {
        // "It must have a domain after the @…"; an address with no shape of one at all is just not an email address.
        const message =
          problem === notAnEmailAddress ? 'Not an email address.' : `Not an email address: it ${problem}.`;
        rows.push({ line, email, outcome: 'invalid', message });
        continue;
      }
      const firstLine = seen.get(email);
      if (firstLine !== undefined) {
        rows.push({ line, email, outcome: 'invalid', message: messages.duplicate(firstLine) });
        continue;
      }
      seen.set(email, line);
      let user = await UserModel.findOne({ email }, { _id: 1, status: 1 }).lean();
      let invited = false;
      if (user?.status === 'disabled') {
        rows.push({ line, email, outcome: 'invalid', message: 'This account is disabled.' });
        continue;
      }
      if (!user) {
        try {
          const created = await createUser({
            email,
            name: name || email.split('@')[0]!,
            roles: ['participant'],
            // Her cohort meets in this zone, so it is the likeliest hers; her invitation page lets her change it.
            timezone: cohort.timezone,
            actorName: props.actor.name,
            // Audited as hers (user-created), as an account she makes on the people page is.
            actor: props.actor,
            ip: props.ip,
            // Invited below, once her place is known, so the invitation can say where she stands.
            invite: false,
          });
          user = { _id: new Types.ObjectId(created.id), status: 'invited' };
          invited = true;
        } catch (error) {
          if (error instanceof ConflictError) user = await UserModel.findOne({ email }, { _id: 1, status: 1 }).lean();
          else if (error instanceof ValidationError) {
            rows.push({ line, email, outcome: 'invalid', message: error.message });
            continue;
          } else throw error;
        }
      }
      let result: EnrolmentResult | undefined;
      try {
        result = await enrolParticipant({
          actor: props.actor,
          cohortId: props.cohortId,
          userId: String(user!._id),
          now: props.now,
        });
      } catch (error) {
        if (error instanceof ValidationError) {
          // An account the cohort is not for (mayBeEnrolled): a row to correct, like a bad address.
          rows.push({ line, email, outcome: 'invalid', message: error.message });
          continue;
        }
        if (!(error instanceof ConflictError)) throw error;
      } finally {
        // Planned now, sent with the others at the end: a stop half-way leaves her invitation to the reminders job.
        if (invited)
          invitations.push(
            await planInvitation({
              userId: String(user!._id),
              actorName: props.actor.name,
              invitedFor: result && invitedTo(cohort, result),
            }),
          );
      }
      if (result) {
        const placed = result.status === 'active' ? 'enrolled' : 'waitlisted';
        rows.push({
          line,
          email,
          outcome: invited ? (`invited-and-${placed}` as const) : placed,
          message:
            `${invited ? 'Invited by email and ' : ''}${result.status === 'active' ? 'enrolled' : `put on the waitlist (position ${result.position})`}.`.replace(
              /^./,
              (c) => c.toUpperCase(),
            ),
        });
      } else rows.push({ line, email, outcome: 'already-enrolled', message: 'Already enrolled or waitlisted.' });
    }
  } finally {
    await deliverSecurityEmails(invitations);
  }
  if (!rows.length) throw new ValidationError(messages.csvEmpty, [{ path: 'csv', message: messages.csvEmpty }]);
  return { rows, toCorrect: refusedRows(header ? records[0]! : null, records, rows) };
}

/** What an imported woman's invitation says she is invited to: her place in the cohort, or in its queue. */
function invitedTo(cohort: Cohort, result: EnrolmentResult): string {
  // Days of the cohort's calendar, named: she may live elsewhere (as the waitlist-promotion email names its zone).
  const dates = `from ${formatDate(cohort.startsOn)} to ${formatDate(cohort.endsOn)} (${cohort.timezone} dates)`;
  // A sentence of plain text in both parts of the email: the cohort's name is isolated as a name in a template is.
  const cohortName = isolatedText(cohort.name);
  return result.status === 'active'
    ? `You are enrolled in ${cohortName}, which runs ${dates}: your sessions are on your home page once you have set your password.`
    : `${cohortName} (${dates}) is full, so you are on its waitlist, number ${result.position}: we will email you if a place frees up.`;
}

/** The refused rows as typed, after the header row if there was one, each named by its line in that text. */
function refusedRows(
  header: ImportRecord | null,
  records: ImportRecord[],
  rows: ImportRow[],
): ImportReport['toCorrect'] {
  const refused = rows.filter((r) => r.outcome === 'invalid');
  if (!refused.length) return null;
  const byLine = new Map(records.map((r) => [r.line, r]));
  const kept = header ? [header.typed] : [];
  const reasons = [];
  let line = 1 + (header ? header.typed.split('\n').length : 0);
  for (const row of refused) {
    const typed = byLine.get(row.line)!.typed;
    reasons.push(messages.lineRefused(line, row.line, row.email, row.message));
    kept.push(typed);
    line += typed.split('\n').length;
  }
  return { csv: kept.join('\n'), message: [messages.leftToCorrect(refused.length), ...reasons].join(' ') };
}
