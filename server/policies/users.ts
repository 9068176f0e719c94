import type { Role } from '../../models/User.ts';
import { hasRole } from '../auth.ts';

/** Admins manage accounts. */
export const canCreateUsers = (actor: Express.User): boolean => hasRole(actor, 'admin');

/**
 * The shortest search a facilitator may run: she finds a participant to enrol by her email or name, and is never
 * handed the list of everyone's addresses (data minimisation; admins may list everyone).
 */
export const shortestFacilitatorSearch = 3;

/** Whether this search is narrow enough for her: any for admins, a search term of a few letters for facilitators. */
export const searchNarrowEnough = (actor: Express.User, q: string | undefined): boolean =>
  hasRole(actor, 'admin') || (q ?? '').trim().length >= shortestFacilitatorSearch;

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
