import { onDomainEvent } from '../../events.ts';
import { followCohortProgramme } from './learners.ts';

/** A cohort moved to another programme takes its enrolments' copy of the programme with it. */
onDomainEvent('cohort.updated', async ({ cohortId }) => followCohortProgramme({ cohortId }));
