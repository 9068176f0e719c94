import { Types } from 'mongoose';
import { CohortModel, type Cohort } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ProgrammeModel, type Track } from '../../../models/Programme.ts';
import { liveUserStatuses, UserModel } from '../../../models/User.ts';
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { decodeCursor, pageInMemory } from '../../pagination.ts';
import { canCreateCohorts, canRunCohort, canSelfEnrol, canViewCohort } from '../../policies/cohorts.ts';
import { clientKeyOrNew, createOnce } from '../../submissions.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

const messages = {
  notFound: 'We could not find that cohort.',
  programme: 'Choose an existing programme.',
  archivedProgramme: 'That programme is archived: choose one that is not.',
  dates: 'The end date must be on or after the start date.',
  facilitator: 'Each facilitator must be an active person with the facilitator role.',
};

export type CohortInput = {
  programmeId: string;
  name: string;
  capacity: number;
  timezone: string;
  startsOn: string;
  endsOn: string;
  facilitatorIds: string[];
  selfEnrolment?: boolean;
  attendanceThreshold?: number;
  lateAfterMinutes?: number;
};

/** The public shape of a cohort (API and views). */
export function presentCohort(cohort: Cohort) {
  return {
    id: String(cohort._id),
    programmeId: String(cohort.programmeId),
    name: cohort.name,
    capacity: cohort.capacity,
    timezone: cohort.timezone,
    startsOn: cohort.startsOn,
    endsOn: cohort.endsOn,
    facilitatorIds: cohort.facilitatorIds.map(String),
    selfEnrolment: !!cohort.selfEnrolment,
    attendanceThreshold: cohort.attendanceThreshold ?? 75,
    lateAfterMinutes: cohort.lateAfterMinutes ?? 10,
  };
}

/**
 * Refuses a cohort's settings that cannot stand (422, every problem named at its field). `cohort` is the one being
 * changed, when it is: an archived programme takes no new cohort, nor one moved to it, but a cohort already on it keeps
 * it, so that its settings can still be saved while it runs.
 */
export async function checkCohortInput(input: CohortInput, cohort?: Pick<Cohort, 'programmeId'>): Promise<void> {
  const problems: FieldError[] = [];
  const programme = isObjectId(input.programmeId)
    ? await ProgrammeModel.findById(input.programmeId, { status: 1 }).lean()
    : null;
  if (!programme) problems.push({ path: 'programmeId', message: messages.programme });
  else if (programme.status === 'archived' && input.programmeId !== String(cohort?.programmeId))
    problems.push({ path: 'programmeId', message: messages.archivedProgramme });
  if (input.endsOn < input.startsOn) problems.push({ path: 'endsOn', message: messages.dates });
  const ids = [...new Set(input.facilitatorIds)];
  const found = await UserModel.countDocuments({
    _id: { $in: ids },
    roles: { $in: ['facilitator', 'admin'] },
    // Live accounts only: an erased one keeps her roles (as "Former member"), and neither she nor a disabled one can
    // run sessions or be written to.
    status: { $in: liveUserStatuses },
  });
  if (found !== ids.length) problems.push({ path: 'facilitatorIds', message: messages.facilitator });
  if (problems.length) throw new ValidationError('The cohort could not be saved.', problems);
}

/**
 * Admins create cohorts; the same client key (a double-click, an API retry) makes one (server/submissions.ts). Two
 * cohorts alike may both be meant (two groups of one programme), so only a key the client sent makes a repeat.
 */
export async function createCohort(props: { actor: Express.User; input: CohortInput; submissionKey?: string }) {
  if (!canCreateCohorts(props.actor)) throw new ForbiddenError();
  await checkCohortInput(props.input);
  const inserted = await createOnce(CohortModel, clientKeyOrNew(['cohort', props.actor.id], props.submissionKey), {
    ...props.input,
    facilitatorIds: [...new Set(props.input.facilitatorIds)],
  });
  if (!inserted.doc) throw new NotFoundError(messages.notFound);
  return inserted.doc as Cohort;
}

/** A cohort by id; a malformed or unknown id is a 404. */
export async function loadCohort(cohortId: string): Promise<Cohort> {
  if (!isObjectId(cohortId)) throw new NotFoundError(messages.notFound);
  const cohort = await readWithoutCursor(CohortModel.findById(cohortId).lean<Cohort>());
  if (!cohort) throw new NotFoundError(messages.notFound);
  return cohort;
}

/** Loads a cohort the actor may see (404 otherwise, so its existence is not revealed). */
export async function loadVisibleCohort(props: { actor: Express.User; cohortId: string }) {
  const cohort = await loadCohort(props.cohortId);
  const runs = canRunCohort(props.actor, cohort);
  const enrolment = runs
    ? null
    : await readWithoutCursor(EnrolmentModel.findOne({ cohortId: cohort._id, userId: props.actor.id }).lean());
  if (!canViewCohort(props.actor, cohort, !!enrolment)) throw new NotFoundError(messages.notFound);
  return { cohort, enrolment, runs };
}

/** The track of the cohort's programme (who it is for); null when the programme is gone. */
export async function trackOf(cohort: Pick<Cohort, 'programmeId'>): Promise<Track | null> {
  const programme = await ProgrammeModel.findById(cohort.programmeId, { track: 1 }).lean();
  return (programme?.track as Track | undefined) ?? null;
}

/** May she enrol herself in this cohort now (canSelfEnrol, with its programme's track)? */
export async function maySelfEnrol(props: { actor: Express.User; cohort: Cohort }): Promise<boolean> {
  // Closed to self-enrolment: no one joins by herself, whatever the track, so the programme need not be read.
  if (!props.cohort.selfEnrolment) return false;
  return canSelfEnrol(props.actor, props.cohort, await trackOf(props.cohort));
}

/** Loads a cohort the actor runs: 404 when she cannot even see it, 403 when she sees it but does not run it. */
export async function loadRunCohort(props: { actor: Express.User; cohortId: string }): Promise<Cohort> {
  const { cohort, runs } = await loadVisibleCohort(props);
  if (!runs) throw new ForbiddenError();
  return cohort;
}

/**
 * The cohorts a person deals with: all for admins, the ones she runs for facilitators, the ones she is enrolled
 * in (or waitlisted for), plus those open for self-enrolment that she may join (canSelfEnrol): `mayJoin`.
 */
export async function cohortsFor(props: { actor: Express.User }) {
  const scope = await cohortScopeOf(props.actor);
  const cohorts = await CohortModel.find(scope.filter).sort({ startsOn: -1, name: 1 }).limit(500).lean<Cohort[]>();
  return describeCohortsFor(props.actor, cohorts, scope.statusOf);
}

/**
 * One page of the same cohorts for the API (API.md's list convention), in id order with the shared keyset cursor
 * (server/pagination.ts). Whether she may join a cohort open for self-enrolment is decided here, not in the query,
 * so cohorts are read in id order, a batch at a time, until `limit + 1` of them are hers to see.
 */
export async function pageCohortsFor(props: { actor: Express.User; limit: number; cursor?: string }) {
  const scope = await cohortScopeOf(props.actor);
  let after = decodeCursor(props.cursor);
  const found: Awaited<ReturnType<typeof describeCohortsFor>> = [];
  for (;;) {
    const batch = await CohortModel.find({ ...scope.filter, ...(after ? { _id: { $gt: after } } : {}) })
      .sort({ _id: 1 })
      .limit(props.limit + 1)
      .lean<Cohort[]>();
    found.push(...(await describeCohortsFor(props.actor, batch, scope.statusOf)));
    if (found.length > props.limit || batch.length <= props.limit) break;
    after = batch[batch.length - 1]!._id;
  }
  const page = pageInMemory(found, { limit: props.limit }, (cohort) => cohort.id);
  return { items: page.rows, nextCursor: page.nextCursor };
}

/** Which cohorts may concern her (the query) and her place in each she is enrolled in or waitlisted for. */
async function cohortScopeOf(actor: Express.User) {
  const enrolments = await EnrolmentModel.find({ userId: actor.id, status: { $in: ['active', 'waitlisted'] } }).lean();
  const filter = actor.roles.includes('admin')
    ? {}
    : {
        $or: [
          // Named on a cohort counts only while she holds the role (canRunCohort): an admin who took it away leaves
          // her name on the cohorts, and their names and dates should not stay listed to her.
          ...(actor.roles.includes('facilitator') ? [{ facilitatorIds: new Types.ObjectId(actor.id) }] : []),
          { _id: { $in: enrolments.map((e) => e.cohortId) } },
          { selfEnrolment: true },
        ],
      };
  return { filter, statusOf: new Map(enrolments.map((e) => [String(e.cohortId), e.status])) };
}

async function describeCohortsFor(
  actor: Express.User,
  cohorts: Cohort[],
  statusOf: Awaited<ReturnType<typeof cohortScopeOf>>['statusOf'],
) {
  const programmes = await ProgrammeModel.find(
    { _id: { $in: [...new Set(cohorts.map((c) => String(c.programmeId)))] } },
    { title: 1, track: 1 },
  ).lean();
  const byId = new Map(programmes.map((p) => [String(p._id), p]));
  return cohorts
    .map((c) => {
      const programme = byId.get(String(c.programmeId));
      const runs = canRunCohort(actor, c);
      const myStatus = statusOf.get(String(c._id)) ?? null;
      return {
        ...presentCohort(c),
        programmeTitle: programme?.title ?? '',
        runs,
        myStatus,
        mayJoin: !runs && !myStatus && canSelfEnrol(actor, c, (programme?.track as Track | undefined) ?? null),
      };
    })
    .filter((c) => c.runs || c.myStatus || c.mayJoin);
}

/** Cohorts a facilitator runs (for her dashboard and the weekly digest). */
export async function cohortsRunBy(props: { userId: string }) {
  return CohortModel.find({ facilitatorIds: new Types.ObjectId(props.userId) })
    .sort({ startsOn: 1 })
    .lean<Cohort[]>();
}

/** Names of people by id (one `$in` on `_id`). */
export async function namesOf(ids: (string | Types.ObjectId)[]) {
  const unique = [...new Set(ids.map(String))].filter(isObjectId);
  if (!unique.length) return new Map<string, { name: string; email: string; timezone: string }>();
  // All of them in one reply: a first batch of exactly their number (or the default 101) leaves the cursor open
  // and costs a round trip more (getMore) to learn it is exhausted.
  const users = await UserModel.find({ _id: { $in: unique } }, { name: 1, email: 1, timezone: 1 })
    .batchSize(unique.length + 1)
    .lean();
  return new Map(users.map((u) => [String(u._id), { name: u.name, email: u.email, timezone: u.timezone }]));
}

/**
 * Programmes to choose from and facilitators to name, for the cohort form. Archived programmes take no cohort
 * (checkCohortInput), except the one a cohort being edited is on (`currentProgrammeId`): left out, the form's required
 * choice would have nothing chosen, and its settings could only be saved by moving it to another programme.
 */
export async function cohortFormChoices(props: { currentProgrammeId?: string } = {}) {
  const current = props.currentProgrammeId && isObjectId(props.currentProgrammeId) ? props.currentProgrammeId : null;
  const [programmes, facilitators] = await Promise.all([
    ProgrammeModel.find(
      current ? { $or: [{ status: { $ne: 'archived' } }, { _id: current }] } : { status: { $ne: 'archived' } },
      { title: 1, status: 1 },
    )
      .sort({ title: 1 })
      .lean(),
    UserModel.find({ roles: 'facilitator', status: { $in: liveUserStatuses } }, { name: 1, email: 1 })
      .sort({ name: 1 })
      .lean(),
  ]);
  return {
    // A draft is named as such (enrolling works, but only the cohort's people see the programme until it is
    // published), and so is the archived programme of the cohort being edited.
    programmes: programmes.map((p) => ({
      id: String(p._id),
      title: p.status === 'draft' || p.status === 'archived' ? `${p.title} (${p.status})` : p.title,
    })),
    facilitators: facilitators.map((f) => ({ id: String(f._id), name: f.name, email: f.email })),
  };
}
