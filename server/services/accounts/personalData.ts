import { Types } from 'mongoose';
import { ApiTokenModel } from '../../../models/ApiToken.ts';
import { AuditEventModel } from '../../../models/AuditEvent.ts';
import { OneTimeTokenModel } from '../../../models/OneTimeToken.ts';
import { AddressedEmailModel } from '../../../models/AddressedEmail.ts';
import { OutboxMessageModel } from '../../../models/OutboxMessage.ts';
import { SignedInSessionModel } from '../../../models/SignedInSession.ts';
import { namesToFollow, UserModel } from '../../../models/User.ts';
import { pseudonymiseInAuditTrail } from '../audit/retention.ts';
import { formerMemberName } from '../learning/personalData.ts';
import { personalDataArea } from '../privacy/personalData.ts';
import { endSessionsOf, revokeTokensOf } from './manage.ts';
import { deviceOf } from './sessions.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/** The address an `email-changed` audit event's detail ("old → new", services/accounts/credentials.ts) replaced. */
const formerAddressIn = (detail: string): string | null => {
  const [former, current] = detail.split(' → ');
  return former && current ? former.trim().toLowerCase() : null;
};

/** Unique per account, so the unique email index keeps working after any number of erasures. */
export const erasedEmailOf = (userId: Types.ObjectId | string) => `erased-${String(userId)}@erased.invalid`;

/**
 * The account itself: profile, preferences, API tokens (names and dates, never a hash), the sessions she is signed in
 * with (device, address and dates, as her security page shows them; never a session id, half of a cookie), and the
 * audit trail's events on her account (sign-ins and their addresses, changes made to it). Never the password hash
 * or a secret (the calendar feed token), nor which admin acted, nor an address that was not hers.
 * Erasure keeps the row, so everything that points at her reads "Former member": name and email go (a unique
 * placeholder keeps the email index working), the password hash, two-step keys and recovery codes and calendar token
 * are removed, sessions, tokens and emailed links end. The audit trail keeps every event and its ids but names her
 * "Former member" and her address by the placeholder (`pseudonymiseInAuditTrail`). Listed last in `personalDataAreas`: other areas find her
 * data by her email first.
 */
export const accountsPersonalData = personalDataArea({
  area: 'account',
  columns: {
    profile: ['id', 'email', 'name', 'roles', 'timezone', 'status', 'createdAt', 'lastSignInAt'],
    preferences: ['emailDigest', 'digestWeekday', 'mutedNotificationKinds', 'calendarFeed'],
    apiTokens: ['name', 'createdAt', 'expiresAt', 'lastUsedAt'],
    sessions: ['device', 'ipAddress', 'createdAt', 'lastSeenAt'],
    securityEvents: ['at', 'action', 'by', 'ipAddress', 'detail'],
  },
  async exportFor(userId) {
    const user = await UserModel.findById(userId).lean();
    const tokens = await ApiTokenModel.find({ userId }).sort({ createdAt: 1 }).lean();
    const sessions = await SignedInSessionModel.find({ userId }).sort({ createdAt: 1 }).lean();
    const events = await AuditEventModel.find({ targetType: 'user', targetId: String(userId) })
      .sort({ at: 1, _id: 1 })
      .lean();
    const me = String(userId);
    return {
      profile: user && {
        id: String(user._id),
        email: user.email,
        name: user.name,
        roles: user.roles,
        timezone: user.timezone,
        status: user.status,
        createdAt: iso(user.createdAt),
        lastSignInAt: iso(user.lastLoginAt),
      },
      preferences: user && {
        emailDigest: user.emailDigest,
        digestWeekday: user.digestWeekday,
        mutedNotificationKinds: user.mutedKinds,
        calendarFeed: !!user.calendarToken,
      },
      apiTokens: tokens.map((t) => ({
        name: t.name,
        createdAt: iso(t.createdAt),
        expiresAt: iso(t.expiresAt),
        lastUsedAt: iso(t.lastUsedAt),
      })),
      sessions: sessions.map((s) => ({
        device: deviceOf(s.userAgent ?? ''),
        ipAddress: s.ip ?? null,
        createdAt: iso(s.createdAt),
        lastSeenAt: iso(s.lastSeenAt),
      })),
      securityEvents: events.map((e) => {
        const by = !e.actorId ? null : String(e.actorId) === me ? 'you' : 'an admin';
        return {
          at: iso(e.at),
          action: e.action,
          by,
          // Only her own actions came from her connection: an admin's came from the admin's, and a failed sign-in
          // (no actor) from whoever typed her address.
          ipAddress: by === 'you' ? (e.ip ?? null) : null,
          detail: e.detail,
        };
      }),
    };
  },
  async eraseFor(userId) {
    const user = await UserModel.findById(userId, { email: 1, name: 1, emailUnverified: 1 }).lean();
    if (!user) return;
    const placeholder = erasedEmailOf(userId);
    // Mail to an address only an LMS vouched for may be its real holder's, who has no account here: it stays.
    if (user.email !== placeholder && !user.emailUnverified) {
      await OutboxMessageModel.deleteMany({ to: user.email });
      // An email to her address still waiting to be tried again (a Pledge or pool link) goes too.
      await AddressedEmailModel.deleteMany({ to: user.email });
    }
    // The addresses she gave up (the audit trail records each change): the outbox kept what was sent to each, the
    // notices of the change included. The address may be someone else's since: then only what was sent before
    // that account was opened goes (never anyone else's mail; hers from after, if any, stays).
    const changes = await AuditEventModel.find({
      action: 'email-changed',
      targetType: 'user',
      targetId: String(userId),
    })
      .select({ detail: 1 })
      .lean();
    for (const former of new Set(changes.map((c) => formerAddressIn(c.detail)))) {
      if (!former) continue;
      const holder = await UserModel.findOne({ email: former }).select({ createdAt: 1 }).lean();
      await OutboxMessageModel.deleteMany({
        to: former,
        ...(holder ? { createdAt: { $lt: holder.createdAt } } : {}),
      });
    }
    // Before her name leaves the account: a run interrupted after this still finds her names in the trail.
    await pseudonymiseInAuditTrail({
      userId,
      name: user.name,
      placeholderName: formerMemberName,
      placeholderEmail: placeholder,
    });
    await UserModel.updateOne(
      { _id: userId },
      {
        $set: {
          status: 'erased',
          name: formerMemberName,
          email: placeholder,
          mutedKinds: [],
          mfaEnabledAt: null,
          ...(user.name !== formerMemberName ? namesToFollow : {}),
        },
        // Her name changes (the first time): copies of it (accounts/nameCopies.ts) follow on the version, after every
        // area's erasure. Erasing again changes nothing.
        ...(user.name !== formerMemberName ? { $inc: { version: 1 } } : {}),
        // Her two-step sign-in goes with her password: the authenticator's key is a credential of hers.
        $unset: {
          passwordHash: 1,
          calendarToken: 1,
          lastLoginAt: 1,
          mfaSecret: 1,
          mfaPendingSecret: 1,
          mfaRecoveryCodes: 1,
        },
      },
    );
    await endSessionsOf(userId);
    await revokeTokensOf(userId);
    await OneTimeTokenModel.deleteMany({ userId: new Types.ObjectId(String(userId)) });
  },
});
