import type { Agenda } from 'agenda';
import { purgeExpiredLaunchRecords, sendDueScores } from '../server/services/lti/index.ts';
import type { JobArea } from './types.ts';

/**
 * LTI grades go out through their own durable queue (models/LtiScore.ts): `lti:send-scores` sends what is due every
 * 10 seconds; each row is claimed by a conditional update, so processes running it at once never send one twice.
 * `lti:clean-up` removes expired login states and nonces (no TTL indexes on FerretDB), and launches never linked to
 * an account a month after they came.
 */
export const ltiJobs: JobArea = {
  define(agenda: Agenda) {
    agenda.define('lti:send-scores', async () => void (await sendDueScores()), {
      concurrency: 1,
      lockLifetime: 5 * 60 * 1000,
    });
    agenda.define('lti:clean-up', async () => void (await purgeExpiredLaunchRecords()), { concurrency: 1 });
  },
  async schedule(agenda: Agenda) {
    await agenda.every('10 seconds', 'lti:send-scores', {}, { skipImmediate: false });
    await agenda.every('1 hour', 'lti:clean-up', {}, { skipImmediate: false });
  },
};
