import mongoose from 'mongoose';
import UAParser from 'ua-parser-js';
import { SignedInSessionModel } from '../../../models/SignedInSession.ts';
import { UserModel } from '../../../models/User.ts';
import { NotFoundError, UnauthenticatedError } from '../../errors.ts';
import { recordAuditEvent, type AuditActor } from '../audit/events.ts';
import { hashSecret } from '../secrets.ts';

/**
 * What pages and the API call a session, and the key her user record lists it under (`signedInSessions`): a hash of
 * the session id, which is half of the session cookie.
 */
export const publicIdOf = (sessionId: string): string => hashSecret(`session:${sessionId}`).slice(0, 32);

/** connect-mongo's collection (server/app.ts): ending a session deletes its document there too. */
const sessionStore = () => mongoose.connection.db!.collection<{ _id: string; expires?: Date }>('sessions');

/** How often lastSeenAt may be written for one session. */
export const touchEveryMs = 60_000;

export type SessionView = {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
  device: string;
  current: boolean;
};

/** "Firefox 128 on Windows 10", from the user agent; a plain fallback when it says nothing recognisable. */
export function deviceOf(userAgent: string): string {
  const ua = new UAParser(userAgent).getResult();
  const browser = [ua.browser.name, ua.browser.major].filter(Boolean).join(' ');
  const os = [ua.os.name, ua.os.version].filter(Boolean).join(' ');
  const device = ua.device.type
    ? ` (${[ua.device.vendor, ua.device.model].filter(Boolean).join(' ') || ua.device.type})`
    : '';
  if (!browser && !os) return userAgent ? `Unknown browser (${userAgent.slice(0, 60)})` : 'Unknown browser';
  return `${browser || 'A browser'}${os ? ` on ${os}` : ''}${device}`;
}

/** Her record as it was when her password was checked: `sessionsEpoch` still the one read (missing counts as 0). */
export const sessionsEpochIs = (epoch: number) =>
  epoch ? { sessionsEpoch: epoch } : { sessionsEpoch: { $in: [0, null] } };

/** A sign-in whose password was checked before her other sessions were ended (a password change meanwhile). */
export class SignInOutdatedError extends UnauthenticatedError {}

/**
 * Records a new signed-in session (at sign-in, or the first request of a session signed in another way). With
 * `sessionsEpoch` (read with the password she proved), it is listed only if her sessions were not ended since: else
 * its record goes and SignInOutdatedError is thrown, so a sign-in with a password changed meanwhile never lasts.
 */
export async function beginSignedInSession(props: {
  sessionId: string;
  userId: string;
  userAgent?: string;
  ip?: string | null;
  now?: Date;
  sessionsEpoch?: number;
}): Promise<void> {
  const now = props.now ?? new Date();
  await SignedInSessionModel.updateOne(
    { _id: props.sessionId },
    {
      $setOnInsert: {
        publicId: publicIdOf(props.sessionId),
        userId: props.userId,
        createdAt: now,
        lastSeenAt: now,
        userAgent: (props.userAgent ?? '').slice(0, 400),
        ip: props.ip ?? null,
      },
    },
    { upsert: true },
  );
  // Her user record lists it last: that list is what every request checks (server/auth.ts), so a session counts as
  // signed in only once its record exists.
  const listed = await UserModel.updateOne(
    { _id: props.userId, ...(props.sessionsEpoch === undefined ? {} : sessionsEpochIs(props.sessionsEpoch)) },
    { $addToSet: { signedInSessions: publicIdOf(props.sessionId) } },
  );
  if (listed.matchedCount !== 1 && props.sessionsEpoch !== undefined) {
    await SignedInSessionModel.deleteOne({ _id: props.sessionId });
    throw new SignInOutdatedError('Your password was changed a moment ago: sign in with the new one.');
  }
}

/**
 * Marks the session used: lastSeenAt moves only when it is over a minute old, by one conditional update (two processes
 * racing write once, harmlessly). Whether the session is still signed in is checked with her user record, in the same
 * read (server/auth.ts).
 */
export async function markSessionSeen(props: { sessionId: string; now?: Date }): Promise<void> {
  const now = props.now ?? new Date();
  await SignedInSessionModel.updateOne(
    { _id: props.sessionId, lastSeenAt: { $lt: new Date(now.getTime() - touchEveryMs) } },
    { $set: { lastSeenAt: now } },
  );
}

/** Her sessions that still exist in the store, newest first. */
export async function listSignedInSessions(props: {
  userId: string;
  currentSessionId?: string;
  now?: Date;
}): Promise<SessionView[]> {
  const now = props.now ?? new Date();
  const records = await SignedInSessionModel.find({ userId: props.userId }).sort({ createdAt: -1 }).lean();
  if (records.length === 0) return [];
  const alive = await sessionStore()
    .find({ _id: { $in: records.map((r) => r._id) } }, { projection: { _id: 1, expires: 1 } })
    .toArray();
  const aliveIds = new Set(alive.filter((s) => !s.expires || s.expires > now).map((s) => s._id));
  const user = await UserModel.findById(props.userId, { signedInSessions: 1 }).lean();
  const listed = new Set(user?.signedInSessions ?? []);
  return records
    .filter((r) => aliveIds.has(r._id) && listed.has(r.publicId))
    .map((r) => ({
      id: r.publicId,
      createdAt: r.createdAt.toISOString(),
      lastSeenAt: r.lastSeenAt.toISOString(),
      userAgent: r.userAgent ?? '',
      device: deviceOf(r.userAgent ?? ''),
      current: r._id === props.currentSessionId,
    }));
}

async function endSessions(userId: string, records: { _id: string; publicId: string }[]): Promise<void> {
  if (records.length === 0) return;
  // Her list first: it is what every process checks, so the sessions stop even if a later delete fails.
  await UserModel.updateOne({ _id: userId }, { $pullAll: { signedInSessions: records.map((r) => r.publicId) } });
  const ids = records.map((r) => r._id);
  await SignedInSessionModel.deleteMany({ _id: { $in: ids } });
  await sessionStore().deleteMany({ _id: { $in: ids } });
}

/** She ends one of her sessions (by its public id); another person's (or an unknown) id is a 404. */
export async function endSignedInSession(props: {
  actor: AuditActor;
  sessionId: string;
  ip?: string | null;
}): Promise<void> {
  if (!/^[0-9a-f]{32}$/.test(String(props.sessionId))) throw new NotFoundError('No such session.');
  const record = await SignedInSessionModel.findOne({ publicId: props.sessionId, userId: props.actor.id }).lean();
  if (!record) throw new NotFoundError('No such session.');
  await endSessions(String(props.actor.id), [record]);
  await recordAuditEvent({
    action: 'session-ended',
    actor: props.actor,
    target: { type: 'user', id: props.actor.id },
    ip: props.ip,
    detail: `one session ended (${deviceOf(record.userAgent ?? '')})`,
  });
}

/** Ends every session of hers but `keepSessionId` (the one asking, when there is one). Returns how many. */
export async function endOtherSessions(props: {
  userId: string;
  keepSessionId?: string | null;
  actor: AuditActor | null;
  ip?: string | null;
  reason: string;
}): Promise<number> {
  // Every key but the one she keeps goes, also one of a session signed in meanwhile (a password change ends them all).
  const before = await UserModel.findById(props.userId, { signedInSessions: 1 }).lean();
  const keepKey = props.keepSessionId ? publicIdOf(props.keepSessionId) : undefined;
  const keep = (before?.signedInSessions ?? []).filter((key) => key === keepKey);
  await UserModel.updateOne({ _id: props.userId }, { $set: { signedInSessions: keep }, $inc: { sessionsEpoch: 1 } });
  const records = await SignedInSessionModel.find({ userId: props.userId }, { _id: 1, publicId: 1 }).lean();
  const ended = records.filter((r) => r._id !== props.keepSessionId);
  await endSessions(props.userId, ended);
  const endedKeys = new Set([...(before?.signedInSessions ?? []), ...ended.map((r) => r.publicId)]);
  for (const key of keep) endedKeys.delete(key);
  const count = endedKeys.size;
  if (count > 0)
    await recordAuditEvent({
      action: 'session-ended',
      actor: props.actor,
      target: { type: 'user', id: props.userId },
      ip: props.ip,
      detail: `${count} session(s) ended: ${props.reason}`,
    });
  return count;
}

/**
 * Ends every web session of hers at once, on every process (an account disabled or erased): her list is emptied
 * first (what every process checks), then each session's record and stored session go, found by her records (the
 * `userId` index), not by searching the stored sessions. A session from before the records existed has none; it is
 * refused anyway, since passport accepts active users only, and expires with the store. Returns how many went.
 */
export async function endAllSessionsOf(userId: string): Promise<number> {
  // No new epoch (models/User.ts): her account is no longer active, which every sign-in and every request checks.
  await UserModel.updateOne({ _id: userId }, { $set: { signedInSessions: [] } });
  const records = await SignedInSessionModel.find({ userId }, { _id: 1 }).lean();
  const ids = records.map((r) => r._id);
  if (ids.length === 0) return 0;
  await SignedInSessionModel.deleteMany({ _id: { $in: ids } });
  return (await sessionStore().deleteMany({ _id: { $in: ids } })).deletedCount;
}

/** Sign-out: the record goes with the session (no audit of its own: the caller records sign-out). */
export async function forgetSignedInSession(props: { sessionId: string; userId: string }): Promise<void> {
  await UserModel.updateOne({ _id: props.userId }, { $pull: { signedInSessions: publicIdOf(props.sessionId) } });
  await SignedInSessionModel.deleteOne({ _id: props.sessionId });
}

/**
 * Maintenance: records of sessions that have surely expired (idle past the cookie's lifetime, which lastSeenAt,
 * touched once a minute, trails by at most that minute).
 */
export async function purgeEndedSessionRecords(props: { idleMs: number; now?: Date }): Promise<number> {
  const now = props.now ?? new Date();
  const stale = await SignedInSessionModel.find(
    { lastSeenAt: { $lt: new Date(now.getTime() - props.idleMs - 2 * touchEveryMs) } },
    { _id: 1, publicId: 1, userId: 1 },
  ).lean();
  if (stale.length === 0) return 0;
  const byUser = new Map<string, string[]>();
  for (const r of stale) byUser.set(String(r.userId), [...(byUser.get(String(r.userId)) ?? []), r.publicId]);
  await UserModel.bulkWrite(
    [...byUser].map(([userId, keys]) => ({
      updateOne: { filter: { _id: userId }, update: { $pullAll: { signedInSessions: keys } } },
    })),
  );
  const result = await SignedInSessionModel.deleteMany({ _id: { $in: stale.map((r) => r._id) } });
  return result.deletedCount;
}
