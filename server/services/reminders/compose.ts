import type { Types } from 'mongoose';
import { headerText, renderEmailParts } from '../../emails.ts';
import { formatDate, formatDateTime, formatTime } from '../../time.ts';
import { absoluteUrl } from '../../settings.ts';
import { isSecurityKind } from './kinds.ts';
import { unsubscribeHeaders, unsubscribeUrl } from './unsubscribe.ts';

/**
 * Turning a planned notification into an email at the moment it is sent: each kind may register
 * - `prepare`: loads, once per batch, what its composers need (one query for 10,000 reminders, not 10,000);
 * - `isStillRelevant`: a last check (the session still at that time, the module still not done);
 * - `compose`: subject, template and data (default: what was planned).
 * The boards area registers its panel kinds the same way (see ./index.ts).
 */
export type Recipient = {
  _id: Types.ObjectId;
  email: string;
  name: string;
  timezone: string;
  status: string;
  mutedKinds?: string[] | null;
  emailDigest?: string | null;
  /** Her weekly digest's day, 1 = Monday … 7 = Sunday (unset: Monday). */
  digestWeekday?: number | null;
};
export type PlannedNotification = {
  _id: Types.ObjectId;
  key: string;
  userId: Types.ObjectId;
  kind: string;
  about: { type: string; id: string };
  series?: string | null;
  sendAt: Date;
  eventAt?: Date | null;
  subject?: string | null;
  template?: string | null;
  data?: Record<string, unknown> | null;
};
export type Composed = {
  /** Another address than her account's: the link confirming a new address goes to that address. */
  to?: string;
  subject: string;
  template: string;
  data: Record<string, unknown>;
  attachments?: { filename: string; content: string; contentType: string }[];
};
export type Skipped = { skip: string; data?: Record<string, unknown> };
export type ComposeContext = { record: PlannedNotification; recipient: Recipient; now: Date; memo: Memo };
export type KindHandlers = {
  prepare?: (records: PlannedNotification[], memo: Memo) => Promise<void>;
  /** true, or the reason it is no longer relevant (the notification is then `skipped` with that reason). */
  isStillRelevant?: (ctx: ComposeContext) => Promise<true | string>;
  /**
   * What to send, or why nothing is left to send (a daily digest whose every item fell away; its `data` then says
   * what it left out, so those are settled too).
   */
  compose?: (ctx: ComposeContext) => Promise<Composed | Skipped>;
};

/** Values loaded for one batch, shared by its composers. */
export class Memo {
  private readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  set(key: string, value: unknown): void {
    this.values.set(key, value);
  }
  async once<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.values.has(key)) this.values.set(key, load());
    return (await this.values.get(key)) as T;
  }
}

const handlers = new Map<string, KindHandlers>();

/** Registers (or extends) the handlers of a kind. */
export function registerNotificationKind(kind: string, kindHandlers: KindHandlers): void {
  handlers.set(kind, { ...handlers.get(kind), ...kindHandlers });
}

export async function prepareBatch(records: PlannedNotification[], memo: Memo): Promise<void> {
  const byKind = new Map<string, PlannedNotification[]>();
  for (const r of records) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  for (const [kind, list] of byKind) await handlers.get(kind)?.prepare?.(list, memo);
}

export async function composeNotification(ctx: ComposeContext): Promise<Composed | Skipped> {
  const h = handlers.get(ctx.record.kind);
  const relevant = h?.isStillRelevant ? await h.isStillRelevant(ctx) : true;
  if (relevant !== true) return { skip: relevant };
  if (h?.compose) return h.compose(ctx);
  return {
    subject: ctx.record.subject || 'A message from Pathways',
    template: ctx.record.template || 'notice',
    data: ctx.record.data ?? {},
  };
}

export type RenderedEmail = {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  attachments?: Composed['attachments'];
};

/**
 * Formatting an instant in a zone makes luxon work out the zone's offset through Intl, the largest cost of
 * rendering a reminder; 10,000 reminders share a few hundred (instant, zone) pairs, so results are cached.
 */
const formatted = new Map<string, string>();
function cachedFormat(kind: 'dt' | 't' | 'd', value: Date | string, zone: string, format: () => string): string {
  const key = `${kind}|${typeof value === 'string' ? value : value.getTime()}|${zone}`;
  let out = formatted.get(key);
  if (out === undefined) {
    if (formatted.size > 10_000) formatted.clear();
    formatted.set(key, (out = format()));
  }
  return out;
}

/** The helpers every email template gets: times in the reader's zone with the zone named, links. */
export function templateLocals(
  recipient: Recipient,
  kind: string,
  subject: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const zone = recipient.timezone || 'UTC';
  return {
    ...data,
    subject,
    name: recipient.name,
    zone,
    when: (d: Date | string) => cachedFormat('dt', d, zone, () => formatDateTime(new Date(d), zone)),
    time: (d: Date | string) => cachedFormat('t', d, zone, () => formatTime(new Date(d), zone)),
    day: (d: Date | string) =>
      cachedFormat('d', d, zone, () => formatDate(typeof d === 'string' ? d : new Date(d), zone)),
    url: absoluteUrl,
    preferencesUrl: absoluteUrl('/account/notifications'),
    unsubscribeUrl: isSecurityKind(kind) ? undefined : unsubscribeUrl(String(recipient._id), kind),
  };
}

/**
 * Subject (on one line), plain text and HTML in the shared layouts, whose footers carry the stop-these-emails and
 * settings links, and the unsubscribe headers (links and headers never on security emails).
 */
export function renderNotificationEmail(
  record: PlannedNotification,
  recipient: Recipient,
  composed: Composed,
): RenderedEmail {
  const subject = headerText(composed.subject);
  const { text, html } = renderEmailParts(
    composed.template,
    templateLocals(recipient, record.kind, subject, composed.data),
  );
  const headers: Record<string, string> = isSecurityKind(record.kind)
    ? {}
    : unsubscribeHeaders(String(recipient._id), record.kind);
  return { to: composed.to ?? recipient.email, subject, text, html, headers, attachments: composed.attachments };
}
