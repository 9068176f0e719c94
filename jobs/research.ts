import type { Agenda } from 'agenda';
import { figuresRefreshMinutes, refreshAllCohortFigures } from '../server/services/research/cohortFigures.ts';
import { planSurveyInvitations } from '../server/services/research/surveys.ts';
import { sweepOptions, type JobArea } from './types.ts';

/**
 * The survey sweep: plans invitations that events alone would miss (enrolments imported or made before a survey
 * existed, cohorts whose end date was moved). Idempotent: each invitation has its unique key.
 */
export const researchJobs: JobArea = {
  define(agenda: Agenda) {
    agenda.define('research:plan-surveys', async () => void (await planSurveyInvitations()), sweepOptions);
    // The impact dashboard's per-cohort records, recomputed from the source (README "Research figures"). Safe if two
    // processes run it at once: each record's write is conditional on its ticket.
    agenda.define('research:refresh-figures', async () => void (await refreshAllCohortFigures()), sweepOptions);
  },
  async schedule(agenda: Agenda) {
    await agenda.every('1 hour', 'research:plan-surveys', {}, { skipImmediate: false });
    await agenda.every(`${figuresRefreshMinutes} minutes`, 'research:refresh-figures', {}, { skipImmediate: false });
  },
};
