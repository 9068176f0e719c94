import type { Role } from '../../models/User.ts';
import { hasRole } from '../auth.ts';

/** Admins manage accounts. */
export const canCreateUsers = (actor: Express.User): boolean => hasRole(actor, 'admin');

/**
 * Admins search everyone; facilitators may search participants (to enrol them), nothing else.
 * Returns the role filter to enforce, or false when the search is not allowed.
 */
export function allowedUserSearch(actor: Express.User, requestedRole: Role | undefined): Role | undefined | false {
  if (hasRole(actor, 'admin')) return requestedRole;
  if (actor.roles.includes('facilitator') && (requestedRole === undefined || requestedRole === 'participant'))
    return 'participant';
  return false;
}
