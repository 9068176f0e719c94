import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { QuizAttemptModel } from '../../../models/QuizAttempt.ts';
import { writeCopyOverVersion } from '../../derivedCopies.ts';
import { oid } from '../../ids.ts';

/**
 * Her progress in a cohort as her home page and her facilitators' progress view show it, kept on her enrolment
 * (`Enrolment.completedModuleIds`, `Enrolment.certificate` and `Enrolment.lastActivityAt`) so those pages read
 * neither her completions, her quiz attempts nor her certificates. Measured (README "Derived records"): those reads
 * were a fifth of the home page's database work and half of the progress view's, and both missed their share of
 * `/healthz` with them.
 *
 * Correct with several processes (server/derivedCopies.ts), on the version `progressVersion` that each completion and
 * certificate moves on:
 * - whoever writes a completion, a quiz attempt or a certificate writes it first, then moves her enrolment's version
 *   on and writes her progress again (progressChanged, called by completion.ts and certificates.ts; a completion sent
 *   twice calls it again, so a retry heals what a stopped process left);
 * - her progress is computed after reading the version, and written only over that version: one computed before a
 *   completion that landed meanwhile matches nothing and is computed again, so what is stored is never older than the
 *   last completion or certificate whose writer has returned;
 * - writing it again from the completions and certificates is idempotent, so the hourly repair (showAllProgress,
 *   jobs/learning.ts, also run at start) heals progress left behind by a process that stopped in between.
 * Whether she may open or complete a module and whether she has earned her certificate are decided from the
 * completions themselves (completion.ts, certificates.ts), never from this copy.
 */
type Id = Types.ObjectId | string;

export type ShownProgress = {
  completedModuleIds: Types.ObjectId[];
  certificate: { certificateId: Types.ObjectId; expiresAt: Date | null } | null;
  /** Her latest completion or quiz attempt (passed or not) in the cohort; null before her first. */
  lastActivityAt: Date | null;
};

/** The key her progress goes by in the maps below: her id and the cohort's. */
export const progressKey = (r: { userId: unknown; cohortId: unknown }) => `${String(r.userId)}:${String(r.cohortId)}`;

/** An enrolment as progress needs it: whose, in which cohort, of which programme (the cohort's now). */
type EnrolmentOfProgramme = { userId: Types.ObjectId; cohortId: Types.ObjectId; programmeId: Types.ObjectId };

/**
 * Her progress in each of the enrolments given, from her completions, quiz attempts and certificates: three reads.
 * Only a certificate of the enrolment's programme counts: a cohort moved to another programme keeps the first's.
 */
async function progressFromSources(enrolments: EnrolmentOfProgramme[]): Promise<Map<string, ShownProgress>> {
  const result = new Map<string, ShownProgress>(
    enrolments.map((e) => [progressKey(e), { completedModuleIds: [], certificate: null, lastActivityAt: null }]),
  );
  if (!enrolments.length) return result;
  const userIds = [...new Set(enrolments.map((e) => String(e.userId)))].map((id) => new Types.ObjectId(id));
  const cohortIds = [...new Set(enrolments.map((e) => String(e.cohortId)))].map((id) => new Types.ObjectId(id));
  const [completions, attempts, certificates] = await Promise.all([
    CompletionModel.find(
      { userId: { $in: userIds }, cohortId: { $in: cohortIds } },
      { userId: 1, cohortId: 1, moduleId: 1, completedAt: 1 },
    )
      .sort({ completedAt: 1, _id: 1 })
      .lean(),
    QuizAttemptModel.find(
      { userId: { $in: userIds }, cohortId: { $in: cohortIds } },
      { userId: 1, cohortId: 1, attemptedAt: 1 },
    ).lean(),
    CertificateModel.find(
      { userId: { $in: userIds }, cohortId: { $in: cohortIds } },
      { userId: 1, cohortId: 1, programmeId: 1, expiresAt: 1 },
    ).lean(),
  ]);
  const touch = (shown: ShownProgress | undefined, at: Date) => {
    if (shown && (!shown.lastActivityAt || at > shown.lastActivityAt)) shown.lastActivityAt = at;
  };
  for (const c of completions) {
    result.get(progressKey(c))?.completedModuleIds.push(c.moduleId);
    touch(result.get(progressKey(c)), c.completedAt);
  }
  for (const a of attempts) touch(result.get(progressKey(a)), a.attemptedAt);
  const programmeOf = new Map(enrolments.map((e) => [progressKey(e), String(e.programmeId)]));
  for (const c of certificates) {
    const shown = result.get(progressKey(c));
    if (shown && programmeOf.get(progressKey(c)) === String(c.programmeId))
      shown.certificate = { certificateId: c._id, expiresAt: c.expiresAt ?? null };
  }
  return result;
}

/**
 * The progress each enrolment shows (by progressKey): its copy, or, for one whose copy is not written yet (stored
 * before the copy existed, or its writer stopped before writing it), computed from the sources, for those alone.
 */
export async function shownProgressOf(
  enrolments: (EnrolmentOfProgramme & {
    completedModuleIds?: Types.ObjectId[] | null;
    certificate?: { certificateId?: Types.ObjectId | null; expiresAt?: Date | null } | null;
    lastActivityAt?: Date | null;
  })[],
): Promise<Map<string, ShownProgress>> {
  const missing = enrolments.filter((e) => !Array.isArray(e.completedModuleIds) || e.lastActivityAt === undefined);
  const shown = missing.length ? await progressFromSources(missing) : new Map<string, ShownProgress>();
  for (const e of enrolments)
    if (!shown.has(progressKey(e)))
      shown.set(progressKey(e), {
        completedModuleIds: e.completedModuleIds!,
        certificate: e.certificate?.certificateId
          ? { certificateId: e.certificate.certificateId, expiresAt: e.certificate.expiresAt ?? null }
          : null,
        lastActivityAt: e.lastActivityAt ?? null,
      });
  return shown;
}

/** Writes her progress in the cohort again from her completions and certificates, over the version it was computed at. */
export async function showProgress(userId: Id, cohortId: Id): Promise<void> {
  const filter = { userId: oid(userId), cohortId: oid(cohortId) };
  let programmeId: Types.ObjectId | undefined;
  await writeCopyOverVersion({
    // An enrolment stored before progressVersion has none: null matches the missing field.
    readVersion: async () => {
      const enrolment = await EnrolmentModel.findOne(filter, { progressVersion: 1, programmeId: 1 }).lean();
      programmeId = enrolment?.programmeId;
      return enrolment ? (enrolment.progressVersion ?? null) : undefined;
    },
    compute: async () => (await progressFromSources([{ ...filter, programmeId: programmeId! }])).values().next().value!,
    writeOver: async (version, progress) =>
      // A copy, not an edit: the enrolment's own updatedAt stays.
      (
        await EnrolmentModel.updateOne(
          { ...filter, progressVersion: version },
          { $set: progress },
          { timestamps: false },
        )
      ).matchedCount === 1,
  });
}

/**
 * After a completion, quiz attempt or certificate of hers in the cohort was written: moves the version on, then writes
 * her progress.
 */
export async function progressChanged(userId: Id, cohortId: Id): Promise<void> {
  await EnrolmentModel.updateOne(
    { userId: oid(userId), cohortId: oid(cohortId) },
    { $inc: { progressVersion: 1 } },
    { timestamps: false },
  );
  await showProgress(userId, cohortId);
}

const sameProgress = (stored: Partial<ShownProgress>, computed: ShownProgress) =>
  (stored.completedModuleIds ?? null) !== null &&
  stored.completedModuleIds!.map(String).join() === computed.completedModuleIds.map(String).join() &&
  String(stored.certificate?.certificateId ?? null) === String(computed.certificate?.certificateId ?? null) &&
  (stored.certificate?.expiresAt?.getTime() ?? null) === (computed.certificate?.expiresAt?.getTime() ?? null) &&
  // undefined (stored before the field existed) differs from null (no activity yet), so old rows are filled.
  (stored.lastActivityAt === undefined ? undefined : (stored.lastActivityAt?.getTime() ?? null)) ===
    (computed.lastActivityAt?.getTime() ?? null);

/**
 * Every enrolment's progress in the cohort from the completions and certificates (a few reads for the whole cohort),
 * written where it differs, each write over the version read with it; one that misses (a completion landed
 * meanwhile) is left to that completion's writer, which writes it again after moving the version on.
 */
export async function showProgressOfCohort(cohortId: Id): Promise<number> {
  const enrolments = await EnrolmentModel.find(
    { cohortId: oid(cohortId) },
    {
      userId: 1,
      cohortId: 1,
      programmeId: 1,
      progressVersion: 1,
      completedModuleIds: 1,
      certificate: 1,
      lastActivityAt: 1,
    },
  ).lean();
  const computed = await progressFromSources(enrolments);
  let written = 0;
  for (const e of enrolments) {
    const progress = computed.get(progressKey(e))!;
    if (sameProgress(e as Partial<ShownProgress>, progress)) continue;
    const result = await EnrolmentModel.updateOne(
      { _id: e._id, progressVersion: e.progressVersion ?? null },
      { $set: progress },
      { timestamps: false },
    );
    written += result.modifiedCount;
  }
  return written;
}

/** Every enrolment's progress (the hourly `learning:repair-copies` job, and at start), cohort by cohort. */
export async function showAllProgress(): Promise<number> {
  const cohortIds: Types.ObjectId[] = await EnrolmentModel.distinct('cohortId');
  let written = 0;
  for (const cohortId of cohortIds) written += await showProgressOfCohort(cohortId);
  return written;
}
