/**
 * A separate process that sends due reminders, for the crash test: `node --import tsx test/support/reminderWorker.ts
 * <mongodbUri> <dbName> <smtpUrl> <leaseMs>`. It runs the same function as the job until nothing is left scheduled, and prints
 * "done" — unless the test kills it first.
 */
import mongoose from 'mongoose';
import { connectDatabase } from '../../server/db.ts';
import { logger } from '../../server/logger.ts';
import { configureMailer, closeMailer } from '../../server/mailer.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { presentNotifications } from '../../server/services/reminders/queries.ts';

const [uri, dbName, smtpUrl, leaseMs] = process.argv.slice(2);
logger.level = 'silent';
await connectDatabase(uri!, dbName!);
configureMailer({ smtpUrl, from: 'Pathways <no-reply@pathways.test>' });
// Until nothing is left scheduled: claims a killed process left behind are only due once their lease ends.
for (;;) {
  const report = await runDueNotifications({ leaseMs: Number(leaseMs), batchSize: 50 });
  if (process.env.REMINDER_WORKER_DEBUG) console.error(JSON.stringify(report));
  if (report.due === 0 && !(await presentNotifications({ status: 'scheduled', limit: 1 })).length) break;
  if (report.sent === 0) await new Promise((r) => setTimeout(r, 200));
}
closeMailer();
await mongoose.disconnect();
console.log('done');
