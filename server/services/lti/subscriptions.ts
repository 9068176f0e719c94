import { onDomainEvent } from '../../events.ts';
import { queueScores } from './scores.ts';

// Grades (AGS): each change in a learner's progress queues her latest score for her launches' line items.
onDomainEvent('module.completed', async ({ userId, cohortId }) => {
  await queueScores({ userId, cohortId });
});
