import { progressChanged } from './enrolmentProgress.ts';
import { interruptedBefore } from '../../interruptedWork.ts';
import { randomInt } from 'node:crypto';
import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { CertificateModel, type Certificate } from '../../../models/Certificate.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { certificateValidityOf, ProgrammeModel, type Programme } from '../../../models/Programme.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { emitDomainEvent } from '../../events.ts';
import { isObjectId } from '../../ids.ts';
import { createPdf } from '../../pdf.ts';
import { canDownloadCertificate } from '../../policies/learning.ts';
import { absoluteUrl } from '../../settings.ts';
import { formatDate, formatDateTime } from '../../time.ts';
import { currentModuleIds } from './progress.ts';

const messages = {
  notFound: 'We could not find that certificate.',
  unknownCode: 'No certificate has this verification code.',
  trackNames: {
    'governing-board': 'Governing boards and interview panels',
    'aspiring-leader': 'Aspiring women leaders',
    'new-head': 'New heads',
  } as Record<string, string>,
};
export const trackNames = messages.trackNames;

/** Crockford base32 without I, L, O, U: easy to read aloud and to type from paper. */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export function newVerificationCode(): string {
  const groups = Array.from({ length: 3 }, () =>
    Array.from({ length: 4 }, () => alphabet[randomInt(alphabet.length)]).join(''),
  );
  return `PW-${groups.join('-')}`;
}
/** Codes typed by a person: any case, spaces, and O/I/L read as 0/1/1. */
export const normaliseCode = (code: string): string =>
  code
    .trim()
    .toUpperCase()
    .replace(/\s+/g, '')
    .replace(/[O]/g, '0')
    .replace(/[IL]/g, '1')
    .replace(/^PW(?=[0-9A-Z]{4})/, 'PW-')
    .replace(/^PW-?([0-9A-Z]{4})-?([0-9A-Z]{4})-?([0-9A-Z]{4})$/, 'PW-$1-$2-$3');

export const certificateStatus = (c: { expiresAt?: Date | null }, now: Date): 'valid' | 'expired' =>
  c.expiresAt && c.expiresAt <= now ? 'expired' : 'valid';

/**
 * Issues her certificate for a cohort once every current module of the programme is completed in it. Called after
 * each completion insert, it decides from the completions collection itself, so of two last completions landing at
 * once (in any processes) at least the later sees both; the unique index on (userId, cohortId, programmeId) makes the
 * certificate exist once however many decide to issue it. A renewal is a completion in a later cohort.
 */
export async function issueCertificateIfComplete(props: {
  userId: string;
  programme: Programme;
  cohortId: string | Types.ObjectId;
  now: Date;
}): Promise<Certificate | null> {
  const { programme } = props;
  const current = (await currentModuleIds([programme._id])).get(String(programme._id)) ?? [];
  if (!current.length) return null;
  const done = await CompletionModel.find(
    { userId: new Types.ObjectId(props.userId), cohortId: new Types.ObjectId(String(props.cohortId)) },
    { moduleId: 1 },
  ).lean();
  const doneIds = new Set(done.map((c) => String(c.moduleId)));
  if (!current.every((id) => doneIds.has(id))) return null;
  // An erased account is issued nothing: she certifies no one now (erasure revokes what she held), and a certificate
  // issued to "Former member" by a module archived after her erasure would check as valid.
  const user = await UserModel.findById(props.userId, { name: 1, version: 1, status: 1 }).lean();
  if (!user || user.status === 'erased') return null;
  const months = certificateValidityOf(programme);
  const expiresAt = months ? DateTime.fromJSDate(props.now, { zone: 'UTC' }).plus({ months }).toJSDate() : null;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const created = await CertificateModel.create({
        userId: props.userId,
        programmeId: programme._id,
        cohortId: props.cohortId,
        track: programme.track,
        holderName: user.name,
        holderNameVersion: user.version ?? 0,
        programmeTitle: programme.title,
        issuedAt: props.now,
        expiresAt,
        verificationCode: newVerificationCode(),
        announcing: true,
      });
      // Not announced (and revoked) when she was erased while this was being decided: see announceCertificate.
      if (!(await announceCertificate(created.toObject() as Certificate))) return null;
      return created.toObject() as Certificate;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Already issued for this programme in this cohort (a double submit, or a second module finishing at the same
      // moment)?
      const existing = await CertificateModel.exists({
        userId: props.userId,
        cohortId: props.cohortId,
        programmeId: programme._id,
      });
      if (existing) return null;
      // Otherwise the random code collided: draw another.
    }
  }
  throw new Error('Could not draw a unique verification code');
}

/**
 * What follows a certificate's issue, each step idempotent (copies over versions, keyed reminders and invitations):
 * her name copied again (a rename that landed after her name was read ran before this certificate existed), her
 * progress, `certificate.issued`; then it is no longer `announcing`.
 */
async function announceCertificate(certificate: Pick<Certificate, '_id' | 'userId' | 'cohortId'>): Promise<boolean> {
  // Her account erased meanwhile (another process: her erasure's revocation may have run before this certificate was
  // written): it is revoked, and nothing is announced for her. False then.
  if ((await UserModel.findById(certificate.userId, { status: 1 }).lean())?.status === 'erased') {
    await CertificateModel.updateOne({ _id: certificate._id, revokedAt: null }, { $set: { revokedAt: new Date() } });
    await CertificateModel.updateOne({ _id: certificate._id }, { $unset: { announcing: 1 } });
    return false;
  }
  await nameHolderAfresh(certificate.userId);
  await progressChanged(certificate.userId, certificate.cohortId);
  await emitDomainEvent('certificate.issued', { certificateId: certificate._id, userId: certificate.userId });
  await CertificateModel.updateOne({ _id: certificate._id }, { $unset: { announcing: 1 } });
  return true;
}

/**
 * Announces again the certificates whose issuing process stopped before what follows was done (the hourly learning
 * job): issued more than `graceMs` ago and still `announcing`. Returns how many.
 */
export async function announceInterruptedCertificates(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const now = props.now ?? new Date();
  const before = interruptedBefore({ now, graceMs: props.graceMs });
  const unannounced = await CertificateModel.find(
    { announcing: true, issuedAt: { $lt: before } },
    { userId: 1, cohortId: 1 },
  ).lean<Pick<Certificate, '_id' | 'userId' | 'cohortId'>[]>();
  for (const certificate of unannounced) await announceCertificate(certificate);
  return unannounced.length;
}

/**
 * Her certificates name her as she is called now (the choice is README's, Learning): a certificate attests that the
 * person holding this account completed the programme, so after a rename its PDF and its public check page, with the
 * same verification code and issue date, give her current name; a copy printed before keeps the name it was printed
 * with. Her former name is never shown to whoever checks a code. Copied over her account's `version`, as her
 * enrolments' copy is (cohorts/participantNames.ts): of two renames at once the later stays, and copying again is
 * idempotent. Called for every rename through accounts/nameCopies.ts. A revoked certificate (erasure) is left naming
 * nobody.
 */
export async function nameHolderAfresh(userId: string | Types.ObjectId): Promise<void> {
  if (!isObjectId(String(userId))) return;
  const account = await UserModel.findById(userId, { name: 1, version: 1 }).lean();
  if (!account) return;
  const version = account.version ?? 0;
  // `$not: { $gte }` also matches a certificate issued before the copy carried a version.
  await CertificateModel.updateMany(
    { userId: account._id, revokedAt: null, holderNameVersion: { $not: { $gte: version } } },
    { $set: { holderName: account.name, holderNameVersion: version } },
    { timestamps: false },
  );
}

/** Names every certificate issued before its name carried a version from its holder's account (hourly and at start). */
export async function nameAllHolders(): Promise<number> {
  const unnamed: Types.ObjectId[] = await CertificateModel.distinct('userId', {
    revokedAt: null,
    holderNameVersion: { $not: { $gte: 0 } },
  });
  for (const userId of unnamed) await nameHolderAfresh(userId);
  return unnamed.length;
}

/**
 * Everyone actively enrolled in a cohort of the programme who has completed every current module there and holds no
 * certificate of it there gets hers, as her last completion would have issued it. Run after each change that can
 * finish the programme without a completion of hers: a module archived (she has no module left), her enrolment
 * active again (re-enrolled or promoted, after what was left was archived while she was away) and her cohort moved to
 * a programme she had finished in it; `cohortId` and `userId` narrow it to those. The hourly repair runs it for every
 * programme, for whatever a stopped process left. A fixed number of indexed reads (cohorts by programme, their active
 * enrolments, completions and certificates of those people), then issueCertificateIfComplete per person due, whose
 * unique index keeps one certificate however many processes decide at once.
 */
export async function issueCertificatesNowDue(props: {
  programme: Programme;
  now: Date;
  cohortId?: string | Types.ObjectId;
  userId?: string | Types.ObjectId;
}): Promise<number> {
  const { programme } = props;
  const current = (await currentModuleIds([programme._id])).get(String(programme._id)) ?? [];
  if (!current.length) return 0;
  const cohortIds = (
    await CohortModel.find(
      { programmeId: programme._id, ...(props.cohortId ? { _id: new Types.ObjectId(String(props.cohortId)) } : {}) },
      { _id: 1 },
    ).lean()
  ).map((c) => c._id);
  if (!cohortIds.length) return 0;
  const enrolments = await EnrolmentModel.find(
    {
      cohortId: { $in: cohortIds },
      status: 'active',
      ...(props.userId ? { userId: new Types.ObjectId(String(props.userId)) } : {}),
    },
    { cohortId: 1, userId: 1 },
  ).lean();
  if (!enrolments.length) return 0;
  const key = (r: { userId: unknown; cohortId: unknown }) => `${String(r.userId)}:${String(r.cohortId)}`;
  const userIds = [...new Set(enrolments.map((e) => String(e.userId)))].map((id) => new Types.ObjectId(id));
  const [completions, certificates] = await Promise.all([
    CompletionModel.find(
      {
        cohortId: { $in: cohortIds },
        ...(props.userId ? { userId: { $in: userIds } } : {}),
        moduleId: { $in: current.map((id) => new Types.ObjectId(id)) },
      },
      { cohortId: 1, userId: 1, moduleId: 1 },
    ).lean(),
    // Of this programme only: a cohort moved here from another keeps that one's certificates, and its holders are
    // owed this one's too.
    CertificateModel.find(
      { userId: { $in: userIds }, cohortId: { $in: cohortIds }, programmeId: programme._id },
      { cohortId: 1, userId: 1 },
    ).lean(),
  ]);
  const done = new Map<string, Set<string>>();
  for (const c of completions) {
    if (!done.has(key(c))) done.set(key(c), new Set());
    done.get(key(c))!.add(String(c.moduleId));
  }
  const held = new Set(certificates.map(key));
  let issued = 0;
  for (const e of enrolments) {
    if (held.has(key(e)) || (done.get(key(e))?.size ?? 0) < current.length) continue;
    const certificate = await issueCertificateIfComplete({
      userId: String(e.userId),
      programme,
      cohortId: e.cohortId,
      now: props.now,
    });
    if (certificate) issued += 1;
  }
  return issued;
}

/** In the cohort's programme as it now stands: see issueCertificatesNowDue. */
export async function issueCertificatesDueInCohort(props: {
  cohortId: string | Types.ObjectId;
  userId?: string | Types.ObjectId;
  now: Date;
}): Promise<number> {
  const cohort = await CohortModel.findById(props.cohortId, { programmeId: 1 }).lean();
  const programme = cohort ? await ProgrammeModel.findById(cohort.programmeId).lean<Programme>() : null;
  return programme ? issueCertificatesNowDue({ ...props, programme }) : 0;
}

/**
 * Every programme's certificates now due (the hourly `learning:repair-copies` job, and at start): those an event's
 * handler would have issued had its process not stopped before it, and any path to a finished programme nothing
 * announces. Programme by programme, a fixed number of reads each.
 */
export async function issueAllCertificatesDue(now: Date): Promise<number> {
  const programmeIds: Types.ObjectId[] = await CohortModel.distinct('programmeId');
  const programmes = await ProgrammeModel.find({ _id: { $in: programmeIds } }).lean<Programme[]>();
  let issued = 0;
  for (const programme of programmes) issued += await issueCertificatesNowDue({ programme, now });
  return issued;
}

export const presentCertificate = (c: Certificate) => ({
  id: String(c._id),
  programmeId: String(c.programmeId),
  cohortId: String(c.cohortId),
  programme: c.programmeTitle,
  track: c.track,
  issuedAt: c.issuedAt.toISOString(),
  expiresAt: c.expiresAt ? c.expiresAt.toISOString() : null,
  verificationCode: c.verificationCode,
});

export async function listCertificates({ userId }: { userId: string }): Promise<Certificate[]> {
  return CertificateModel.find({ userId: new Types.ObjectId(userId) })
    .sort({ issuedAt: -1 })
    .lean<Certificate[]>();
}

/** A certificate its holder (or an admin) may download; anyone else gets the same 404 as for an unknown id. */
export async function certificateFor({
  actor,
  certificateId,
}: {
  actor: Express.User;
  certificateId: string;
}): Promise<Certificate> {
  if (!isObjectId(certificateId)) throw new NotFoundError(messages.notFound);
  const certificate = await CertificateModel.findById(certificateId).lean<Certificate>();
  if (!certificate || !canDownloadCertificate(actor, certificate)) throw new NotFoundError(messages.notFound);
  return certificate;
}

/** The public answer: only name, programme and dates, never the holder's email or id. */
export async function verifyCertificate({ code, now }: { code: string; now: Date }) {
  const normalised = normaliseCode(code);
  const certificate = /^PW-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(normalised)
    ? await CertificateModel.findOne({ verificationCode: normalised }).lean<Certificate>()
    : null;
  if (!certificate) throw new NotFoundError(messages.unknownCode);
  // An erased holder's certificate: the code still answers (a panel may hold a copy), but names nobody.
  if (certificate.revokedAt)
    return {
      status: 'revoked' as const,
      programme: certificate.programmeTitle,
      track: certificate.track,
      issuedAt: certificate.issuedAt.toISOString(),
      expiresAt: certificate.expiresAt ? certificate.expiresAt.toISOString() : null,
      verificationCode: certificate.verificationCode,
    };
  return {
    status: certificateStatus(certificate, now),
    name: certificate.holderName,
    programme: certificate.programmeTitle,
    track: certificate.track,
    issuedAt: certificate.issuedAt.toISOString(),
    expiresAt: certificate.expiresAt ? certificate.expiresAt.toISOString() : null,
    verificationCode: certificate.verificationCode,
  };
}

export const verificationUrl = (code: string): string =>
  absoluteUrl(`/certificates/verify/${encodeURIComponent(code)}`);

/**
 * The certificate as an A4 landscape PDF, with the details and where to check it. Its times are in the holder's zone,
 * named, whoever downloads it (she, or an admin for her): the document is hers, and reads the same for every copy.
 * A revoked one (its holder's account was erased) is no longer printed: a fresh copy would look valid while the
 * check page says revoked. `readerZone`: whose calendar the refusal's date is on.
 */
export async function certificatePdf(c: Certificate, readerZone = 'UTC'): Promise<Buffer> {
  // The refusal is the reader's (an admin, for a holder who is gone): its day on her calendar, zone named.
  if (c.revokedAt)
    throw new ConflictError(
      `This certificate was revoked on ${formatDate(c.revokedAt, readerZone)} (${readerZone}), when its holder's account was erased: it certifies no one now, so it is not printed.`,
    );
  const holder = await UserModel.findById(c.userId, { timezone: 1 }).lean();
  const zone = holder?.timezone ?? 'UTC';
  const { doc, line, decoration, finish } = await createPdf({
    size: 'A4',
    layout: 'landscape',
    margin: 56,
    info: {
      Title: `Certificate: ${c.programmeTitle}`,
      Author: 'Pathways',
      Subject: `Certificate of completion for ${c.holderName}`,
    },
  });
  const width = doc.page.width - 112;
  const centred = { align: 'center', width } as const;
  decoration(() =>
    doc
      .rect(28, 28, doc.page.width - 56, doc.page.height - 56)
      .lineWidth(3)
      .stroke('#5a2a82'),
  );
  doc.moveDown(1.5);
  doc.fillColor('#5a2a82').fontSize(14);
  line('PATHWAYS · LEADING WOMEN TO HEADSHIP', { ...centred, bold: true });
  doc.moveDown(1.2);
  doc.fillColor('#1f1f1f').fontSize(30);
  line('Certificate of completion', { ...centred, role: 'H1' });
  doc.moveDown(1);
  doc.fontSize(14);
  line('This certifies that', centred);
  doc.moveDown(0.5);
  doc.fontSize(26);
  line(c.holderName, { ...centred, bold: true });
  doc.moveDown(0.5);
  doc.fontSize(14);
  line('has completed the programme', centred);
  doc.moveDown(0.4);
  doc.fontSize(20);
  line(c.programmeTitle, { ...centred, bold: true });
  doc.fontSize(13);
  line(`Track: ${trackNames[c.track] ?? c.track}`, centred);
  doc.moveDown(1.2);
  doc.fontSize(12);
  line(`Issued on ${formatDateTime(c.issuedAt, zone)}`, centred);
  line(c.expiresAt ? `Valid until ${formatDateTime(c.expiresAt, zone)}` : 'Does not expire', centred);
  doc.moveDown(1);
  line(`Verification code: ${c.verificationCode}`, { ...centred, bold: true });
  doc.fontSize(10).fillColor('#4a4a4a');
  line(`Check it at ${verificationUrl(c.verificationCode)}`, centred);
  return finish();
}
