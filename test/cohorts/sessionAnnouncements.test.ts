import { expect } from 'chai';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { onDomainEvent } from '../../server/events.ts';
import { cancelSession, rescheduleSession, sessionChangesAnnounced } from '../../server/services/cohorts/sessions.ts';
import '../../server/subscriptions.ts';
import { asActor } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { buildCohortWithSession } from '../support/remindersFactories.ts';

/** While set, announcing a session change fails after the reminders' reactions: the process "stops" there. */
let stopWhenAnnouncing = false;
const stopHere = async () => {
  if (stopWhenAnnouncing) throw new Error('the process stopped');
};
onDomainEvent('session.cancelled', stopHere);
onDomainEvent('session.rescheduled', stopHere);

/** Runs a change as if its process stopped before it had told anyone: the notices it planned are gone. */
async function changeThenStop(change: () => Promise<unknown>, kind: 'session-cancelled' | 'session-changed') {
  stopWhenAnnouncing = true;
  try {
    await change().catch(() => undefined);
  } finally {
    stopWhenAnnouncing = false;
  }
  await NotificationModel.deleteMany({ kind });
}

/** A sweep run as if the grace for interrupted work had passed since the change. */
const sweepLater = () => sessionChangesAnnounced({ now: new Date(Date.now() + 1000), graceMs: 0 });

describe('cohorts: a session change whose process stopped before its participants heard of it', () => {
  useTestDatabase();

  it('a cancellation is announced by the sweep: each participant and the facilitator get one cancellation notice, and again nothing more', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const { session } = await buildCohortWithSession({
      startsAt: new Date('2027-08-10T18:00:00Z'),
      participants: 2,
      facilitatorIds: [facilitator.id],
    });
    await changeThenStop(
      () => cancelSession({ actor: asActor(facilitator), sessionId: String(session._id) }),
      'session-cancelled',
    );
    expect((await CohortSessionModel.findById(session._id).lean())!.announcePendingSince).to.be.instanceOf(Date);
    // Within the grace the request may still be announcing it: left alone.
    expect(await sessionChangesAnnounced()).to.equal(0);
    expect(await sweepLater()).to.equal(1);
    // Its two participants and its facilitator.
    expect(await NotificationModel.countDocuments({ kind: 'session-cancelled' })).to.equal(3);
    expect((await CohortSessionModel.findById(session._id).lean())!.announcePendingSince).to.equal(undefined);
    expect(await sweepLater()).to.equal(0);
    expect(await NotificationModel.countDocuments({ kind: 'session-cancelled' })).to.equal(3);
  });

  it('a move is announced by the sweep: its change notices are planned and its reminders follow the new time', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const { session } = await buildCohortWithSession({
      startsAt: new Date('2027-08-10T18:00:00Z'),
      participants: 2,
      facilitatorIds: [facilitator.id],
    });
    const movedTo = new Date('2027-08-11T18:00:00Z');
    await changeThenStop(
      () =>
        rescheduleSession({
          actor: asActor(facilitator),
          sessionId: String(session._id),
          input: { startsAt: movedTo.toISOString() },
        }),
      'session-changed',
    );
    expect(await sweepLater()).to.equal(1);
    expect(await NotificationModel.countDocuments({ kind: 'session-changed' })).to.equal(3);
    const reminders = await NotificationModel.find({ kind: 'session-reminder', status: 'scheduled' }).lean();
    expect(reminders.length).to.be.greaterThan(0);
    expect(reminders.every((r) => r.eventAt!.getTime() === movedTo.getTime())).to.equal(true);
  });

  it('a change announced in full leaves nothing for the sweep', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const { session } = await buildCohortWithSession({
      startsAt: new Date('2027-08-10T18:00:00Z'),
      facilitatorIds: [facilitator.id],
    });
    await cancelSession({ actor: asActor(facilitator), sessionId: String(session._id) });
    expect((await CohortSessionModel.findById(session._id).lean())!.announcePendingSince).to.equal(undefined);
    expect(await sweepLater()).to.equal(0);
  });
});
