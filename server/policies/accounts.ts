import type { Role } from '../../models/User.ts';
import { settings } from '../settings.ts';

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
