import type { Role } from '../../models/User.ts';
import { canonicalEmail } from '../emailAddresses.ts';
import { settings } from '../settings.ts';

type Addressed = { email: string; emailUnverified?: boolean };

/**
 * Her account's address, when being signed in to it shows she holds that address: always, except for an address an
 * LMS asserted that no emailed link has proved yet (`emailUnverified`, models/User.ts). Whatever an address alone
 * entitles to (a Pledge signature's contact, its board link) asks this, never the account's email as such: a platform
 * admin of any registered LMS can make an account under anyone's address.
 */
export function provenEmailOf(user: Addressed | undefined): string | undefined {
  return user && !user.emailUnverified ? canonicalEmail(user.email) : undefined;
}

/** She holds this address (provenEmailOf), in its one stored form. */
export const holdsEmailAddress = (user: Addressed | undefined, email: string): boolean =>
  provenEmailOf(user) === canonicalEmail(email);

/** Her account's address is the one given, but only an LMS has vouched for it: what she is told to do about it. */
export const holdsOnlyByLmsWord = (user: Addressed | undefined, email: string): boolean =>
  !!user?.emailUnverified && canonicalEmail(user.email) === canonicalEmail(email);

/**
 * MFA_REQUIRED_ROLES: a person holding one of those roles without two-step sign-in must set it up before anything
 * else (she reaches only the set-up pages and sign-out; token creation is refused).
 */
export function requiresTwoStepSetup(
  user: { roles: readonly Role[]; mfaEnabled?: boolean },
  requiredRoles: readonly Role[] = settings.mfaRequiredRoles,
): boolean {
  return !user.mfaEnabled && user.roles.some((role) => requiredRoles.includes(role));
}
