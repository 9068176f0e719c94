import { Types } from 'mongoose';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { SeatModel } from '../../../models/Seat.ts';
import { WaitlistTicketModel } from '../../../models/WaitlistTicket.ts';
import { NotFoundError } from '../../errors.ts';
import { interruptedBefore } from '../../interruptedWork.ts';
import { fillFromWaitlist } from './enrolment.ts';

/** Places and waitlist tickets read a batch at a time. */
const batchSize = 1000;

type Row = { _id: Types.ObjectId; cohortId: Types.ObjectId; userId: Types.ObjectId };

/**
 * Rows of a collection created before `before` whose person's enrolment in their cohort is not `status`, a batch at a
 * time (one read of their enrolments per batch).
 */
async function rowsNotFollowing(rows: Row[], status: 'active' | 'waitlisted'): Promise<Row[]> {
  const enrolments = await EnrolmentModel.find(
    { userId: { $in: [...new Set(rows.map((r) => String(r.userId)))] }, status },
    { cohortId: 1, userId: 1 },
  ).lean();
  const held = new Set(enrolments.map((e) => `${String(e.cohortId)}:${String(e.userId)}`));
  return rows.filter((r) => !held.has(`${String(r.cohortId)}:${String(r.userId)}`));
}

/**
 * Places and waitlist tickets follow enrolments. Taking a place (a Seat row) or a ticket is one write and the enrolment
 * that goes with it another (enrolment.ts: the unique indexes that make places safe live on Seat and WaitlistTicket),
 * so a process that stopped between the two left a place held by nobody enrolled (an enrolment that was never written,
 * a withdrawal whose place was not given back, a promotion whose enrolment was not moved on), or a ticket of someone no
 * longer waiting. Such a place was lost to the cohort for good, and she could not enrol again ("already enrolled").
 * This sweep, hourly with the cohorts' other repairs (jobs/cohorts.ts), gives back every place older than the grace of
 * interrupted work (a live request finishes its second write well within it) whose holder's enrolment is not active,
 * drops every such ticket whose holder's enrolment is not waitlisted, and then fills the cohorts that have people
 * waiting, in waitlist order, as a withdrawal would have. Each delete names the row read, so a place taken afresh
 * meanwhile is another row and stays.
 */
export async function placesFollowEnrolments(props: { now?: Date; graceMs?: number } = {}): Promise<{
  placesGivenBack: number;
  ticketsDropped: number;
  promoted: number;
}> {
  const now = props.now ?? new Date();
  const before = interruptedBefore({ now, graceMs: props.graceMs });
  let placesGivenBack = 0;
  let ticketsDropped = 0;
  for (let after: Types.ObjectId | undefined; ;) {
    const seats = await SeatModel.find(
      { createdAt: { $lt: before }, ...(after ? { _id: { $gt: after } } : {}) },
      { cohortId: 1, userId: 1 },
    )
      .sort({ _id: 1 })
      .limit(batchSize)
      .lean<Row[]>();
    if (!seats.length) break;
    for (const seat of await rowsNotFollowing(seats, 'active'))
      placesGivenBack += (await SeatModel.deleteOne({ _id: seat._id })).deletedCount;
    after = seats.at(-1)!._id;
  }
  const tickets = await WaitlistTicketModel.find({ createdAt: { $lt: before } }, { cohortId: 1, userId: 1 }).lean<
    Row[]
  >();
  for (let start = 0; start < tickets.length; start += batchSize)
    for (const ticket of await rowsNotFollowing(tickets.slice(start, start + batchSize), 'waitlisted'))
      ticketsDropped += (await WaitlistTicketModel.deleteOne({ _id: ticket._id })).deletedCount;
  // A place freed above, or by a withdrawal that stopped before it filled the place, goes to whoever waits.
  let promoted = 0;
  const waiting = await WaitlistTicketModel.distinct('cohortId');
  for (const cohortId of waiting) {
    try {
      promoted += (await fillFromWaitlist({ cohortId: String(cohortId), now })).length;
    } catch (error) {
      // A cohort deleted since: nothing to fill.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return { placesGivenBack, ticketsDropped, promoted };
}
