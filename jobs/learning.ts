import { showAllOutlines } from '../server/services/learning/outline.ts';
import type { JobArea } from './types.ts';

/**
 * Learning: each programme's outline (its modules as a learner's home page lists them) is written again from the
 * modules every hour and at start. Idempotent and written over the version it was computed at, so it heals an
 * outline left behind by a process that stopped between a module change and its outline (services/learning/outline.ts).
 */
export const learningJobs: JobArea = {
  define(agenda) {
    agenda.define('learning:repair-outlines', async () => {
      await showAllOutlines();
    });
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'learning:repair-outlines', {}, { skipImmediate: false });
  },
};
