import { nameAllParticipants } from '../server/services/cohorts/participantNames.ts';
import type { JobArea } from './types.ts';

/**
 * Cohorts: every enrolment not yet named from its account (stored before the copy existed, or left unnamed by a
 * process that stopped between writing it and naming it) is named, every hour and at start. Idempotent
 * (services/cohorts/participantNames.ts).
 */
export const cohortsJobs: JobArea = {
  define(agenda) {
    agenda.define('cohorts:repair-copies', async () => {
      await nameAllParticipants();
    });
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'cohorts:repair-copies', {}, { skipImmediate: false });
  },
};
