import { z } from 'zod';
import { LtiPlatformModel, type LtiPlatform } from '../../../models/LtiPlatform.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { absoluteUrl, settings } from '../../settings.ts';
import { hasVisibleText, invisibleOnly, writtenTextProblem } from '../../visibleText.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { recordAuditEvent } from '../audit/events.ts';

const messages = {
  duplicate: 'This platform (issuer and client id) is registered already.',
  notFound: 'There is no such LTI platform.',
  tooManyDeployments: 'A registration lists at most 100 deployment ids: this one lists that many already.',
  https: 'must be an https:// URL',
  httpsOrLoopback: 'must be an https:// URL (http:// only for localhost outside production)',
  issuerParts: 'must have no query (?) or fragment (#): the issuer is the URL the platform names itself by',
  identityKept:
    "A registration's issuer and client id cannot be changed: launches are matched by them, and its people's links and its courses' placements belong to them. A platform that names itself otherwise is registered as another platform.",
  identityField: "cannot be changed: its people's links and its courses' placements belong to it",
  savedMeanwhile: savedMeanwhileMessage('registration'),
};

/** Outside production an http URL on this machine is allowed, so a local Moodle or the test suite's platform works. */
function isAllowedUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return url.protocol === 'http:' && loopback && settings.env !== 'production';
}

const endpoint = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(2000)
  .refine(isAllowedUrl, { error: () => (settings.env === 'production' ? messages.https : messages.httpsOrLoopback) });

/**
 * A client or deployment id, compared exactly with what launches send, is held to the rule of written text
 * (writtenTextProblem, and something visible in it): one no launch sends (holding a NUL) or that the admin list
 * shows blank or reversed (only invisible characters, a direction override) is refused when registered.
 */
const platformIdentifier = (words = { empty: 'is required', tooLong: 'must be at most 500 characters' }) =>
  z
    .string()
    .trim()
    .min(1, words.empty)
    .max(500, words.tooLong)
    .superRefine((typed, ctx) => {
      const problem = typed === '' ? null : hasVisibleText(typed) ? writtenTextProblem(typed) : invisibleOnly;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const maxDeployments = 100;
const deploymentIdSchema = platformIdentifier();

/**
 * LTI 1.3 (Core 5.1.2, after OpenID Connect): the issuer is an https URL with a host and no query or fragment, and it
 * is compared exactly, as launches send it. "not a url" could never match a launch: refused when registered.
 */
const issuer = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(2000)
  .refine(isAllowedUrl, { error: () => (settings.env === 'production' ? messages.https : messages.httpsOrLoopback) })
  .refine((value) => !/[?#]/.test(value), { error: messages.issuerParts });

const tokenAudience = z
  .string()
  .trim()
  .max(2000)
  .refine(isAllowedUrl, { error: () => (settings.env === 'production' ? messages.https : messages.httpsOrLoopback) });

const deploymentIds = z
  .array(platformIdentifier({ empty: 'must not be empty', tooLong: 'each must be at most 500 characters' }))
  .min(1, 'list at least one deployment id')
  .max(maxDeployments);

/**
 * What LTI asks of a registration: its URLs, client and deployments. Its name, for the admins who read it, is held
 * to the rule of every other name (text(), server/http/validate.ts), added by the route (routes/lti.ts).
 */
export const platformSettingsSchema = z.strictObject({
  issuer,
  clientId: platformIdentifier(),
  authLoginUrl: endpoint,
  authTokenUrl: endpoint,
  /** The authorisation server the token requests' assertions name (`aud`), if not the token URL (serviceToken.ts). */
  authTokenAudience: tokenAudience.optional(),
  jwksUrl: endpoint,
  deploymentIds,
});
export type PlatformInput = z.output<typeof platformSettingsSchema> & { name: string };

/**
 * A correction of a registration: any of its settings, under the same rules; `authTokenAudience: null` goes back to
 * the token URL. The issuer and client id may be sent (a client sending back what it read) but not changed
 * (updatePlatform).
 */
export const platformChangesSchema = z.strictObject({
  issuer: issuer.optional(),
  clientId: platformIdentifier().optional(),
  authLoginUrl: endpoint.optional(),
  authTokenUrl: endpoint.optional(),
  authTokenAudience: tokenAudience.nullable().optional(),
  jwksUrl: endpoint.optional(),
  deploymentIds: deploymentIds.optional(),
});
export type PlatformChanges = z.output<typeof platformChangesSchema> & { name?: string };

export type PlatformView = PlatformInput & { id: string; createdAt: string; version: number | null };

export const presentPlatform = (p: LtiPlatform): PlatformView => ({
  id: String(p._id),
  name: p.name,
  issuer: p.issuer,
  clientId: p.clientId,
  authLoginUrl: p.authLoginUrl,
  authTokenUrl: p.authTokenUrl,
  ...(p.authTokenAudience ? { authTokenAudience: p.authTokenAudience } : {}),
  jwksUrl: p.jwksUrl,
  deploymentIds: [...p.deploymentIds],
  version: p.version ?? null,
  createdAt: (p as { createdAt?: Date }).createdAt?.toISOString() ?? '',
});

const isAdmin = (actor: Express.User) => actor.roles.includes('admin');

/**
 * Registers a platform (admins). The unique (issuer, clientId) index refuses a second registration of one client: a
 * conflict with what is stored (409), not a field that breaks a rule.
 */
export async function registerPlatform(props: { actor: Express.User; input: PlatformInput }): Promise<PlatformView> {
  if (!isAdmin(props.actor)) throw new ForbiddenError();
  try {
    const created = await LtiPlatformModel.create({
      ...props.input,
      deploymentIds: [...new Set(props.input.deploymentIds)],
    });
    await recordAuditEvent({
      action: 'lti-platform-registered',
      actor: { id: props.actor.id, name: props.actor.name },
      target: { type: 'lti-platform', id: created._id },
      detail: `${created.issuer} ${created.clientId}`,
    });
    return presentPlatform(created.toObject() as LtiPlatform);
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ConflictError(messages.duplicate);
    throw error;
  }
}

export async function listPlatforms(props: { actor: Express.User }): Promise<PlatformView[]> {
  if (!isAdmin(props.actor)) throw new ForbiddenError();
  const rows = await LtiPlatformModel.find({}).sort({ name: 1 }).lean<LtiPlatform[]>();
  return rows.map(presentPlatform);
}

/** One registration (admins), as the page that asks before deleting it shows it. */
export async function findPlatform(props: { actor: Express.User; platformId: string }): Promise<PlatformView> {
  if (!isAdmin(props.actor)) throw new ForbiddenError();
  if (!isObjectId(props.platformId)) throw new NotFoundError(messages.notFound);
  const row = await LtiPlatformModel.findById(props.platformId).lean<LtiPlatform>();
  if (!row) throw new NotFoundError(messages.notFound);
  return presentPlatform(row);
}

/**
 * Adds a deployment id to a registration (admins). An LMS makes a new deployment when Pathways is installed again in
 * it (Canvas: in another sub-account; Moodle: a tool configured per course): its launches name the new id and are
 * refused until it is listed. Deleting and registering again instead would cut every person and course of the LMS
 * off their links, which belong to the registration. One atomic `$addToSet`, capped as the registration form is.
 */
export async function addDeploymentId(props: { actor: Express.User; platformId: string; deploymentId: unknown }) {
  if (!isAdmin(props.actor)) throw new ForbiddenError();
  if (!isObjectId(props.platformId)) throw new NotFoundError(messages.notFound);
  const parsed = deploymentIdSchema.safeParse(props.deploymentId ?? '');
  if (!parsed.success) {
    // The field's message reads after its label ("Deployment id: must be …"); the problem's detail says it whole.
    const { message } = parsed.error.issues[0]!;
    throw new ValidationError(`Deployment id ${message}`, [{ path: 'deploymentId', message }]);
  }
  const deploymentId = parsed.data;
  const updated = await LtiPlatformModel.findOneAndUpdate(
    { _id: props.platformId, [`deploymentIds.${maxDeployments - 1}`]: { $exists: false } },
    { $addToSet: { deploymentIds: deploymentId } },
    { returnDocument: 'after' },
  ).lean<LtiPlatform>();
  if (!updated) {
    await findPlatform(props); // 404 when it is gone
    throw new ValidationError(messages.tooManyDeployments, [
      { path: 'deploymentId', message: messages.tooManyDeployments },
    ]);
  }
  await recordAuditEvent({
    action: 'lti-platform-deployment-added',
    actor: { id: props.actor.id, name: props.actor.name },
    target: { type: 'lti-platform', id: updated._id },
    detail: `${updated.issuer} ${updated.clientId}: ${deploymentId}`,
  });
  return presentPlatform(updated);
}

/**
 * Corrects a registration (admins): its name, endpoints, token audience and deployments, so that a URL typed wrong or
 * Brightspace's token audience needs no deleting and registering again, which would cut every person and course of the
 * LMS off their links. Its issuer and client id stay as registered: launches are matched by them and a person is her
 * `sub` at that issuer, so another issuer is another platform, registered as such; one sent unchanged is accepted.
 * Written over `expectedVersion` when named (server/versions.ts). A new key set URL drops the keys cached from the old
 * one (launch.ts also never uses keys cached from another URL than the registration's).
 */
export async function updatePlatform(props: {
  actor: Express.User;
  platformId: string;
  changes: PlatformChanges;
  expectedVersion?: ExpectedVersion;
}): Promise<PlatformView> {
  if (!isAdmin(props.actor)) throw new ForbiddenError();
  if (!isObjectId(props.platformId)) throw new NotFoundError(messages.notFound);
  const stored = await LtiPlatformModel.findById(props.platformId).lean<LtiPlatform>();
  if (!stored) throw new NotFoundError(messages.notFound);
  const { issuer: sentIssuer, clientId: sentClientId, authTokenAudience, ...rest } = props.changes;
  const identityChanged = (
    [
      ['issuer', sentIssuer, stored.issuer],
      ['clientId', sentClientId, stored.clientId],
    ] as const
  ).filter(([, sent, kept]) => sent !== undefined && sent !== kept);
  if (identityChanged.length)
    throw new ValidationError(
      messages.identityKept,
      identityChanged.map(([path]) => ({ path, message: messages.identityField })),
    );
  if (movedOn(stored.version, props.expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
  const set: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (rest.deploymentIds) set.deploymentIds = [...new Set(rest.deploymentIds)];
  if (authTokenAudience) set.authTokenAudience = authTokenAudience;
  const unset: Record<string, 1> = {};
  if (authTokenAudience === null) unset.authTokenAudience = 1;
  if (rest.jwksUrl !== undefined && rest.jwksUrl !== stored.jwksUrl) unset.jwksCache = 1;
  const changed = [
    ...Object.keys(set).filter((k) => JSON.stringify(set[k]) !== JSON.stringify(stored[k as keyof LtiPlatform])),
    ...(authTokenAudience === null && stored.authTokenAudience ? ['authTokenAudience'] : []),
  ];
  const updated = await LtiPlatformModel.findOneAndUpdate(
    { _id: stored._id, ...versionFilter(props.expectedVersion) },
    { $set: set, $inc: { version: 1 }, ...(Object.keys(unset).length ? { $unset: unset } : {}) },
    { returnDocument: 'after' },
  ).lean<LtiPlatform>();
  if (!updated) {
    await findPlatform(props); // 404 when it was deleted meanwhile
    throw new ConflictError(messages.savedMeanwhile);
  }
  await recordAuditEvent({
    action: 'lti-platform-changed',
    actor: { id: props.actor.id, name: props.actor.name },
    target: { type: 'lti-platform', id: updated._id },
    detail: `${updated.issuer} ${updated.clientId}: ${changed.length ? changed.join(', ') : 'nothing changed'}`,
  });
  return presentPlatform(updated);
}

export async function deletePlatform(props: { actor: Express.User; platformId: string }): Promise<void> {
  if (!isAdmin(props.actor)) throw new ForbiddenError();
  if (!isObjectId(props.platformId)) throw new NotFoundError(messages.notFound);
  const deleted = await LtiPlatformModel.findOneAndDelete({ _id: props.platformId }).lean();
  if (!deleted) throw new NotFoundError(messages.notFound);
  await recordAuditEvent({
    action: 'lti-platform-deleted',
    actor: { id: props.actor.id, name: props.actor.name },
    target: { type: 'lti-platform', id: props.platformId },
    detail: `${deleted.issuer} ${deleted.clientId}`,
  });
}

/** The values an LMS administrator pastes into the LMS when registering Pathways. */
export function toolValues() {
  return {
    loginUrl: absoluteUrl('/lti/login'),
    launchUrl: absoluteUrl('/lti/launch'),
    jwksUrl: absoluteUrl('/lti/jwks'),
    redirectUris: [absoluteUrl('/lti/launch')],
    deepLinkingUrl: absoluteUrl('/lti/launch'),
    domain: new URL(absoluteUrl('/')).host,
  };
}

/** The origin of an http(s) URL; nothing for anything else (an issuer need not be a URL). */
export function originOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The distinct origins of those values that are http(s) URLs (originOf), in order. */
export function originsOf(values: readonly unknown[]): string[] {
  return [...new Set(values.map(originOf).filter((o): o is string => !!o))];
}

/** Origins of registered platforms (their login endpoints): the only pages allowed to frame LTI pages. */
export async function platformOrigins(): Promise<string[]> {
  const rows = await LtiPlatformModel.find({}, { authLoginUrl: 1, issuer: 1 }).lean();
  return originsOf(rows.flatMap((row) => [row.authLoginUrl, row.issuer]));
}
