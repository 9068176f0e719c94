import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import type { Cohort } from '../../models/Cohort.ts';
import { EnrolmentModel, type Enrolment } from '../../models/Enrolment.ts';
import { SeatModel } from '../../models/Seat.ts';
import { UserModel } from '../../models/User.ts';
import { isDuplicateKeyError } from '../db.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { emitDomainEvent } from '../events.ts';
import { isObjectId } from '../http/validate.ts';
import { canChangeEnrolment, canRunCohort } from '../policies/cohorts.ts';
import { loadCohort, namesOf } from './cohorts.ts';
import { createUser } from './users.ts';

const messages = {
  already: 'She is already enrolled in this cohort (or on its waitlist).',
  notEnrolled: 'She is not enrolled in this cohort.',
  noPerson: 'We could not find that person.',
  noAccountFor: (email: string) => `Nobody has the email ${email}. Use the CSV import to invite new people.`,
  csvEmpty: 'The CSV has no email addresses.',
  csvTooLong: 'Import at most 500 rows at a time.',
  csvUnreadable: 'The CSV could not be read. Put one email address per line, optionally followed by a name.',
};

/** Who acts: a signed-in person, or the system itself (e.g. the boards area enrolling a recruitment panel). */
export type Actor = Express.User | 'system';

export type EnrolmentResult = { status: 'active' | 'waitlisted'; position?: number };

type Seating = 'seated' | 'already-seated' | 'full';

/** How long an enrolment request can take; waitlist rows older than this belong to people who really wait. */
const settleMs = 10_000;

/**
 * Takes a free place numbered 1..capacity by inserting a Seat: the unique index on (cohortId, number) is the one
 * atomic arbiter, so of several people reaching for the same place exactly one gets it. A failed insert means
 * someone else got there first; we look again at which places are free until none are.
 */
async function takeSeat(cohort: Cohort, userId: Types.ObjectId): Promise<Seating> {
  for (let round = 0; round < 20; round += 1) {
    const taken = new Set((await SeatModel.find({ cohortId: cohort._id }, { number: 1, userId: 1 }).lean()).map((s) => {
      if (String(s.userId) === String(userId)) throw Object.assign(new Error('seated'), { seated: true });
      return s.number;
    }));
    const free: number[] = [];
    for (let n = 1; n <= cohort.capacity; n += 1) if (!taken.has(n)) free.push(n);
    if (!free.length) return 'full';
    for (const number of free) {
      try {
        await SeatModel.create({ cohortId: cohort._id, number, userId });
        return 'seated';
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // Either the place went to someone else (try the next), or she holds one already (unique cohortId+userId).
        if (await SeatModel.exists({ cohortId: cohort._id, userId })) return 'already-seated';
      }
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

/** Her place in the waitlist, 1 being next in line (order: waitlistedAt, then id). */
async function waitlistPosition(enrolment: Pick<Enrolment, '_id' | 'cohortId' | 'waitlistedAt'>): Promise<number> {
  const ahead = await EnrolmentModel.countDocuments({
    cohortId: enrolment.cohortId,
    status: 'waitlisted',
    $or: [{ waitlistedAt: { $lt: enrolment.waitlistedAt } }, { waitlistedAt: enrolment.waitlistedAt, _id: { $lt: enrolment._id } }],
  });
  return ahead + 1;
}

async function activate(props: { enrolmentId: Types.ObjectId; now: Date }): Promise<boolean> {
  const result = await EnrolmentModel.updateOne(
    { _id: props.enrolmentId, status: 'waitlisted' },
    { $set: { status: 'active', enrolledAt: props.now }, $unset: { waitlistedAt: 1, withdrawnAt: 1 } },
  );
  return result.modifiedCount === 1;
}

/**
 * Enrols a person in a cohort: a place if one is free, else the end of the waitlist. Safe under concurrency: the
 * enrolment row is unique per (cohort, person) and places are taken through the Seat unique index.
 * Those who run the cohort enrol anyone; a participant enrols herself when the cohort is open for it; 'system'
 * is for other areas' automation (governing-board panels).
 * @param now when she asked (waitlist order); defaults to the current time
 */
export async function enrolParticipant(props: { actor: Actor; cohortId: string; userId: string; now?: Date }): Promise<EnrolmentResult> {
  const now = props.now ?? new Date();
  const cohort = await loadCohort(props.cohortId);
  if (props.actor !== 'system' && !canChangeEnrolment(props.actor, cohort, props.userId, 'enrol')) throw new ForbiddenError();
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.noPerson);
  const user = await UserModel.findOne({ _id: props.userId, status: { $ne: 'disabled' } }, { _id: 1 }).lean();
  if (!user) throw new NotFoundError(messages.noPerson);

  // The enrolment row first, as "waitlisted since now": the unique (cohortId, userId) index settles a double click.
  let enrolment = await EnrolmentModel.findOne({ cohortId: cohort._id, userId: user._id }).lean<Enrolment>();
  if (enrolment && enrolment.status !== 'withdrawn') throw new ConflictError(messages.already);
  if (enrolment) {
    const rejoined = await EnrolmentModel.updateOne({ _id: enrolment._id, status: 'withdrawn' }, { $set: { status: 'waitlisted', waitlistedAt: now }, $unset: { withdrawnAt: 1 } });
    if (rejoined.modifiedCount !== 1) throw new ConflictError(messages.already);
  } else {
    try {
      await EnrolmentModel.create({ cohortId: cohort._id, userId: user._id, programmeId: cohort.programmeId, status: 'waitlisted', waitlistedAt: now });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ConflictError(messages.already);
      throw error;
    }
  }
  enrolment = (await EnrolmentModel.findOne({ cohortId: cohort._id, userId: user._id }).lean<Enrolment>())!;

  // Nobody jumps the queue: when people have been waiting a while (the cohort was full when they came), freed
  // places are theirs and a newcomer joins the end. Rows younger than that may be concurrent newcomers still
  // reaching for a place, so they do not count: every newcomer tries for a place and the Seat index decides.
  const longWaiting = await EnrolmentModel.exists({ cohortId: cohort._id, status: 'waitlisted', _id: { $ne: enrolment._id }, waitlistedAt: { $lt: new Date(now.getTime() - settleMs) } });
  if (!longWaiting && (await seat(cohort, user._id)) !== 'full') {
    await activate({ enrolmentId: enrolment._id, now });
    await emitDomainEvent('enrolment.activated', { cohortId: cohort._id, userId: user._id, promotedFromWaitlist: false });
    return { status: 'active' };
  }
  return { status: 'waitlisted', position: await waitlistPosition(enrolment) };
}

/**
 * Moves people from the waitlist into free places, first come first served, until the cohort is full or nobody
 * waits. Each promoted person is announced ('enrolment.activated', promotedFromWaitlist) so she is told.
 */
export async function fillFromWaitlist(props: { cohortId: string; now?: Date }): Promise<string[]> {
  const now = props.now ?? new Date();
  const cohort = await loadCohort(props.cohortId);
  const promoted: string[] = [];
  for (;;) {
    const waiting = await EnrolmentModel.find({ cohortId: cohort._id, status: 'waitlisted' }).sort({ waitlistedAt: 1, _id: 1 }).limit(20).lean<Enrolment[]>();
    if (!waiting.length) return promoted;
    let progressed = false;
    for (const candidate of waiting) {
      const outcome = await seat(cohort, candidate.userId);
      if (outcome === 'full') return promoted;
      // 'already-seated': another withdrawal is promoting her at this moment; the next person may still fit.
      if (outcome === 'already-seated') continue;
      if (await activate({ enrolmentId: candidate._id, now })) {
        promoted.push(String(candidate.userId));
        await emitDomainEvent('enrolment.activated', { cohortId: cohort._id, userId: candidate.userId, promotedFromWaitlist: true });
      }
      progressed = true;
      break;
    }
    if (!progressed) return promoted;
  }
}

/**
 * Withdraws a person (those who run the cohort, or she herself): her place is freed and the first person on the
 * waitlist takes it.
 */
export async function withdrawParticipant(props: { actor: Actor; cohortId: string; userId: string; now?: Date }): Promise<{ promoted: string[] }> {
  const now = props.now ?? new Date();
  const cohort = await loadCohort(props.cohortId);
  if (props.actor !== 'system' && !canChangeEnrolment(props.actor, cohort, props.userId, 'withdraw')) throw new ForbiddenError();
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.notEnrolled);
  const enrolment = await EnrolmentModel.findOne({ cohortId: cohort._id, userId: props.userId, status: { $in: ['active', 'waitlisted'] } }).lean<Enrolment>();
  if (!enrolment) throw new NotFoundError(messages.notEnrolled);
  const result = await EnrolmentModel.updateOne({ _id: enrolment._id, status: enrolment.status }, { $set: { status: 'withdrawn', withdrawnAt: now }, $unset: { waitlistedAt: 1 } });
  if (result.modifiedCount !== 1) throw new NotFoundError(messages.notEnrolled);
  await SeatModel.deleteOne({ cohortId: cohort._id, userId: enrolment.userId });
  await emitDomainEvent('enrolment.withdrawn', { cohortId: cohort._id, userId: enrolment.userId });
  return { promoted: await fillFromWaitlist({ cohortId: String(cohort._id), now }) };
}

/** Enrolled and waitlisted people, the waitlist in order (those who run the cohort). */
export async function listEnrolments(props: { actor: Express.User; cohort: Cohort }) {
  if (!canRunCohort(props.actor, props.cohort)) throw new ForbiddenError();
  const rows = await EnrolmentModel.find({ cohortId: props.cohort._id, status: { $in: ['active', 'waitlisted'] } }).lean<Enrolment[]>();
  const names = await namesOf(rows.map((r) => r.userId));
  const active = rows.filter((r) => r.status === 'active').sort((a, b) => (names.get(String(a.userId))?.name ?? '').localeCompare(names.get(String(b.userId))?.name ?? ''));
  const waitlisted = rows
    .filter((r) => r.status === 'waitlisted')
    .sort((a, b) => a.waitlistedAt!.getTime() - b.waitlistedAt!.getTime() || String(a._id).localeCompare(String(b._id)));
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

/** Enrols an existing account found by email (those who run the cohort). */
export async function enrolByEmail(props: { actor: Express.User; cohortId: string; email: string; now?: Date }) {
  const email = props.email.trim().toLowerCase();
  const user = await UserModel.findOne({ email, status: { $ne: 'disabled' } }, { _id: 1, name: 1 }).lean();
  if (!user) throw new ValidationError(messages.noAccountFor(email), [{ path: 'email', message: messages.noAccountFor(email) }]);
  const result = await enrolParticipant({ actor: props.actor, cohortId: props.cohortId, userId: String(user._id), now: props.now });
  return { ...result, name: user.name };
}

export type ImportRow = { line: number; email: string; outcome: 'enrolled' | 'waitlisted' | 'invited-and-enrolled' | 'invited-and-waitlisted' | 'already-enrolled' | 'invalid'; message: string };

const emailPattern = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/**
 * Enrols a CSV of emails (one per row, optionally followed by a name; a header row is skipped). People without an
 * account are invited (an account without a password, and an invitation email). Every row is reported.
 */
export async function importEnrolments(props: { actor: Express.User; cohortId: string; csv: string; now?: Date }): Promise<ImportRow[]> {
  const cohort = await loadCohort(props.cohortId);
  if (!canRunCohort(props.actor, cohort)) throw new ForbiddenError();
  let records: string[][];
  try {
    records = parse(props.csv, { skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as string[][];
  } catch {
    throw new ValidationError(messages.csvUnreadable, [{ path: 'csv', message: messages.csvUnreadable }]);
  }
  if (records.length > 501) throw new ValidationError(messages.csvTooLong, [{ path: 'csv', message: messages.csvTooLong }]);
  const rows: ImportRow[] = [];
  const seen = new Set<string>();
  for (const [index, record] of records.entries()) {
    const line = index + 1;
    const email = (record[0] ?? '').trim().toLowerCase();
    const name = (record[1] ?? '').trim();
    if (index === 0 && /^e-?mail/i.test(email)) continue;
    if (!emailPattern.test(email) || email.length > 320) {
      rows.push({ line, email, outcome: 'invalid', message: 'Not an email address.' });
      continue;
    }
    if (seen.has(email)) {
      rows.push({ line, email, outcome: 'invalid', message: 'This email appears earlier in the file.' });
      continue;
    }
    seen.add(email);
    let user = await UserModel.findOne({ email }, { _id: 1, status: 1 }).lean();
    let invited = false;
    if (user?.status === 'disabled') {
      rows.push({ line, email, outcome: 'invalid', message: 'This account is disabled.' });
      continue;
    }
    if (!user) {
      try {
        const created = await createUser({ email, name: name || email.split('@')[0]!, roles: ['participant'], actorName: props.actor.name });
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
    try {
      const result = await enrolParticipant({ actor: props.actor, cohortId: props.cohortId, userId: String(user!._id), now: props.now });
      const placed = result.status === 'active' ? 'enrolled' : 'waitlisted';
      rows.push({
        line,
        email,
        outcome: invited ? (`invited-and-${placed}` as const) : placed,
        message: `${invited ? 'Invited by email and ' : ''}${result.status === 'active' ? 'enrolled' : `put on the waitlist (position ${result.position})`}.`.replace(/^./, (c) => c.toUpperCase()),
      });
    } catch (error) {
      if (error instanceof ConflictError) rows.push({ line, email, outcome: 'already-enrolled', message: 'Already enrolled or waitlisted.' });
      else throw error;
    }
  }
  if (!rows.length) throw new ValidationError(messages.csvEmpty, [{ path: 'csv', message: messages.csvEmpty }]);
  return rows;
}

/** Active participants of a cohort with their enrolment dates (registers and reports). */
export async function activeEnrolments(cohortId: Types.ObjectId | string) {
  return EnrolmentModel.find({ cohortId, status: 'active' }, { userId: 1, enrolledAt: 1 }).lean();
}
