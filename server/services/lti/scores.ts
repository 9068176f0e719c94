import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { LtiLaunchModel } from '../../../models/LtiLaunch.ts';
import { LtiPlatformModel, type LtiPlatform } from '../../../models/LtiPlatform.ts';
import { LtiScoreModel, type LtiScore } from '../../../models/LtiScore.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { logger } from '../../logger.ts';
import { programmeProgress } from '../learning/progress.ts';
import { scope } from './claims.ts';
import { PlatformCallError, platformFetch, serviceToken } from './serviceToken.ts';

type Id = string | Types.ObjectId;

/** Retries wait 30 s, 1, 2, 4 … minutes, at most an hour; after this many attempts the score is `failed`. */
export const maxAttempts = 10;
const leaseMs = 2 * 60 * 1000;
export const retryDelayMs = (attempt: number) => Math.min(30_000 * 2 ** (attempt - 1), 60 * 60 * 1000);

const scoreId = (platformId: Id, lineItemUrl: string, userId: Id) =>
  createHash('sha256').update(`${platformId}\n${lineItemUrl}\n${userId}`).digest('hex');

/**
 * Queues her current progress in a cohort for every line item her launches into it named (AGS claim with the score
 * scope). One row per (user, line item): the latest score overwrites the previous one and bumps `seq`, so what
 * waits to be sent is always her latest progress. Two completions on two processes each read her progress and
 * write it, in either order: each takes a ticket on the row (one `$inc`) before reading, and writes only over a score
 * read under an earlier ticket, so a reading that lands late never replaces a newer one. (A later ticket's reading
 * sees every completion made before the earlier ticket was taken.)
 */
export async function queueScores(props: { userId: Id; cohortId: Id; now?: Date }): Promise<number> {
  const now = props.now ?? new Date();
  const launches = await LtiLaunchModel.find(
    { userId: props.userId, cohortId: props.cohortId },
    { platformId: 1, lineItemUrl: 1, canPostScores: 1, sub: 1 },
  ).lean();
  const targets = new Map<string, { platformId: Types.ObjectId; lineItemUrl: string; sub: string }>();
  for (const l of launches)
    if (l.canPostScores && l.lineItemUrl)
      targets.set(scoreId(l.platformId, l.lineItemUrl, props.userId), {
        platformId: l.platformId,
        lineItemUrl: l.lineItemUrl,
        sub: l.sub,
      });
  if (!targets.size) return 0;
  const cohort = await CohortModel.findById(props.cohortId, { programmeId: 1 }).lean();
  if (!cohort) return 0;
  let pending = [...targets.keys()];
  for (let round = 0; round < 3 && pending.length; round += 1) {
    // Tickets first, then her progress: null when the row does not exist yet (it is then inserted, or retried).
    const tickets = new Map<string, number | null>();
    for (const id of pending) {
      const held = await LtiScoreModel.findOneAndUpdate(
        { _id: id },
        { $inc: { ticket: 1 } },
        { returnDocument: 'after' },
      ).lean();
      tickets.set(id, held ? held.ticket : null);
    }
    const progress = await programmeProgress({ userId: String(props.userId), programmeId: String(cohort.programmeId) });
    const completed = progress.totalModules > 0 && progress.completedModules >= progress.totalModules;
    const raced: string[] = [];
    for (const id of pending) {
      const target = targets.get(id)!;
      const ticket = tickets.get(id);
      const score = {
        scoreGiven: progress.completedModules,
        scoreMaximum: Math.max(progress.totalModules, 1),
        activityProgress: completed ? ('Completed' as const) : ('InProgress' as const),
        timestamp: now,
        state: 'pending' as const,
        attempts: 0,
        nextAttemptAt: now,
        sub: target.sub,
      };
      if (ticket !== null && ticket !== undefined) {
        // Refused when a reading under a later ticket is stored already: nothing to do.
        await LtiScoreModel.updateOne(
          { _id: id, $or: [{ scoreTicket: { $lt: ticket } }, { scoreTicket: { $exists: false } }] },
          { $set: { ...score, scoreTicket: ticket }, $inc: { seq: 1 } },
        );
        continue;
      }
      try {
        await LtiScoreModel.create({
          _id: id,
          ...score,
          platformId: target.platformId,
          lineItemUrl: target.lineItemUrl,
          userId: new Types.ObjectId(String(props.userId)),
          seq: 1,
          sentSeq: 0,
          ticket: 0,
          scoreTicket: 0,
        });
      } catch (error) {
        // Inserted by another completion meanwhile: take a ticket on its row and read her progress again.
        if (!isDuplicateKeyError(error)) throw error;
        raced.push(id);
      }
    }
    pending = raced;
  }
  return targets.size;
}

/**
 * The score as AGS 2.0 (§3.4) posts it. Her progress while modules remain is not her grade yet: `Pending` (the
 * platform keeps it as partial and may show progress, but does not record it as her grade: Canvas and Moodle ignore
 * its scoreGiven); all modules done is `FullyGraded`. Pathways has nothing a person still grades by hand (a
 * reflection counts once written), so never `PendingManual`.
 */
function scoreBody(row: Pick<LtiScore, 'sub' | 'scoreGiven' | 'scoreMaximum' | 'activityProgress' | 'timestamp'>) {
  return {
    userId: row.sub,
    scoreGiven: row.scoreGiven,
    scoreMaximum: row.scoreMaximum,
    activityProgress: row.activityProgress,
    gradingProgress: row.activityProgress === 'Completed' ? 'FullyGraded' : 'Pending',
    timestamp: row.timestamp.toISOString(),
  };
}

/** `<lineitem>/scores`, keeping the line item URL's query string. */
export function scoresUrl(lineItemUrl: string): string {
  const url = new URL(lineItemUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/scores`;
  return url.toString();
}

/**
 * Sends what is due. Each row is claimed with a conditional update (free lease, same `seq`), so one process sends
 * it; after the post it is marked sent only if no newer score arrived meanwhile (`seq` unchanged), else it stays
 * pending and the newer score goes next. The score's `timestamp` lets the platform ignore anything older
 * (AGS 2.0 §3.4), so even a send that outlives its lease cannot put an older score over a newer one.
 */
export async function sendDueScores(props: { now?: Date; limit?: number } = {}) {
  const now = props.now ?? new Date();
  const due = await LtiScoreModel.find({ state: 'pending', nextAttemptAt: { $lte: now } })
    .sort({ nextAttemptAt: 1 })
    .limit(props.limit ?? 100)
    .lean<LtiScore[]>();
  const tokens = new Map<string, Promise<string>>();
  const report = { sent: 0, retried: 0, failed: 0 };
  for (const row of due) {
    const claimed = await LtiScoreModel.findOneAndUpdate(
      {
        _id: row._id,
        state: 'pending',
        seq: row.seq,
        $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }],
      },
      { $set: { leaseUntil: new Date(now.getTime() + leaseMs) }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    ).lean<LtiScore>();
    if (!claimed) continue;
    try {
      const platform = await LtiPlatformModel.findById(claimed.platformId).lean<LtiPlatform>();
      if (!platform) throw new PlatformCallError('the platform is no longer registered', false);
      const key = String(platform._id);
      if (!tokens.has(key)) tokens.set(key, serviceToken(platform, [scope.score]));
      const token = await tokens.get(key)!.catch((error: unknown) => {
        tokens.delete(key);
        throw error;
      });
      await platformFetch(scoresUrl(claimed.lineItemUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.ims.lis.v1.score+json' },
        body: JSON.stringify(scoreBody(claimed)),
      });
      await LtiScoreModel.updateOne(
        { _id: claimed._id, seq: claimed.seq },
        { $set: { state: 'sent', sentSeq: claimed.seq, sentAt: new Date() }, $unset: { leaseUntil: 1, lastError: 1 } },
      );
      // A newer score arrived during the post: it is pending with its own seq; free the lease for it.
      await LtiScoreModel.updateOne({ _id: claimed._id, seq: { $ne: claimed.seq } }, { $unset: { leaseUntil: 1 } });
      report.sent += 1;
    } catch (error) {
      const retryable = error instanceof PlatformCallError ? error.retryable : true;
      const last = !retryable || claimed.attempts >= maxAttempts;
      logger.warn({ err: error, scoreId: claimed._id, attempt: claimed.attempts }, 'LTI score not delivered');
      await LtiScoreModel.updateOne(
        { _id: claimed._id, seq: claimed.seq },
        {
          $set: {
            state: last ? 'failed' : 'pending',
            nextAttemptAt: new Date(Date.now() + retryDelayMs(claimed.attempts)),
            lastError: (error as Error).message.slice(0, 500),
          },
          $unset: { leaseUntil: 1 },
        },
      );
      await LtiScoreModel.updateOne({ _id: claimed._id, seq: { $ne: claimed.seq } }, { $unset: { leaseUntil: 1 } });
      if (last) report.failed += 1;
      else report.retried += 1;
    }
  }
  return report;
}

/**
 * Scores of a cohort's learners that the LMS would not take (state `failed`: refused, or still failing after the
 * last attempt), with its reason: the cohort page shows them, so a refusal is not known to the logs alone. A newer
 * score for the same person is tried again by itself.
 */
export async function undeliveredScores(cohortId: Id): Promise<{ name: string; reason: string; at: Date }[]> {
  const launches = await LtiLaunchModel.find(
    { cohortId, canPostScores: true, lineItemUrl: { $type: 'string' }, userId: { $exists: true } },
    { platformId: 1, lineItemUrl: 1, userId: 1 },
  ).lean();
  const ids = [...new Set(launches.map((l) => scoreId(l.platformId, l.lineItemUrl!, l.userId!)))];
  if (!ids.length) return [];
  const failed = await LtiScoreModel.find(
    { _id: { $in: ids }, state: 'failed' },
    { userId: 1, lastError: 1, updatedAt: 1 },
  )
    .sort({ updatedAt: -1 })
    .lean<(LtiScore & { updatedAt: Date })[]>();
  const names = new Map(
    (await UserModel.find({ _id: { $in: failed.map((f) => f.userId) } }, { name: 1 }).lean()).map((u) => [
      String(u._id),
      u.name,
    ]),
  );
  return failed.map((f) => ({
    name: names.get(String(f.userId)) ?? 'A former participant',
    reason: f.lastError ?? 'no reason given',
    at: f.updatedAt,
  }));
}
