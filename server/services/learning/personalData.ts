import type { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ModuleModel } from '../../../models/Module.ts';
import { ProgrammeModel } from '../../../models/Programme.ts';
import { QuizAttemptModel } from '../../../models/QuizAttempt.ts';
import { personalDataArea } from '../privacy/personalData.ts';

export const formerMemberName = 'Former member';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

async function titlesOf(model: typeof ModuleModel | typeof ProgrammeModel, ids: Types.ObjectId[]) {
  if (!ids.length) return new Map<string, string>();
  const docs = await (model as typeof ModuleModel).find({ _id: { $in: ids } }, { title: 1 }).lean();
  return new Map(docs.map((d) => [String(d._id), String((d as { title?: string }).title ?? '')]));
}

/**
 * Learning: her enrolments, completions (with her own reflections), quiz attempts and certificates. Erasure removes
 * her reflections and quiz answers but keeps every row, so completion counts, progress overviews and a round's
 * readiness stay the same; her certificates are revoked and name nobody.
 */
export const learningPersonalData = personalDataArea({
  area: 'learning',
  columns: {
    enrolments: ['cohortId', 'programmeId', 'programme', 'status', 'enrolledAt', 'waitlistedAt', 'withdrawnAt'],
    completions: [
      'moduleId',
      'module',
      'cohortId',
      'programmeId',
      'completedAt',
      'reflection',
      'reflectionShared',
      'score',
    ],
    quizAttempts: ['moduleId', 'module', 'cohortId', 'attemptedAt', 'score', 'passed', 'answers'],
    certificates: ['programme', 'track', 'holderName', 'issuedAt', 'expiresAt', 'verificationCode', 'revoked'],
  },
  async exportFor(userId) {
    const [enrolments, completions, attempts, certificates] = await Promise.all([
      EnrolmentModel.find({ userId }).lean(),
      CompletionModel.find({ userId }).lean(),
      QuizAttemptModel.find({ userId }).sort({ attemptedAt: 1 }).lean(),
      CertificateModel.find({ userId }).lean(),
    ]);
    const moduleTitles = await titlesOf(ModuleModel, [
      ...new Set([...completions, ...attempts].map((c) => c.moduleId)),
    ]);
    const programmeTitles = await titlesOf(ProgrammeModel, [...new Set(enrolments.map((e) => e.programmeId))]);
    return {
      enrolments: enrolments.map((e) => ({
        cohortId: String(e.cohortId),
        programmeId: String(e.programmeId),
        programme: programmeTitles.get(String(e.programmeId)) ?? null,
        status: e.status,
        enrolledAt: iso(e.enrolledAt),
        waitlistedAt: iso(e.waitlistedAt),
        withdrawnAt: iso(e.withdrawnAt),
      })),
      completions: completions.map((c) => ({
        moduleId: String(c.moduleId),
        module: moduleTitles.get(String(c.moduleId)) ?? null,
        cohortId: String(c.cohortId),
        programmeId: String(c.programmeId),
        completedAt: iso(c.completedAt),
        reflection: c.reflection ?? null,
        reflectionShared: !!c.reflectionShared,
        score: c.score ?? null,
      })),
      quizAttempts: attempts.map((a) => ({
        moduleId: String(a.moduleId),
        module: moduleTitles.get(String(a.moduleId)) ?? null,
        cohortId: String(a.cohortId),
        attemptedAt: iso(a.attemptedAt),
        score: a.score,
        passed: a.passed,
        answers: a.answers.map((x) => x.choices),
      })),
      certificates: certificates.map((c) => ({
        programme: c.programmeTitle,
        track: c.track,
        holderName: c.holderName,
        issuedAt: iso(c.issuedAt),
        expiresAt: iso(c.expiresAt),
        verificationCode: c.verificationCode,
        revoked: !!c.revokedAt,
      })),
    };
  },
  async eraseFor(userId) {
    await CompletionModel.updateMany(
      { userId, reflection: { $exists: true } },
      { $unset: { reflection: 1 }, $set: { reflectionShared: false } },
    );
    await QuizAttemptModel.updateMany({ userId }, { $set: { answers: [] } });
    await CertificateModel.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date() } });
    await CertificateModel.updateMany({ userId }, { $set: { holderName: formerMemberName } });
  },
});
