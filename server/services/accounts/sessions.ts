import mongoose from 'mongoose';
import UAParser from 'ua-parser-js';
import { SignedInSessionModel } from '../../../models/SignedInSession.ts';
import { NotFoundError } from '../../errors.ts';
import { recordAuditEvent, type AuditActor } from '../audit/events.ts';
import { hashSecret } from '../secrets.ts';

const publicIdOf = (sessionId: string): string => hashSecret(`session:${sessionId}`).slice(0, 32);

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

/** Records a new signed-in session (at sign-in, or the first request of a session signed in another way). */
export async function beginSignedInSession(props: {
  sessionId: string;
  userId: string;
  userAgent?: string;
  ip?: string | null;
  now?: Date;
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
}

/**
 * Whether the session is still one of hers, and marks it used: lastSeenAt moves only when it is over a minute old,
 * by one conditional update (two processes racing write once, harmlessly).
 */
export async function sessionStillSignedIn(props: { sessionId: string; userId: string; now?: Date }): Promise<boolean> {
  const now = props.now ?? new Date();
  const record = await SignedInSessionModel.findById(props.sessionId).lean();
  if (!record || String(record.userId) !== props.userId) return false;
  if (now.getTime() - record.lastSeenAt.getTime() > touchEveryMs)
    await SignedInSessionModel.updateOne(
      { _id: props.sessionId, lastSeenAt: { $lt: new Date(now.getTime() - touchEveryMs) } },
      { $set: { lastSeenAt: now } },
    );
  return true;
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
  return records
    .filter((r) => aliveIds.has(r._id))
    .map((r) => ({
      id: r.publicId,
      createdAt: r.createdAt.toISOString(),
      lastSeenAt: r.lastSeenAt.toISOString(),
      userAgent: r.userAgent ?? '',
      device: deviceOf(r.userAgent ?? ''),
      current: r._id === props.currentSessionId,
    }));
}

async function endSessions(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // The record first: it is what every process checks, so the sessions stop even if the store delete fails.
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
  await endSessions([record._id]);
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
  actor: AuditActor;
  ip?: string | null;
  reason: string;
}): Promise<number> {
  const records = await SignedInSessionModel.find({ userId: props.userId }, { _id: 1 }).lean();
  const ids = records.map((r) => r._id).filter((id) => id !== props.keepSessionId);
  await endSessions(ids);
  if (ids.length > 0)
    await recordAuditEvent({
      action: 'session-ended',
      actor: props.actor,
      target: { type: 'user', id: props.userId },
      ip: props.ip,
      detail: `${ids.length} session(s) ended: ${props.reason}`,
    });
  return ids.length;
}

/** Sign-out: the record goes with the session (no audit of its own: the caller records sign-out). */
export async function forgetSignedInSession(props: { sessionId: string }): Promise<void> {
  await SignedInSessionModel.deleteOne({ _id: props.sessionId });
}

/**
 * Maintenance: records of sessions that have surely expired (idle past the cookie's lifetime, which lastSeenAt,
 * touched once a minute, trails by at most that minute).
 */
export async function purgeEndedSessionRecords(props: { idleMs: number; now?: Date }): Promise<number> {
  const now = props.now ?? new Date();
  const result = await SignedInSessionModel.deleteMany({
    lastSeenAt: { $lt: new Date(now.getTime() - props.idleMs - 2 * touchEveryMs) },
  });
  return result.deletedCount;
}
