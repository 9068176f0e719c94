import { type Cohort, CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { SeatModel } from '../../../models/Seat.ts';
import { ForbiddenError, ValidationError } from '../../errors.ts';
import { emitDomainEvent } from '../../events.ts';
import { canCreateCohorts, canRunCohort } from '../../policies/cohorts.ts';
import { checkCohortInput, loadCohort, type CohortInput } from './cohorts.ts';
import { fillFromWaitlist } from './enrolment.ts';

const messages = {
  capacityBelowSeats: (seated: number) => `${seated} people hold places; the capacity cannot go below that.`,
};

/**
 * Changes a cohort's settings (those who run it). Capacity may not fall below the places already taken; when it
 * grows, waitlisted people move up at once, in order. Moved to another programme (admins only), its enrolments
 * follow, so "is she enrolled in this programme" stays true; the enrolments are brought in line on every save,
 * so one interrupted between the two writes is put right by the next.
 */
export async function updateCohort(props: {
  actor: Express.User;
  cohortId: string;
  input: CohortInput;
  now?: Date;
}): Promise<{ cohort: Cohort; promoted: string[] }> {
  const cohort = await loadCohort(props.cohortId);
  if (!canRunCohort(props.actor, cohort)) throw new ForbiddenError();
  // Facilitators may not re-assign who runs the cohort or move it to another programme.
  const input = canCreateCohorts(props.actor)
    ? props.input
    : { ...props.input, programmeId: String(cohort.programmeId), facilitatorIds: cohort.facilitatorIds.map(String) };
  await checkCohortInput(input);
  const seated = await SeatModel.countDocuments({ cohortId: cohort._id });
  if (input.capacity < seated)
    throw new ValidationError('The cohort could not be saved.', [
      { path: 'capacity', message: messages.capacityBelowSeats(seated) },
    ]);
  await CohortModel.updateOne(
    { _id: cohort._id },
    { $set: { ...input, facilitatorIds: [...new Set(input.facilitatorIds)] } },
  );
  await EnrolmentModel.updateMany(
    { cohortId: cohort._id, programmeId: { $ne: input.programmeId } },
    { $set: { programmeId: input.programmeId } },
  );
  await emitDomainEvent('cohort.updated', { cohortId: cohort._id });
  const promoted = await fillFromWaitlist({ cohortId: props.cohortId, now: props.now });
  return { cohort: await loadCohort(props.cohortId), promoted };
}
