import { Types } from 'mongoose';
import { ApiTokenModel } from '../../models/ApiToken.ts';
import { UserModel } from '../../models/User.ts';
import { NotFoundError } from '../errors.ts';
import { isObjectId } from '../ids.ts';
import { SignInOutdatedError, sessionsEpochIs } from './accounts/sessions.ts';
import { recordAuditEvent, type AuditActor } from './audit/events.ts';
import { hashSecret, newSecret, secretMatchesHash } from './secrets.ts';
import { readWithoutCursor } from '../readWithoutCursor.ts';

/** Personal API tokens last 90 days; owners can list and revoke them. */
export const apiTokenLifetimeMs = 90 * 24 * 60 * 60 * 1000;

export type ApiTokenView = {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
};

function present(t: {
  _id: Types.ObjectId;
  name: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt?: Date | null;
}): ApiTokenView {
  return {
    id: String(t._id),
    name: t.name,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * A token reads `<token id>_<secret>`: the id lets a request find its record by `_id` (the one lookup FerretDB 1.x
 * answers from an index; a filter on the hash would read every token), and the stored hash of the whole token is
 * then compared in constant time. The id alone grants nothing.
 */
const tokenShape = /^([0-9a-f]{24})_[A-Za-z0-9_-]{20,200}$/;

/** The record a presented token belongs to, when it is genuine and unexpired; otherwise null. */
export async function findApiToken(presented: string) {
  const match = tokenShape.exec(presented);
  if (!match) return null;
  const token = await readWithoutCursor(ApiTokenModel.findById(match[1]).lean());
  if (!token || token.expiresAt.getTime() <= Date.now()) return null;
  return secretMatchesHash(presented, token.tokenHash) ? token : null;
}

/**
 * Creates a token for a user whose password (and second step) was already checked; the secret is returned only
 * here. With an actor (a person asking, not a test or the CLI), it is audited.
 */
export async function createApiToken(props: {
  userId: string;
  name?: string;
  actor?: AuditActor;
  ip?: string | null;
  /** Her `sessionsEpoch` as read with the password she proved: the token is kept only if it has not moved since. */
  sessionsEpoch?: number;
}) {
  const _id = new Types.ObjectId();
  const token = `${String(_id)}_${newSecret()}`;
  const doc = await ApiTokenModel.create({
    _id,
    userId: props.userId,
    name: props.name ?? 'API token',
    tokenHash: hashSecret(token),
    expiresAt: new Date(Date.now() + apiTokenLifetimeMs),
  });
  // Written first, checked second: a password change moves the epoch before it revokes tokens, so a token written
  // before the revoke is revoked by it, and one written after finds the epoch moved and goes here.
  if (
    props.sessionsEpoch !== undefined &&
    !(await UserModel.exists({ _id: props.userId, ...sessionsEpochIs(props.sessionsEpoch) }))
  ) {
    await ApiTokenModel.deleteOne({ _id });
    throw new SignInOutdatedError('Your password was changed a moment ago: ask again with the new one.');
  }
  if (props.actor)
    await recordAuditEvent({
      action: 'token-created',
      actor: props.actor,
      target: { type: 'api-token', id: _id },
      ip: props.ip,
      detail: doc.name,
    });
  return { token, id: doc.id as string, expiresAt: doc.expiresAt.toISOString() };
}

/**
 * Deletes tokens past their expiry (the maintenance job): an expired token opens nothing and is no longer listed to
 * her, so its name and last use are not kept either.
 */
export async function purgeExpiredApiTokens(now: Date): Promise<number> {
  return (await ApiTokenModel.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}

export async function listApiTokens(props: { userId: string }): Promise<ApiTokenView[]> {
  const tokens = await ApiTokenModel.find({ userId: props.userId, expiresAt: { $gt: new Date() } })
    .sort({ createdAt: -1 })
    .lean();
  return tokens.map(present);
}

/** Only the owner can revoke; someone else's token id is answered as unknown (404). */
export async function revokeApiToken(props: {
  userId: string;
  tokenId: string;
  actor?: AuditActor;
  ip?: string | null;
}): Promise<void> {
  if (!isObjectId(props.tokenId)) throw new NotFoundError('No such token.');
  const result = await ApiTokenModel.deleteOne({ _id: props.tokenId, userId: props.userId });
  if (result.deletedCount !== 1) throw new NotFoundError('No such token.');
  if (props.actor)
    await recordAuditEvent({
      action: 'token-revoked',
      actor: props.actor,
      target: { type: 'api-token', id: props.tokenId },
      ip: props.ip,
    });
}

/**
 * Revokes every token of hers but `keepTokenId` (a password change or reset: whoever knew the old password may
 * have made one). One delete by her id.
 */
export async function revokeOtherApiTokens(props: {
  userId: string;
  keepTokenId?: string | null;
  actor: AuditActor | null;
  ip?: string | null;
  reason: string;
}): Promise<number> {
  const filter: Record<string, unknown> = { userId: props.userId };
  if (props.keepTokenId) filter._id = { $ne: props.keepTokenId };
  const result = await ApiTokenModel.deleteMany(filter);
  if (result.deletedCount > 0)
    await recordAuditEvent({
      action: 'token-revoked',
      actor: props.actor,
      target: { type: 'user', id: props.userId },
      ip: props.ip,
      detail: `${result.deletedCount} token(s) revoked: ${props.reason}`,
    });
  return result.deletedCount;
}
