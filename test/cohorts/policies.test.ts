import { expect } from 'chai';
import { Types } from 'mongoose';
import type { Role } from '../../models/User.ts';
import {
  canChangeEnrolment,
  canJoinSessions,
  canReadAttendanceOf,
  canSelfEnrol,
} from '../../server/policies/cohorts.ts';

const person = (...roles: Role[]) => ({ id: new Types.ObjectId().toHexString(), roles });
const open = { facilitatorIds: [], selfEnrolment: true };
const closed = { facilitatorIds: [], selfEnrolment: false };

describe('cohorts: policies', () => {
  it('a participant may join any cohort open for self-enrolment, a governor only an open governing-board one, nobody a closed one', () => {
    const participant = person('participant');
    const governor = person('governor');
    expect(canSelfEnrol(participant, open, 'aspiring-leader')).to.equal(true);
    expect(canSelfEnrol(participant, open, 'governing-board')).to.equal(true);
    expect(canSelfEnrol(governor, open, 'governing-board')).to.equal(true);
    expect(canSelfEnrol(governor, open, 'aspiring-leader')).to.equal(false);
    expect(canSelfEnrol(governor, open, 'new-head')).to.equal(false);
    expect(canSelfEnrol(governor, open, null)).to.equal(false);
    expect(canSelfEnrol(governor, closed, 'governing-board')).to.equal(false);
    expect(canSelfEnrol(participant, closed, 'aspiring-leader')).to.equal(false);
    expect(canSelfEnrol(person('facilitator'), open, 'governing-board')).to.equal(false);
    expect(canSelfEnrol(person('mentor'), open, 'governing-board')).to.equal(false);
  });

  it('a governor enrols herself through canChangeEnrolment by the same rule, and never someone else', () => {
    const governor = person('governor');
    expect(canChangeEnrolment(governor, open, governor.id, 'enrol', 'governing-board')).to.equal(true);
    expect(canChangeEnrolment(governor, open, governor.id, 'enrol', 'new-head')).to.equal(false);
    expect(canChangeEnrolment(governor, open, person('governor').id, 'enrol', 'governing-board')).to.equal(false);
    expect(canChangeEnrolment(governor, closed, governor.id, 'withdraw', null)).to.equal(true);
  });

  it('attendance: those who run the cohort read anyone, a participant only herself', () => {
    const facilitator = person('facilitator');
    const participant = person('participant');
    const cohort = { facilitatorIds: [facilitator.id], selfEnrolment: false };
    expect(canReadAttendanceOf(facilitator, cohort, participant.id)).to.equal(true);
    expect(canReadAttendanceOf(participant, cohort, participant.id)).to.equal(true);
    expect(canReadAttendanceOf(participant, cohort, facilitator.id)).to.equal(false);
    expect(canReadAttendanceOf(person('facilitator'), cohort, participant.id)).to.equal(false);
  });

  it("a session's join link: those who run the cohort and those with an active place, not the waitlisted, the withdrawn or a visitor to an open cohort", () => {
    const facilitator = person('facilitator');
    const participant = person('participant');
    const cohort = { facilitatorIds: [facilitator.id], selfEnrolment: true };
    expect(canJoinSessions(facilitator, cohort, null)).to.equal(true);
    expect(canJoinSessions(person('admin'), cohort, null)).to.equal(true);
    expect(canJoinSessions(participant, cohort, { status: 'active' })).to.equal(true);
    expect(canJoinSessions(participant, cohort, { status: 'waitlisted' })).to.equal(false);
    expect(canJoinSessions(participant, cohort, { status: 'withdrawn' })).to.equal(false);
    expect(canJoinSessions(participant, cohort, null)).to.equal(false);
    // Named on the cohort but no longer a facilitator: the link goes with her registers.
    expect(canJoinSessions({ ...facilitator, roles: ['participant'] }, cohort, null)).to.equal(false);
  });
});
