import { recountAllMembers, recountReplies } from '../server/services/networks/index.ts';
import { sweepOptions, type JobArea } from './types.ts';

/**
 * Networks: member counts are repaired from the membership rows every hour (see recountMembers), and posts' reply
 * counts from their replies (see recountReplies: conditional writes, so two runs at once, or a reply written during
 * one, leave the right count).
 */
export const networksJobs: JobArea = {
  define(agenda) {
    agenda.define('networks:recount-members', async () => {
      await recountAllMembers();
    });
    agenda.define('networks:recount-replies', async () => void (await recountReplies()), sweepOptions);
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'networks:recount-members', {}, { skipImmediate: false });
    await agenda.every('1 hour', 'networks:recount-replies', {}, { skipImmediate: false });
  },
};
