import type { Types } from 'mongoose';
import { AuditEventModel } from '../../../models/AuditEvent.ts';
import { wholeWordPattern } from '../../textSearch.ts';

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The one path that removes audit events: the maintenance job, for events older than AUDIT_RETENTION_DAYS, only when an
 * operator set it (API.md: nothing deletes an event; a retention limit is the operator's own data-protection rule). Nothing
 * else in Pathways updates or deletes an event but the erasure's pseudonymisation below (test/accounts/audit.test.ts
 * holds the services to that).
 */
export async function purgeExpiredAuditEvents(props: { retentionDays: number; now?: Date }): Promise<number> {
  const now = props.now ?? new Date();
  const result = await AuditEventModel.deleteMany({
    at: { $lt: new Date(now.getTime() - props.retentionDays * dayMs) },
  });
  return result.deletedCount;
}

/** Addresses as the details write them ("to ana@x.org", "ana@x.org → ana@y.org"). */
const addressPattern = /[^\s()<>,;]+@[^\s()<>,;]+/g;

/**
 * Her names as the trail's details wrote them: `user-created` ("Ana Diaz (participant), invited",
 * services/users.ts), `user-updated` ("name: Ana → Ana D", accounts/manage.ts and details.ts) and `mfa-reset`
 * ("two-step sign-in of Ana turned off", accounts/twoStep.ts).
 */
function namesIn(action: string, detail: string): string[] {
  if (action === 'user-created') return [/^(.*?) \([^()]*\)(, invited)?$/.exec(detail)?.[1] ?? ''];
  if (action === 'user-updated')
    return detail
      .split('; ')
      .filter((part) => part.startsWith('name: '))
      .flatMap((part) => part.slice('name: '.length).split(' → '));
  if (action === 'mfa-reset') return [/^two-step sign-in of (.*) turned off$/.exec(detail)?.[1] ?? ''];
  return [];
}

type TrailEvent = {
  action: string;
  detail?: string | null;
  actorId?: unknown;
  actorName?: string | null;
  targetType?: string | null;
  targetId?: string | null;
};

/** The events about her account and those she did. */
const eventsOfHers = (userId: Types.ObjectId) =>
  AuditEventModel.find({ $or: [{ targetType: 'user', targetId: String(userId) }, { actorId: userId }] })
    .select({ action: 1, detail: 1, actorId: 1, actorName: 1, targetType: 1, targetId: 1 })
    .lean();

/** Her name now and the ones the trail knew her by (events she did, renames of her account), longest first. */
function namesOf(props: { id: string; name: string; placeholderName: string; events: readonly TrailEvent[] }) {
  const { id, events } = props;
  const names = new Set([
    props.name,
    ...events.map((e) => (String(e.actorId) === id ? (e.actorName ?? '') : '')),
    ...events
      .filter((e) => e.targetType === 'user' && e.targetId === id)
      .flatMap((e) => namesIn(e.action, e.detail ?? '')),
  ]);
  names.delete(props.placeholderName);
  names.delete('');
  // Longest first, so "Ana Diaz" goes whole rather than leaving "Diaz" after "Ana".
  return [...names]
    .map((n) => n.trim())
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
}

/**
 * Every name she has gone by in Pathways, as far as the audit trail knows (her name now first among equals; longest
 * first): what erasure takes out of the emails others were sent about her, which carry the name she had then. Read
 * before the trail is pseudonymised (the account's area runs last).
 */
export async function namesSheWentBy(props: {
  userId: Types.ObjectId;
  name: string;
  placeholderName: string;
}): Promise<string[]> {
  const events = await eventsOfHers(props.userId);
  return namesOf({ id: String(props.userId), name: props.name, placeholderName: props.placeholderName, events });
}

/**
 * Erasure pseudonymises her in the trail at once (API.md: once erased, her name and email are gone): every event stays,
 * with its ids, action, time and address, so the trail still says what was done to which account and by whom; her
 * name leaves the events she did (`actorName`) and her names and addresses leave the details of the events about her
 * account and of what she did to things that are not other people (a token she named). An event about someone else
 * keeps its detail, so a namesake's stay hers. Her names are gathered from the trail as well as given, so a second run
 * after an interruption (her account already renamed) still finds them. Each rewrite is conditional on the detail it
 * read; running it again changes nothing.
 */
export async function pseudonymiseInAuditTrail(props: {
  userId: Types.ObjectId;
  /** Her name now; the trail adds the ones she had before. */
  name: string;
  /** What she is called instead, and the address that stands for hers. */
  placeholderName: string;
  placeholderEmail: string;
}): Promise<void> {
  const id = String(props.userId);
  const aboutHer = (e: { targetType?: string | null; targetId?: string | null }) =>
    e.targetType === 'user' && e.targetId === id;
  const events = await eventsOfHers(props.userId);
  const byLength = namesOf({ id, name: props.name, placeholderName: props.placeholderName, events });
  // Whole words only: a short name ("Al", "a1") is not taken out of "Alumni" or a zone.
  const patterns = byLength.map(wholeWordPattern);
  for (const e of events) {
    // What she did to another person (an admin creating or renaming a namesake) names that person: left as it is.
    if (!aboutHer(e) && e.targetType === 'user') continue;
    const detail = e.detail ?? '';
    // Every address in an event about her account is one she had (a change of address, an invitation sent).
    let written = aboutHer(e) ? detail.replace(addressPattern, props.placeholderEmail) : detail;
    for (const pattern of patterns) written = written.replace(pattern, props.placeholderName);
    if (written !== detail) await AuditEventModel.updateOne({ _id: e._id, detail }, { $set: { detail: written } });
  }
  // Last, so that a run interrupted before this point finds her former names on the events she did.
  await AuditEventModel.updateMany(
    { actorId: props.userId, actorName: { $ne: props.placeholderName } },
    { $set: { actorName: props.placeholderName } },
  );
}
