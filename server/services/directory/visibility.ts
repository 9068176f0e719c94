import type { DirectoryVisibility } from '../../../models/DirectoryProfile.ts';

/**
 * Who may see a directory profile, as one rule the search and every single read share:
 * - herself, always (a hidden profile too, so she can check what she saved);
 * - nobody else when either of the two has blocked the other;
 * - `hidden`: nobody else; `networks`: people who currently share a network with her; `everyone`: anyone signed in.
 */
export type ProfileViewing = {
  viewerId: string;
  ownerId: string;
  visibility: DirectoryVisibility;
  /** Whether viewer and owner are both current members of at least one network. */
  sharesNetwork: boolean;
  /** Whether either has blocked the other. */
  blocked: boolean;
};

export function canSeeProfile(v: ProfileViewing): boolean {
  if (v.viewerId === v.ownerId) return true;
  if (v.blocked) return false;
  if (v.visibility === 'everyone') return true;
  if (v.visibility === 'networks') return v.sharesNetwork;
  return false;
}

/** Who may be sent a message: anyone whose profile she may see, but never herself. */
export const canContact = (v: ProfileViewing): boolean => v.viewerId !== v.ownerId && canSeeProfile(v);

/** Researchers see aggregates only (API.md): the directory, its profiles and its messages are closed to them. */
export const mayUseDirectory = (actor: { roles: readonly string[] }): boolean =>
  actor.roles.includes('admin') || !actor.roles.every((role) => role === 'researcher');
