import { onDomainEvent } from '../../events.ts';
import { unlinkAccountsBeforeProof } from './people.ts';
import { queueScores, queueScoresInCohorts, queueScoresOfProgramme } from './scores.ts';

// Grades (AGS): each change in a learner's progress queues her latest score for her launches' line items. Her
// progress changes when she completes a module, and also, without her doing anything, when what the programme takes
// changes (a module added, archived or restored) or her cohort moves to another programme. A certificate needs no
// score of its own: whatever issues one (a completion, an archive, a move, her return to a cohort) queues hers already
// or leaves her progress as it was.
onDomainEvent('module.completed', async ({ userId, cohortId }) => {
  await queueScores({ userId, cohortId });
});
onDomainEvent('module.archived', async ({ programmeId }) => {
  await queueScoresOfProgramme({ programmeId });
});
onDomainEvent('module.added', async ({ programmeId }) => {
  await queueScoresOfProgramme({ programmeId });
});
onDomainEvent('cohort.moved', async ({ cohortId }) => {
  await queueScoresInCohorts({ cohortIds: [cohortId] });
});
// People: the LMS identities that reached her account on a platform's word for her address lose it once she proves
// the address herself (an attacker's LMS account could have asserted it first).
onDomainEvent('address.proved', async ({ userId }) => {
  await unlinkAccountsBeforeProof({ userId });
});
