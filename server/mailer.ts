import nodemailer, { type Transporter } from 'nodemailer';
import { OutboxMessageModel } from '../models/OutboxMessage.ts';
import { logger } from './logger.ts';
import { directionControlsButIsolates } from './visibleText.ts';

/**
 * The one way email leaves Pathways. With an SMTP URL, messages go to that server; without one (development, demo), they are delivered to the
 * outbox collection instead, which admins read on /admin/outbox. (With SMTP, the notifications collection
 * is the record of what was sent.)
 */
export type OutgoingEmail = {
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: { filename: string; content: string; contentType: string }[];
  notificationId?: string;
  /** A stable Message-ID (the reminders pipeline sets one per notification, so a resend carries the same). */
  messageId?: string;
};

/**
 * Whether an address has a mailbox at all. Pathways' placeholder addresses (an LMS person the platform gave no email,
 * an erased account) are under `.invalid`, which RFC 2606 reserves for names that never resolve: mail to them only
 * comes back as a bounce, or is refused, to the sender's cost.
 */
export const hasMailbox = (address: string): boolean => !/\.invalid$/i.test(address.trim());

export type Delivery = { transport: 'smtp' | 'outbox'; messageId: string | undefined };

/**
 * How long Pathways waits for the mail server. nodemailer's own limits (2 minutes to connect, 10 minutes of silence on
 * a connection) let one mail server that accepts connections but stops answering (an overloaded relay, a half-open
 * connection a firewall forgot, a tarpit) hold a send, and whatever waits for it, for 10 minutes.
 */
export type MailerLimits = {
  /** SMTP connections in the pool, and so messages with the mail server at once. */
  connections: number;
  /** To open the TCP connection. */
  connectionTimeoutMs: number;
  /** For the server's greeting once connected. */
  greetingTimeoutMs: number;
  /** Of silence on the connection mid-message (the answer to DATA included): past it the send fails and is retried. */
  socketTimeoutMs: number;
  /** At most this long a person's request waits for the mail server (waitForMailServer): the rest goes on after. */
  requestWaitMs: number;
};

export const defaultMailerLimits: MailerLimits = {
  connections: 5,
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 30_000,
  requestWaitMs: 3_000,
};

/**
 * The pool's connections, as a count of messages with the mail server. A message waits here for a free connection,
 * where a stop can still withdraw it; in nodemailer's own queue it would be handed over whatever happened meanwhile.
 */
class ConnectionSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = Math.max(1, size);
  }
  async take(withdrawIf?: AbortSignal): Promise<() => void> {
    if (withdrawIf?.aborted) throw new NotHandedOverError();
    if (this.free > 0) this.free -= 1;
    else
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          withdrawIf?.removeEventListener('abort', withdraw);
          resolve();
        };
        const withdraw = () => {
          this.waiting.splice(this.waiting.indexOf(turn), 1);
          reject(new NotHandedOverError());
        };
        this.waiting.push(turn);
        withdrawIf?.addEventListener('abort', withdraw, { once: true });
      });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }
}

let transporter: Transporter | undefined;
let fromAddress = 'Pathways <no-reply@pathways.local>';
let limits: MailerLimits = defaultMailerLimits;
let connections = new ConnectionSlots(limits.connections);

export function configureMailer(opts: {
  smtpUrl: string | undefined;
  from: string;
  limits?: Partial<MailerLimits>;
}): void {
  transporter?.close();
  limits = { ...defaultMailerLimits, ...opts.limits };
  connections = new ConnectionSlots(limits.connections);
  // Pooled: the reminders job sends in batches, and reconnecting per message halves throughput.
  transporter = opts.smtpUrl
    ? nodemailer.createTransport({
        // The URL's own settings (?socketTimeout=…) win over these.
        url: opts.smtpUrl,
        pool: true,
        maxConnections: limits.connections,
        connectionTimeout: limits.connectionTimeoutMs,
        greetingTimeout: limits.greetingTimeoutMs,
        socketTimeout: limits.socketTimeoutMs,
      })
    : undefined;
  fromAddress = opts.from;
}

export function closeMailer(): void {
  transporter?.close();
  transporter = undefined;
}

/** The limits in force (configureMailer). */
export const mailerLimits = (): Readonly<MailerLimits> => limits;

/** Sends handed to the mail server and not yet answered, in this process (read by emailsAnswered only). */
const handedOver = new Set<Promise<unknown>>();

/**
 * Resolves when every message this process has handed to the mail server so far is answered (accepted, refused or
 * timed out): a stop waits for it before it closes the mail connections.
 */
export async function emailsAnswered(): Promise<void> {
  while (handedOver.size) await Promise.allSettled([...handedOver]);
}

/** The message was not handed to the mail server: what `withdrawIf` stands for came first (a stop, a deadline). */
export class NotHandedOverError extends Error {
  constructor() {
    super('Not handed to the mail server: withdrawn while waiting for a free connection.');
    this.name = 'NotHandedOverError';
  }
}

/**
 * An email's words without explicit direction overrides (U+202A–202E, U+2066–2069): an unclosed one in a title or a
 * name written before names refused them reversed everything after it, the rest of the subject or the paragraph
 * telling her what to do. Right-to-left writing needs none of them; its direction marks stay, and so do the closed
 * isolates around the names and titles of a plain-text part (isolatedText), which keep the words after them in place.
 */
function withoutDirectionOverrides(email: OutgoingEmail): OutgoingEmail {
  const clean = (text: string) =>
    text.replace(directionControlsButIsolates, (found) => (found.length > 1 ? found : ''));
  return {
    ...email,
    subject: clean(email.subject),
    text: clean(email.text),
    ...(email.html === undefined ? {} : { html: clean(email.html) }),
  };
}

/**
 * Sends one email; throws when the SMTP server refuses it or does not answer in time (callers decide whether to
 * retry). With `withdrawIf`, a message still waiting for a free connection when it aborts is not sent at all
 * (NotHandedOverError): once handed over, a message is always answered and settled.
 */
export async function sendEmail(outgoing: OutgoingEmail, opts: { withdrawIf?: AbortSignal } = {}): Promise<Delivery> {
  const email = withoutDirectionOverrides(outgoing);
  if (transporter) {
    const smtp = transporter;
    const release = await connections.take(opts.withdrawIf);
    if (opts.withdrawIf?.aborted) {
      release();
      throw new NotHandedOverError();
    }
    const sending = smtp
      .sendMail({
        from: fromAddress,
        ...email,
        // Every email Pathways sends is written by Pathways (RFC 3834): out-of-office and other automatic replies are
        // not sent back to its no-reply address.
        headers: { 'Auto-Submitted': 'auto-generated', ...email.headers },
      })
      .finally(release);
    const tracked: Promise<unknown> = sending.catch(() => undefined).finally(() => handedOver.delete(tracked));
    handedOver.add(tracked);
    const info = await sending;
    return { transport: 'smtp', messageId: info.messageId };
  }
  const stored = await OutboxMessageModel.create({
    to: email.to,
    from: fromAddress,
    subject: email.subject,
    text: email.text,
    html: email.html,
    headers: email.headers ?? {},
    transport: 'outbox',
    messageId: email.messageId,
    notificationId: email.notificationId,
    ...(email.attachments?.length ? { attachments: email.attachments } : {}),
  });
  return { transport: 'outbox', messageId: stored.id };
}

/**
 * What a person's request waits for of a send it starts: the send's outcome, or 'still-sending' once the mail server
 * has taken `requestWaitMs` without answering. The send then goes on (its failure is logged, and a stop waits for it);
 * the person's action is saved already, and behind a proxy (60 s) a longer wait only turns it into an error page.
 * A failure within the wait is thrown, for callers whose page says so.
 */
export async function waitForMailServer(what: string, sending: Promise<unknown>): Promise<'sent' | 'still-sending'> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'still-sending'>((resolve) => {
    timer = setTimeout(() => resolve('still-sending'), limits.requestWaitMs);
  });
  try {
    const outcome = await Promise.race([sending.then(() => 'sent' as const), waited]);
    if (outcome === 'still-sending')
      sending.catch((error: unknown) => logger.error({ err: error }, `${what}: not sent (after the answer)`));
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
