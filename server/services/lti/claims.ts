import { personNameFromElsewhere } from '../accounts/names.ts';
/** Claim names and vocabulary of LTI Core 1.3, Deep Linking 2.0, AGS 2.0 and NRPS 2.0 (IMS Global). */
export const claim = {
  messageType: 'https://purl.imsglobal.org/spec/lti/claim/message_type',
  version: 'https://purl.imsglobal.org/spec/lti/claim/version',
  deploymentId: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  targetLinkUri: 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri',
  resourceLink: 'https://purl.imsglobal.org/spec/lti/claim/resource_link',
  roles: 'https://purl.imsglobal.org/spec/lti/claim/roles',
  context: 'https://purl.imsglobal.org/spec/lti/claim/context',
  custom: 'https://purl.imsglobal.org/spec/lti/claim/custom',
  launchPresentation: 'https://purl.imsglobal.org/spec/lti/claim/launch_presentation',
  ags: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
  deepLinkingSettings: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
  contentItems: 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items',
  data: 'https://purl.imsglobal.org/spec/lti-dl/claim/data',
} as const;

export const scope = {
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  memberships: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
} as const;

export const messageTypes = ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest'] as const;
export type MessageType = (typeof messageTypes)[number];

const lis = 'http://purl.imsglobal.org/vocab/lis/v2';
/**
 * A context role (membership vocabulary): in full, in the short form LTI allows for context roles, or as one of its
 * sub-roles (`membership/Instructor#TeachingAssistant` is an Instructor's: LTI Core 1.3 §A.2.3.1).
 */
const hasContextRole = (roles: readonly string[], name: string) =>
  roles.some((r) => r === `${lis}/membership#${name}` || r === name || r.startsWith(`${lis}/membership/${name}#`));
/** Any role in the course itself (the membership vocabulary), as against roles in the institution or the system. */
export const hasAnyContextRole = (roles: readonly string[]) =>
  roles.some((r) => r.startsWith(`${lis}/membership#`) || r.startsWith(`${lis}/membership/`) || !r.includes(':'));
/**
 * Those who run the course: its Instructors (with any sub-role) and teaching assistants (Canvas sends a TA as
 * `membership/Instructor#TeachingAssistant`; others the LIS `membership#TeachingAssistant`). Each becomes a
 * facilitator of the cohort placed in the course: its sessions, registers and progress, as its other facilitators.
 * Administering Pathways' LTI registration stays with Pathways administrators, whatever the course says.
 */
export const isCourseStaff = (roles: readonly string[]) =>
  hasContextRole(roles, 'Instructor') || hasContextRole(roles, 'TeachingAssistant');
export const isLearner = (roles: readonly string[]) => hasContextRole(roles, 'Learner') && !isCourseStaff(roles);
/**
 * The platform's test student (Canvas' Student View, a preview account): it may look around, but a place it took in a
 * cohort would be a seat (and a register line, a research figure) that no real person holds.
 */
export const isTestUser = (roles: readonly string[]) =>
  roles.includes('http://purl.imsglobal.org/vocab/lti/system/person#TestUser');

/** The launch's roles: the strings of its roles claim (anything else in it is the platform's error, ignored). */
export const rolesOf = (claims: Record<string, unknown>): string[] => {
  const roles = claims[claim.roles];
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
};

/**
 * Her name as the platform gives it (a launch's claims, a class-list member): `name`, or else her given and family
 * names (OIDC standard claims; a platform may send only those, when its privacy settings withhold the full name).
 */
export function personNameOf(claims: Record<string, unknown>): string | undefined {
  const text = (key: string) => (typeof claims[key] === 'string' ? personNameFromElsewhere(claims[key]) : undefined);
  const parts = [text('given_name'), text('family_name')].filter(Boolean);
  return text('name') ?? (parts.length ? parts.join(' ') : undefined);
}
