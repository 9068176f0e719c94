import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { noteActiveAdmin } from './AdminRoster.ts';

/** `researcher` sees aggregates and anonymised exports only, never a person. */
export const roles = ['admin', 'facilitator', 'participant', 'governor', 'mentor', 'researcher'] as const;
export type Role = (typeof roles)[number];
export const userStatuses = ['active', 'invited', 'disabled', 'erased'] as const;
export type UserStatus = (typeof userStatuses)[number];
/** Accounts that are someone's: she may sign in (or finish her invitation) and be written to. */
export const liveUserStatuses: UserStatus[] = ['active', 'invited'];
/**
 * The zone of an account made with nothing better to go on (the first admin, an admin's invitation or a launch that
 * names no zone): a cohort's import, a board's panel and a launch into a cohort use the zone they know instead.
 */
export const defaultTimeZone = 'Europe/London';

const userSchema = new Schema(
  {
    /** Stored lower-cased: emails compare case-insensitively, and the unique index relies on it. */
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true, trim: true },
    roles: { type: [String], enum: roles, required: true, default: ['participant'] },
    /** IANA zone; every time the user sees is shown in it. */
    timezone: { type: String, required: true, default: defaultTimeZone },
    /**
     * True when an LMS made the account or gave it its address (an LTI launch's email claim): nobody has shown that
     * she holds it, and a platform admin (or a learner who may edit her LMS profile) can assert anyone's. An emailed
     * link followed removes it (a password reset or invitation, an email change confirmed). Absent on every other
     * account. What rests on holding an address (being a Pledge signature's contact, a board seat given by email) is
     * not given while it is set (holdsEmailAddress, server/policies/accounts.ts). Its removal unlinks the LMS
     * identities linked to the account before (`address.proved`: services/lti/people.ts, unlinkAccountsBeforeProof).
     */
    emailUnverified: { type: Boolean },
    /** argon2id hash; absent until an invited user sets a password. Never serialised. */
    passwordHash: { type: String, select: false },
    /** Only `active` signs in. `erased`: the account was erased (UK GDPR art. 17); the row stays as "Former member". */
    status: { type: String, enum: userStatuses, required: true, default: 'active' },
    /**
     * Secret token of the private iCalendar feed (sealed under SECRETS_ENCRYPTION_KEY when set); rotating it revokes
     * old subscriptions. Feeds find her by the id in their address, so it has no index.
     */
    calendarToken: { type: String },
    /** Kinds of notification this user turned off (security emails cannot be turned off). */
    mutedKinds: { type: [String], default: [] },
    /** 'single' sends each notification on its own; 'daily' bundles non-urgent ones. */
    emailDigest: { type: String, enum: ['single', 'daily'], default: 'single' },
    /** Weekday (1 = Monday … 7 = Sunday, luxon's numbering) of a facilitator's weekly digest. */
    digestWeekday: { type: Number, min: 1, max: 7, default: 1 },
    lastLoginAt: { type: Date },
    /**
     * Two-step sign-in (TOTP, RFC 6238). `mfaEnabledAt` is set when she confirmed a code; `mfaSecret` (base32) is
     * the authenticator's key, `mfaPendingSecret` one offered on the set-up page and not yet confirmed.
     * `mfaLastStep` is the last accepted time step: a code is accepted only by a conditional update on
     * `{ mfaLastStep: { $lt: step } }`, so a code is never accepted twice, whichever process sees it.
     * `mfaRecoveryCodes` holds the SHA-256 of each unused recovery code; using one `$pull`s it.
     */
    mfaEnabledAt: { type: Date, default: null },
    mfaSecret: { type: String, select: false },
    mfaPendingSecret: { type: String, select: false },
    mfaLastStep: { type: Number, default: 0 },
    mfaRecoveryCodes: { type: [String], select: false, default: undefined },
    /**
     * Her signed-in web sessions, by public id (a hash of the session id; models/SignedInSession.ts holds what the
     * list shows). Every request reads her record by `_id` with her session's key in the filter (server/auth.ts), so
     * one read says both that she is active and that this session was not ended, on whichever process answers.
     */
    signedInSessions: { type: [String], select: false, default: undefined },
    /**
     * Moves on each time her other sessions and tokens are ended (a password change or reset, signing out elsewhere),
     * in the same write that empties the list: a sign-in whose password was checked before that records its session
     * (or keeps its token) only if this is still what it read, so it cannot outlive the change (missing: 0).
     */
    sessionsEpoch: { type: Number },
    /**
     * Moves on with every change of her details (name, zone, email, roles, status): an admin's edit and her own are
     * written only over the version their form or client read, so neither undoes the other unseen (server/versions.ts).
     */
    version: { type: Number, default: 0 },
    /**
     * Set in the same write as a change of her name (a rename, the LMS filling a withheld name, erasure): the records
     * that copy her name are still to follow it. Cleared by accounts/nameCopies.ts once they do; the maintenance job
     * finishes what a process that stopped in between left (absent otherwise).
     */
    namesFollowing: { type: Boolean },
    /**
     * Set with status `erased` when an erasure begins, unset once every area has erased what identifies her: one still
     * set minutes later was left by a process that stopped part-way, and the maintenance job carries the erasure
     * through (services/privacy/erase.ts, erasuresFinished).
     */
    erasingSince: { type: Date },
  },
  { timestamps: true },
);

userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ roles: 1, name: 1 });
/** The few accounts whose name copies are still to follow a change (the maintenance job's repair). */
userSchema.index({ namesFollowing: 1 });
/** Erasures a stopped process left part-way (the maintenance job's repair). */
userSchema.index({ erasingSince: 1 });

/**
 * What a write that changes her name also sets (`namesFollowing`), in that same write: until namesFollowAccount
 * (server/services/accounts/nameCopies.ts) has run to its end, the maintenance job knows her copies may still hold her
 * former name, however the process that changed it stopped.
 */
export const namesToFollow = { namesFollowing: true } as const;

// A new active admin joins the roster that guards "never remove the last active admin" (models/AdminRoster.ts), however
// she was created (service, demo data, test factories).
userSchema.post('save', async function () {
  if (this.status === 'active' && this.roles.includes('admin')) await noteActiveAdmin(this._id);
});

export type User = InferSchemaType<typeof userSchema>;
export type UserDocument = HydratedDocument<User>;
export const UserModel = model('User', userSchema);
