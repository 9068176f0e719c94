import type { Types } from 'mongoose';
import { type Cohort, CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { SeatModel } from '../../../models/Seat.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import { emitDomainEvent } from '../../events.ts';
import { canCreateCohorts } from '../../policies/cohorts.ts';
import { checkCohortInput, loadCohort, loadRunCohort, type CohortInput } from './cohorts.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { fillFromWaitlist } from './enrolment.ts';
import { dueDatesOutsideDates, dueDatesWithin } from './moduleDueDates.ts';
import { sessionsOutsideDates } from './sessions.ts';

const messages = {
  capacityBelowSeats: (seated: number) => `${seated} people hold places; the capacity cannot go below that.`,
  savedMeanwhile: savedMeanwhileMessage('cohort'),
};

/**
 * Changes a cohort's settings (those who run it). Its dates (and zone) must keep its scheduled sessions and its current
 * modules' due dates within them.
 * Capacity may not fall below the places already taken (when it
 * falls, the places numbered above it move within it); when it grows, waitlisted people move up at once, in order. Moved to another programme (admins only), its enrolments
 * follow, so "is she enrolled in this programme" stays true; the enrolments are brought in line on every save,
 * so one interrupted between the two writes is put right by the next.
 * With `expectedVersion` (the version her form was opened at), it is written only if nobody saved the cohort since:
 * otherwise a 409, and nothing of it is written (server/versions.ts).
 */
export async function updateCohort(props: {
  actor: Express.User;
  cohortId: string;
  input: CohortInput;
  now?: Date;
  expectedVersion?: ExpectedVersion;
}): Promise<{ cohort: Cohort; promoted: string[] }> {
  const cohort = await loadRunCohort({ actor: props.actor, cohortId: props.cohortId });
  if (movedOn(cohort.version, props.expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
  // Facilitators may not re-assign who runs the cohort or move it to another programme.
  const reassigns = canCreateCohorts(props.actor);
  const input = reassigns
    ? props.input
    : { ...props.input, programmeId: String(cohort.programmeId), facilitatorIds: cohort.facilitatorIds.map(String) };
  await checkCohortInput(input, cohort);
  const moves = input.programmeId !== String(cohort.programmeId);
  // Its sessions stay within its dates: dates moved past a session would hide it from nothing (it still runs and is
  // on everyone's calendar) yet refuse every later change to it as "outside the cohort's dates". So do its due dates,
  // unless the move to another programme clears them.
  const { startsOn, endsOn, timezone } = input;
  const outside = [
    ...(await sessionsOutsideDates({ cohortId: cohort._id, startsOn, endsOn, timezone })),
    ...(moves ? [] : await dueDatesOutsideDates({ cohort, startsOn, endsOn })),
  ];
  if (outside.length) throw new ValidationError('The cohort could not be saved.', outside);
  const seated = await SeatModel.countDocuments({ cohortId: cohort._id });
  if (input.capacity < seated)
    throw new ValidationError('The cohort could not be saved.', [
      { path: 'capacity', message: messages.capacityBelowSeats(seated) },
    ]);
  // Due dates are the old programme's modules': moved, the cohort has none until set for the new one. Otherwise a
  // retired module's date left outside the new dates goes (a current module's was refused above): restored, its module
  // would be due outside the cohort. Dropped from the dates as read, so written only over the version read.
  const stored = cohort.moduleDueDates ?? [];
  const dueDates = moves ? [] : dueDatesWithin(stored, input);
  const dropsDueDates = !moves && dueDates.length !== stored.length;
  // A facilitator's save leaves programme and facilitators out of the write: copied from what it read, they would
  // undo an admin's re-assignment landing meanwhile (another process).
  const { programmeId, facilitatorIds, ...settings } = input;
  const written = await CohortModel.updateOne(
    { _id: cohort._id, ...versionFilter(dropsDueDates ? (cohort.version ?? null) : props.expectedVersion) },
    {
      $set: {
        ...settings,
        ...(reassigns ? { programmeId, facilitatorIds: [...new Set(facilitatorIds)] } : {}),
        ...(moves || dropsDueDates ? { moduleDueDates: dueDates } : {}),
      },
      $inc: { version: 1 },
    },
  );
  // Saved by someone else between the read above and this write (another process).
  if (written.matchedCount !== 1) throw new ConflictError(messages.savedMeanwhile);
  const saved = await loadCohort(props.cohortId);
  await enrolmentsFollowProgramme(saved);
  await emitDomainEvent('cohort.updated', { cohortId: cohort._id });
  if (String(saved.programmeId) !== String(cohort.programmeId))
    await emitDomainEvent('cohort.moved', { cohortId: cohort._id, programmeId: saved.programmeId });
  if (input.capacity < cohort.capacity && !(await placesWithin(cohort._id, input.capacity))) {
    // Places were taken meanwhile under the old capacity (another process) and do not fit: it is not lowered.
    // A change too: a form opened in between, showing the lowered capacity, must not save it back unseen.
    await CohortModel.updateOne(
      { _id: cohort._id, capacity: input.capacity },
      { $set: { capacity: cohort.capacity }, $inc: { version: 1 } },
    );
    await fillFromWaitlist({ cohortId: props.cohortId, now: props.now });
    const now = await SeatModel.countDocuments({ cohortId: cohort._id });
    throw new ValidationError('The cohort could not be saved.', [
      { path: 'capacity', message: messages.capacityBelowSeats(now) },
    ]);
  }
  const promoted = await fillFromWaitlist({ cohortId: props.cohortId, now: props.now });
  return { cohort: await loadCohort(props.cohortId), promoted };
}

/**
 * After the capacity is lowered, the places numbered above it move to free numbers within it (places are numbered
 * 1..capacity, and takeSeat only looks for free numbers within the capacity: a place left above it would let one
 * more person in). Each move is one conditional write of the place's number, under the unique (cohort, number)
 * index; a place taken meanwhile by someone who read the old capacity is moved too, or given back by her own
 * enrolment (takeSeat reads the capacity again). False when the places do not fit.
 */
async function placesWithin(cohortId: Types.ObjectId, capacity: number): Promise<boolean> {
  for (let round = 0; round < 20; round += 1) {
    const seats = await SeatModel.find({ cohortId }, { number: 1 }).lean();
    const above = seats.filter((s) => s.number > capacity);
    if (!above.length) return true;
    const taken = new Set(seats.map((s) => s.number));
    const free: number[] = [];
    for (let n = 1; n <= capacity && free.length < above.length; n += 1) if (!taken.has(n)) free.push(n);
    if (!free.length) return false;
    for (const [i, number] of free.entries()) {
      const seat = above[i]!;
      try {
        await SeatModel.updateOne({ _id: seat._id, number: seat.number }, { $set: { number } });
      } catch (error) {
        // Taken meanwhile (FerretDB reports a unique index refusing an update as a generic error): look again.
        if (!isDuplicateKeyError(error) && !(await SeatModel.exists({ cohortId, number }))) throw error;
      }
    }
  }
  return false;
}

/**
 * Each enrolment names its cohort's programme (`Enrolment.programmeId`: her certificate, her home page's progress,
 * a board's readiness and the research figures read it): written after every save of the cohort, and after each new
 * enrolment (enrolment.ts, for one whose cohort was read before a move). Answers how many rows it changed.
 */
export async function enrolmentsFollowProgramme(cohort: Pick<Cohort, '_id' | 'programmeId'>): Promise<number> {
  const written = await EnrolmentModel.updateMany(
    { cohortId: cohort._id, programmeId: { $ne: cohort.programmeId } },
    { $set: { programmeId: cohort.programmeId } },
  );
  return written.modifiedCount;
}

/**
 * The repair (the hourly cohorts job): enrolments left naming a cohort's former programme, by a process that stopped
 * between a move's cohort write and its enrolments' write, follow the cohort now, and the move's consequences
 * (`cohort.moved`: progress copies, certificates now due, scores for the LMS) are run for that cohort, as the move
 * would have. Idempotent. Answers how many cohorts it repaired.
 */
export async function enrolmentsFollowCohorts(): Promise<number> {
  let repaired = 0;
  for await (const cohort of CohortModel.find({}, { programmeId: 1 }).lean().cursor({ batchSize: 500 })) {
    if (!(await enrolmentsFollowProgramme(cohort))) continue;
    repaired++;
    await emitDomainEvent('cohort.moved', { cohortId: cohort._id, programmeId: cohort.programmeId });
  }
  return repaired;
}
