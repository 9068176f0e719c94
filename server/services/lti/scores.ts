import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { LtiAccountModel } from '../../../models/LtiAccount.ts';
import { LtiLaunchModel } from '../../../models/LtiLaunch.ts';
import { LtiPlatformModel, type LtiPlatform } from '../../../models/LtiPlatform.ts';
import { LtiScoreModel, type LtiScore } from '../../../models/LtiScore.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { logger } from '../../logger.ts';
import { progressInCohort } from '../learning/progress.ts';
import { scope } from './claims.ts';
import { PlatformCallError, platformFetch, serviceToken } from './serviceToken.ts';

type Id = string | Types.ObjectId;

/** Retries wait 30 s, 1, 2, 4 … minutes, at most an hour; after this many attempts the score is `failed`. */
export const maxAttempts = 10;
const leaseMs = 2 * 60 * 1000;
/**
 * How long a run goes on taking rows. A row may take 20 s (a token and a post, 10 s each at most), so a run ends well
 * inside the job's 5-minute lock and each row well inside its lease.
 */
export const sendBudgetMs = 2 * 60 * 1000;
export const retryDelayMs = (attempt: number) => Math.min(30_000 * 2 ** (attempt - 1), 60 * 60 * 1000);

const scoreId = (platformId: Id, lineItemUrl: string, userId: Id) =>
  createHash('sha256').update(`${platformId}\n${lineItemUrl}\n${userId}`).digest('hex');

/**
 * The line items her score in a cohort goes to (AGS claim with the score scope), each with her `sub` there: those her
 * own launches into the cohort carried, and those of the cohort's links in the courses whose class list named her
 * (a sync), as any launch of those links carried them: a learner enrolled by a class-list sync who never opens
 * Pathways from her course still gets her grade, as LTI tools post it, under the `sub` the list gave.
 */
async function scoreTargets(userId: Id, cohortId: Id) {
  const [own, accounts] = await Promise.all([
    LtiLaunchModel.find({ userId, cohortId }, { platformId: 1, lineItemUrl: 1, canPostScores: 1, sub: 1 }).lean(),
    LtiAccountModel.find({ userId, 'classListCourses.0': { $exists: true } }).lean(),
  ]);
  const listed: { platformId: Types.ObjectId; lineItemUrl?: string | null; canPostScores: boolean; sub: string }[] = [];
  for (const account of accounts) {
    const links = await LtiLaunchModel.find(
      {
        cohortId,
        canPostScores: true,
        lineItemUrl: { $type: 'string' },
        $or: (account.classListCourses ?? []).map((c) => ({ platformId: account.platformId, ...c })),
      },
      { platformId: 1, lineItemUrl: 1, canPostScores: 1 },
    ).lean();
    listed.push(...links.map((l) => ({ ...l, sub: account.sub })));
  }
  const targets = new Map<string, { platformId: Types.ObjectId; lineItemUrl: string; sub: string }>();
  for (const l of [...own, ...listed])
    if (l.canPostScores && l.lineItemUrl)
      targets.set(scoreId(l.platformId, l.lineItemUrl, userId), {
        platformId: l.platformId,
        lineItemUrl: l.lineItemUrl,
        sub: l.sub,
      });
  return targets;
}

/**
 * Queues her current progress in a cohort for every line item it goes to (scoreTargets). One row per (user, line
 * item): the latest score overwrites the previous one and bumps `seq`, so what waits to be sent is always her latest
 * progress. Two completions on two processes each read her progress and
 * write it, in either order: each takes a ticket on the row (one `$inc`) before reading, and writes only over a score
 * read under an earlier ticket, so a reading that lands late never replaces a newer one. (A later ticket's reading
 * sees every completion made before the earlier ticket was taken.)
 */
export async function queueScores(props: { userId: Id; cohortId: Id; now?: Date }): Promise<number> {
  const now = props.now ?? new Date();
  const targets = await scoreTargets(props.userId, props.cohortId);
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
    const progress = await progressInCohort({
      userId: String(props.userId),
      cohortId: String(props.cohortId),
      programmeId: String(cohort.programmeId),
    });
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
 * Queues the score of everyone actively enrolled in these cohorts whose grade goes to a line item (scoreTargets), for
 * a change in her progress she did not make: the cohort's programme gained or lost a module (her total moved, and an
 * archive may have finished her), or the cohort now runs another programme. Only cohorts that some launch gave a
 * line item with the score scope are read further, so a change to a programme no LMS grades costs two reads; of
 * their learners, queueScores writes nothing for whoever has no line item. Safe to repeat: each row holds her
 * latest score.
 */
export async function queueScoresInCohorts(props: { cohortIds: Id[]; now?: Date }): Promise<number> {
  if (!props.cohortIds.length) return 0;
  const graded: Types.ObjectId[] = await LtiLaunchModel.distinct('cohortId', {
    cohortId: { $in: props.cohortIds.map((id) => new Types.ObjectId(String(id))) },
    canPostScores: true,
    lineItemUrl: { $type: 'string' },
  });
  if (!graded.length) return 0;
  const enrolments = await EnrolmentModel.find(
    { cohortId: { $in: graded }, status: 'active' },
    { userId: 1, cohortId: 1 },
  ).lean();
  let queued = 0;
  for (const e of enrolments) queued += await queueScores({ userId: e.userId, cohortId: e.cohortId, now: props.now });
  return queued;
}

/** queueScoresInCohorts for every cohort of the programme, after a module was added to it, archived or restored. */
export async function queueScoresOfProgramme(props: { programmeId: Id; now?: Date }): Promise<number> {
  const cohorts = await CohortModel.find({ programmeId: props.programmeId }, { _id: 1 }).lean();
  return queueScoresInCohorts({ cohortIds: cohorts.map((c) => c._id), now: props.now });
}

/**
 * The score as API.md fixes it: her progress so far (completed of total modules) with `gradingProgress`
 * `FullyGraded` at every step, so the LMS gradebook shows it as it grows; `activityProgress` says whether she is
 * still going (`InProgress`) or done (`Completed`). (A `Pending` grade would keep the cell empty until the end:
 * Canvas and Moodle ignore a pending score's scoreGiven.)
 */
function scoreBody(row: Pick<LtiScore, 'sub' | 'scoreGiven' | 'scoreMaximum' | 'activityProgress' | 'timestamp'>) {
  return {
    userId: row.sub,
    scoreGiven: row.scoreGiven,
    scoreMaximum: row.scoreMaximum,
    activityProgress: row.activityProgress,
    gradingProgress: 'FullyGraded',
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
export async function sendDueScores(props: { now?: Date; limit?: number; budgetMs?: number } = {}) {
  const startedAt = Date.now();
  const clock = () => props.now ?? new Date();
  const now = clock();
  const due = await LtiScoreModel.find({ state: 'pending', nextAttemptAt: { $lte: now } })
    .sort({ nextAttemptAt: 1 })
    .limit(props.limit ?? 100)
    .lean<LtiScore[]>();
  const tokens = new Map<string, Promise<string>>();
  const report = { sent: 0, retried: 0, failed: 0 };
  for (const row of due) {
    // Rows not taken by now wait for the next run (10 s later), so no row is still being sent when this run's lock
    // (jobs/lti.ts) ends and another process's run begins.
    if (Date.now() - startedAt > (props.budgetMs ?? sendBudgetMs)) break;
    // Leased from when it is taken, not from when the run began: a row taken minutes into a run (slow platforms before
    // it) holds its full lease while it is sent.
    const claimAt = clock();
    const claimed = await LtiScoreModel.findOneAndUpdate(
      {
        _id: row._id,
        state: 'pending',
        seq: row.seq,
        $or: [{ leaseUntil: null }, { leaseUntil: { $lt: claimAt } }],
      },
      { $set: { leaseUntil: new Date(claimAt.getTime() + leaseMs) }, $inc: { attempts: 1 } },
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
        // A grade the LMS refuses says why to the cohort's facilitators ("User is not in this course"): a POST of a
        // score, whose refusal words are the grade book's, not a page read back from wherever a launch pointed.
        quoteRefusal: true,
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
  // The cohort's line items (any launch of its links carried them): her score may be owed to one she never launched
  // herself (enrolled by a class-list sync: scoreTargets).
  const launches = await LtiLaunchModel.find(
    { cohortId, canPostScores: true, lineItemUrl: { $type: 'string' } },
    { platformId: 1, lineItemUrl: 1 },
  ).lean();
  const lineItems = new Map(launches.map((l) => [`${l.platformId}\n${l.lineItemUrl}`, l]));
  if (!lineItems.size) return [];
  const failed = await LtiScoreModel.find(
    {
      state: 'failed',
      $or: [...lineItems.values()].map((l) => ({ platformId: l.platformId, lineItemUrl: l.lineItemUrl })),
    },
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
