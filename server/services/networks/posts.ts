import { Types } from 'mongoose';
import type { Network } from '../../../models/Network.ts';
import { NetworkMembershipModel, type NetworkMembership } from '../../../models/NetworkMembership.ts';
import { NetworkPostModel, type NetworkPost, type PostKind } from '../../../models/NetworkPost.ts';
import { NetworkPostReportModel } from '../../../models/NetworkPostReport.ts';
import { NetworkReplyModel, type NetworkReply } from '../../../models/NetworkReply.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import { giveBackAllowanceOnce, spendAllowanceOnce, type Allowance } from '../rateLimits.ts';
import { canModerateNetwork, canPost, canReadPosts, isCurrentMember, wasMemberAfter } from '../../policies/networks.ts';
import { absoluteUrl } from '../../settings.ts';
import { recordAuditEvent } from '../audit/events.ts';
import { renderMarkdown, sanitizeMarkdown } from '../learning/markdown.ts';
import { planNotifications, registerNotificationKind } from '../reminders/index.ts';
import { membershipOf } from './members.ts';
import { isLead } from './membership.ts';
import { createOnce, submissionKey } from '../../submissions.ts';
import { findNetwork } from './networks.ts';
import { nameAuthorAfresh, unnamedVersion } from './authorNames.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/**
 * Stories, questions and announcements in a network, their replies, reports and hiding. Every call reads the
 * reader's membership row afresh, so a removed member loses access on her next request. Posts a reader may not read
 * are answered 404 (their existence is not revealed); a network's post list answers 403 to non-members of an approval
 * network (the network itself is listed for everyone).
 */

/**
 * How many posts and replies one person may write an hour, over all her networks: far more than anyone writes by
 * hand, so only a script or a taken-over account meets it, and it cannot flood the networks and their weekly digests.
 */
export const writingLimit = { perHour: 30, windowMs: 60 * 60 * 1000 } as const;

/**
 * How many posts one person may report an hour, over all networks: each new report emails every lead of the network
 * and every admin, so a script (or a taken-over account) could otherwise flood them. Changing the reason of a report
 * she already made emails nobody and does not count.
 */
export const reportingLimit = { perHour: 20, windowMs: 60 * 60 * 1000 } as const;

const messages = {
  postNotFound: 'We could not find that post.',
  replyNotFound: 'We could not find that reply.',
  membersOnly: 'Only members of this network can read its posts. Ask to join first.',
  postMembersOnly: 'Only members of this network can post here.',
  noLongerMember: 'You are no longer a member of this network, so your reply was not posted.',
  announcementLeads: 'Only the network’s leads can post announcements.',
  formerMember: 'Former member',
  reporterNotShown: 'Shown to admins only',
  tooMany: `You can write ${writingLimit.perHour} posts and replies an hour. Please try again later.`,
  tooManyReports: `You can report ${reportingLimit.perHour} posts and replies an hour. Please try again later, or write to an admin.`,
  notSaved: 'Your text needs changing before it can be posted.',
  nothingLeft: 'has nothing left once unsafe HTML is removed: write it as text or Markdown',
  tooLongOnceCleaned: (max: number) => `must be at most ${max} characters once unsafe HTML is removed`,
};

/** Longest title and texts the models keep; the request schemas refuse longer ones before they reach us. */
export const postTextLimits = { title: 200, postBody: 20_000, replyBody: 10_000 } as const;

export const formerMember = messages.formerMember;

export type Access = {
  membership: NetworkMembership | null;
  network: Network;
  canRead: boolean;
  canWrite: boolean;
  canModerate: boolean;
  isMember: boolean;
};

/** What she may do in this network, from her membership row as it is now. */
export async function networkAccess(actor: Express.User, network: Network): Promise<Access> {
  const membership = await membershipOf(network._id, actor.id);
  return {
    membership,
    network,
    canRead: canReadPosts(actor, network, membership),
    canWrite: isCurrentMember(membership),
    canModerate: canModerateNetwork(actor, membership),
    isMember: isCurrentMember(membership),
  };
}

async function accessToNetwork(actor: Express.User, networkId: string): Promise<Access> {
  return networkAccess(actor, await findNetwork(networkId));
}

/**
 * A reply refused because she is no longer a member of the approval network whose post she had open. She can no
 * longer read the post, so the web shows her text back on a page of its own rather than on the post's (403).
 */
export class NoLongerMemberError extends ForbiddenError {
  constructor(readonly network: { id: string; name: string }) {
    super(messages.noLongerMember);
  }
}

type PostAndAccess = { post: NetworkPost; access: Access };

async function postAndAccess(actor: Express.User, postId: string): Promise<PostAndAccess | null> {
  if (!isObjectId(postId)) return null;
  const post = await NetworkPostModel.findById(postId).lean<NetworkPost>();
  if (!post) return null;
  return { post, access: await accessToNetwork(actor, String(post.networkId)) };
}

const mayRead = ({ post, access }: PostAndAccess): boolean => access.canRead && (!post.hidden || access.canModerate);

const postedAt = (post: Pick<NetworkPost, '_id'>): Date =>
  (post as { createdAt?: Date }).createdAt ?? post._id.getTimestamp();

/** She may no longer read the post, but could while she was a member (it is not hidden, and was there then). */
const readItAsFormerMember = ({ post, access }: PostAndAccess): boolean =>
  !access.canRead && !post.hidden && wasMemberAfter(access.membership, postedAt(post));

/** The post and her access to its network; 404 when she may not read it (or it is hidden and she cannot moderate). */
async function readablePost(actor: Express.User, postId: string): Promise<PostAndAccess> {
  const found = await postAndAccess(actor, postId);
  if (!found || !mayRead(found)) throw new NotFoundError(messages.postNotFound);
  return found;
}

async function namesOf(ids: (Types.ObjectId | null | undefined)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is Types.ObjectId => !!id).map(String))];
  if (!wanted.length) return new Map();
  const users = await UserModel.find({ _id: { $in: wanted.map((id) => new Types.ObjectId(id)) } })
    .select({ name: 1 })
    .lean();
  return new Map(users.map((u) => [String(u._id), u.name]));
}

export type PresentedPost = ReturnType<typeof presentPost>;
/** The author as a post or reply names her: her name as copied from her account (./authorNames.ts). */
const authorOf = (row: { authorId?: Types.ObjectId | null; authorName?: string | null }) =>
  row.authorId && row.authorName
    ? { id: String(row.authorId), name: row.authorName }
    : { id: null, name: messages.formerMember };

export function presentPost(post: NetworkPost, moderator: boolean) {
  return {
    ...presentPostSummary(post, moderator),
    networkId: String(post.networkId),
    body: post.body,
    // Shown under the post's title (h1), so its highest heading becomes h2.
    bodyHtml: renderMarkdown(post.body, { topLevel: 2 }),
  };
}

/**
 * What presentPostSummary reads of a post (with `_id`): a list asks for these alone. An inclusion projection, so that
 * the database decodes none of the rest either (MongoDB, and our FerretDB since patch 0012; an exclusion of `body`
 * still has every other field, and the body, decoded there).
 */
const summaryFields = {
  kind: 1,
  title: 1,
  authorId: 1,
  authorName: 1,
  replyCount: 1,
  createdAt: 1,
  hidden: 1,
  hiddenReason: 1,
} as const;

/**
 * A post as a network's page lists it: its title links to the post, so the body is neither read nor rendered (a body
 * may hold 20,000 characters; the page lists 20).
 */
export function presentPostSummary(post: Omit<NetworkPost, 'body'>, moderator: boolean) {
  return {
    id: String(post._id),
    kind: post.kind as PostKind,
    title: post.title,
    author: authorOf(post),
    replyCount: post.replyCount ?? 0,
    createdAt: postedAt(post),
    hidden: post.hidden ?? false,
    ...(moderator && post.hidden ? { hiddenReason: post.hiddenReason ?? '' } : {}),
  };
}

/**
 * A reply as she may see it. A hidden one keeps its place, so the post's reply count stays true, but to readers it
 * is only that: no words, no author. Those who moderate see all of it, with the reason.
 */
export function presentReply(reply: NetworkReply, moderator: boolean) {
  const hidden = reply.hidden ?? false;
  const createdAt = (reply as { createdAt?: Date }).createdAt ?? reply._id.getTimestamp();
  if (hidden && !moderator)
    return {
      id: String(reply._id),
      postId: String(reply.postId),
      body: '',
      bodyHtml: '',
      author: hiddenAuthor,
      createdAt,
      hidden,
    };
  return {
    id: String(reply._id),
    postId: String(reply.postId),
    body: reply.body,
    // Shown under the replies' h2.
    bodyHtml: renderMarkdown(reply.body, { topLevel: 3 }),
    author: authorOf(reply),
    createdAt,
    hidden,
    ...(hidden ? { hiddenReason: reply.hiddenReason ?? '' } : {}),
  };
}
const hiddenAuthor = { id: null, name: '' };
export type PresentedReply = ReturnType<typeof presentReply>;

/** The author fields of a new post or reply: her name as her request began, named afresh once written. */
const newAuthor = (actor: Express.User) => ({
  authorId: new Types.ObjectId(actor.id),
  authorName: actor.name,
  authorVersion: unnamedVersion,
});

/**
 * Her Markdown made safe to store. The request schema saw the text as typed; cleaning can leave nothing (a body that
 * was only a script tag) or, by escaping, a little more than the limit. Either is refused as an error on her field,
 * before anything is written, rather than failing the save.
 */
function storableBody(source: string, max: number): string {
  const body = sanitizeMarkdown(source);
  const problem = !body.trim() ? messages.nothingLeft : body.length > max ? messages.tooLongOnceCleaned(max) : null;
  if (problem) throw new ValidationError(messages.notSaved, [{ path: 'body', message: problem }]);
  return body;
}

/**
 * Her hourly allowance of posts and replies, counted in the database (so it holds across processes) by createOnce,
 * once what she wrote is known to be storable, so a refused text does not use it up; a refusal, or a repeat of a
 * post or reply already counted, does not either.
 */
const writingAllowance = (authorId: string): Allowance => ({
  key: `network-writing:${authorId}`,
  windowMs: writingLimit.windowMs,
  limit: writingLimit.perHour,
  refusal: messages.tooMany,
});

/** A member posts a story or question; a lead may also post an announcement. */
export async function createPost(props: {
  actor: Express.User;
  networkId: string;
  kind: PostKind;
  title: string;
  body: string;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
}): Promise<PresentedPost> {
  const network = await findNetwork(props.networkId);
  const membership = await membershipOf(network._id, props.actor.id);
  if (!canPost(membership, props.kind))
    throw new ForbiddenError(props.kind === 'announcement' ? messages.announcementLeads : messages.postMembersOnly);
  const body = storableBody(props.body, postTextLimits.postBody);
  // A repeat (same key; without one, the same kind, title and text in this network) is the first post.
  const fields = { networkId: network._id, ...newAuthor(props.actor), kind: props.kind, body };
  const key = submissionKey({
    scope: [props.actor.id, String(network._id)],
    clientKey: props.submissionKey,
    content: [props.kind, props.title, body],
    text: true,
  });
  const inserted = await createOnce(
    NetworkPostModel,
    key,
    { ...fields, title: props.title },
    { allowance: writingAllowance(props.actor.id) },
  );
  if (!inserted.doc) throw new NotFoundError(messages.postNotFound);
  // Written first, checked again second: removed from the network (or no longer a lead, for an announcement) on
  // another process while this was written, she leaves no post behind; one of the two always sees the other.
  if (inserted.created && !canPost(await membershipOf(network._id, props.actor.id), props.kind)) {
    await NetworkPostModel.deleteOne({ _id: inserted.doc._id });
    throw new ForbiddenError(props.kind === 'announcement' ? messages.announcementLeads : messages.postMembersOnly);
  }
  if (inserted.created) await nameAuthorAfresh(props.actor.id);
  return presentPost(inserted.doc as NetworkPost, false);
}

/**
 * One page of a network's posts, newest first (keyset on _id). Members (and, for an open network, anyone signed in)
 * read them; hidden posts are left out, except for leads and admins, who see them marked with the reason.
 */
export async function listPosts(props: {
  actor: Express.User;
  networkId: string;
  limit: number;
  cursor?: string;
}): Promise<{ items: PresentedPost[]; nextCursor: string | null }> {
  const access = await readingAccess(props.actor, props.networkId);
  if (!access.canRead) throw new ForbiddenError(messages.membersOnly);
  const page = await postRows({ access, limit: props.limit, cursor: props.cursor });
  return { items: page.rows.map((p) => presentPost(p, access.canModerate)), nextCursor: page.nextCursor };
}

/**
 * What a list of posts needs of her access (whether she may read them, and moderate them), reading her membership row
 * only when it can change the answer. Anyone signed in reads an open network's posts, and only an admin or a current
 * lead moderates; so in an open network, a reader the network's copy of its leads (./leadsShown.ts) does not name is
 * no moderator, and her row is not read. The copy is written after the rows: it may name a new lead late (she sees
 * the hidden posts a moment later), and whoever it names is checked on her row, so a removed lead never moderates.
 */
async function readingAccess(
  actor: Express.User,
  networkId: string,
): Promise<Pick<Access, 'network' | 'canRead' | 'canModerate'>> {
  const network = await findNetwork(networkId);
  const namedLead = (network.leads ?? []).some((lead) => String(lead.userId) === actor.id);
  if (network.joining === 'open' && !namedLead && !canModerateNetwork(actor, null))
    return { network, canRead: true, canModerate: false };
  return networkAccess(actor, network);
}

/**
 * A network's page for her: the network, her access, the first page of posts she may read (after `cursor`) and the
 * network's leads whose account is live. The leads and the authors' names are copies kept on the network and on each
 * post (./leadsShown.ts, ./authorNames.ts), so the page reads no membership rows but hers and no accounts.
 */
export async function networkFrontPage(props: {
  actor: Express.User;
  networkId: string;
  limit: number;
  cursor?: string;
}) {
  const access = await accessToNetwork(props.actor, props.networkId);
  const page = access.canRead
    ? await postRows({ access, limit: props.limit, cursor: props.cursor, summary: true })
    : null;
  // Named as its leads: those who answer for it (a disabled or erased account does not).
  const leads = (access.network.leads ?? []).map((lead) => ({ id: String(lead.userId), name: lead.name ?? '' }));
  return {
    access,
    posts: (page?.rows ?? []).map((p) => presentPostSummary(p, access.canModerate)),
    nextCursor: page?.nextCursor ?? null,
    leads,
  };
}

/** One page of the posts she may read, newest first (keyset on `_id`): hidden ones only for those who moderate. */
async function postRows(props: {
  access: Pick<Access, 'network' | 'canModerate'>;
  limit: number;
  cursor?: string;
  summary?: boolean;
}) {
  const filter: Record<string, unknown> = { networkId: props.access.network._id };
  if (!props.access.canModerate) filter.hidden = false;
  const after = decodeCursor(props.cursor);
  if (after) filter._id = { $lt: after };
  const rows = await readWithoutCursor(
    NetworkPostModel.find(filter, props.summary ? summaryFields : undefined)
      .sort({ _id: -1 })
      .limit(props.limit + 1)
      .lean<NetworkPost[]>(),
  );
  return pageOf(rows, props.limit);
}

/** A post with its replies (oldest first). */
export async function showPost(props: { actor: Express.User; postId: string }): Promise<{
  post: PresentedPost;
  replies: PresentedReply[];
  access: Access;
}> {
  const { post, access } = await readablePost(props.actor, props.postId);
  const replies = await NetworkReplyModel.find({ postId: post._id }).sort({ _id: 1 }).lean<NetworkReply[]>();
  return {
    post: presentPost(post, access.canModerate),
    replies: replies.map((r) => presentReply(r, access.canModerate)),
    access,
  };
}

/**
 * Members reply to a post they can read. A former member of an approval network, who had the post open when she was
 * removed (or left), is refused with NoLongerMemberError (403) rather than told it does not exist: the post was there
 * while she was a member, and the network, not the post, is what she lost.
 */
export async function replyToPost(props: {
  actor: Express.User;
  postId: string;
  body: string;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
}): Promise<PresentedReply> {
  const found = await postAndAccess(props.actor, props.postId);
  if (found && readItAsFormerMember(found))
    throw new NoLongerMemberError({ id: String(found.access.network._id), name: found.access.network.name });
  if (!found || !mayRead(found)) throw new NotFoundError(messages.postNotFound);
  const { post, access } = found;
  if (!access.canWrite) throw new ForbiddenError(messages.postMembersOnly);
  const body = storableBody(props.body, postTextLimits.replyBody);
  // A repeat (same key; without one, the same text on this post) is the first reply, counted once.
  const key = submissionKey({
    scope: [props.actor.id, String(post._id)],
    clientKey: props.submissionKey,
    content: [body],
    text: true,
  });
  const inserted = await createOnce(
    NetworkReplyModel,
    key,
    { postId: post._id, networkId: post.networkId, ...newAuthor(props.actor), body },
    { allowance: writingAllowance(props.actor.id) },
  );
  if (!inserted.doc) throw new NotFoundError(messages.postNotFound);
  // Written first, checked again second (as createPost): removed meanwhile, she leaves no reply behind.
  if (inserted.created && !(await accessToNetwork(props.actor, String(post.networkId))).canWrite) {
    await NetworkReplyModel.deleteOne({ _id: inserted.doc._id });
    throw new ForbiddenError(messages.postMembersOnly);
  }
  if (inserted.created) await nameAuthorAfresh(props.actor.id);
  // A second write, not one transaction with the insert: if this process dies in between, the count is one short
  // until the `networks:recount-replies` job (replyCounts.ts) sets it from the replies.
  if (inserted.created) await NetworkPostModel.updateOne({ _id: post._id }, { $inc: { replyCount: 1 } });
  return presentReply(inserted.doc as NetworkReply, access.canModerate);
}

/**
 * A reader reports a post to the network's leads and the admins: the report is listed on the network page and each
 * of them is emailed once per report (through the reminders pipeline). Reporting the same post again updates her
 * reason and emails nobody again.
 */
export async function reportPost(props: {
  actor: Express.User;
  postId: string;
  reason: string;
}): Promise<{ id: string; postId: string; reason: string }> {
  const found = await readablePost(props.actor, props.postId);
  const id = await fileReport({ ...found, actor: props.actor, replyId: null, reason: props.reason });
  return { id, postId: String(found.post._id), reason: props.reason };
}

/** A reader reports one reply, as she would a post (reportPost): the same rules, allowance and emails. */
export async function reportReply(props: {
  actor: Express.User;
  replyId: string;
  reason: string;
}): Promise<{ id: string; postId: string; replyId: string; reason: string }> {
  const { reply, ...found } = await readableReply(props.actor, props.replyId);
  const id = await fileReport({ ...found, actor: props.actor, replyId: reply._id, reason: props.reason });
  return { id, postId: String(found.post._id), replyId: String(reply._id), reason: props.reason };
}

/** The post a reply is on (for drawing that post's page again), or null for an id that names no reply. */
export async function postIdOfReply(replyId: string): Promise<string | null> {
  if (!isObjectId(replyId)) return null;
  const reply = await NetworkReplyModel.findById(replyId).select({ postId: 1 }).lean();
  return reply ? String(reply.postId) : null;
}

/** The reply, its post and her access; 404 when she may not read the post, or the reply is hidden from her. */
async function readableReply(actor: Express.User, replyId: string): Promise<PostAndAccess & { reply: NetworkReply }> {
  const reply = isObjectId(replyId) ? await NetworkReplyModel.findById(replyId).lean<NetworkReply>() : null;
  if (!reply) throw new NotFoundError(messages.replyNotFound);
  const found = await postAndAccess(actor, String(reply.postId));
  if (!found || !mayRead(found) || (reply.hidden && !found.access.canModerate))
    throw new NotFoundError(messages.replyNotFound);
  return { ...found, reply };
}

/** Files her report of the post or of one of its replies (`replyId`), and returns the report's id. */
async function fileReport(
  props: PostAndAccess & { actor: Express.User; replyId: Types.ObjectId | null; reason: string },
) {
  const { post, access, replyId } = props;
  const reporterId = new Types.ObjectId(props.actor.id);
  const changeReason = () =>
    NetworkPostReportModel.findOneAndUpdate(
      // `replyId: null` also matches a post's report stored before replies could be reported (no replyId at all).
      { postId: post._id, replyId, reporterId },
      { $set: { reason: props.reason } },
      { returnDocument: 'after' },
    ).lean();
  // A report she already made only takes her new reason: it emails nobody, so it does not count.
  const made = await changeReason();
  if (made) return String(made._id);
  // A new one is counted before it is written (a database counter, so it holds across processes), once for this report
  // however often it is sent: the same report sent at the same moment by another request of hers counts once between
  // them, and neither is refused for the other's use (spendAllowanceOnce).
  const allowance = {
    key: `network-reports:${props.actor.id}`,
    windowMs: reportingLimit.windowMs,
    submission: `report:${String(post._id)}:${replyId ? String(replyId) : 'post'}`,
  };
  const counted = await spendAllowanceOnce({
    ...allowance,
    limit: reportingLimit.perHour,
    refusal: messages.tooManyReports,
  });
  let reportId: Types.ObjectId;
  let fresh = false;
  try {
    const created = await NetworkPostReportModel.create({
      postId: post._id,
      replyId,
      networkId: post.networkId,
      reporterId,
      reason: props.reason,
    });
    reportId = created._id;
    fresh = true;
  } catch (error) {
    if (!isDuplicateKeyError(error)) {
      if (counted) await giveBackAllowanceOnce(allowance);
      throw error;
    }
    reportId = (await changeReason())!._id;
  }
  if (fresh) await notifyModerators(access.network, post, reportId, replyId !== null);
  return String(reportId);
}

async function notifyModerators(
  network: Network,
  post: NetworkPost,
  reportId: Types.ObjectId,
  ofReply: boolean,
): Promise<void> {
  const leads = await NetworkMembershipModel.find({ role: 'lead', status: 'member', networkId: network._id })
    .select({ userId: 1 })
    .lean();
  const admins = await UserModel.find({ roles: 'admin', status: 'active' }).select({ _id: 1 }).lean();
  const recipients = new Set([...leads.map((l) => String(l.userId)), ...admins.map((a) => String(a._id))]);
  await planNotifications(
    [...recipients].map((userId) => ({
      key: `network-report:${String(reportId)}:${userId}`,
      userId,
      kind: 'network-report' as const,
      about: { type: 'post' as const, id: post._id },
      sendAt: new Date(),
      subject: `A ${ofReply ? 'reply' : 'post'} was reported in ${network.name}`,
      template: 'network-report',
      data: {
        networkName: network.name,
        ofReply,
        postTitle: post.title,
        reportsUrl: absoluteUrl(`/networks/${String(network._id)}#reports`),
      },
    })),
  );
}

/**
 * A report's email waits for the job (or for her daily digest): by then she may have stepped down or been removed,
 * and the email names a post she may no longer read. Only those who still moderate the network get it, and the post's
 * title is read as it is then (its author may have erased her account, and with it her words).
 */
registerNotificationKind('network-report', {
  isStillRelevant: async ({ record }) => {
    const post = await NetworkPostModel.findById(record.about.id).select({ networkId: 1 }).lean();
    if (!post) return 'The post is gone.';
    if (await isLead(post.networkId, record.userId)) return true;
    const admin = await UserModel.exists({ _id: record.userId, roles: 'admin', status: 'active' });
    return admin ? true : 'She no longer leads the network.';
  },
  compose: async ({ record }) => {
    const post = await NetworkPostModel.findById(record.about.id).select({ title: 1 }).lean();
    return {
      subject: record.subject || 'A post was reported',
      template: 'network-report',
      data: { ...record.data, postTitle: post?.title ?? '' },
    };
  },
});

/**
 * A page of the reports of a network's posts and replies, newest first (leads and admins). Who reported is shown to admins only: a
 * lead is also a member whose own words can be reported, by a member who may have blocked her, and a report names its
 * reporter to nobody she reported (the email to leads says only "someone"). The reason is what a lead acts on.
 */
export async function reportsOf(props: { actor: Express.User; networkId: string; limit: number; cursor?: string }) {
  const access = await accessToNetwork(props.actor, props.networkId);
  if (!access.canModerate) throw new ForbiddenError();
  const before = decodeCursor(props.cursor);
  // Newest first, `limit` a page, from the (networkId, _id) index: a network's reports are kept for its moderation
  // record, so in a busy network they only grow.
  const page = pageOf(
    await NetworkPostReportModel.find({ networkId: access.network._id, ...(before ? { _id: { $lt: before } } : {}) })
      .sort({ _id: -1 })
      .limit(props.limit + 1)
      .lean(),
    props.limit,
  );
  const reports = page.rows;
  const replyIds = reports.flatMap((r) => (r.replyId ? [r.replyId] : []));
  const [posts, replies] = await Promise.all([
    NetworkPostModel.find({ _id: { $in: reports.map((r) => r.postId) } })
      .select({ title: 1, hidden: 1 })
      .lean(),
    replyIds.length
      ? NetworkReplyModel.find({ _id: { $in: replyIds } })
          .select({ hidden: 1 })
          .lean()
      : [],
  ]);
  const postById = new Map(posts.map((p) => [String(p._id), p]));
  const replyById = new Map(replies.map((r) => [String(r._id), r]));
  const admin = props.actor.roles.includes('admin');
  const names = admin ? await namesOf(reports.map((r) => r.reporterId)) : new Map<string, string>();
  const rows = reports.map((r) => ({
    id: String(r._id),
    postId: String(r.postId),
    postTitle: postById.get(String(r.postId))?.title ?? '',
    postHidden: postById.get(String(r.postId))?.hidden ?? false,
    /** Set when the report is of a reply on the post, not of the post itself. */
    replyId: r.replyId ? String(r.replyId) : null,
    replyHidden: r.replyId ? (replyById.get(String(r.replyId))?.hidden ?? false) : false,
    reason: r.reason,
    reporter: !admin
      ? messages.reporterNotShown
      : r.reporterId
        ? (names.get(String(r.reporterId)) ?? messages.formerMember)
        : messages.formerMember,
    at: (r as { createdAt?: Date }).createdAt ?? r._id.getTimestamp(),
  }));
  return { network: access.network, rows, nextCursor: page.nextCursor };
}

/**
 * Hiding a post or a reply records who and why; showing it again forgets both. One conditional write: only one that
 * is not so already changes, so a second click (or two moderators at once) finds it done, writes nothing and is not
 * audited again. To change the reason, show it and hide it again.
 */
function hidingWrite(props: { actor: Express.User; hidden: boolean; reason?: string }) {
  const unlessAlready = { hidden: props.hidden ? { $ne: true } : true };
  const update = props.hidden
    ? {
        $set: {
          hidden: true,
          hiddenReason: props.reason ?? '',
          hiddenBy: new Types.ObjectId(props.actor.id),
          hiddenAt: new Date(),
        },
      }
    : { $set: { hidden: false }, $unset: { hiddenReason: 1, hiddenBy: 1, hiddenAt: 1 } };
  return { unlessAlready, update };
}

/** Leads and admins hide a post (with a reason) or show it again; each change is in the audit trail. */
export async function setPostHidden(props: {
  actor: Express.User;
  postId: string;
  hidden: boolean;
  reason?: string;
  ip?: string;
}): Promise<PresentedPost> {
  const { post, access } = await readablePost(props.actor, props.postId);
  if (!access.canModerate) throw new ForbiddenError();
  const { unlessAlready, update } = hidingWrite(props);
  const changed = await NetworkPostModel.findOneAndUpdate({ _id: post._id, ...unlessAlready }, update, {
    returnDocument: 'after',
  }).lean<NetworkPost>();
  if (!changed) return presentPost((await NetworkPostModel.findById(post._id).lean<NetworkPost>()) ?? post, true);
  await recordAuditEvent({
    action: props.hidden ? 'post-hidden' : 'post-shown',
    actor: { id: props.actor.id, name: props.actor.name },
    target: { type: 'network-post', id: post._id },
    ip: props.ip ?? null,
    detail: props.hidden
      ? `hidden in ${access.network.name}: ${props.reason ?? ''}`
      : `shown in ${access.network.name}`,
  });
  return presentPost(changed, true);
}

/**
 * Leads and admins hide a reply (with a reason) or show it again; each change is in the audit trail. Readers then see
 * that a reply was hidden at its place (presentReply).
 */
export async function setReplyHidden(props: {
  actor: Express.User;
  replyId: string;
  hidden: boolean;
  reason?: string;
  ip?: string;
}): Promise<PresentedReply> {
  const { reply, access } = await readableReply(props.actor, props.replyId);
  if (!access.canModerate) throw new ForbiddenError();
  const { unlessAlready, update } = hidingWrite(props);
  const changed = await NetworkReplyModel.findOneAndUpdate({ _id: reply._id, ...unlessAlready }, update, {
    returnDocument: 'after',
    timestamps: false,
  }).lean<NetworkReply>();
  if (!changed) return presentReply((await NetworkReplyModel.findById(reply._id).lean<NetworkReply>()) ?? reply, true);
  await recordAuditEvent({
    action: props.hidden ? 'reply-hidden' : 'reply-shown',
    actor: { id: props.actor.id, name: props.actor.name },
    target: { type: 'network-reply', id: reply._id },
    ip: props.ip ?? null,
    detail: props.hidden
      ? `reply hidden in ${access.network.name}: ${props.reason ?? ''}`
      : `reply shown in ${access.network.name}`,
  });
  return presentReply(changed, true);
}
