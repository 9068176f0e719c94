import { expect } from 'chai';
import { pino } from 'pino';
import { logger } from '../../server/logger.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { askToJoinApprovalNetwork } from '../support/networkFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

type Stream = { write(line: string): void };
const streamOf = logger as unknown as Record<symbol, Stream>;

describe('error logs carry no email address', () => {
  useTestDatabase();
  const sink = useSmtpSink();
  const lines: string[] = [];
  let original: Stream;
  let level: string;
  let app: ReturnType<typeof testApp>;

  before(() => {
    app = testApp({ SMTP_URL: sink.url });
    level = logger.level;
    logger.level = 'info';
    original = streamOf[pino.symbols.streamSym]!;
    streamOf[pino.symbols.streamSym] = { write: (line: string) => void lines.push(line) };
  });
  after(() => {
    streamOf[pino.symbols.streamSym] = original;
    logger.level = level;
    sink.state.unknownMailboxes = [];
  });

  it('a mail server refusing her address is logged as a refusal, without the address', async () => {
    const { lead } = await askToJoinApprovalNetwork(app, {
      askerName: 'Asha Asker',
      leadName: 'Lowri Lead',
    });
    sink.state.unknownMailboxes = [lead.email];
    await runDueNotifications({ now: new Date() });
    const failures = lines.filter((l) => l.includes('notification not sent'));
    expect(failures.length, lines.join('\n')).to.be.at.least(1);
    expect(failures.join('\n')).to.include('Recipient address rejected');
    expect(lines.join('\n')).to.not.include(lead.email);
  });
});
