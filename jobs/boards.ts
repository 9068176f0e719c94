import { replanOpenRounds } from '../server/services/boards/index.ts';
import { sweepOptions, type JobArea } from './types.ts';

/**
 * Boards: every open round's panel reminders are planned again every hour and at start (services/boards/
 * roundReminders.ts, replanOpenRounds). Planning is keyed and idempotent, so this heals a plan left behind by a process
 * that stopped between a change (a panel, a date, a certificate, the panels' training marked) and its re-plan.
 */
export const boardsJobs: JobArea = {
  define(agenda) {
    agenda.define('boards:replan-rounds', async () => void (await replanOpenRounds()), sweepOptions);
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'boards:replan-rounds', {}, { skipImmediate: false });
  },
};
