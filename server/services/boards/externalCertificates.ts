import { auditAdminAction } from '../audit/events.ts';
import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import {
  ExternalCertificateModel,
  externalCertificateMaxBytes,
  type ExternalCertificate,
} from '../../../models/ExternalCertificate.ts';
import { UserModel } from '../../../models/User.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { clientKeyOrNew, createOnce } from '../../submissions.ts';
import { isObjectId } from '../../ids.ts';
import { canRecordExternalCertificate } from '../../policies/boards.ts';
import { trainingRecordAccess, type TrainingRecordAccess } from './boards.ts';

const messages = {
  notFound: 'We could not find that certificate.',
  noPerson: 'We could not find that person.',
  fileType: 'must be a PDF, PNG or JPEG file',
  fileEmpty: 'is empty (0 bytes), so it shows nothing: choose the certificate again, or a copy of it that opens',
  fileSize: `must be at most ${externalCertificateMaxBytes / 1024 / 1024} MB`,
  expiryOrder: 'must be after the date of the training',
  future: 'cannot be in the future',
};

export const allowedFileTypes = ['application/pdf', 'image/png', 'image/jpeg'] as const;
type AllowedFileType = (typeof allowedFileTypes)[number];

/**
 * What a file is, by its first bytes, not by the type the browser named (which the sender chooses: an `.exe` sent as
 * application/pdf was stored and offered to chairs as a download). PDF, PNG and JPEG only; anything else, undefined.
 */
export function fileTypeOf(bytes: Buffer): AllowedFileType | undefined {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  return undefined;
}
const extensionOf: Record<AllowedFileType, string> = {
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
};

/** Her file's name, cleaned, ending in its type's extension (another extension is replaced: "evil.exe" → "evil.pdf"). */
function storedFileName(originalname: string, type: AllowedFileType): string {
  // Letters of any script kept (a certificate named after its holder); anything else a file name could misuse
  // (slashes, quotes, control characters) becomes "_". At most 120 characters, never half of one.
  const cleaned = [...originalname.normalize('NFC').replace(/[^\p{L}\p{M}\p{N}._\- ]+/gu, '_')].slice(0, 116).join('');
  const stem = cleaned.replace(/\.[^.]*$/, '') || 'certificate';
  const extension = extensionOf[type];
  return cleaned.toLowerCase().endsWith(extension) || (type === 'image/jpeg' && /\.jpeg$/i.test(cleaned))
    ? cleaned
    : `${stem}${extension}`;
}
/** Safer-recruitment training is refreshed every three years unless the certificate says otherwise. */
export const defaultValidityYears = 3;

export type UploadedFile = { originalname: string; mimetype: string; size: number; buffer: Buffer };

export function presentExternalCertificate(c: ExternalCertificate) {
  return {
    id: String(c._id),
    userId: String(c.userId),
    kind: c.kind,
    provider: c.provider,
    completedOn: c.completedOn,
    expiresOn: c.expiresOn,
    hasFile: c.hasFile,
  };
}

/**
 * Records safer-recruitment training done elsewhere, for herself, or (chair, clerk) for a member or panel member
 * of a board she manages. The optional evidence file is kept in the database (small files only). Anyone else is told
 * what an unknown person id gets (404), as listExternalCertificates does: whether an id is someone's is not given away.
 */
export async function recordExternalCertificate(props: {
  actor: Express.User;
  userId: string;
  provider: string;
  completedOn: string;
  expiresOn?: string;
  file?: UploadedFile;
  now?: Date;
  /** The form's `_submission` or the API's `Idempotency-Key`: the same key records one certificate (server/submissions.ts). */
  submissionKey?: string;
}): Promise<ExternalCertificate> {
  // An erased account keeps her board rows as "Former member", but nothing new is recorded about her (an evidence
  // file least of all): she is answered as an unknown person.
  if (
    !Types.ObjectId.isValid(props.userId) ||
    !(await UserModel.exists({ _id: props.userId, status: { $ne: 'erased' } }))
  )
    throw new NotFoundError(messages.noPerson);
  const { manages } = await trainingRecordAccess(props.actor, props.userId);
  if (!canRecordExternalCertificate(props.actor, props.userId, manages)) throw new NotFoundError(messages.noPerson);
  const problems: { path: string; message: string }[] = [];
  const today = DateTime.fromJSDate(props.now ?? new Date(), { zone: props.actor.timezone }).toISODate()!;
  if (props.completedOn > today) problems.push({ path: 'completedOn', message: messages.future });
  const expiresOn =
    props.expiresOn ?? DateTime.fromISO(props.completedOn).plus({ years: defaultValidityYears }).toISODate()!;
  if (expiresOn <= props.completedOn) problems.push({ path: 'expiresOn', message: messages.expiryOrder });
  // An empty file she chose (a download that failed, a cloud placeholder) is refused: recorded without it, she would
  // believe her evidence was attached.
  if (props.file && props.file.size === 0) problems.push({ path: 'file', message: messages.fileEmpty });
  else if (props.file && !fileTypeOf(props.file.buffer)) problems.push({ path: 'file', message: messages.fileType });
  if (props.file && props.file.size > externalCertificateMaxBytes)
    problems.push({ path: 'file', message: messages.fileSize });
  if (problems.length) throw new ValidationError('Check the certificate details.', problems);
  const type = props.file && fileTypeOf(props.file.buffer);
  const file =
    props.file && type
      ? {
          name: storedFileName(props.file.originalname, type),
          // Served as what it is, whatever type the browser named.
          contentType: type,
          size: props.file.size,
          data: props.file.buffer,
        }
      : undefined;
  const key = clientKeyOrNew(['external-certificate', props.actor.id], props.submissionKey);
  const inserted = await createOnce(ExternalCertificateModel, key, {
    userId: props.userId,
    kind: 'safer-recruitment',
    provider: props.provider,
    completedOn: props.completedOn,
    expiresOn,
    recordedBy: props.actor.id,
    file,
    hasFile: !!file,
  });
  if (!inserted.doc) throw new NotFoundError(messages.notFound);
  const { file: _omit, ...rest } = inserted.doc;
  void _omit;
  if (!inserted.created) return rest as ExternalCertificate;
  // Written first, checked again second: a chair or clerk whose right came from a seat taken away meanwhile (she was
  // removed from the panel or the board, on another process) would otherwise leave a record, and her file, about a
  // woman she no longer manages and can no longer even list.
  if (props.userId !== props.actor.id) {
    const now = await trainingRecordAccess(props.actor, props.userId);
    if (!canRecordExternalCertificate(props.actor, props.userId, now.manages)) {
      await ExternalCertificateModel.deleteOne({ _id: inserted.doc._id });
      throw new NotFoundError(messages.noPerson);
    }
  }
  await auditAdminAction({
    actor: props.actor,
    action: 'external-certificate-recorded',
    target: { type: 'user', id: props.userId },
    detail: `${props.provider}, completed ${props.completedOn}, expires ${expiresOn}`,
  });
  return rest as ExternalCertificate;
}

/**
 * Her external certificates, newest first: all of them for herself, admins, and the chairs and clerks of a board she
 * confirmed she sits on; for a chair or clerk she has not confirmed (a member just added, an adviser on a panel), only
 * the ones that chair or clerk recorded.
 */
export async function listExternalCertificates(props: {
  actor: Express.User;
  userId: string;
}): Promise<ExternalCertificate[]> {
  // As recordExternalCertificate: an id that is nobody's is a 404 for admins too, not an empty list.
  if (!isObjectId(props.userId) || !(await UserModel.exists({ _id: props.userId })))
    throw new NotFoundError(messages.noPerson);
  const { manages, readsAll } = await trainingRecordAccess(props.actor, props.userId);
  if (!canRecordExternalCertificate(props.actor, props.userId, manages)) throw new NotFoundError(messages.noPerson);
  const filter = readsAll ? { userId: props.userId } : { userId: props.userId, recordedBy: props.actor.id };
  return ExternalCertificateModel.find(filter).sort({ completedOn: -1 }).lean<ExternalCertificate[]>();
}

/**
 * Whether the actor reads this certificate (its provider, dates and file), given her `trainingRecordAccess` to its
 * holder: the rule `listExternalCertificates` applies, for the places that show a certificate found otherwise.
 */
export function mayReadExternalCertificate(
  actor: Express.User,
  certificate: { userId: unknown; recordedBy: unknown },
  access: TrainingRecordAccess,
): boolean {
  return (
    canRecordExternalCertificate(actor, String(certificate.userId), access.manages) &&
    (access.readsAll || String(certificate.recordedBy) === actor.id)
  );
}

/** The evidence file, for whoever `listExternalCertificates` shows the certificate to; 404 for anyone else. */
export async function externalCertificateFile(props: { actor: Express.User; certificateId: string }) {
  if (!/^[0-9a-f]{24}$/i.test(props.certificateId)) throw new NotFoundError(messages.notFound);
  const c = await ExternalCertificateModel.findById(props.certificateId).select('+file').lean<ExternalCertificate>();
  if (!c || !c.file?.data) throw new NotFoundError(messages.notFound);
  const access = await trainingRecordAccess(props.actor, String(c.userId));
  if (!mayReadExternalCertificate(props.actor, c, access)) throw new NotFoundError(messages.notFound);
  const data = c.file.data as unknown as Buffer | { buffer: Buffer };
  return {
    name: c.file.name ?? 'certificate',
    contentType: c.file.contentType ?? 'application/octet-stream',
    data: Buffer.isBuffer(data) ? data : Buffer.from(data.buffer),
  };
}
