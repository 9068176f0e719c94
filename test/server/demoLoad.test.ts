import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { DemoLoadModel, demoLoadId } from '../../models/DemoLoad.ts';
import { LtiPlatformModel } from '../../models/LtiPlatform.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoAccounts } from '../../server/demo/people.ts';
import { spawnApp, startAppProcess } from '../support/appProcess.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { startSmtpSink } from '../support/smtp.ts';

/** The app with demo data on, on this file's database; `output()` is what it printed so far. */
const startWithDemo = (env: Record<string, string> = {}) => spawnApp({ env: { DEMO_DATA: 'true', ...env } });

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('demo data interrupted on its first load', function () {
  this.timeout(300_000);
  useTestDatabase();

  const started: ChildProcess[] = [];
  after(() => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  });

  // With SMTP_URL set, as an operator's first start has it: the demo's emails go to that mail server from its first
  // step (the mailer is configured before anything can send), none to the outbox. One first start serves both checks:
  // each costs a whole demo load.
  it('when Ctrl-C stops the first start half-way through the demo, the next start finishes it: every demo account once, the last areas present; the emails it sends go to the mail server, none to the outbox', async () => {
    const smtp = await startSmtpSink();
    try {
      const first = await startWithDemo({ SMTP_URL: smtp.url });
      started.push(first.child);
      await until('the mentoring demo to begin', () => first.output().includes('"seeder":"mentoring"'), 180_000);
      first.child.kill('SIGINT');
      const [firstCode] = (await once(first.child, 'exit')) as [number | null];
      expect(await LtiPlatformModel.countDocuments({}), 'the first start was stopped before the LTI demo').to.equal(0);
      // It finished the area it was loading and said it stopped: the next start need not wait for its beat to stop.
      expect(firstCode, first.output()).to.equal(0);
      expect((await DemoLoadModel.findById(demoLoadId).lean())!.handedOverAt).to.be.instanceOf(Date);

      // Healthy once it says it listens and answers (an answer on its port before that may be another worker's test
      // server that took the port: CI, 7 December 12:20, where this start's output was still empty).
      const second = await startAppProcess({
        env: { DEMO_DATA: 'true', SMTP_URL: smtp.url },
        withinMs: 240_000,
      });
      started.push(second.child);
      expect(second.output()).to.include('Demo data loaded.');
      expect(second.output()).to.not.include('being loaded by another process');
      for (const account of demoAccounts) expect(await UserModel.countDocuments({ email: account.email })).to.equal(1);
      expect(await UserModel.countDocuments({ email: 'mentor2@pathways.test' })).to.equal(1);
      expect(await UserModel.countDocuments({ email: 'lti-leaver@pathways.test' })).to.equal(1);
      expect(await LtiPlatformModel.countDocuments({})).to.equal(1);
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
      // What the demo sends at once went to the mail server: its session reminders always, and from 09:00 London the
      // governors' 21-day panel-training reminders (a run before 09:00 has none yet: asserting governor2 by name
      // failed at 00:05).
      const recipients = smtp.received.flatMap((m) => m.to);
      expect(recipients).to.include('participant@pathways.test');
      const sent = await NotificationModel.find({ status: 'sent' }).lean();
      expect(sent.filter((n) => n.transport !== 'smtp').map((n) => n.kind)).to.deep.equal([]);
      const sentTo = await UserModel.find({ _id: { $in: sent.map((n) => n.userId) } }).distinct('email');
      expect(sentTo).to.include('participant@pathways.test');
      expect(recipients).to.include.members(sentTo);
      expect(await OutboxMessageModel.countDocuments({})).to.equal(0);
    } finally {
      await smtp.stop();
    }
  });

  it("when a cut load is found beside accounts that are not the demo's, nothing is touched and later starts no longer wait for it", async function () {
    await clearDatabase();
    await DemoLoadModel.create({ _id: demoLoadId, owner: 'a process that is gone', beat: 7 });
    await UserModel.create({ email: 'head@school.example', name: 'Real Head', roles: ['admin'], status: 'active' });
    // A crash, not a signal: taken over once its beat has stood still (here 3 s rather than the start's 30 s).
    expect(await seedDemoDataIfEmpty({ ownerGoneAfterMs: 3_000 })).to.equal(false);
    expect(await UserModel.countDocuments({})).to.equal(1);
    expect((await DemoLoadModel.findById(demoLoadId).lean())!.outcome).to.equal('left-as-found');
    const since = Date.now();
    expect(await seedDemoDataIfEmpty()).to.equal(false);
    expect(Date.now() - since).to.be.below(2_000);
  });
});
