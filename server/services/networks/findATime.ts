import { Types } from 'mongoose';
import { NetworkModel } from '../../../models/Network.ts';
import { liveUserStatuses, UserModel } from '../../../models/User.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { isLead, memberIdsOf } from './membership.ts';
import { rankMeetingTimes, type MeetingTimeCandidate } from './meetingTimes.ts';

export type FindATimeProps = {
  /** The lead (or an admin) asking. */
  actor: Express.User;
  networkId: string;
  durationMinutes: number;
  /** YYYY-MM-DD: candidates start at 00:00 UTC of this day. */
  from: string;
  days: number;
  /** The moment of asking (default: the clock): starts at or before it are left out. */
  now?: Date;
};

/** A network's leads and admins rank start times by its current members' own zones (active accounts). */
export async function meetingTimesFor(
  props: FindATimeProps,
): Promise<{ network: { id: string; name: string }; items: MeetingTimeCandidate[] }> {
  const { actor, networkId } = props;
  if (!isObjectId(networkId)) throw new NotFoundError();
  const network = await NetworkModel.findById(networkId).select({ name: 1 }).lean();
  if (!network) throw new NotFoundError();
  if (!actor.roles.includes('admin') && !(await isLead(network._id, actor.id))) throw new ForbiddenError();
  const memberIds = await memberIdsOf(network._id);
  // Members whose account is live, as `memberCount` counts them: one an admin disabled (or erased) comes to nothing.
  const people = await UserModel.find({
    _id: { $in: memberIds as Types.ObjectId[] },
    status: { $in: liveUserStatuses },
  })
    .select({ timezone: 1 })
    .lean();
  const items = rankMeetingTimes({
    zones: people.map((p) => p.timezone),
    durationMinutes: props.durationMinutes,
    from: props.from,
    days: props.days,
    now: props.now ?? new Date(),
  });
  return { network: { id: String(network._id), name: network.name }, items };
}
