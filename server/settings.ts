import addressparser from 'nodemailer/lib/addressparser/index.js';
import type { Role } from '../models/User.ts';
import type { Config } from './config.ts';

/**
 * The few configuration values the domain layer needs (links in emails, signing secrets), set once by
 * createApp from the parsed Config, so services do not take the whole config in every call.
 */
export const settings = {
  baseUrl: 'http://localhost:3000',
  signingSecret: 'development-only-signing-secret-change-me',
  env: 'development' as Config['env'],
  /** MFA_REQUIRED_ROLES. */
  mfaRequiredRoles: [] as readonly Role[],
  /** AUDIT_RETENTION_DAYS (the maintenance job); null: audit events are kept for good. */
  auditRetentionDays: null as number | null,
  /** SESSION_COOKIE_SAMESITE (clearing the session cookie with the attributes it was set with). */
  sessionCookieSameSite: 'lax' as Config['sessionCookieSameSite'],
  /** SECRETS_ENCRYPTION_KEY (server/services/secrets.ts). */
  secretsEncryptionKey: undefined as Buffer | undefined,
  /** MAIL_FROM: the sender of every email, and the ORGANIZER of the calendar files they carry. */
  mailFrom: 'Pathways <no-reply@pathways.local>',
};

export function applySettings(config: Config): void {
  settings.baseUrl = config.baseUrl;
  settings.signingSecret = config.sessionSecret;
  settings.env = config.env;
  settings.mfaRequiredRoles = config.mfaRequiredRoles;
  settings.auditRetentionDays = config.auditRetentionDays;
  settings.sessionCookieSameSite = config.sessionCookieSameSite;
  settings.secretsEncryptionKey = config.secretsEncryptionKey;
  settings.mailFrom = config.mailFrom;
}

/**
 * MAIL_FROM as a name and an address ("Pathways <no-reply@pathways.local>", or a bare address), read by the parser
 * config.ts checks it with (nodemailer's), so both agree on what the address is.
 */
export function mailFromParts(): { name: string; email: string } {
  const [parsed] = addressparser(settings.mailFrom, { flatten: true });
  return { name: parsed?.name || 'Pathways', email: parsed?.address ?? settings.mailFrom.trim() };
}

export const absoluteUrl = (pathname: string): string => `${settings.baseUrl}${pathname}`;
