import { CohortModel } from '../../../models/Cohort.ts';
import { onDomainEvent } from '../../events.ts';
import { rebuildResearchOverview, rollUpProgrammeFigures } from './cohortFigures.ts';
import { planSurveyInvitations } from './surveys.ts';

/** Survey invitations follow her enrolment: planned when she enrols, moved forward when she completes. */
onDomainEvent('enrolment.activated', async ({ cohortId, userId }) => {
  const cohort = await CohortModel.findById(cohortId).select({ programmeId: 1 }).lean();
  if (cohort) await planSurveyInvitations({ programmeIds: [cohort.programmeId], userIds: [userId] });
});
onDomainEvent('certificate.issued', async ({ userId }) => {
  await planSurveyInvitations({ userIds: [userId] });
});

/** The impact dashboard lists programmes from their figures records, which copy the title: made or renewed at once. */
onDomainEvent('programme.saved', async ({ programmeId }) => {
  await rollUpProgrammeFigures({ programmeId });
});

/** The overview holds the sums over closed rounds: a round closed or its figures recorded shows at once. */
onDomainEvent('round.recorded', async () => {
  await rebuildResearchOverview();
});
