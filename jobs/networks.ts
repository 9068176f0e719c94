import { recountAllMembers } from '../server/services/networks/members.ts';
import type { JobArea } from './types.ts';

/** Networks: member counts are repaired from the membership rows every hour (see recountMembers). */
export const networksJobs: JobArea = {
  define(agenda) {
    agenda.define('networks:recount-members', async () => {
      await recountAllMembers();
    });
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'networks:recount-members', {}, { skipImmediate: false });
  },
};
