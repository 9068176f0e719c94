import type { Agenda } from 'agenda';
import { refreshCandidatesOfChangedMentors } from '../server/services/mentoring/candidates.ts';
import { endMentorshipsPastTheirEnd, settleInterruptedCloses } from '../server/services/mentoring/mentorships.ts';
import {
  expireRequests,
  finishInterruptedAccepts,
  tellInterruptedBeginnings,
} from '../server/services/mentoring/requests.ts';
import { sweepOptions, type JobArea } from './types.ts';

/**
 * Mentoring's sweeps. `mentoring:refresh-candidates`: mentors whose profile or free places changed are applied to every
 * mentee's candidate record (server/services/mentoring/candidates.ts; idempotent, conditional writes, so two runs at
 * once or a run in each process leave the same records). `mentoring:expire-requests`: requests unanswered for 14 days become `expired` (one conditional write each, so two runs at
 * once expire each request once); it first finishes accepts a killed process left half done, and tells what one that
 * stopped after linking its request left untold. The mentee's notice is a planned reminder and goes through the reminders job.
 * `mentoring:end-mentorships`: mentorships whose agreed end day is over for both members are closed (one conditional
 * write each, so the mentor's place comes back once however many runs race); first, closes a stopped process left
 * half done are finished (the place back once, its reminders stopped, the outcomes prompt planned).
 */
export const mentoringJobs: JobArea = {
  define(agenda: Agenda) {
    agenda.define(
      'mentoring:expire-requests',
      async () => {
        await finishInterruptedAccepts();
        await tellInterruptedBeginnings();
        await expireRequests();
      },
      sweepOptions,
    );
    agenda.define(
      'mentoring:end-mentorships',
      async () => {
        await settleInterruptedCloses();
        await endMentorshipsPastTheirEnd();
      },
      sweepOptions,
    );
    agenda.define(
      'mentoring:refresh-candidates',
      async () => void (await refreshCandidatesOfChangedMentors()),
      sweepOptions,
    );
  },
  async schedule(agenda: Agenda) {
    await agenda.every('15 minutes', 'mentoring:expire-requests', {}, { skipImmediate: false });
    await agenda.every('15 minutes', 'mentoring:end-mentorships', {}, { skipImmediate: false });
    await agenda.every('1 minute', 'mentoring:refresh-candidates', {}, { skipImmediate: false });
  },
};
