import { expect } from 'chai';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { SeatModel } from '../../models/Seat.ts';
import { WaitlistTicketModel } from '../../models/WaitlistTicket.ts';
import { ConflictError } from '../../server/errors.ts';
import { enrolParticipant, fillFromWaitlist, promotionsAnnounced } from '../../server/services/cohorts/enrolment.ts';
import { placesFollowEnrolments } from '../../server/services/cohorts/placesRepair.ts';
import '../../server/subscriptions.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';

/** The process stops right after taking her place: her enrolment is never written. */
async function enrolStoppingAfterThePlace(props: { cohortId: string; userId: string }) {
  const statics = EnrolmentModel as unknown as Record<string, unknown>;
  const create = statics.create;
  statics.create = () => Promise.reject(new Error('the process stopped'));
  try {
    await enrolParticipant({ actor: 'system', ...props }).catch(() => undefined);
  } finally {
    statics.create = create;
  }
}

/** A sweep run as if the grace for interrupted work had passed since every row was written. */
const sweepLater = () => placesFollowEnrolments({ now: new Date(Date.now() + 1000), graceMs: 0 });

describe('cohorts: places, waitlist tickets and promotions follow enrolments (a stopped process loses no place and no news)', () => {
  useTestDatabase();

  it('a place taken by an enrolment that was never written is given back to whoever waits, and she can enrol again', async () => {
    const cohort = await buildCohort({ capacity: 1 });
    const cohortId = String(cohort._id);
    const [ana, bea] = await Promise.all([buildUser(), buildUser()]);
    await enrolStoppingAfterThePlace({ cohortId, userId: ana.id });
    expect(await SeatModel.countDocuments({ cohortId })).to.equal(1);
    expect(await EnrolmentModel.countDocuments({ cohortId })).to.equal(0);
    // The cohort looks full to Bea, and Ana is "already enrolled" although she is not.
    expect(await enrolParticipant({ actor: 'system', cohortId, userId: bea.id })).to.include({ status: 'waitlisted' });
    const again = await enrolParticipant({ actor: 'system', cohortId, userId: ana.id }).catch((e: unknown) => e);
    expect(again).to.be.instanceOf(ConflictError);

    // Within the grace a live request may still be writing her enrolment: nothing is touched.
    expect(await placesFollowEnrolments()).to.deep.equal({ placesGivenBack: 0, ticketsDropped: 0, promoted: 0 });
    expect(await sweepLater()).to.deep.equal({ placesGivenBack: 1, ticketsDropped: 0, promoted: 1 });
    expect(await EnrolmentModel.findOne({ cohortId, userId: bea.id }).lean()).to.include({ status: 'active' });
    const seats = await SeatModel.find({ cohortId }).lean();
    expect(seats.map((s) => String(s.userId))).to.deep.equal([bea.id]);
    expect(await enrolParticipant({ actor: 'system', cohortId, userId: ana.id })).to.include({ status: 'waitlisted' });
    // Run again: everything follows, nothing changes.
    expect(await sweepLater()).to.deep.equal({ placesGivenBack: 0, ticketsDropped: 0, promoted: 0 });
  });

  it('a withdrawal stopped before it gave back her place and ticket: the place goes to the next in line, the ticket is dropped', async () => {
    const cohort = await buildCohort({ capacity: 1 });
    const cohortId = String(cohort._id);
    const [ana, bea, cleo] = await Promise.all([buildUser(), buildUser(), buildUser()]);
    for (const person of [ana, bea, cleo]) await enrolParticipant({ actor: 'system', cohortId, userId: person.id });
    // Ana (active) and Bea (waitlisted) withdrawn, their place and ticket left behind as a stopped process leaves them.
    await EnrolmentModel.updateMany(
      { cohortId, userId: { $in: [ana.id, bea.id] } },
      { $set: { status: 'withdrawn', withdrawnAt: new Date() } },
    );
    expect(await sweepLater()).to.deep.equal({ placesGivenBack: 1, ticketsDropped: 1, promoted: 1 });
    expect(await EnrolmentModel.findOne({ cohortId, userId: cleo.id }).lean()).to.include({ status: 'active' });
    expect(await WaitlistTicketModel.countDocuments({ cohortId })).to.equal(0);
  });

  it('a promotion from the waitlist whose process stopped before she was told: the 5-minute sweep tells her, once', async () => {
    const cohort = await buildCohort({ capacity: 1 });
    const cohortId = String(cohort._id);
    const [ana, bea] = await Promise.all([buildUser(), buildUser()]);
    await enrolParticipant({ actor: 'system', cohortId, userId: ana.id });
    await enrolParticipant({ actor: 'system', cohortId, userId: bea.id });
    // Ana leaves; Bea's promotion is written, then the process stops before announcing it.
    await EnrolmentModel.updateOne({ cohortId, userId: ana.id }, { $set: { status: 'withdrawn' } });
    await SeatModel.deleteOne({ cohortId, userId: ana.id });
    const updateOne = EnrolmentModel.updateOne.bind(EnrolmentModel);
    const statics = EnrolmentModel as unknown as Record<string, unknown>;
    statics.updateOne = (filter: Record<string, unknown>, update: Record<string, unknown>) =>
      'announcePendingSince' in filter ? Promise.reject(new Error('the process stopped')) : updateOne(filter, update);
    try {
      await fillFromWaitlist({ cohortId }).catch(() => undefined);
    } finally {
      statics.updateOne = updateOne;
    }
    expect(await EnrolmentModel.findOne({ cohortId, userId: bea.id }).lean()).to.include({ status: 'active' });
    await NotificationModel.deleteMany({ kind: 'waitlist-promoted' }); // as if it had stopped before planning it too
    expect(await promotionsAnnounced()).to.equal(0);
    const later = { now: new Date(Date.now() + 1000), graceMs: 0 };
    expect(await promotionsAnnounced(later)).to.equal(1);
    expect(await promotionsAnnounced(later)).to.equal(0);
    const told = await NotificationModel.find({ kind: 'waitlist-promoted' }).lean();
    expect(told.map((n) => String(n.userId))).to.deep.equal([bea.id]);
  });
});
