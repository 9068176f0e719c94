import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { activeEnrolmentsOf, type ActiveEnrolments } from '../cohorts/enrolment.ts';
import { oid } from '../../ids.ts';

/**
 * A learner's progress, read from the source collections with indexed queries: her active enrolments
 * (`{userId, status}`) and their cohorts (by `_id`, cohorts/enrolment.ts), her completions (`{userId, moduleId, cohortId}` unique) and her
 * certificates (`{userId, cohortId}` unique). Nothing is kept in between, so every process sees every write.
 * The cohort names the programme (and its current name): an enrolment's own `programmeId` is only a copy.
 */
export type LearnerEnrolment = {
  cohortId: Types.ObjectId;
  programmeId: Types.ObjectId;
  cohortName: string;
  enrolledAt: Date;
  /** Module ids completed in this cohort (archived ones included; progress counts current modules only). */
  completed: Set<string>;
  certificate: { id: string; expiresAt: Date | null } | null;
};

/** Her active enrolments (only in these programmes, when given), most recent first. */
export async function learnerEnrolments(props: {
  userId: string | Types.ObjectId;
  /** Restrict to cohorts of these programmes. */
  programmeIds?: (string | Types.ObjectId)[];
  /** Her active enrolments and their cohorts when the caller has read them already (her home page). */
  active?: ActiveEnrolments;
}): Promise<LearnerEnrolment[]> {
  const userId = oid(props.userId);
  const active = props.active ?? (await activeEnrolmentsOf(userId));
  const wanted = props.programmeIds && new Set(props.programmeIds.map(String));
  const cohorts = active.cohorts.filter((c) => !wanted || wanted.has(String(c.programmeId)));
  if (!cohorts.length) return [];
  const cohortIds = cohorts.map((c) => c._id);
  const [completions, certificates] = await Promise.all([
    CompletionModel.find({ userId, cohortId: { $in: cohortIds } }, { cohortId: 1, moduleId: 1 }).lean(),
    CertificateModel.find(
      { userId, cohortId: { $in: cohortIds } },
      { cohortId: 1, programmeId: 1, expiresAt: 1 },
    ).lean(),
  ]);
  const byCohort = new Map(cohorts.map((c) => [String(c._id), c]));
  const done = new Map<string, Set<string>>();
  for (const c of completions) {
    const key = String(c.cohortId);
    if (!done.has(key)) done.set(key, new Set());
    done.get(key)!.add(String(c.moduleId));
  }
  // The certificate of the programme the cohort runs now (one moved to another programme keeps the first's).
  const certificateOf = new Map(certificates.map((c) => [`${String(c.cohortId)}:${String(c.programmeId)}`, c]));
  return active.enrolments
    .filter((e) => byCohort.has(String(e.cohortId)))
    .map((e) => {
      const cohort = byCohort.get(String(e.cohortId))!;
      const certificate = certificateOf.get(`${String(e.cohortId)}:${String(cohort.programmeId)}`);
      return {
        cohortId: cohort._id,
        programmeId: cohort.programmeId,
        cohortName: cohort.name,
        enrolledAt: e.enrolledAt ?? new Date(0),
        completed: new Set(done.get(String(e.cohortId))),
        certificate: certificate ? { id: String(certificate._id), expiresAt: certificate.expiresAt ?? null } : null,
      };
    })
    .sort((a, b) => b.enrolledAt.getTime() - a.enrolledAt.getTime());
}

/** Her current enrolment in the programme: the most recent active one (a renewal lives in a later cohort). */
export async function currentEnrolment({
  userId,
  programmeId,
}: {
  userId: string;
  programmeId: Types.ObjectId | string;
}): Promise<LearnerEnrolment | null> {
  return (await learnerEnrolments({ userId, programmeIds: [programmeId] }))[0] ?? null;
}
