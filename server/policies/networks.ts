/**
 * Who may do what in a network, from the network and her membership row as read on this request (never a cached
 * copy: a removal takes effect on the next request). Only `status: member` counts; a lead is a member with
 * `role: lead`. Admins moderate every network but post only where they are members.
 */
type NetworkLike = { joining: string };
type MembershipLike =
  { status: string; role?: string | null; joinedAt?: Date | null; removedAt?: Date | null } | null | undefined;

const isAdmin = (actor: Express.User): boolean => actor.roles.includes('admin');
export const isCurrentMember = (m: MembershipLike): boolean => m?.status === 'member';
export const isCurrentLead = (m: MembershipLike): boolean => m?.status === 'member' && m.role === 'lead';

export const canManageNetworks = (actor: Express.User): boolean => isAdmin(actor);

/** Approve, remove, hide posts, read reports: the network's leads and admins. */
export const canModerateNetwork = (actor: Express.User, m: MembershipLike): boolean =>
  isAdmin(actor) || isCurrentLead(m);

/** Posts of an open network are read by anyone signed in; of an approval network by its members only. */
export const canReadPosts = (actor: Express.User, network: NetworkLike, m: MembershipLike): boolean =>
  network.joining === 'open' || isCurrentMember(m) || isAdmin(actor);

/** Stories and questions: members; announcements: leads. Replies: members. */
export const canPost = (m: MembershipLike, kind: string): boolean =>
  kind === 'announcement' ? isCurrentLead(m) : isCurrentMember(m);

/**
 * Her row shows she was a member at some moment after `postedAt`, so she may have read that post: she joined once
 * and left (or was removed) after it was written, or is still a member. A former member of an approval network who
 * replies to such a post is told why she was refused rather than that it does not exist; posts written after she
 * left stay unknown to her.
 */
export const wasMemberAfter = (m: MembershipLike, postedAt: Date): boolean =>
  !!m?.joinedAt && (m.status === 'member' || !m.removedAt || m.removedAt >= postedAt);
