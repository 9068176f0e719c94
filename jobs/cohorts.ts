import { nameAllParticipants } from '../server/services/cohorts/participantNames.ts';
import { promotionsAnnounced } from '../server/services/cohorts/enrolment.ts';
import { placesFollowEnrolments } from '../server/services/cohorts/placesRepair.ts';
import { sessionChangesAnnounced } from '../server/services/cohorts/sessions.ts';
import { showAllRegisters } from '../server/services/cohorts/sessionRegisters.ts';
import { enrolmentsFollowCohorts } from '../server/services/cohorts/settings.ts';
import { sweepOptions, type JobArea } from './types.ts';

/**
 * Cohorts: the copies registers and reports read are written again every hour and at start, healing one left behind
 * by a process that stopped between a change and its copy, and filling records stored before the copy existed. Both
 * are idempotent: every enrolment not yet named from its account (services/cohorts/participantNames.ts) and every
 * session's register that differs from its attendance records (services/cohorts/sessionRegisters.ts); and the
 * enrolments still naming a moved cohort's former programme (services/cohorts/settings.ts); and places and waitlist
 * tickets whose enrolment was never written or moved on (services/cohorts/placesRepair.ts).
 */
export const cohortsJobs: JobArea = {
  define(agenda) {
    agenda.define('cohorts:repair-copies', async () => {
      await nameAllParticipants();
      await showAllRegisters();
      await enrolmentsFollowCohorts();
      await placesFollowEnrolments();
    });
    // A session moved or cancelled, or a place given from the waitlist, that its people have not heard of is
    // time-sensitive: looked for every 5 minutes.
    agenda.define(
      'cohorts:announce-changes',
      async () => {
        await sessionChangesAnnounced();
        await promotionsAnnounced();
      },
      sweepOptions,
    );
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'cohorts:repair-copies', {}, { skipImmediate: false });
    await agenda.every('5 minutes', 'cohorts:announce-changes', {}, { skipImmediate: false });
  },
};
