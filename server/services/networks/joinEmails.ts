import { Types } from 'mongoose';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { UserModel } from '../../../models/User.ts';
import { planNotifications, registerNotificationKind, type Memo } from '../reminders/index.ts';
import { oid } from '../../ids.ts';
import { activeLeadIdsOf } from './membership.ts';

/**
 * The emails of joining an approval network, through the reminders pipeline (her zone, her preferences, unsubscribe
 * and the daily digest come with it):
 * - she asks to join → each lead of the network (the admins while it has no lead), with a link to the approval queue
 *   (`network-join-request`);
 * - a lead or an admin approves or declines her request → she is told (`network-join-answered`).
 * Both are planned by members.ts only after its conditional write moved her row, and keyed by the request they are
 * about (network, person and the `requestedAt` of that request): a retried or raced request, or two leads answering
 * it at once, plans one email per reader; asking again after a withdrawal or a decline is a new request. Each looks
 * again when it is sent, so a lead is not asked about a request already answered or withdrawn.
 */
type Id = Types.ObjectId;

/** Which request an email is about: the same (network, person, requestedAt) for every reader. */
const requestKey = (networkId: Id, userId: Id, requestedAt: Date) =>
  `${String(networkId)}:${String(userId)}:${requestedAt.getTime()}`;

async function nameOf(userId: Id): Promise<string> {
  return (await UserModel.findById(userId).select({ name: 1 }).lean())?.name ?? 'A member';
}

/** She asked to join (her row has just become `requested` at `requestedAt`): each lead is told, once. */
export async function joinRequested(props: {
  network: { _id: Id; name: string };
  userId: Id;
  requestedAt: Date;
}): Promise<void> {
  const { network, userId, requestedAt } = props;
  const [leads, activeLeads] = await Promise.all([
    NetworkMembershipModel.find({ role: 'lead', status: 'member', networkId: network._id }).select({ _id: 1 }).lean(),
    // Leads whose account is live: one an admin disabled (or erased) can neither read the email nor answer.
    activeLeadIdsOf(network._id),
  ]);
  // A network with no lead yet (made on the web, leads not named), or none who can answer: its admins answer, so they
  // are asked, not nobody.
  const readers = activeLeads.length
    ? activeLeads
    : (await UserModel.find({ roles: 'admin', status: 'active' }).select({ _id: 1 }).lean()).map((a) => a._id);
  if (!readers.length) return;
  const askerName = await nameOf(userId);
  const request = requestKey(network._id, userId, requestedAt);
  const data = {
    networkId: String(network._id),
    networkName: network.name,
    askerId: String(userId),
    askerName,
    requestedAt: requestedAt.toISOString(),
    link: `/networks/${String(network._id)}#requests-heading`,
    noLead: !activeLeads.length,
    /** It has leads, but none whose account is active. */
    leadsInactive: leads.length > 0 && !activeLeads.length,
  };
  await planNotifications(
    readers.map((reader) => ({
      key: `network-join-request:${request}:${String(reader)}`,
      userId: reader,
      kind: 'network-join-request' as const,
      about: { type: 'network' as const, id: network._id },
      sendAt: requestedAt,
      subject: `${askerName} asks to join ${network.name}`,
      template: 'network-join-request',
      data,
    })),
  );
}

/**
 * A lead or an admin answered her request (made at `requestedAt`): she is told, once, and by whom (an admin's decline
 * told as the leads' would blame people who never saw it).
 */
export async function joinAnswered(props: {
  network: { _id: Id; name: string };
  userId: Id;
  requestedAt: Date;
  approved: boolean;
  answeredBy: 'lead' | 'admin';
  now: Date;
}): Promise<void> {
  const { network, userId, approved } = props;
  await planNotifications([
    {
      key: `network-join-answered:${requestKey(network._id, userId, props.requestedAt)}`,
      userId,
      kind: 'network-join-answered',
      about: { type: 'network', id: network._id },
      sendAt: props.now,
      subject: approved
        ? `You are now a member of ${network.name}`
        : `Your request to join ${network.name} was declined`,
      template: 'network-join-answered',
      data: {
        networkId: String(network._id),
        networkName: network.name,
        requestedAt: props.requestedAt.toISOString(),
        approved,
        answeredBy: props.answeredBy,
        link: approved ? `/networks/${String(network._id)}` : '/networks',
      },
    },
  ]);
}

const rowNow = (networkId: string, userId: string | Id, memo: Memo) =>
  memo.once(`network-membership:${networkId}:${String(userId)}`, () =>
    // exec(): the memo shares one promise between composers; a mongoose query may be awaited only once.
    NetworkMembershipModel.findOne({ userId: oid(userId), networkId: oid(networkId) })
      .select({ status: 1, role: 1, requestedAt: 1 })
      .lean()
      .exec(),
  );

registerNotificationKind('network-join-request', {
  isStillRelevant: async ({ record, memo }) => {
    const data = record.data ?? {};
    const asker = await rowNow(record.about.id, String(data.askerId), memo);
    if (asker?.status !== 'requested' || asker.requestedAt?.toISOString() !== data.requestedAt)
      return 'the request was answered or withdrawn';
    if (data.noLead) {
      const admin = await UserModel.exists({ _id: record.userId, roles: 'admin', status: 'active' });
      return admin ? true : 'she is no longer an admin';
    }
    const reader = await rowNow(record.about.id, record.userId, memo);
    return reader?.status === 'member' && reader.role === 'lead' ? true : 'she no longer leads the network';
  },
});
registerNotificationKind('network-join-answered', {
  isStillRelevant: async ({ record, memo }) => {
    const row = await rowNow(record.about.id, record.userId, memo);
    const expected = record.data?.approved ? 'member' : 'removed';
    return row?.status === expected ? true : `she is ${row?.status ?? 'not'} in the network now`;
  },
});
