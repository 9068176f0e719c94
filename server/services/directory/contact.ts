import { Types } from 'mongoose';
import { DirectoryMessageModel } from '../../../models/DirectoryMessage.ts';
import { DirectoryProfileModel, type DirectoryVisibility } from '../../../models/DirectoryProfile.ts';
import { UserModel } from '../../../models/User.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { logger } from '../../logger.ts';
import { absoluteUrl } from '../../settings.ts';
import { recordAuditEvent } from '../audit/events.ts';
import type { Allowance } from '../rateLimits.ts';
import { deliverNow, planNotification, registerNotificationKind } from '../reminders/index.ts';
import { isBlockedBetween } from './blocks.ts';
import { assertMayUseDirectory, shareANetwork } from './profiles.ts';
import { createOnce, submissionKey } from '../../submissions.ts';
import { canContact, canSeeProfile } from './visibility.ts';

/**
 * Contact through the directory, designed so that no address leaves Pathways until the recipient chooses:
 * the message is stored here and she is emailed (through the reminders pipeline: one record, exactly-once sending,
 * retries, her preferences) that it is waiting, with a link to read and answer it in Pathways; the email comes from
 * Pathways' own address. When she replies, her reply is emailed to the first writer the same way and carries her
 * address, since answering is her choice to be reached; the writer's address is never shown to her by Pathways.
 */
export const contactLimit = { perHour: 5, windowMs: 60 * 60 * 1000 } as const;

const messages = {
  notVisible: 'You can write only to people whose directory profile you can see.',
  tooMany: `You can send ${contactLimit.perHour} messages an hour through the directory. Please try again later.`,
  notYours: 'This message was not sent to you.',
  notYourself: 'You cannot write to yourself through the directory.',
  writerGone: 'Her account is disabled, so your reply cannot reach her.',
};

export type PresentedMessage = {
  id: string;
  fromId: string;
  toId: string;
  fromName: string;
  toName: string;
  body: string;
  inReplyTo: string | null;
  sentAt: Date;
  reported: boolean;
};

type MessageRow = {
  _id: Types.ObjectId;
  fromId: Types.ObjectId;
  toId: Types.ObjectId;
  fromName: string;
  toName: string;
  body: string;
  inReplyTo?: Types.ObjectId | null;
  createdAt: Date;
  reportedAt?: Date | null;
};

/** As `viewerId` sees it: whether it was reported is for the one who received it (a report is never shown to its writer). */
const present = (m: MessageRow, viewerId: string): PresentedMessage => ({
  id: String(m._id),
  fromId: String(m.fromId),
  toId: String(m.toId),
  fromName: m.fromName,
  toName: m.toName,
  body: m.body,
  inReplyTo: m.inReplyTo ? String(m.inReplyTo) : null,
  sentAt: m.createdAt,
  reported: !!m.reportedAt && String(m.toId) === viewerId,
});

/**
 * Her hourly allowance of messages and replies, counted in the database (so it holds across processes) by createOnce,
 * which counts a repeat (a double-click, a retry after a lost answer) once: she can still send her 5 an hour.
 */
const contactAllowance = (senderId: string): Allowance => ({
  key: `directory-contact:${senderId}`,
  windowMs: contactLimit.windowMs,
  limit: contactLimit.perHour,
  refusal: messages.tooMany,
});

async function planMessageEmail(
  messageId: Types.ObjectId,
  toId: Types.ObjectId,
  fromName: string,
  isReply = false,
): Promise<void> {
  const { id } = await planNotification({
    key: `directory-message:${String(messageId)}`,
    userId: toId,
    kind: 'directory-message',
    about: { type: 'message', id: messageId },
    sendAt: new Date(),
    // A reply says so where she looks first: it carries the replier's address, which a first message never does.
    subject: isReply
      ? `${fromName} replied to your message through Pathways`
      : `${fromName} wrote to you through Pathways`,
  });
  await deliverNow(id).catch((error: unknown) =>
    logger.warn({ err: error, notificationId: id }, 'immediate delivery failed; the job will retry'),
  );
}

/**
 * She writes to someone she can see in the directory. Someone she cannot see is answered as someone without a
 * profile (404), so a hidden profile, or a block, is not given away; only writing to herself is refused (403).
 */
export async function sendDirectoryMessage(props: {
  actor: Express.User;
  toId: string;
  body: string;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
}): Promise<PresentedMessage> {
  const { actor, toId, body } = props;
  assertMayUseDirectory(actor);
  if (!isObjectId(toId)) throw new NotFoundError();
  const [profile, recipient] = await Promise.all([
    DirectoryProfileModel.findById(toId).select({ visibility: 1 }).lean(),
    UserModel.findById(toId).select({ name: 1, status: 1 }).lean(),
  ]);
  if (!profile || !recipient || recipient.status !== 'active') throw new NotFoundError();
  const viewing = {
    viewerId: actor.id,
    ownerId: toId,
    visibility: profile.visibility as DirectoryVisibility,
    blocked: await isBlockedBetween(actor.id, toId),
    sharesNetwork: profile.visibility === 'networks' && (await shareANetwork(actor.id, toId)),
  };
  if (!canSeeProfile(viewing)) throw new NotFoundError();
  if (!canContact(viewing)) throw new ForbiddenError(messages.notYourself);
  // A repeat (same key; without one, the same text to her) is the first message: she is written to, and emailed, once.
  const key = submissionKey({ scope: [actor.id, toId], clientKey: props.submissionKey, content: [body], text: true });
  const inserted = await createOnce(
    DirectoryMessageModel,
    key,
    { fromId: actor.id, toId, body, fromName: actor.name, toName: recipient.name },
    { allowance: contactAllowance(actor.id) },
  );
  if (!inserted.doc) throw new NotFoundError();
  if (inserted.created) await planMessageEmail(inserted.doc._id, recipient._id, actor.name);
  return present(inserted.doc as MessageRow, actor.id);
}

/** A message she sent or received (404 for anyone else). */
export async function messageFor(props: { actor: Express.User; messageId: string }): Promise<PresentedMessage> {
  if (!isObjectId(props.messageId)) throw new NotFoundError();
  const m = await DirectoryMessageModel.findById(props.messageId).lean();
  if (!m || (String(m.fromId) !== props.actor.id && String(m.toId) !== props.actor.id)) throw new NotFoundError();
  return present(m as MessageRow, props.actor.id);
}

/** The recipient answers: her reply goes to the writer, with her address (see the note at the top). */
export async function replyToMessage(props: {
  actor: Express.User;
  messageId: string;
  body: string;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
}): Promise<PresentedMessage> {
  const original = await messageFor({ actor: props.actor, messageId: props.messageId });
  if (original.toId !== props.actor.id) throw new ForbiddenError(messages.notYours);
  if (await isBlockedBetween(original.fromId, original.toId)) throw new ForbiddenError(messages.notVisible);
  // The writer's account was disabled (or erased) by an admin since: the email would never be sent, so nothing is.
  if (!(await UserModel.exists({ _id: original.fromId, status: 'active' })))
    throw new ConflictError(messages.writerGone);
  // A repeat (same key; without one, the same text in answer to this message) is the first reply, emailed once.
  const key = submissionKey({
    scope: [props.actor.id, original.id],
    clientKey: props.submissionKey,
    content: [props.body],
    text: true,
  });
  const inserted = await createOnce(
    DirectoryMessageModel,
    key,
    {
      fromId: props.actor.id,
      toId: original.fromId,
      inReplyTo: original.id,
      body: props.body,
      fromName: props.actor.name,
      toName: original.fromName,
    },
    { allowance: contactAllowance(props.actor.id) },
  );
  if (!inserted.doc) throw new NotFoundError();
  if (inserted.created) await planMessageEmail(inserted.doc._id, inserted.doc.toId, props.actor.name, true);
  return present(inserted.doc as MessageRow, props.actor.id);
}

/** The recipient reports a message to admins (audited); it stays readable to both. */
export async function reportMessage(props: {
  actor: Express.User;
  messageId: string;
  reason: string;
  ip?: string;
}): Promise<void> {
  const m = await messageFor({ actor: props.actor, messageId: props.messageId });
  if (m.toId !== props.actor.id) throw new ForbiddenError(messages.notYours);
  await DirectoryMessageModel.updateOne(
    { _id: new Types.ObjectId(m.id), reportedAt: null },
    { $set: { reportedAt: new Date(), reportReason: props.reason, state: 'reported' } },
  );
  await recordAuditEvent({
    action: 'directory-message-reported',
    actor: props.actor,
    target: { type: 'directory-message', id: m.id },
    ip: props.ip ?? null,
    detail: props.reason,
  });
}

/** Her messages, newest first (both directions). */
export async function messagesOf(actor: Express.User): Promise<PresentedMessage[]> {
  const me = new Types.ObjectId(actor.id);
  const [received, sent] = await Promise.all([
    DirectoryMessageModel.find({ toId: me }).sort({ createdAt: -1 }).limit(100).lean(),
    DirectoryMessageModel.find({ fromId: me }).sort({ createdAt: -1 }).limit(100).lean(),
  ]);
  return [...received, ...sent]
    .map((m) => present(m as MessageRow, actor.id))
    .sort((a, b) => b.sentAt.getTime() - a.sentAt.getTime());
}

/** Reported messages, for admins. */
export async function reportedMessages(actor: Express.User) {
  if (!actor.roles.includes('admin')) throw new ForbiddenError();
  const rows = await DirectoryMessageModel.find({ state: 'reported' }).sort({ reportedAt: -1 }).limit(200).lean();
  return rows.map((m) => ({
    ...present(m as MessageRow, String(m.toId)),
    reason: m.reportReason ?? '',
    reportedAt: m.reportedAt!,
  }));
}

registerNotificationKind('directory-message', {
  isStillRelevant: async ({ record }) => {
    const m = await DirectoryMessageModel.findById(record.about.id).select({ fromId: 1, toId: 1 }).lean();
    if (!m) return 'The message was erased.';
    if (await isBlockedBetween(String(m.fromId), String(m.toId))) return 'One of them blocked the other.';
    return true;
  },
  compose: async ({ record }) => {
    const m = await DirectoryMessageModel.findById(record.about.id).lean();
    const isReply = !!m?.inReplyTo;
    const replier = isReply ? await UserModel.findById(m!.fromId).select({ email: 1 }).lean() : null;
    return {
      subject: record.subject || 'A message through Pathways',
      template: 'directory-message',
      data: {
        fromName: m?.fromName ?? 'Someone',
        body: m?.body ?? '',
        isReply,
        replierEmail: replier?.email ?? null,
        messageUrl: absoluteUrl(`/directory/messages/${record.about.id}`),
      },
    };
  },
});
