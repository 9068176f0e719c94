import type { Agenda } from 'agenda';
import { expireRequests } from '../server/services/mentoring/requests.ts';
import type { JobArea } from './types.ts';

/**
 * Mentoring's sweep: requests unanswered for 14 days become `expired` (one conditional write each, so two runs at
 * once expire each request once). The mentee's notice is a planned reminder and goes through the reminders job.
 */
export const mentoringJobs: JobArea = {
  define(agenda: Agenda) {
    agenda.define('mentoring:expire-requests', async () => void (await expireRequests()), {
      concurrency: 1,
      lockLifetime: 10 * 60 * 1000,
    });
  },
  async schedule(agenda: Agenda) {
    await agenda.every('15 minutes', 'mentoring:expire-requests', {}, { skipImmediate: false });
  },
};
