import { Types } from 'mongoose';
import { ResearchConsentModel, consentChangeId } from '../../../models/ResearchConsent.ts';
import { ResearchParticipantModel } from '../../../models/ResearchParticipant.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError } from '../../errors.ts';
import { refreshFiguresOfPerson } from './cohortFigures.ts';
import { consentText } from './consentText.ts';

const messages = {
  busy: 'Your research consent was changing at the same moment elsewhere: please try again.',
} as const;

type Id = string | Types.ObjectId;
export type ConsentChange = { consented: boolean; at: Date; textVersion?: string };
export type ConsentState = { consented: boolean; textVersion: string | null; at: Date | null };

/** Her consent at an instant, from her history (any order): the last change at or before it; none means no. */
export function consentedAt(history: readonly ConsentChange[], instant: Date): boolean {
  let last: ConsentChange | undefined;
  for (const change of history) {
    if (change.at.getTime() <= instant.getTime() && (!last || change.at.getTime() >= last.at.getTime())) last = change;
  }
  return last?.consented ?? false;
}

/**
 * Whether a record of hers made at `madeAt` may be counted now: she consents now and consented when it was made
 * (figures count her only while she consents, from the time she did).
 */
export function countable(history: readonly ConsentChange[], madeAt: Date, now: Date): boolean {
  return consentedAt(history, now) && consentedAt(history, madeAt);
}

export async function consentState(props: { userId: Id }): Promise<ConsentState> {
  const last = await ResearchConsentModel.findOne({ userId: new Types.ObjectId(String(props.userId)) })
    .sort({ at: -1, _id: -1 })
    .lean();
  return last
    ? { consented: last.consented, textVersion: last.textVersion, at: last.at }
    : { consented: false, textVersion: null, at: null };
}

/**
 * Records a change of her consent (a new record; history is never edited). Setting what is already set records
 * nothing and answers the current state, so a double click is one change, also when both clicks land at once: the
 * state and the place of the change come from one read of her history, and a change written over the same history
 * by another process has the same `_id` (models/ResearchConsent.ts), so only one is stored; the other reads again.
 */
export async function setResearchConsent(props: {
  /** The person herself: consent is never given on someone's behalf. */
  userId: Id;
  consented: boolean;
  now?: Date;
}): Promise<{ consented: boolean; textVersion: string; at: Date }> {
  const userId = new Types.ObjectId(String(props.userId));
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const history = await ResearchConsentModel.find({ userId }).select({ consented: 1, textVersion: 1, at: 1 }).lean();
    const current = latestChange(history);
    if (current?.consented === props.consented)
      return { consented: current.consented, textVersion: current.textVersion, at: current.at };
    const at = props.now ?? new Date();
    try {
      await ResearchConsentModel.create({
        _id: consentChangeId(userId, history.length),
        userId,
        consented: props.consented,
        textVersion: consentText.version,
        at,
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Another change was written over the same history a moment ago: read it again.
      continue;
    }
    // The dashboard sums per-cohort records: hers are recomputed now, so she leaves (or joins) the figures at once.
    await refreshFiguresOfPerson({ userId });
    return { consented: props.consented, textVersion: consentText.version, at };
  }
  throw new ConflictError(messages.busy);
}

/** Her latest change as consentState reads it: the latest `at`, the greater `_id` breaking a tie. */
function latestChange<T extends { _id: Types.ObjectId; at: Date }>(history: T[]): T | undefined {
  const later = (a: T, b: T) =>
    a.at.getTime() !== b.at.getTime() ? a.at.getTime() > b.at.getTime() : a._id.toHexString() > b._id.toHexString();
  return history.reduce<T | undefined>(
    (latest, change) => (!latest || later(change, latest) ? change : latest),
    undefined,
  );
}

/** Every consent change of these people, by user id (one indexed query). */
export async function consentHistories(userIds: Id[]): Promise<Map<string, ConsentChange[]>> {
  const rows = await ResearchConsentModel.find({
    userId: { $in: userIds.map((id) => new Types.ObjectId(String(id))) },
  })
    .select({ userId: 1, consented: 1, at: 1, textVersion: 1 })
    .lean();
  const byUser = new Map<string, ConsentChange[]>();
  for (const r of rows) {
    const list = byUser.get(String(r.userId)) ?? [];
    list.push({ consented: r.consented, at: r.at, textVersion: r.textVersion });
    byUser.set(String(r.userId), list);
  }
  return byUser;
}

/** Her optional context for research (country, region, phase). */
export async function saveResearchContext(props: {
  userId: Id;
  country: string;
  region: string;
  phase: string;
}): Promise<void> {
  await ResearchParticipantModel.updateOne(
    { userId: new Types.ObjectId(String(props.userId)) },
    { $set: { country: props.country, region: props.region, phase: props.phase } },
    { upsert: true },
  );
}

export async function researchContext(props: { userId: Id }) {
  const row = await ResearchParticipantModel.findOne({ userId: new Types.ObjectId(String(props.userId)) }).lean();
  return { country: row?.country ?? '', region: row?.region ?? '', phase: row?.phase ?? '' };
}
