import { nameAllAuthors, recountAllMembers, recountReplies, showAllLeads } from '../server/services/networks/index.ts';
import { eventChangesAnnounced } from '../server/services/networks/events.ts';
import { directoryFollowsAllMemberships } from '../server/services/directory/profileNetworks.ts';
import { markProfilesInBlocks } from '../server/services/directory/blocks.ts';
import { sweepOptions, type JobArea } from './types.ts';

/**
 * Networks: member counts are repaired from the membership rows every hour (see recountMembers), and posts' reply
 * counts from their replies (see recountReplies: conditional writes, so two runs at once, or a reply written during
 * one, leave the right count). The copies pages read instead of the rows and accounts (each network's leads, each
 * post's author name, each directory profile's networks) are written again from those every hour and at start: idempotent, written over the version
 * they were computed at, so they heal a copy left behind by a process that stopped between a change and its copy.
 */
export const networksJobs: JobArea = {
  define(agenda) {
    agenda.define('networks:recount-members', async () => {
      await recountAllMembers();
    });
    agenda.define('networks:recount-replies', async () => void (await recountReplies()), sweepOptions);
    // A move or cancellation the members going have not heard of is time-sensitive: looked for every 5 minutes.
    agenda.define('networks:announce-event-changes', async () => void (await eventChangesAnnounced()), sweepOptions);
    agenda.define('networks:repair-copies', async () => {
      await showAllLeads();
      await nameAllAuthors();
      await directoryFollowsAllMemberships();
      await markProfilesInBlocks();
    });
  },
  async schedule(agenda) {
    await agenda.every('1 hour', 'networks:recount-members', {}, { skipImmediate: false });
    await agenda.every('1 hour', 'networks:recount-replies', {}, { skipImmediate: false });
    await agenda.every('1 hour', 'networks:repair-copies', {}, { skipImmediate: false });
    await agenda.every('5 minutes', 'networks:announce-event-changes', {}, { skipImmediate: false });
  },
};
