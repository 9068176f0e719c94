import { AttendanceRecordModel } from '../../../models/AttendanceRecord.ts';
import { CheckInFailureModel } from '../../../models/CheckInFailure.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { SeatModel } from '../../../models/Seat.ts';
import { WaitlistTicketModel } from '../../../models/WaitlistTicket.ts';
import { personalDataArea } from '../privacy/personalData.ts';
import { forgetNameInOthersNotifications } from '../reminders/personalData.ts';
import { registerChanged } from './sessionRegisters.ts';
import { withdrawParticipant } from './enrolment.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/**
 * Cohorts: her attendance, her seat or waitlist place, the cohorts she facilitates. Erasure keeps every register row,
 * seat and ticket (a cohort's counts and attendance rates stay the same) and removes the notes written about her.
 */
export const cohortsPersonalData = personalDataArea({
  area: 'cohorts',
  columns: {
    attendance: ['sessionId', 'cohortId', 'status', 'note', 'markedAt', 'source'],
    seats: ['cohortId', 'number'],
    waitlist: ['cohortId', 'number'],
    facilitating: ['cohortId', 'name'],
  },
  async exportFor(userId) {
    const [attendance, seats, tickets, facilitating] = await Promise.all([
      AttendanceRecordModel.find({ userId }).lean(),
      SeatModel.find({ userId }).lean(),
      WaitlistTicketModel.find({ userId }).lean(),
      CohortModel.find({ facilitatorIds: userId }, { name: 1 }).lean(),
    ]);
    return {
      attendance: attendance.map((a) => ({
        sessionId: String(a.sessionId),
        cohortId: String(a.cohortId),
        status: a.status,
        note: a.note,
        markedAt: iso(a.markedAt),
        source: a.source,
      })),
      seats: seats.map((s) => ({ cohortId: String(s.cohortId), number: s.number })),
      waitlist: tickets.map((t) => ({ cohortId: String(t.cohortId), number: t.number })),
      facilitating: facilitating.map((c) => ({ cohortId: String(c._id), name: c.name })),
    };
  },
  async eraseFor(userId) {
    // Her facilitators' weekly digests list her by name (behind on modules, attendance flags).
    const cohorts = await EnrolmentModel.distinct('cohortId', { userId });
    await forgetNameInOthersNotifications({
      userId,
      about: { type: 'cohort', ids: cohorts },
      kinds: ['facilitator-digest'],
    });
    const noted = await AttendanceRecordModel.find({ userId, note: { $ne: '' } }, { sessionId: 1 }).lean();
    await AttendanceRecordModel.updateMany({ userId, note: { $ne: '' } }, { $set: { note: '' } });
    // The registers' copies of those records lose the notes too (./sessionRegisters.ts).
    for (const r of noted) await registerChanged(r.sessionId);
    await CheckInFailureModel.deleteMany({ userId });
    // She leaves every waitlist: a place must go to someone who can take it (fillFromWaitlist also passes over an
    // account that is not live, for one erased while a place was being filled).
    const waiting = await EnrolmentModel.find({ userId, status: 'waitlisted' }, { cohortId: 1 }).lean();
    for (const w of waiting)
      await withdrawParticipant({ actor: 'system', cohortId: String(w.cohortId), userId: String(userId) });
  },
});
