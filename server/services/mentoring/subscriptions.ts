import { onDomainEvent } from '../../events.ts';
import { endMentorshipsBetween } from './mentorships.ts';

/**
 * A block ends an active mentorship between the two: its shared notes, meetings and reminders would keep them in
 * contact, which the block is there to stop. Her place comes back to the mentor as with any close.
 */
onDomainEvent('person.blocked', async ({ blockerId, blockedId }) => {
  await endMentorshipsBetween({ a: String(blockerId), b: String(blockedId), closedBy: String(blockerId) });
});
