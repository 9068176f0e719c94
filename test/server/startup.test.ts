import { execFile } from 'node:child_process';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { ApiTokenModel } from '../../models/ApiToken.ts';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { UserModel } from '../../models/User.ts';
import { databaseNameInUri } from '../../server/db.ts';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoAccounts } from '../../server/demo/people.ts';
import { coreProgrammes, ensureCoreProgrammes } from '../../server/services/learning/coreProgrammes.ts';
import { verifyPassword } from '../../server/services/passwords.ts';
import { ensureInitialAdmin } from '../../server/services/users.ts';
import { createApiToken } from '../../server/services/apiTokens.ts';
import { builtApp } from '../../scripts/builtApp.ts';
import { signIn, testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { startSmtpSink } from '../support/smtp.ts';

describe('first start and operator commands', () => {
  useTestDatabase();

  it('when ADMIN_EMAIL and ADMIN_PASSWORD are set and no admin exists, that admin is created once', async () => {
    expect(await ensureInitialAdmin({ email: 'Head@Example.org', password: 'a long admin passphrase' })).to.equal(true);
    expect(await ensureInitialAdmin({ email: 'other@example.org', password: 'a long admin passphrase' })).to.equal(
      false,
    );
    const admins = await UserModel.find({ roles: 'admin' }).lean();
    expect(admins.map((a) => a.email)).to.deep.equal(['head@example.org']);
  });

  it('when three processes start at once with ADMIN_EMAIL set and no admin, every start succeeds and one admin is created', async () => {
    await clearDatabase();
    const admin = { email: 'first@example.org', password: 'a long admin passphrase' };
    const created = await Promise.all([
      ensureInitialAdmin(admin),
      ensureInitialAdmin(admin),
      ensureInitialAdmin(admin),
    ]);
    expect(created.filter(Boolean)).to.have.length(1);
    expect(await UserModel.countDocuments({ roles: 'admin' })).to.equal(1);
  });

  it('when three processes start at once on an empty database, each core programme is created once, with its modules once', async () => {
    await clearDatabase();
    const created = await Promise.all([ensureCoreProgrammes(), ensureCoreProgrammes(), ensureCoreProgrammes()]);
    expect(created).to.include(true);
    const programmes = await ProgrammeModel.find({}, { track: 1 }).lean();
    expect(programmes.map((p) => p.track).sort()).to.deep.equal(coreProgrammes.map((p) => p.track).sort());
    for (const definition of coreProgrammes) {
      const programme = programmes.find((p) => p.track === definition.track)!;
      const modules = await ModuleModel.find({ programmeId: programme._id }, { position: 1 }).lean();
      expect(modules.map((m) => m.position).sort((a, b) => a - b)).to.deep.equal(
        definition.modules.map((_, i) => i + 1),
      );
    }
    // Started again (every later start): nothing more is created.
    expect(await ensureCoreProgrammes()).to.equal(false);
    expect(await ProgrammeModel.countDocuments({})).to.equal(coreProgrammes.length);
  });

  it('when two processes start at once on an empty database with demo data on, one loads it, the other waits for it, nothing twice', async function () {
    this.timeout(120_000);
    await clearDatabase();
    const results = await Promise.allSettled([seedDemoDataIfEmpty(), seedDemoDataIfEmpty()]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled']);
    expect(results.map((r) => (r as PromiseFulfilledResult<boolean>).value).sort()).to.deep.equal([false, true]);
    for (const account of demoAccounts) expect(await UserModel.countDocuments({ email: account.email })).to.equal(1);
    // Started again later: nothing more is loaded.
    const users = await UserModel.countDocuments({});
    expect(await seedDemoDataIfEmpty()).to.equal(false);
    expect(await UserModel.countDocuments({})).to.equal(users);
  });

  it('reads the database name from the connection string when it has one', () => {
    expect(databaseNameInUri('mongodb://127.0.0.1:27017/pathwaysprod?replicaSet=rs0')).to.equal('pathwaysprod');
    expect(databaseNameInUri('mongodb+srv://u:p@cluster0.example.net/lms')).to.equal('lms');
    expect(databaseNameInUri('mongodb://127.0.0.1:27017/')).to.equal(undefined);
  });

  it('the CLI creates a user and sets a password, and refuses a weak one with the reason', async function () {
    this.timeout(60_000);
    const created = await runCli(
      'user:create',
      '--role',
      'facilitator',
      '--email',
      'cli@example.org',
      '--name',
      'Cli User',
      '--password',
      'an operator passphrase',
    );
    expect(created.status, created.stderr).to.equal(0);
    expect(created.stdout).to.include('Created cli@example.org (facilitator)');
    const weak = await runCli('user:set-password', '--email', 'cli@example.org', '--password', 'password1234');
    expect(weak.status).to.equal(1);
    expect(weak.stderr).to.include('too common');
    const unknownCommand = await runCli('user:delete');
    expect(unknownCommand.status).to.equal(1);
    expect(unknownCommand.stderr).to.include('usage');
    // Progress is read from completions and enrolments: there are no read models left to rebuild.
    expect(unknownCommand.stderr).to.not.include('records:rebuild');
    expect((await runCli('records:rebuild')).status).to.equal(1);
    expect(await UserModel.exists({ email: 'cli@example.org', roles: 'facilitator' })).to.not.equal(null);
  });

  it('the CLI sets a password on the embedded database, refuses a bad email or time zone by name, and answers --help', async function () {
    this.timeout(90_000);
    const created = await runCli('user:create', '--role', 'admin', '--email', 'locked-out@example.org');
    expect(created.status, created.stderr).to.equal(0);
    const set = await runCli(
      'user:set-password',
      '--email',
      'locked-out@example.org',
      '--password',
      'a fresh operator passphrase',
    );
    expect(set.status, set.stderr).to.equal(0);
    expect(set.stdout).to.include('Password set for locked-out@example.org');
    const admin = await UserModel.findOne({ email: 'locked-out@example.org' }).select('+passwordHash').lean();
    expect(admin!.status).to.equal('active');
    expect(await verifyPassword(admin!.passwordHash, 'a fresh operator passphrase')).to.equal(true);
    const unknown = await runCli(
      'user:set-password',
      '--email',
      'nobody@example.org',
      '--password',
      'a fresh operator passphrase',
    );
    expect(unknown.status).to.equal(1);
    expect(unknown.stderr).to.include('No user has the email nobody@example.org');

    const badEmail = await runCli(
      'user:create',
      '--role',
      'admin',
      '--email',
      'not-an-email',
      '--password',
      'an operator passphrase',
    );
    expect(badEmail.status).to.equal(1);
    expect(badEmail.stderr).to.match(/email: must be an email address/);
    const badZone = await runCli(
      'user:create',
      '--role',
      'mentor',
      '--email',
      'zone@example.org',
      '--timezone',
      'Mars/Olympus',
    );
    expect(badZone.status).to.equal(1);
    expect(badZone.stderr).to.match(/timezone: /);
    // A command line offers no options: a role refused is told with the roles there are.
    const badRole = await runCli('user:create', '--role', 'headteacher', '--email', 'role@example.org');
    expect(badRole.status).to.equal(1);
    expect(badRole.stderr).to.include('--role: use one of admin, ');
    expect(badRole.stderr).to.not.include('options offered');
    expect(
      await UserModel.countDocuments({ email: { $in: ['not-an-email', 'zone@example.org', 'role@example.org'] } }),
    ).to.equal(0);

    // demo:seed on a production site would seed the demo accounts, whose password the README publishes.
    const demoPeople = await UserModel.countDocuments({ email: /@pathways\.test$/ });
    const production = await runCliWith(
      {
        NODE_ENV: 'production',
        SESSION_SECRET: 'x'.repeat(40),
        SMTP_URL: 'smtp://127.0.0.1:1',
        BASE_URL: 'https://pathways.example.org',
      },
      'demo:seed',
    );
    expect(production.status).to.equal(1);
    expect(production.stderr).to.include('demo:seed is refused with NODE_ENV=production');
    expect(await UserModel.countDocuments({ email: /@pathways\.test$/ })).to.equal(demoPeople);

    const help = await runCli('--help');
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.include('user:set-password --email EMAIL --password PW');
  });

  it('the CLI sets a password without re-enabling a disabled account; user:enable re-enables it, and says so in --help', async function () {
    this.timeout(90_000);
    const email = 'kept-out@example.org';
    const created = await runCli(
      'user:create',
      '--role',
      'participant',
      '--email',
      email,
      '--password',
      'an operator passphrase',
    );
    expect(created.status, created.stderr).to.equal(0);
    await UserModel.updateOne({ email }, { $set: { status: 'disabled' } });

    const set = await runCli('user:set-password', '--email', email, '--password', 'a fresh operator passphrase');
    expect(set.status, set.stderr).to.equal(0);
    expect(set.stdout).to.include(`Password set for ${email}`);
    expect(set.stdout).to.include('disabled');
    const stillDisabled = await UserModel.findOne({ email }).select('+passwordHash').lean();
    expect(stillDisabled!.status).to.equal('disabled');
    expect(await verifyPassword(stillDisabled!.passwordHash, 'a fresh operator passphrase')).to.equal(true);

    const enabled = await runCli('user:enable', '--email', email);
    expect(enabled.status, enabled.stderr).to.equal(0);
    expect(enabled.stdout).to.include(`${email} may sign in again`);
    expect((await UserModel.findOne({ email }).lean())!.status).to.equal('active');
    const audit = await AuditEventModel.findOne({
      action: 'user-enabled',
      targetId: String(stillDisabled!._id),
    }).lean();
    expect(audit?.detail).to.match(/disabled → active/);
    // Asked again: nothing to do, said plainly.
    const again = await runCli('user:enable', '--email', email);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.include('is not disabled');

    // An erased account is a "Former member" row: it gets no password and cannot be enabled.
    await UserModel.updateOne({ email }, { $set: { status: 'erased' } });
    const erasedSet = await runCli('user:set-password', '--email', email, '--password', 'another operator passphrase');
    expect(erasedSet.status).to.equal(1);
    expect(erasedSet.stderr).to.include('erased');
    const erased = await UserModel.findOne({ email }).select('+passwordHash').lean();
    expect(await verifyPassword(erased!.passwordHash, 'a fresh operator passphrase')).to.equal(true);
    expect(erased!.status).to.equal('erased');

    const help = await runCli('--help');
    expect(help.stdout).to.include('user:enable --email EMAIL');
  });

  it('the CLI setting a password (say, of a taken-over account) ends her sessions and revokes her API tokens, and is audited', async function () {
    this.timeout(60_000);
    const taken = await buildUser({ roles: ['facilitator'] });
    await signIn(testApp(), taken.email, testPassword);
    await createApiToken({ userId: taken.id, name: 'left by an intruder' });
    const before = (await UserModel.findById(taken.id).select('+signedInSessions').lean())!;
    expect(before.signedInSessions).to.have.length(1);

    const set = await runCli('user:set-password', '--email', taken.email, '--password', 'a fresh operator passphrase');
    expect(set.status, set.stderr).to.equal(0);
    const after = (await UserModel.findById(taken.id).select('+signedInSessions').lean())!;
    expect(after.signedInSessions).to.deep.equal([]);
    expect(after.sessionsEpoch).to.be.greaterThan(before.sessionsEpoch ?? 0);
    expect(await ApiTokenModel.countDocuments({ userId: taken.id })).to.equal(0);
    const audit = await AuditEventModel.find({ targetId: taken.id }).lean();
    expect(audit.map((a) => a.action)).to.include.members(['password-changed', 'session-ended', 'token-revoked']);
    expect(audit.find((a) => a.action === 'password-changed')!.detail).to.match(/operator/);
  });

  it('the CLI creating a user without a password emails her invitation through SMTP_URL and then ends (it does not wait on the mail connection)', async function () {
    this.timeout(90_000);
    const smtp = await startSmtpSink();
    try {
      const since = Date.now();
      const created = await runCliWith(
        { SMTP_URL: smtp.url },
        'user:create',
        '--role',
        'participant',
        '--email',
        'invited-by-cli@example.org',
      );
      expect(created.status, created.stderr).to.equal(0);
      expect(created.stdout).to.include('an invitation was emailed');
      expect(smtp.received.filter((m) => m.to.includes('invited-by-cli@example.org'))).to.have.length(1);
      expect(Date.now() - since).to.be.below(30_000);
    } finally {
      await smtp.stop();
    }
  });
});

/**
 * `npm run cli -- …args` on the test database, as an operator runs it. Asynchronous, so this process keeps serving
 * what the CLI may talk to (the test SMTP server lives here).
 */
function runCli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return runCliWith({}, ...args);
}

/** `runCli` with some variables of the operator's environment set. */
function runCliWith(
  vars: Record<string, string>,
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  const uri = `${process.env.MONGODB_URI!.replace(/\/$/, '')}/${mongoose.connection.name}`;
  const env = { ...process.env, MONGODB_URI: uri, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...vars };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...builtApp.nodeArgs, builtApp.cli, ...args],
      { env, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
