import { once } from 'node:events';
import path from 'node:path';
import type { Server } from 'node:http';
import type { Agenda } from 'agenda';
import type { Express } from 'express';
import mongoose from 'mongoose';
import { startJobs, stopJobs, stopTakingWork } from '../jobs/index.ts';
import { createApp } from './app.ts';
import { workAfterAnswersDone } from './http/afterAnswering.ts';
import { ConfigError, loadConfig } from './config.ts';
import { connectDatabase, connectedDatabase, uriWithoutSecrets } from './db.ts';
import { demoAccounts, demoPassword } from './demo/people.ts';
import { handOverDemoLoad, seedDemoDataIfEmpty } from './demo/index.ts';
import { demoTwoStep } from './demo/accounts.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embeddedDatabase.ts';
import { ConflictError } from './errors.ts';
import { logger } from './logger.ts';
import { closeMailer, configureMailer, emailsAnswered } from './mailer.ts';
import { applyKeepAlive } from './http/serverTimeouts.ts';
import { answersInProgress, beginDraining } from './http/draining.ts';
import { ensureCoreProgrammes } from './services/learning/coreProgrammes.ts';
import { markPanelTrainingOnUpgrade } from './services/learning/panelTraining.ts';
import { addressedEmailsDone, sendingDone } from './services/reminders/index.ts';
import { ensureInitialAdmin } from './services/users.ts';
import { dropRetiredSchema } from './retiredSchema.ts';
import { repairStoredEmails } from './services/accounts/storedEmails.ts';
import { refoldSearchTexts } from './services/directory/profiles.ts';
import { markLmsAssertedAddresses } from './services/lti/index.ts';
import { rekeyNetworkNames } from './services/networks/networks.ts';
import { applySettings } from './settings.ts';
import { closeWithin, exitOnUnexpectedErrors, type ShutdownStep } from './shutdown.ts';

/** Runs Pathways: database (embedded unless MONGODB_URI), app, jobs; stops all of them cleanly on a signal. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
  logger.level = config.logLevel;
  exitOnUnexpectedErrors();
  // Before anything writes (the first admin, demo data): links, signing and sealing use these settings. The mailer too:
  // the demo load sends what is due at once, which went to the outbox, recorded as sent, when createApp configured it.
  applySettings(config);
  configureMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom });

  // What is open so far. A signal closes it whether start-up has finished or not: one that came during a migration or
  // the demo load used to kill the process at once, mid-write, with no line in the log (the embedded FerretDB then
  // died of a broken pipe at its next log line, and its folder's lock was left behind).
  let embeddedStarting: Promise<EmbeddedDatabase> | undefined;
  let embedded: EmbeddedDatabase | undefined;
  let web: { app: Express; server: Server } | undefined = undefined;
  let agenda: Agenda | undefined = undefined;
  // Requests in flight and jobs each get 40% of what the drain leaves of the time allowed.
  const share = (config.shutdownTimeoutMs - config.shutdownDrainMs) * 0.4;
  const openSteps = (): ShutdownStep[] => [
    // A signal during the first start's demo load: the area being loaded finishes (its emails are then waited for
    // below), and the next start need not wait for this one's beat to stand still.
    { name: 'demo data load', close: handOverDemoLoad },
    // At once: the reminders claim no more sends, so those under way can finish before the mail connections close.
    ...(agenda ? [{ name: 'new work for jobs', close: () => stopTakingWork(agenda!) }] : []),
    ...(web ? [httpStep(web.app, web.server, config.shutdownDrainMs, share)] : []),
    { name: 'work after answers (emails)', close: workAfterAnswersDone },
    // Jobs still running after their share are unlocked (stopJobs), which must happen before the deadline.
    ...(agenda ? [{ name: 'scheduled jobs', close: () => stopJobs(agenda!, { drainMs: share }) }] : []),
    // A job unlocked above may still be sending: an email the mail server accepted but nobody recorded would go out
    // again when its claim's lease ends (the mail pool closed under sends, the database under their results).
    // Then the emails requests sent straight (an email-change link) that the mail server has not answered yet.
    {
      name: 'emails being sent',
      close: async () => {
        await sendingDone();
        await addressedEmailsDone();
        await emailsAnswered();
      },
    },
    { name: 'mail connections', close: closeMailer },
    // During start-up this cuts what is reading or writing (a demo load cut so is done again on the next start).
    { name: 'database connection', close: () => mongoose.disconnect() },
    ...(embeddedStarting
      ? [{ name: 'embedded database', close: async () => (await embeddedStarting!.catch(() => undefined))?.stop() }]
      : []),
  ];
  let running = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(running ? { signal } : { signal, during: 'start-up' }, 'shutting down');
    // Jobs take no new work (no more sends claimed); answer /healthz 503 (for SHUTDOWN_DRAIN_SECONDS still
    // accepting), stop accepting, close each connection after its request in flight (any still open are cut at 40% of
    // the time left), then the work after answers (a reset link's email, planned before the database goes), jobs, the
    // emails still with the mail server (answered and recorded), mail, the database.
    const code = await closeWithin(openSteps(), config.shutdownTimeoutMs);
    if (code === 0) logger.info('stopped');
    else logger.error('stopped, not cleanly (see above)');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  let uri = config.mongodbUri;
  if (!uri) {
    try {
      embeddedStarting = startEmbeddedDatabase({
        dataDir: config.dataDir,
        onUnexpectedExit: (how) => {
          if (stopping) return;
          // The manager restarts the app, and with it the database; left running, every page would fail.
          logger.fatal(
            `the embedded database stopped while Pathways ran (${how}; see ${path.join(config.dataDir, 'database.log')}): Pathways exits so that both can be started again`,
          );
          process.exit(1);
        },
      });
      embedded = await embeddedStarting;
    } catch (error) {
      if (stopping) return;
      console.error(`\n${(error as Error).message}\n`);
      process.exit(69);
    }
    if (stopping) return;
    uri = embedded.uri;
    logger.info({ kind: embedded.kind, uri, dataDir: config.dataDir }, 'embedded database started');
  }
  try {
    await connectDatabase(uri);
  } catch (error) {
    if (stopping) return;
    // Unreachable (or refusing us): an operator's problem, said in one line. Anything after connecting is a bug.
    if (mongoose.connection.readyState === 1) throw error;
    await embedded?.stop();
    const where = embedded
      ? `the embedded database (see ${config.dataDir}/database.log)`
      : `the database at MONGODB_URI (${uriWithoutSecrets(uri)})`;
    return stopStarting(69, `Pathways could not connect to ${where}: ${(error as Error).message}`);
  }
  if (stopping) return;
  const ferret = connectedDatabase().ferretDb;
  const retired = await dropRetiredSchema(mongoose.connection.db!);
  if (retired.collections.length || retired.indexes.length)
    logger.info(retired, 'dropped collections and indexes this version no longer uses');
  const emails = await repairStoredEmails();
  if (emails.repaired) logger.info({ repaired: emails.repaired }, 'stored email addresses put in their one form');
  if (emails.clashes.length)
    logger.warn(
      { clashes: emails.clashes },
      'one person has two accounts (or signatures) under two forms of an address',
    );
  const refolded = await refoldSearchTexts();
  if (refolded) logger.info({ refolded }, 'directory search texts written in the folding this version searches');
  const networkNames = await rekeyNetworkNames();
  if (networkNames.rekeyed)
    logger.info({ rekeyed: networkNames.rekeyed }, 'network name keys written without invisible characters');
  if (networkNames.clashes.length)
    logger.warn(
      { clashes: networkNames.clashes },
      'two networks have names that differ only in invisible characters: an admin renames one',
    );
  const lmsAddresses = await markLmsAssertedAddresses();
  if (lmsAddresses)
    logger.info({ marked: lmsAddresses }, 'addresses an LMS gave its accounts marked as not yet proved');

  try {
    if (await ensureInitialAdmin(config.admin)) logger.info({ email: config.admin!.email }, 'created the first admin');
  } catch (error) {
    // Her address taken by an account that is not an admin: the operator's to choose another, said in one line.
    if (!(error instanceof ConflictError) || stopping) throw error;
    await mongoose.disconnect();
    await embedded?.stop();
    return stopStarting(
      78,
      `ADMIN_EMAIL: ${config.admin!.email} has an account that is not an admin, and there is no admin yet. Set ADMIN_EMAIL to another address for the first admin; she can then make that account an admin.`,
    );
  }
  if (await ensureCoreProgrammes()) logger.info('created the three core programmes');
  const panelTraining = await markPanelTrainingOnUpgrade();
  if (panelTraining?.marked)
    logger.info(panelTraining, 'marked the interview panels’ unconscious-bias training (an admin may change it)');
  else if (panelTraining)
    logger.warn(
      panelTraining,
      'no programme marked as the interview panels’ unconscious-bias training: an admin marks it in its settings',
    );
  const seeded = config.demoData ? await seedDemoDataIfEmpty() : false;
  if (stopping) return;

  const app = createApp(config);
  const server: Server = app.listen(config.port);
  applyKeepAlive(server, config.keepAliveTimeoutMs);
  web = { app, server };
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (stopping || (code !== 'EADDRINUSE' && code !== 'EACCES')) throw error;
    await mongoose.disconnect();
    await embedded?.stop();
    const why = code === 'EADDRINUSE' ? 'is in use by another program' : 'may not be opened by this user';
    return stopStarting(69, `Pathways could not listen on PORT ${config.port}: the port ${why}.`);
  }
  if (stopping) return;
  agenda = config.runJobs ? await startJobs({ processEvery: '5 seconds' }) : undefined;
  // A signal while the jobs started found no agenda to stop: it is stopped here, before the database closes.
  if (stopping) return void (await agenda?.stop());
  running = true;

  console.log(
    `\nPathways is running on ${config.baseUrl} (database: ${ferret ? 'FerretDB' : 'MongoDB'}${embedded ? ', embedded' : ''}).`,
  );
  if (config.demoData) {
    console.log(
      `${seeded ? 'Demo data loaded.' : 'Demo data already present.'} Demo accounts (password "${demoPassword}"):`,
    );
    for (const a of demoAccounts) console.log(`  ${a.roles[0]!.padEnd(12)} ${a.email}`);
    console.log(
      `  two-step     ${demoTwoStep.email} (add the key ${demoTwoStep.secret} to an authenticator app, or use a recovery code ${demoTwoStep.recoveryCodes[0]} … ${demoTwoStep.recoveryCodes.at(-1)}, once each)`,
    );
  }
  console.log('Press Ctrl-C to stop.\n');
}

/**
 * The HTTP server's stop: /healthz 503 and each connection closed after its request; after `drainMs` (still accepting
 * meanwhile, for the load balancer's health checks to notice) no new connections; any still open `cutAfterMs` later
 * are cut.
 */
function httpStep(app: Express, server: Server, drainMs: number, cutAfterMs: number): ShutdownStep {
  return {
    name: 'HTTP server (requests in flight)',
    close: async () => {
      beginDraining(app);
      if (drainMs > 0) {
        logger.info({ drainSeconds: drainMs / 1000 }, 'draining: /healthz answers 503 until the port closes');
        await new Promise((resolve) => setTimeout(resolve, drainMs));
      }
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      let cut = 0;
      const force = setTimeout(() => {
        cut = answersInProgress(app);
        server.closeAllConnections();
      }, cutAfterMs);
      await closed;
      clearTimeout(force);
      // Not a clean stop: the work behind a request cut here (an import half-way) may have stopped part-done, and goes
      // on until the database closes under it. Said, and the exit status is 1.
      if (cut)
        throw new Error(
          `${cut} request(s) still being read or answered when their connections were cut, ${cutAfterMs / 1000} s after the signal: their work may have stopped half-way`,
        );
    },
  };
}

/** Set once a signal starts the stop: start-up goes no further, and the embedded database exits as asked. */
let stopping = false;

/** A start that cannot go on for a reason outside the app: one line for the operator, no stack. */
function stopStarting(exitCode: number, message: string): never {
  logger.fatal(message);
  console.error(`\n${message}\n`);
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  // The stop closed the database under start-up's reads and writes: its own exit follows.
  if (stopping) return;
  logger.fatal({ err: error }, 'Pathways failed to start');
  console.error(error);
  process.exit(1);
});
