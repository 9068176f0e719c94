/**
 * Who may do what in a network, from the network and her membership row as read on this request (never a cached
 * copy: a removal takes effect on the next request). Only `status: member` counts; a lead is a member with
 * `role: lead`. Admins moderate every network but post only where they are members.
 */
type NetworkLike = { joining: string };
type MembershipLike = { status: string; role?: string | null } | null | undefined;

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
