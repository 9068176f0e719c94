import { Types } from 'mongoose';
import { OneTimeTokenModel } from '../../models/OneTimeToken.ts';
import { noteActiveAdmin } from '../../models/AdminRoster.ts';
import { defaultTimeZone, liveUserStatuses, UserModel, type Role, type UserStatus } from '../../models/User.ts';
import { isDuplicateKeyError } from '../db.ts';
import { emitDomainEvent } from '../events.ts';
import { canonicalEmail, checkedEmail } from '../emailAddresses.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { absoluteUrl } from '../settings.ts';
import { afterPasswordReset, endOtherAccess, forgetEmailedLinks } from './accounts/credentials.ts';
import { sessionsEpochIs } from './accounts/sessions.ts';
import { recordAuditEvent, type AuditActor } from './audit/events.ts';
import { checkedPersonName } from './accounts/names.ts';
import { hashPassword, passwordFieldErrors, verifyPassword } from './passwords.ts';
import { deliverSecurityEmails, planSecurityEmail, sendSecurityEmail } from './reminders/accounts.ts';
import { countHit, spendAllowance } from './rateLimits.ts';
import { hashSecret, newSecret } from './secrets.ts';
import { escapeRegex, looseTextPattern } from '../textSearch.ts';

const messages = {
  emailTaken: 'An account with this email address already exists.',
  linkInvalid: 'This link is not valid any more. It may have been used already or have expired; ask for a new one.',
  tooManyResetRequests: 'Too many requests for reset links. Please wait a few minutes and try again.',
  noRole: 'choose at least one role',
  researcherAlone:
    'choose researcher on its own: a researcher account opens only the research pages, so someone who also has ' +
    'another role needs a second account with a different email address',
};

const linkLifetimes = { 'password-reset': 60 * 60 * 1000, invitation: 7 * 24 * 60 * 60 * 1000 } as const;

/** The public shape of a user (API and views): never the hash. */
export type UserView = {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  timezone: string;
  status: string;
  /** Her details' version (server/versions.ts): null for an account stored before versions. */
  version: number | null;
};
type UserFields = {
  _id: unknown;
  email: string;
  name: string;
  roles: string[];
  timezone: string;
  mfaEnabledAt?: Date | null;
  emailUnverified?: boolean | null;
  sessionsEpoch?: number | null;
  version?: number | null;
};

/** The person as a signed-in request carries her (only active accounts sign in, so no status). */
export function currentUserOf(
  user: UserFields,
): Omit<UserView, 'status'> & { emailUnverified?: true; mfaEnabled: boolean; sessionsEpoch: number } {
  return {
    id: String(user._id),
    email: user.email,
    name: user.name,
    roles: user.roles as Role[],
    timezone: user.timezone,
    ...(user.emailUnverified ? { emailUnverified: true as const } : {}),
    mfaEnabled: Boolean(user.mfaEnabledAt),
    sessionsEpoch: user.sessionsEpoch ?? 0,
    version: user.version ?? null,
  };
}

/** You, as `GET /api/v1/me` (and `PATCH /me`) shows you. */
export function presentMe(user: UserFields): Omit<UserView, 'status'> {
  const { emailUnverified, mfaEnabled, sessionsEpoch, ...me } = currentUserOf(user);
  void emailUnverified;
  void mfaEnabled;
  void sessionsEpoch;
  return me;
}

export function presentUser(user: UserFields & { status?: string }): UserView {
  return { ...presentMe(user), status: user.status ?? 'active' };
}

/**
 * The roles one account may hold, without repeats. Every place that sets roles (creating a person, an admin changing
 * them) goes through here. `researcher` stands alone: the research boundary (server/policies/research.ts) confines a
 * researcher to the research pages, so any other role beside it would only fill her navigation with 403s; a person
 * who researches and also takes part, facilitates, governs, mentors or administers needs two accounts.
 */
export function checkRoles(roles: readonly Role[]): Role[] {
  const unique = [...new Set(roles)];
  if (!unique.length) throw new ValidationError(messages.noRole, [{ path: 'roles', message: messages.noRole }]);
  if (unique.includes('researcher') && unique.length > 1)
    throw new ValidationError(messages.researcherAlone, [{ path: 'roles', message: messages.researcherAlone }]);
  return unique;
}

/** Returns the user when email and password match an active account, else null (same time either way). */
export async function authenticateWithPassword(props: { email: string; password: string }) {
  const user = await UserModel.findOne({ email: canonicalEmail(String(props.email)), status: 'active' })
    .select('+passwordHash')
    .lean();
  const ok = await verifyPassword(user?.passwordHash, String(props.password));
  if (!user || !ok) return null;
  await UserModel.updateOne({ _id: user._id }, { $set: { lastLoginAt: new Date() } });
  return currentUserOf(user);
}

/**
 * Creates an account. Without a password the user is `invited` and receives a single-use link to set one.
 * @param actorName shown in the invitation ("Ada Lovelace has invited you")
 */
export async function createUser(props: {
  email: string;
  name: string;
  roles: Role[];
  timezone?: string;
  password?: string;
  actorName?: string;
  /** The admin creating the account (audited as user-created); absent for the CLI, the first admin and demo data. */
  actor?: AuditActor;
  ip?: string | null;
  /** false: no invitation now; the caller sends it once she has what she is invited to (a seat on a panel). */
  invite?: boolean;
}): Promise<UserView> {
  const checked = checkedEmail(props.email);
  if ('problem' in checked)
    throw new ValidationError('Enter an email address.', [{ path: 'email', message: checked.problem }]);
  const { email } = checked;
  const roles = checkRoles(props.roles);
  const name = checkedPersonName(props.name);
  if (props.password !== undefined) {
    const problems = passwordFieldErrors(props.password, { email });
    if (problems.length) throw new ValidationError('Choose a stronger password.', problems);
  }
  if (await UserModel.exists({ email })) throw new ConflictError(messages.emailTaken);
  try {
    const user = await UserModel.create({
      email,
      name,
      roles,
      timezone: props.timezone ?? defaultTimeZone,
      passwordHash: props.password !== undefined ? await hashPassword(props.password) : undefined,
      status: props.password !== undefined ? 'active' : 'invited',
    });
    if (props.actor)
      await recordAuditEvent({
        action: 'user-created',
        actor: props.actor,
        target: { type: 'user', id: user._id },
        ip: props.ip,
        detail: `${user.name} (${user.roles.join(', ')})${props.password === undefined ? ', invited' : ''}`,
      });
    if (props.password === undefined && props.invite !== false)
      await sendInvitation({ userId: user.id, actorName: props.actorName ?? 'The Pathways team' });
    return presentUser(user);
  } catch (error) {
    // Two requests for the same email at once: the unique index decides, the loser gets the same 409.
    if (isDuplicateKeyError(error)) throw new ConflictError(messages.emailTaken);
    throw error;
  }
}

async function issueLink(purpose: 'password-reset' | 'invitation', userId: Types.ObjectId | string) {
  const secret = newSecret();
  const token = await OneTimeTokenModel.create({
    purpose,
    userId,
    tokenHash: hashSecret(secret),
    expiresAt: new Date(Date.now() + linkLifetimes[purpose]),
  });
  return {
    link: absoluteUrl(purpose === 'invitation' ? `/invitations/${secret}` : `/password-reset/${secret}`),
    linkId: token._id,
    expiresAt: token.expiresAt,
  };
}

/** An invitation to send: to whom, from whom, and for what. */
export type Invitation = {
  userId: string;
  actorName: string;
  /** What she is invited for, in a sentence of its own (a panel and its interview day), when there is more than an account. */
  invitedFor?: string;
};

export function sendInvitation(invitation: Invitation): Promise<void> {
  return sendInvitations([invitation]);
}

/**
 * Invites each: a one-time link, sent through the reminders pipeline (one record, sent once, retried if the mail
 * server is down), at once, all together, so a stalled mail server holds the request for one wait, not one per person.
 */
export async function sendInvitations(invitations: readonly Invitation[]): Promise<void> {
  const ids: string[] = [];
  for (const invitation of invitations) ids.push(await planInvitation(invitation));
  await deliverSecurityEmails(ids);
}

/**
 * Plans her invitation (a one-time link; its email's record written, so the reminders job sends it if the request
 * does not get to) and returns the email's id for deliverSecurityEmails: an import plans each newcomer's as it adds
 * her, so an import stopped half-way has invited everyone it added.
 */
export async function planInvitation(invitation: Invitation): Promise<string> {
  const user = await UserModel.findById(invitation.userId).lean();
  if (!user) throw new NotFoundError();
  const { link, linkId, expiresAt } = await issueLink('invitation', user._id);
  return planSecurityEmail({
    kind: 'invitation',
    userId: user._id,
    linkId,
    expiresAt,
    subject: 'You are invited to Pathways',
    data: {
      inviterName: invitation.actorName,
      link,
      ...(invitation.invitedFor ? { invitedFor: invitation.invitedFor } : {}),
    },
  });
}

/** Reset emails one account may be sent in an hour, whoever asks and from wherever. */
export const resetEmailsPerAccount = { limit: 3, windowMs: 60 * 60 * 1000 };
/** Reset requests one connection may make in 15 minutes, whatever the addresses (typing errors are not counted). */
export const resetRequestsPerConnection = { limit: 20, windowMs: 15 * 60 * 1000 };

/**
 * Asks for a password reset link: spends one of the connection's resetRequestsPerConnection (past it, a
 * RateLimitedError, 429, before anything is looked up, so the refusal is the same for every address) and returns the
 * sending, for the caller to run once she has her answer: how long the lookup and the email take would tell whether
 * the address has an account (server/http/afterAnswering.ts). The answer is the same either way.
 */
export async function requestPasswordReset(props: {
  email: string;
  /** The connection she asks from (its address): the key of resetRequestsPerConnection. */
  connection: string;
  now?: Date;
}): Promise<{ send: () => Promise<void> }> {
  await spendAllowance({
    key: `password-reset|${props.connection}`,
    ...resetRequestsPerConnection,
    now: props.now,
    refusal: messages.tooManyResetRequests,
  });
  return { send: () => sendPasswordReset({ email: props.email }) };
}

/**
 * Emails a reset link to an active or invited account with this address, or does nothing, silently: whether the
 * address has an account is never revealed. The per-connection limit alone would let someone with many addresses
 * fill one person's inbox, so each account also gets at most 3 reset emails an hour (counted in the database, across
 * processes); a fourth request sends nothing and answers the same.
 */
export async function sendPasswordReset(props: { email: string }): Promise<void> {
  const email = canonicalEmail(props.email);
  const user = await UserModel.findOne({ email, status: { $in: liveUserStatuses } }).lean();
  if (!user) return;
  const sent = await countHit({ key: `password-reset:${String(user._id)}`, ...resetEmailsPerAccount });
  if (sent.hits > resetEmailsPerAccount.limit) return;
  const { link, linkId, expiresAt } = await issueLink('password-reset', user._id);
  await sendSecurityEmail({
    kind: 'password-reset',
    userId: user._id,
    linkId,
    expiresAt,
    subject: 'Reset your Pathways password',
    data: { link },
  });
}

/** Looks up a link without using it (to show the form), or throws a 404 with a clear message. */
/** The accounts each kind of emailed link still works for. */
const linkStatuses: Record<'password-reset' | 'invitation', readonly UserStatus[]> = {
  'password-reset': ['active', 'invited'],
  invitation: ['invited'],
};

export async function findValidLink(purpose: 'password-reset' | 'invitation', secret: string) {
  const token = await OneTimeTokenModel.findOne({
    purpose,
    tokenHash: hashSecret(secret),
    usedAt: null,
    expiresAt: { $gt: new Date() },
  }).lean();
  if (!token) throw new NotFoundError(messages.linkInvalid);
  const user = await UserModel.findById(token.userId).lean();
  // A disabled or erased account cannot be brought back by an old link; an invitation is for an account that has no
  // password yet (once she has one, a copy of the invitation email would set another, and sign its holder in as her).
  if (!user || !linkStatuses[purpose].includes(user.status as UserStatus))
    throw new NotFoundError(messages.linkInvalid);
  return { token, user };
}

/**
 * Sets a new password through a reset or invitation link. The link is used up by a conditional update (`usedAt:
 * null` and unexpired → used now), atomic on MongoDB and on our patched FerretDB, so of simultaneous submissions only
 * one succeeds.
 */
export async function setPasswordWithLink(props: {
  purpose: 'password-reset' | 'invitation';
  secret: string;
  password: string;
  ip?: string | null;
}) {
  const { token, user } = await findValidLink(props.purpose, props.secret);
  const problems = passwordFieldErrors(props.password, { email: user.email });
  if (problems.length) throw new ValidationError('Choose a stronger password.', problems);
  const passwordHash = await hashPassword(props.password);
  const now = new Date();
  const used = await OneTimeTokenModel.findOneAndUpdate(
    { _id: token._id, usedAt: null, expiresAt: { $gt: now } },
    { $set: { usedAt: now } },
  );
  if (!used) throw new NotFoundError(messages.linkInvalid);
  // Conditional on the status findValidLink accepted: an admin may disable (or erasure may erase) the account while
  // the password is hashed, on another process, and an unconditional write would make it active again. And on her
  // `sessionsEpoch` as read, moved in the same write: of two links used at once (she asked twice; or one went to a
  // mailbox someone else reads), each used up before the other's reset forgot it, only one sets her password.
  // The link was mailed to her address, so following it proves she holds it (an LMS's word for it no longer counts).
  const set = await UserModel.updateOne(
    { _id: user._id, status: { $in: linkStatuses[props.purpose] }, ...sessionsEpochIs(user.sessionsEpoch ?? 0) },
    { $set: { passwordHash, status: 'active' }, $unset: { emailUnverified: 1 }, $inc: { sessionsEpoch: 1 } },
  );
  if (set.matchedCount !== 1) throw new NotFoundError(messages.linkInvalid);
  if (user.emailUnverified) await emitDomainEvent('address.proved', { userId: user._id });
  if (user.roles.includes('admin')) await noteActiveAdmin(user._id);
  if (props.purpose === 'password-reset')
    await afterPasswordReset({ user: { id: user._id, name: user.name, email: user.email }, ip: props.ip });
  // Her first password: the other invitations sent her (an admin's "send again") and any reset link go unused.
  else await forgetEmailedLinks(user._id, now);
  return presentUser({ ...user, status: 'active' });
}

/**
 * Operator path (CLI): set a password directly. It never decides whether she may sign in: a disabled account stays
 * disabled (`enableUser` is the separate way back), an invited one becomes active as when she chooses it from her
 * invitation, and an erased one (a "Former member" row) gets none. Answers the status she is left with.
 */
export async function setPassword(props: { email: string; password: string }): Promise<UserStatus> {
  const email = canonicalEmail(props.email);
  const problems = passwordFieldErrors(props.password, { email });
  if (problems.length) throw new ValidationError('Choose a stronger password.', problems);
  // updateOne, not findOneAndUpdate: the User schema's unselected fields make that a findAndModify with a projection,
  // which FerretDB (the embedded database) refuses, so the command failed on every default install.
  const user = await UserModel.findOne({ email }, { roles: 1, status: 1 }).lean();
  if (!user) throw new NotFoundError(`No user has the email ${email}.`);
  if (user.status === 'erased') throw new ConflictError(`${email} belongs to an erased account; it gets no password.`);
  const status = user.status === 'invited' ? 'active' : (user.status as UserStatus);
  // Conditional on the status read: an admin disabling her meanwhile (another process) is not undone.
  const set = await UserModel.updateOne(
    { _id: user._id, status: user.status },
    { $set: { passwordHash: await hashPassword(props.password), status } },
  );
  if (set.matchedCount !== 1) throw new ConflictError(`${email} changed meanwhile; nothing was set. Run it again.`);
  if (status === 'active' && user.roles.includes('admin')) await noteActiveAdmin(user._id);
  // An operator sets a password when the old one is lost or known to someone else: whoever knew it may have signed in
  // or made a token, so, as after a reset, every session and token of hers ends.
  await recordAuditEvent({
    action: 'password-changed',
    actor: null,
    target: { type: 'user', id: user._id },
    detail: 'set by an operator (npm run cli -- user:set-password)',
  });
  await endOtherAccess({ userId: String(user._id), actor: null, reason: 'password set by an operator' });
  return status;
}

/**
 * Operator path (CLI): a disabled account may sign in again, as an admin's "enable" does (active, or invited when she
 * never chose a password), audited with no actor since no one is signed in.
 */
export async function enableUser(props: { email: string }): Promise<UserStatus> {
  const email = canonicalEmail(props.email);
  const user = await UserModel.findOne({ email }).select('+passwordHash').lean();
  if (!user) throw new NotFoundError(`No user has the email ${email}.`);
  if (user.status !== 'disabled')
    throw new ConflictError(`${email} is not disabled (the account is ${user.status}); nothing was changed.`);
  const status = user.passwordHash ? 'active' : 'invited';
  const set = await UserModel.updateOne({ _id: user._id, status: 'disabled' }, { $set: { status } });
  if (set.matchedCount !== 1) throw new ConflictError(`${email} changed meanwhile; nothing was changed. Run it again.`);
  if (status === 'active' && user.roles.includes('admin')) await noteActiveAdmin(user._id);
  await recordAuditEvent({
    action: 'user-enabled',
    actor: null,
    target: { type: 'user', id: user._id },
    detail: `status: disabled → ${status} (operator command user:enable)`,
  });
  return status;
}

/** Search by role and by a fragment of name or email (case-insensitive), keyset-paged by id. */
export async function searchUsers(props: { role?: Role; q?: string; limit: number; after?: Types.ObjectId }) {
  const filter: Record<string, unknown> = {};
  if (props.role) filter.roles = props.role;
  if (props.q) {
    const q = props.q.trim();
    filter.$or = [
      { email: new RegExp(escapeRegex(q), 'i') },
      // A whole address (or a piece with its @) pasted in another form than the stored one: punycode, a root dot.
      ...(q.includes('@') ? [{ email: new RegExp(escapeRegex(canonicalEmail(q)), 'i') }] : []),
      { name: new RegExp(looseTextPattern(q), 'i') },
    ];
  }
  if (props.after) filter._id = { $gt: props.after };
  return UserModel.find(filter)
    .sort({ _id: 1 })
    .limit(props.limit + 1)
    .lean();
}

/**
 * First start: create the configured admin when no admin exists yet. Several processes starting at once on an empty
 * database all find none; the unique email index lets one create her, and the others start as if she had been there.
 */
export async function ensureInitialAdmin(admin: { email: string; password: string } | undefined): Promise<boolean> {
  if (!admin || (await UserModel.exists({ roles: 'admin' }))) return false;
  try {
    await createUser({ email: admin.email, name: 'Administrator', roles: ['admin'], password: admin.password });
  } catch (error) {
    if (error instanceof ConflictError && (await UserModel.exists({ roles: 'admin' }))) return false;
    throw error;
  }
  return true;
}
