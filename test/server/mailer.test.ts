import { expect } from 'chai';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { closeMailer, configureMailer, sendEmail } from '../../server/mailer.ts';
import { useTestDatabase } from '../support/db.ts';
import { useSmtpSink } from '../support/smtp.ts';

/** What the SMTP server sees of an email: the envelope a relay decides on, and the headers mail software reads. */
describe('mailer: the email as the receiving server sees it', () => {
  useTestDatabase();
  const sink = useSmtpSink();

  /**
   * A bare SMTP relay that offers no SMTPUTF8, as many do, and keeps each command line as sent (smtp-server, the
   * usual sink, shows a punycode domain decoded, so it cannot tell the two apart).
   */
  async function relayWithoutSmtpUtf8() {
    const commands: string[] = [];
    const server = createServer((socket: Socket) => {
      let inData = false;
      let buffered = '';
      socket.write('220 relay.test ESMTP\r\n');
      socket.on('data', (chunk) => {
        buffered += chunk.toString('utf8');
        for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (inData) {
            if (line !== '.') continue;
            inData = false;
            socket.write('250 queued\r\n');
            continue;
          }
          commands.push(line);
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'EHLO') socket.write('250-relay.test\r\n250 8BITMIME\r\n');
          else if (verb === 'DATA') {
            inData = true;
            socket.write('354 go on\r\n');
          } else if (verb === 'QUIT') socket.end('221 bye\r\n');
          else if (verb === 'RCPT' && /[^ -~]/.test(line)) socket.write('553 5.1.3 not an ASCII address\r\n');
          else socket.write('250 ok\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return { url: `smtp://127.0.0.1:${port}`, commands, close: () => new Promise((r) => server.close(r)) };
  }

  it('an address with an internationalised domain goes out with its domain in ASCII, which a relay without SMTPUTF8 takes', async () => {
    const relay = await relayWithoutSmtpUtf8();
    configureMailer({ smtpUrl: relay.url, from: 'Pathways <no-reply@pathways.test>' });
    try {
      await sendEmail({ to: 'gudrun@bücher.de', subject: 'Your invitation', text: 'Welcome.' });
      expect(relay.commands.filter((c) => c.startsWith('RCPT'))).to.deep.equal(['RCPT TO:<gudrun@xn--bcher-kva.de>']);
    } finally {
      closeMailer();
      await relay.close();
      configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
    }
  });

  it('every email says it was written automatically (Auto-Submitted), so out-of-office replies are not sent back', async () => {
    await sendEmail({ to: 'ana@example.org', subject: 'A reminder', text: 'Soon.', headers: { 'X-Kind': 'test' } });
    const email = sink.received.at(-1)!;
    expect(email.headers['auto-submitted']).to.equal('auto-generated');
    expect(email.headers['x-kind']).to.equal('test');
  });
});
