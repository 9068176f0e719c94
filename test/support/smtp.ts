import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { closeMailer, configureMailer, type MailerLimits } from '../../server/mailer.ts';
import { applySettings } from '../../server/settings.ts';
import { testConfig } from './app.ts';

export type ReceivedEmail = {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  headers: Record<string, string>;
};

/**
 * A real SMTP server in the test process (smtp-server), on a free loopback port. `refuse` makes it reject
 * every message with a temporary error, to test retries; `refuseAuth` refuses every sign-in (535), as a server does
 * when the app's SMTP password is wrong or has been changed; `unknownMailboxes` are refused for good
 * (550), naming the address in the reply as mail servers do; `delayMs` holds each message that long before accepting
 * it (a slow relay), and a message counts as received when it is accepted. `stalled` takes messages to these
 * addresses (every message with '*') whole and never answers them, as a stalled relay does, until the sender gives up
 * and closes the connection. `handedOver` records each message as the sender starts it (MAIL FROM), with the time.
 */
export async function startSmtpSink() {
  const received: ReceivedEmail[] = [];
  const state = {
    refuse: false,
    refuseAuth: false,
    unknownMailboxes: [] as string[],
    delayMs: 0,
    stalled: [] as string[],
  };
  const handedOver: { at: number }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // A client given credentials signs in over the plain loopback connection; `refuseAuth` refuses them (535).
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (state.refuseAuth) return callback(new Error('Invalid username or password'));
      callback(null, { user: auth.username });
    },
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom(_address, _session, callback) {
      handedOver.push({ at: Date.now() });
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (!state.unknownMailboxes.includes(address.address)) return callback();
      callback(
        Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`), {
          responseCode: 550,
        }),
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (state.stalled.some((s) => s === '*' || to.includes(s))) return;
        if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
        if (state.refuse) return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
        const raw = Buffer.concat(chunks).toString('utf8');
        const headerBlock = raw.split(/\r?\n\r?\n/)[0] ?? '';
        const headers: Record<string, string> = {};
        for (const line of headerBlock.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: headers.subject ?? '',
          headers,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    handedOver,
    state,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

/**
 * For a describe block whose code sends email: a sink started before its tests and the app's mailer pointed at it,
 * both closed after. The returned handle is filled in when the block starts.
 */
export function useSmtpSink(limits?: Partial<MailerLimits>): SmtpSink {
  const sink = {} as SmtpSink;
  before(async () => {
    applySettings(testConfig());
    Object.assign(sink, await startSmtpSink());
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>', limits });
  });
  after(async () => {
    closeMailer();
    await sink.stop();
  });
  return sink;
}

export type EmailPartType = 'text/plain' | 'text/html' | 'text/calendar';

/** Both bodies of an email, its text then its HTML, spaces and line breaks as single spaces: to find what each says. */
export function bothBodies(email: ReceivedEmail): string {
  return `${emailPart(email, 'text/plain')} ${emailPart(email, 'text/html')}`.replace(/\s+/g, ' ');
}

/**
 * One part of a received email (its text, its HTML or its calendar file) as the reader sees it: transfer encoding
 * undone, lines ending in \n.
 */
export function emailPart(email: ReceivedEmail, type: EmailPartType): string {
  return encodedPartOf(email, type).replace(/\r\n/g, '\n');
}

function encodedPartOf(email: ReceivedEmail, type: EmailPartType): string {
  const boundaries = [...email.raw.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((m) => m[1]!);
  const chunks = boundaries.reduce((parts, boundary) => parts.flatMap((p) => p.split(`--${boundary}`)), [email.raw]);
  for (const chunk of chunks) {
    const split = /\r?\n\r?\n/.exec(chunk);
    if (!split) continue;
    const head = chunk.slice(0, split.index);
    if (!new RegExp(`content-type:\\s*${type}\\b`, 'i').test(head)) continue;
    const body = chunk.slice(split.index + split[0].length);
    if (/content-transfer-encoding:\s*base64/i.test(head))
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (/content-transfer-encoding:\s*quoted-printable/i.test(head))
      return Buffer.from(
        body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
        'latin1',
      ).toString('utf8');
    return body;
  }
  throw new Error(`no ${type} part in the email`);
}
