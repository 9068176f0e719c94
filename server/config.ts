import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { z } from 'zod';
import { roles, type Role } from '../models/User.ts';
import { checkedEmail } from './emailAddresses.ts';
import { passwordFieldErrors } from './services/passwords.ts';

/**
 * The only reader of process.env. Every variable is documented here and in the README.
 * A bad value stops the start with a message naming the variable.
 */
/**
 * A whole number of an env var, from `min` to `max`: digits only, as PORT. `z.coerce.number()` read "" and " " as 0,
 * "0x14" as 20 and "1e1" as 10, so a typo started the app with a value nobody wrote.
 */
const anyWholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .refine(
      (v) => /^\d{1,9}$/.test(v) && Number(v) >= min && Number(v) <= max,
      `must be a whole number from ${min} to ${max}`,
    )
    .transform(Number);
const wholeNumber = (min: number, max: number, fallback: number) => anyWholeNumber(min, max).default(fallback);

const envSchema = z.object({
  /** development | production | test. Production requires SESSION_SECRET and sets Secure cookies. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** HTTP port the app listens on. */
  PORT: z
    .string()
    .trim()
    // Digits only: Number() would read " " and "0" as 0 (a random port no link can reach) and "0x50" as 80.
    .refine((v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535, 'must be a port number from 1 to 65535')
    .transform(Number)
    .default(3000),
  /** A MongoDB connection string. Unset: the embedded FerretDB (SQLite) is started under DATA_DIR. */
  MONGODB_URI: z
    .string()
    .trim()
    .min(1)
    .optional()
    .refine((v) => v === undefined || /^mongodb(\+srv)?:\/\//.test(v), 'must start with mongodb:// or mongodb+srv://')
    .superRefine((v, ctx) => {
      const problem = v === undefined ? undefined : mongodbUriProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** Where the embedded database, its log and the generated development session secret live. */
  DATA_DIR: z.string().trim().min(1).default('./data'),
  /** Signs session cookies and unsubscribe links. At least 32 characters. Generated in development when unset. */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Public URL of the app, used in emails and calendar feeds. Required in production (the default is localhost). */
  BASE_URL: z
    .url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL such as https://pathways.example.org' })
    .optional(),
  /** smtp:// or smtps:// URL of the mail server. Unset: emails are kept in the outbox collection (not in production). */
  SMTP_URL: z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || v === '' || /^smtps?:\/\//.test(v), 'must start with smtp:// or smtps://')
    .refine(
      (v) => v === undefined || !/^smtps?:\/\//.test(v) || URL.parse(v)?.hostname,
      'is not a URL such as smtp://user:password@mail.example.org:587 (percent-encode a special character in the password)',
    ),
  /** Sender address of every email. */
  MAIL_FROM: z
    .string()
    .trim()
    .refine((v) => {
      const parsed = addressparser(v, { flatten: true });
      return parsed.length === 1 && /^[^@\s]+@[^@\s]+$/.test(parsed[0]!.address);
    }, 'must be one email address, such as "Pathways <no-reply@pathways.example.org>"')
    .optional(),
  /** With ADMIN_PASSWORD: create this admin on start when no admin exists. */
  ADMIN_EMAIL: z
    .string()
    .transform((typed, ctx) => {
      const checked = checkedEmail(typed);
      if ('email' in checked) return checked.email;
      ctx.addIssue({ code: 'custom', message: checked.problem });
      return z.NEVER;
    })
    .optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  /** Load demo data into an empty database: "true" or "false". Default true except in production, where "true" is refused. */
  DEMO_DATA: z.enum(['true', 'false']).optional(),
  /** Log level for the app's structured logs. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Run scheduled jobs (reminders, clean-up) in this process: "true" or "false". Every process may; "false" opts out. */
  RUN_JOBS: z.enum(['true', 'false']).default('true'),
  /**
   * Which proxies in front of the app are believed about the visitor's address and protocol (X-Forwarded-For,
   * X-Forwarded-Proto): a hop count ("1": the one proxy in front), or addresses and subnets, comma-separated, as
   * Express's `trust proxy` takes them ("10.0.0.5, 10.1.0.0/16", "loopback", "uniquelocal"). Never "true": that would
   * let any visitor choose her own address, and with it her rate-limit bucket.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .default('loopback')
    .transform((value, ctx) => {
      const trust = parseTrustProxy(value);
      if (typeof trust === 'string') {
        ctx.addIssue({ code: 'custom', message: trust });
        return z.NEVER;
      }
      return trust;
    }),
  /**
   * The session cookie's SameSite: "lax" (default) or "none". "none" (with Secure and Partitioned) is for LTI
   * launches embedded in an LMS page (Canvas frames tools by default): a Lax cookie is not sent in a cross-site
   * frame, so after the launch every page in the frame would be signed out. Production only (a SameSite=None cookie
   * must be Secure). Forms keep their CSRF tokens either way.
   */
  SESSION_COOKIE_SAMESITE: z.enum(['lax', 'none']).default('lax'),
  /**
   * Encrypts the two-step sign-in secrets and calendar feed tokens stored on user records (AES-256-GCM): 32 bytes
   * as 64 hex characters or as base64. Unset: they are stored as they are.
   */
  SECRETS_ENCRYPTION_KEY: z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      if (/^[0-9a-f]{64}$/i.test(v)) return Buffer.from(v, 'hex');
      if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) return Buffer.from(v, 'base64');
      ctx.addIssue({
        code: 'custom',
        message: 'must be 32 random bytes as 64 hex characters or as base64 (e.g. `openssl rand -hex 32`)',
      });
      return z.NEVER;
    }),
  /**
   * Roles that must use two-step sign-in, comma-separated ("admin,facilitator"); "none" for nobody. Such a person
   * without it reaches only the set-up pages. Default: admin,facilitator in production, nobody otherwise.
   */
  MFA_REQUIRED_ROLES: z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      if (value === 'none') return [] as Role[];
      const listed = value
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      const unknown = listed.filter((r) => !(roles as readonly string[]).includes(r));
      if (unknown.length) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown role ${unknown.join(', ')}; roles are ${roles.join(', ')}, or "none"`,
        });
        return z.NEVER;
      }
      return [...new Set(listed)] as Role[];
    }),
  /**
   * Seconds a shutdown (SIGTERM, SIGINT) may take: in-flight requests, jobs, the database. Past it the process exits
   * with 1, naming what was still open. Keep it below the process manager's own limit (Docker waits 10 s by default).
   */
  SHUTDOWN_TIMEOUT_SECONDS: wholeNumber(1, 600, 20),
  /**
   * Seconds a stopping process goes on accepting connections, answering /healthz 503, before it closes its port: the
   * time a load balancer's health checks need to take it out of rotation. A connection refused before then is a 502
   * for its visitor. Part of SHUTDOWN_TIMEOUT_SECONDS, at most half of it.
   */
  SHUTDOWN_DRAIN_SECONDS: wholeNumber(0, 300, 0),
  /**
   * Seconds an idle kept-alive connection stays open. Above the load balancer's own idle timeout (AWS ALB 60 s,
   * nginx's upstream keepalive_timeout 60 s): with Node's 5 s the balancer reuses a socket Node has just closed, and
   * that visitor gets a 502.
   */
  KEEP_ALIVE_TIMEOUT_SECONDS: wholeNumber(1, 3600, 65),
  /**
   * Days the audit trail keeps an event, when an operator's data-protection rules ask for a limit: the maintenance job
   * then removes older ones. Unset (the default), nothing deletes an event (API.md).
   */
  AUDIT_RETENTION_DAYS: anyWholeNumber(1, 36500).optional(),
});

/**
 * Why the driver would refuse a mongodb:// URI (a bad port, an option it does not know), or undefined. Constructing a
 * client parses the string and connects to nothing; without this the refusal came at connect time as a stack trace.
 */
function mongodbUriProblem(uri: string): string | undefined {
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) return undefined;
  try {
    new MongoClient(uri);
    return undefined;
  } catch (error) {
    // The driver's messages name a host or an option, never the password.
    return `is not a connection string the MongoDB driver accepts (${(error as Error).message})`;
  }
}

const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** A hop count or a list of addresses/subnets/named ranges; a string is the reason the value is refused. */
export function parseTrustProxy(value: string): number | readonly string[] | string {
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= 32 ? hops : 'a hop count must be between 0 and 32';
  }
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return 'must be a hop count or addresses/subnets such as "10.0.0.5, 10.1.0.0/16"';
  for (const entry of entries) {
    if (namedRanges.has(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (!family || !prefixOk || extra !== undefined) {
      return `"${entry}" is not a hop count, an IP address, a subnet (address/prefix) or one of loopback, linklocal, uniquelocal`;
    }
  }
  return Object.freeze(entries);
}

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  port: number;
  mongodbUri: string | undefined;
  dataDir: string;
  sessionSecret: string;
  baseUrl: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  admin: { email: string; password: string } | undefined;
  demoData: boolean;
  logLevel: string;
  runJobs: boolean;
  /** Express's `trust proxy`: a hop count or addresses/subnets (TRUST_PROXY). */
  trustProxy: number | readonly string[];
  /** Roles that must use two-step sign-in (MFA_REQUIRED_ROLES). */
  mfaRequiredRoles: readonly Role[];
  /** Days an audit event is kept (AUDIT_RETENTION_DAYS); null: kept for good, the default. */
  auditRetentionDays: number | null;
  /** Milliseconds a shutdown may take before the process exits anyway (SHUTDOWN_TIMEOUT_SECONDS). */
  shutdownTimeoutMs: number;
  /** Milliseconds a stopping process still accepts connections, /healthz answering 503 (SHUTDOWN_DRAIN_SECONDS). */
  shutdownDrainMs: number;
  /** Milliseconds an idle kept-alive connection stays open (KEEP_ALIVE_TIMEOUT_SECONDS). */
  keepAliveTimeoutMs: number;
  /** The session cookie's SameSite (SESSION_COOKIE_SAMESITE); "none" only in production. */
  sessionCookieSameSite: 'lax' | 'none';
  /** SECRETS_ENCRYPTION_KEY: the key two-step secrets and calendar feed tokens are sealed under, when set. */
  secretsEncryptionKey: Buffer | undefined;
}>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * A variable's value that is none of its choices is told every choice (LOG_LEVEL has seven). The forms' wording
 * (server/http/plainMessages.ts) says "one of the options offered" for a long list, since a form offers them beside
 * the field; an operator reading a refused start has no such list before her.
 */
const settingMessage = (issue: z.core.$ZodRawIssue): string | undefined =>
  issue.code === 'invalid_value' ? `must be one of: ${issue.values.map(String).join(', ')}` : undefined;

/** Parses an environment (process.env by default) into a frozen Config, or throws ConfigError listing every bad key. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(raw, { error: settingMessage });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];
  if (env.NODE_ENV === 'production' && !env.SESSION_SECRET) problems.push('SESSION_SECRET: required in production');
  if (env.NODE_ENV === 'production' && !env.SMTP_URL)
    problems.push('SMTP_URL: required in production (the outbox is for development)');
  if (env.NODE_ENV === 'production' && !env.BASE_URL)
    problems.push('BASE_URL: required in production (emailed links and calendar feeds would point at localhost)');
  if (env.NODE_ENV === 'production' && env.DEMO_DATA === 'true')
    problems.push(
      'DEMO_DATA: "true" is refused in production (the demo accounts sign in with a password published in the README); unset it, or run without NODE_ENV=production to try Pathways',
    );
  if (env.SESSION_COOKIE_SAMESITE === 'none' && env.NODE_ENV !== 'production')
    problems.push(
      'SESSION_COOKIE_SAMESITE: "none" needs NODE_ENV=production (browsers refuse a SameSite=None cookie that is not Secure, and only production serves one over HTTPS)',
    );
  if (env.SHUTDOWN_DRAIN_SECONDS * 2 > env.SHUTDOWN_TIMEOUT_SECONDS)
    problems.push(
      `SHUTDOWN_DRAIN_SECONDS: at most half of SHUTDOWN_TIMEOUT_SECONDS (${env.SHUTDOWN_TIMEOUT_SECONDS} s), which must also cover the requests in flight, the jobs and the database; raise SHUTDOWN_TIMEOUT_SECONDS or lower SHUTDOWN_DRAIN_SECONDS`,
    );
  if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither');
  } else if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) {
    // The rules every password meets; refused later, at the admin's creation, it was a stack trace.
    for (const problem of passwordFieldErrors(env.ADMIN_PASSWORD, { email: env.ADMIN_EMAIL }))
      problems.push(`ADMIN_PASSWORD: ${problem.message}`);
  }
  if (problems.length) throw new ConfigError(problems);

  const dataDir = path.resolve(env.DATA_DIR);
  let sessionSecret = env.SESSION_SECRET;
  try {
    sessionSecret ??= developmentSessionSecret(dataDir, env.NODE_ENV);
  } catch (error) {
    // A file where the folder should be, or no permission: the operator's to fix, so said like any bad value.
    throw new ConfigError([`DATA_DIR: ${dataDir} cannot be used (${(error as Error).message})`]);
  }
  return Object.freeze({
    env: env.NODE_ENV,
    port: env.PORT,
    mongodbUri: env.MONGODB_URI,
    dataDir,
    sessionSecret,
    baseUrl: (env.BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM ?? defaultMailFrom(env.BASE_URL),
    admin: env.ADMIN_EMAIL && env.ADMIN_PASSWORD ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD } : undefined,
    demoData: env.DEMO_DATA ? env.DEMO_DATA === 'true' : env.NODE_ENV !== 'production',
    logLevel: env.LOG_LEVEL,
    runJobs: env.RUN_JOBS === 'true',
    trustProxy: env.TRUST_PROXY,
    mfaRequiredRoles: Object.freeze(
      env.MFA_REQUIRED_ROLES ?? (env.NODE_ENV === 'production' ? (['admin', 'facilitator'] as Role[]) : []),
    ),
    auditRetentionDays: env.AUDIT_RETENTION_DAYS ?? null,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_SECONDS * 1000,
    sessionCookieSameSite: env.SESSION_COOKIE_SAMESITE,
    secretsEncryptionKey: env.SECRETS_ENCRYPTION_KEY,
  });
}

/** In development the secret is generated once and kept in DATA_DIR, so sessions survive restarts. */
function developmentSessionSecret(dataDir: string, nodeEnv: string): string {
  if (nodeEnv === 'test') return randomBytes(32).toString('hex');
  const file = path.join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The sender when MAIL_FROM is unset: no-reply at the app's own domain (BASE_URL, which production requires), so mail
 * comes from a domain that exists and the operator can give SPF and DKIM; `pathways.local` only in development (a
 * `.local` name never resolves, RFC 6762: mail servers refuse or junk a sender there).
 */
export function defaultMailFrom(baseUrl: string | undefined): string {
  const host = baseUrl ? URL.parse(baseUrl)?.hostname : undefined;
  const isDomain = !!host && host.includes('.') && !/^[\d.]+$|^\[|:/.test(host) && !host.endsWith('.localhost');
  return `Pathways <no-reply@${isDomain ? host : 'pathways.local'}>`;
}
