import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { LtiAccountModel } from '../../../models/LtiAccount.ts';
import { LtiLaunchModel, type LtiLaunch } from '../../../models/LtiLaunch.ts';
import { LtiPlatformModel, type LtiPlatform } from '../../../models/LtiPlatform.ts';
import { LtiScoreModel } from '../../../models/LtiScore.ts';
import { ModuleModel } from '../../../models/Module.ts';
import { defaultTimeZone, liveUserStatuses, namesToFollow, UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { canonicalEmail, checkedEmail } from '../../emailAddresses.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import { personNameFromElsewhere } from '../accounts/names.ts';
import { timeZoneNamed } from '../accounts/timeZones.ts';
import { isObjectId } from '../../ids.ts';
import { recordAuditEvent } from '../audit/events.ts';
import { enrolParticipant } from '../cohorts/enrolment.ts';
import { namesFollowAccount } from '../accounts/nameCopies.ts';
import { endOtherSessions } from '../accounts/sessions.ts';
import { currentUserOf } from '../users.ts';
import { cohortsPlacedIn, placedCohort, type Course } from './coursePlacements.ts';
import { claim, hasAnyContextRole, isCourseStaff, isLearner, isTestUser, rolesOf } from './claims.ts';
import { whyNotAddContent } from './deepLinking.ts';
import { LaunchRefusedError, type VerifiedLaunch } from './launch.ts';
import { issueLaunchSecret, launchBySecret, linkGone } from './pendingLaunches.ts';
import { originsOf } from './platforms.ts';

const messages = {
  disabled: 'Your Pathways account is disabled. Ask your Pathways administrator.',
  linkedElsewhere: 'This course account is linked to another Pathways account already.',
  noCourseRole:
    'Your course did not say what you are in it: it sent only your role in your institution (such as ' +
    'administrator), not a role in the course. Pathways makes the teacher or teaching assistant of a course a ' +
    "facilitator of the course's cohort and enrols its students, so it cannot place you. To run this cohort, add " +
    'yourself to the course as a teacher or teaching assistant; to take part, as a student; then open Pathways again.',
  severalCohorts:
    'Your course has several Pathways cohorts and the link you opened does not say which one it is for, so it ' +
    "joined you to none. Open your cohort's own link in the course, or ask the course's teacher to add one (in the " +
    "LMS: add Pathways and choose the cohort with 'Select content').",
  notYourLink: (email: string) =>
    `This link is for the Pathways account ${email}: sign out and sign in to that account to link it.`,
  adminNotLinked:
    'An administrator’s account is not linked to a course account: whoever could sign in to the course as that ' +
    'person would open Pathways as an administrator, without your password or two-step code. Sign in to Pathways ' +
    'directly; to take part in a course, use an account of your own that is not an administrator’s.',
  adminNotSignedIn:
    'This course account is linked to a Pathways account that is now an administrator’s, and an LMS never opens an ' +
    'administrator’s account: whoever could sign in to the course as that person would open Pathways as an ' +
    'administrator, without a password or two-step code. Sign in to Pathways directly.',
};

export type Person = { userId: string } | { linkEmail: string };

/** An LMS person we create: the platform's email if nobody has it, else a placeholder that can never receive mail. */
const placeholderEmail = (platformId: Types.ObjectId, sub: string) =>
  `lti-${createHash('sha256').update(`${platformId}:${sub}`).digest('hex').slice(0, 24)}@users.invalid`;

/**
 * The platform's email claim, in its stored form (`canonicalEmail`: the same account as the address typed in a form
 * or imported, whichever form of an internationalised domain the platform sends), when it is one deliverable
 * address. Anything else (a list, a display name, a line break) would be her account's address and so the To of
 * every email to her: a list would send her reminders to other people too.
 */
function platformEmail(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const checked = checkedEmail(value);
  return 'email' in checked ? checked.email : undefined;
}

/**
 * Who this LMS person is in Pathways, matched by (platform, sub) and nothing else. Unknown: a new account, unless
 * an account has the email the platform asserts; that account is not taken over: she links it by signing in once.
 * The link is written first, naming the account's id before the account exists, and the account second, so that no
 * step ever needs undoing: of concurrent first launches of one person the unique (platformId, sub) index keeps one
 * link and the others use it; a launch that died between the two writes leaves a link whose account the next launch
 * creates. (Account first, then link, left an orphan account that blocked her email, or needed a compensating delete
 * that could remove an account another launch had just linked.)
 */
export async function personOf(props: {
  platform: LtiPlatform;
  sub: string;
  name?: string;
  email?: string;
  instructor: boolean;
  /**
   * The zone of her account if this creates it; an account that exists keeps hers. A function (`newAccountZone`,
   * which reads the cohort) is asked only when the account is created, not on every launch of someone known.
   */
  timezone?: AccountZone;
}): Promise<Person> {
  for (let round = 0; round < 3; round += 1) {
    const link = await LtiAccountModel.findOne({ platformId: props.platform._id, sub: props.sub }).lean();
    if (link) {
      await ensureLinkedAccount(link.userId, props);
      await fillWithheldDetails(link.userId, props);
      return { userId: String(link.userId) };
    }
    const email = platformEmail(props.email);
    if (email && (await UserModel.exists({ email }))) return { linkEmail: email };
    const userId = new Types.ObjectId();
    try {
      await LtiAccountModel.create({
        platformId: props.platform._id,
        issuer: props.platform.issuer,
        sub: props.sub,
        userId,
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) continue; // another launch linked her first: the next round uses its link
      throw error;
    }
    await ensureLinkedAccount(userId, props);
    return { userId: String(userId) };
  }
  throw new ConflictError('Your account is being set up by another launch; open Pathways again.');
}

type AccountZone = string | undefined | (() => Promise<string | undefined>);

/** Her name on an account made while the platform withheld it (its privacy settings). */
const placeholderName = 'LMS learner';

/**
 * What the platform withheld when it created her account (a privacy setting that sent no name or email) and sends
 * now: the placeholders are replaced, so that registers name her and her emails reach her. Placeholders only: a name
 * she chose in Pathways stays; an address is taken only over the placeholder, and another account's address is
 * never hers (the unique index on email refuses it: she keeps the placeholder). The address is the LMS's word, so it
 * is `emailUnverified` until an emailed link proves it (models/User.ts).
 */
async function fillWithheldDetails(
  userId: Types.ObjectId,
  props: { platform: LtiPlatform; sub: string; name?: string; email?: string },
): Promise<void> {
  const name = personNameFromElsewhere(props.name);
  if (name) {
    const renamed = await UserModel.updateOne(
      { _id: userId, name: placeholderName },
      { $set: { name, ...namesToFollow }, $inc: { version: 1 } },
    );
    if (renamed.modifiedCount === 1) await namesFollowAccount(String(userId));
  }
  const email = platformEmail(props.email);
  if (!email) return;
  try {
    await UserModel.updateOne(
      { _id: userId, email: placeholderEmail(props.platform._id, props.sub) },
      { $set: { email, emailUnverified: true }, $inc: { version: 1 } },
    );
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/**
 * The account a link names, created with that id when it does not exist yet (this launch just wrote the link, or an
 * earlier one died before creating the account): the platform's email if nobody else has it, else a placeholder.
 * Either is `emailUnverified`: the platform asserts an address, nobody has shown she holds it (models/User.ts).
 * Idempotent: a concurrent launch creating the same account makes the insert a duplicate, which is success.
 */
async function ensureLinkedAccount(userId: Types.ObjectId, props: Parameters<typeof personOf>[0]): Promise<void> {
  if (await UserModel.exists({ _id: userId })) return;
  const timezone = typeof props.timezone === 'function' ? await props.timezone() : props.timezone;
  const addresses = [platformEmail(props.email), placeholderEmail(props.platform._id, props.sub)];
  for (const email of addresses.filter((a): a is string => !!a)) {
    try {
      await UserModel.create({
        _id: userId,
        email,
        name: personNameFromElsewhere(props.name) ?? placeholderName,
        // Course staff become facilitators of a cohort placed in their course (joinCohortFromLms), not of Pathways:
        // the role given here let any LMS teacher search everyone's names and emails.
        roles: ['participant'],
        timezone: timezone ?? defaultTimeZone,
        status: 'active',
        emailUnverified: true,
      });
      await recordAuditEvent({
        action: 'user-created',
        actor: null,
        target: { type: 'user', id: userId },
        // The shape every `user-created` detail has ("Name (roles)"): erasure reads her name out of it
        // (audit/retention.ts), so a name she later changed still leaves the trail.
        detail: `${personNameFromElsewhere(props.name) ?? placeholderName} (participant, from an LMS launch)`,
      });
      return;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      if (await UserModel.exists({ _id: userId })) return;
      // Her email was taken meanwhile by another account: that one is not hers to take; the placeholder is next.
    }
  }
  throw new ConflictError('Your account is being set up by another launch; open Pathways again.');
}

/**
 * She proved her account's address with an emailed link (a reset or invitation, an email change), where until then
 * only an LMS had vouched for it: every LMS identity linked to the account before is unlinked, and her sessions end.
 * Those links rest on a platform's word for the address, which is anyone's to type (a platform's admin, a learner who
 * may edit her LMS profile): whoever first launched with her address got the account made and linked to them, and
 * would go on signing in to it after she made it hers. Her own course account links again once, by signing in
 * (launchToLink). Their launches let go of her account (her grades no longer go to their line items; the clean-up
 * removes them as launches never linked), and the scores queued under their `sub` go. Answers how many were unlinked.
 */
export async function unlinkAccountsBeforeProof(props: { userId: string | Types.ObjectId }): Promise<number> {
  const userId = new Types.ObjectId(String(props.userId));
  const links = await LtiAccountModel.find({ userId }, { platformId: 1, sub: 1 }).lean();
  if (!links.length) return 0;
  const identities = links.map((l) => ({ platformId: l.platformId, sub: l.sub }));
  await LtiAccountModel.deleteMany({ _id: { $in: links.map((l) => l._id) } });
  await LtiLaunchModel.updateMany({ userId, $or: identities }, { $unset: { userId: 1 } });
  await LtiScoreModel.deleteMany({ userId, $or: identities });
  await endOtherSessions({ userId: String(userId), actor: null, reason: 'her address was proved by an emailed link' });
  await recordAuditEvent({
    action: 'lti-account-unlinked',
    actor: null,
    target: { type: 'user', id: userId },
    detail: `${links.length} LMS identit${links.length === 1 ? 'y' : 'ies'} linked on an LMS's word for her address, before she proved it`,
  });
  return links.length;
}

/**
 * Accounts an LMS made before addresses it asserted were marked (`emailUnverified`) are marked as a launch marks a new
 * one: those an LTI link names that never chose a password. Any other account with a link had a password to sign in
 * with when she linked it (linkExistingAccount), and an LMS's account that chose one did so through a link emailed to
 * its address, which proved it (an email change needs her password, so it comes after). The audit trail's "from an
 * LMS launch" is not asked: retention deletes it. Run at every start, idempotent, a thousand links a read.
 */
export async function markLmsAssertedAddresses(): Promise<number> {
  let marked = 0;
  let after: Types.ObjectId | undefined;
  for (;;) {
    const links = await LtiAccountModel.find(after ? { _id: { $gt: after } } : {}, { userId: 1 })
      .sort({ _id: 1 })
      .limit(1000)
      .lean();
    if (!links.length) return marked;
    after = links.at(-1)!._id;
    const result = await UserModel.updateMany(
      { _id: { $in: links.map((l) => l.userId) }, passwordHash: { $exists: false }, emailUnverified: { $ne: true } },
      { $set: { emailUnverified: true } },
    );
    marked += result.modifiedCount;
  }
}

type Custom = { cohort?: string; module?: string; programme?: string };
const customOf = (claims: Record<string, unknown>): Custom => {
  const raw = (claims[claim.custom] ?? {}) as Record<string, unknown>;
  const pick = (k: string) => (typeof raw[k] === 'string' && isObjectId(raw[k]) ? (raw[k] as string) : undefined);
  return { cohort: pick('cohort'), module: pick('module'), programme: pick('programme') };
};

/**
 * A launch into a cohort from someone with no role in the course itself (an institution's administrator opening a
 * course she is not a member of: Canvas sends such an account admin only `institution/person#Administrator`) is
 * refused, before any account or session, with the course role she needs: Pathways cannot tell whether she is to
 * run the cohort or take part, and an institution role alone must not make anyone a cohort's facilitator. With a
 * course role besides (Moodle's site administrator comes as Instructor too) she is what that role makes her.
 */
export async function requireCourseRole(launch: VerifiedLaunch): Promise<void> {
  if (launch.messageType !== 'LtiResourceLinkRequest' || hasAnyContextRole(rolesOf(launch.claims))) return;
  if (!customOf(launch.claims).cohort && !(await launchCohort(launch)).cohortId) return;
  throw new LaunchRefusedError(403, 'roles', messages.noCourseRole);
}

/**
 * The cohort a launch from this course is for, honoured only from a course it was placed in (coursePlacements.ts):
 * the one its custom `cohort` names; naming none, the one cohort placed in the course (of the programme it or its
 * module names, if any: a module link of another programme is not for that cohort), as a link added by hand, without the
 * picker's custom parameter, is. With several placed there which one she is in cannot be told: none, `several`.
 */
async function cohortForCourse(
  course: Partial<Course>,
  custom: Custom,
): Promise<{ cohortId?: Types.ObjectId; several?: boolean }> {
  if (custom.cohort) return { cohortId: await placedCohort({ course, cohortId: custom.cohort }) };
  // A module link typed by hand may name no programme: the module's is the one it is for.
  const programmeId =
    custom.programme ??
    (custom.module ? await ModuleModel.findById(custom.module, { programmeId: 1 }).lean() : null)?.programmeId;
  const placed = await cohortsPlacedIn(course, programmeId === undefined ? undefined : String(programmeId));
  return placed.length === 1 ? { cohortId: placed[0] } : { several: placed.length > 1 };
}

/** The cohort a launch is for (cohortForCourse). */
function launchCohort(launch: VerifiedLaunch): ReturnType<typeof cohortForCourse> {
  const context = (launch.claims[claim.context] ?? {}) as { id?: string };
  const course = {
    platformId: launch.platform._id,
    deploymentId: launch.deploymentId,
    contextId: typeof context.id === 'string' ? context.id : undefined,
  };
  const custom = customOf(launch.claims);
  // A deep-linking request is for the picker: only a cohort it names is recorded, never the course's only one.
  if (launch.messageType !== 'LtiResourceLinkRequest' && !custom.cohort) return Promise.resolve({});
  return cohortForCourse(course, custom);
}

/**
 * The zone of the account a launch would create: the zone of the cohort it launches into (she is there to take part
 * in it, as a cohort's import assumes), else the platform's OIDC `zoneinfo` claim when it names a zone (under its
 * current name: `timeZoneNamed`), else undefined (the default). Every time she sees is shown in it, so London's would
 * be hours off for a learner in Toronto until she noticed; she changes it on /account.
 */
export async function newAccountZone(launch: VerifiedLaunch): Promise<string | undefined> {
  const { cohortId } = await launchCohort(launch);
  const cohort = cohortId ? await CohortModel.findById(cohortId, { timezone: 1 }).lean() : null;
  if (cohort?.timezone) return cohort.timezone;
  const { zoneinfo } = launch.claims;
  return typeof zoneinfo === 'string' ? timeZoneNamed(zoneinfo) : undefined;
}

/** Records an accepted launch: what grades and rosters need later. */
export async function recordLaunch(props: { launch: VerifiedLaunch; userId?: string; now?: Date }) {
  const { platform, claims } = props.launch;
  const custom = customOf(claims);
  const context = (claims[claim.context] ?? {}) as { id?: string; title?: string };
  const ags = (claims[claim.ags] ?? {}) as { lineitem?: string; scope?: string[] };
  const nrps = (claims[claim.nrps] ?? {}) as { context_memberships_url?: string };
  const resourceLink = claims[claim.resourceLink] as { id?: unknown } | undefined;
  const dl = (claims[claim.deepLinkingSettings] ?? {}) as {
    deep_link_return_url?: string;
    data?: string;
    accept_multiple?: unknown;
    accept_types?: unknown;
  };
  // Honoured only from a course the cohort was placed in (coursePlacements.ts); the parameter is kept as sent.
  const { cohortId } = await launchCohort(props.launch);
  return (
    await LtiLaunchModel.create({
      platformId: platform._id,
      sub: claims.sub,
      userId: props.userId,
      messageType: props.launch.messageType,
      deploymentId: props.launch.deploymentId,
      roles: rolesOf(claims),
      name: typeof claims.name === 'string' ? claims.name : undefined,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      contextId: typeof context.id === 'string' ? context.id : undefined,
      contextTitle: typeof context.title === 'string' ? context.title : undefined,
      resourceLinkId: typeof resourceLink?.id === 'string' ? resourceLink.id : undefined,
      cohortId,
      custom,
      lineItemUrl: typeof ags.lineitem === 'string' ? ags.lineitem : undefined,
      canPostScores:
        Array.isArray(ags.scope) && ags.scope.includes('https://purl.imsglobal.org/spec/lti-ags/scope/score'),
      membershipsUrl: typeof nrps.context_memberships_url === 'string' ? nrps.context_memberships_url : undefined,
      deepLinkReturnUrl: dl.deep_link_return_url,
      deepLinkData: typeof dl.data === 'string' ? dl.data : undefined,
      deepLinkAcceptMultiple: typeof dl.accept_multiple === 'boolean' ? dl.accept_multiple : undefined,
      deepLinkAcceptTypes: Array.isArray(dl.accept_types)
        ? dl.accept_types.filter((t): t is string => typeof t === 'string')
        : undefined,
      launchedAt: props.now ?? new Date(),
    })
  ).toObject() as LtiLaunch;
}

/**
 * Joins the person to the cohort the launch is for (recordLaunch: custom `cohort`, else the course's only one): a
 * Learner is enrolled (capacity and waitlist as usual), an Instructor becomes one of its facilitators. Answers where
 * her browser goes: the module named by custom `module`, else the cohort's (or the named) programme, else her
 * dashboard; and, when the course has several cohorts and the launch named none, a notice saying so. The platform's
 * test student (TestUser) joins nothing.
 */
export async function placePerson(props: {
  launch: LtiLaunch;
  userId: string;
}): Promise<{ landing: string; notice?: string }> {
  const { launch, userId } = props;
  const custom = (launch.custom ?? {}) as Custom;
  const roles = launch.roles ?? [];
  const joins = (isCourseStaff(roles) || isLearner(roles)) && !isTestUser(roles);
  let programmeId = custom.programme;
  let notice: string | undefined;
  if (launch.cohortId) {
    const cohort = await CohortModel.findById(launch.cohortId, { programmeId: 1 }).lean();
    if (cohort) {
      programmeId = String(cohort.programmeId);
      if (joins) await joinCohortFromLms({ cohortId: String(cohort._id), userId, instructor: isCourseStaff(roles) });
    }
  } else if (joins && launch.messageType === 'LtiResourceLinkRequest') {
    const course = {
      platformId: launch.platformId,
      deploymentId: launch.deploymentId,
      contextId: launch.contextId ?? undefined,
    };
    if ((await cohortForCourse(course, custom)).several) notice = messages.severalCohorts;
  }
  const landing =
    custom.module && (await ModuleModel.exists({ _id: custom.module }))
      ? `/modules/${custom.module}`
      : programmeId
        ? `/programmes/${programmeId}`
        : '/';
  return { landing, notice };
}

/**
 * What an LMS course's member becomes in the cohort placed in it: its staff one of its facilitators, a Learner
 * enrolled (capacity and waitlist as usual; `kept` when she already is). A researcher account is left out either
 * way: it holds no other role (checkRoles in users.ts) and reaches no cohort page, so an LMS must not make it a
 * facilitator or give it a place. The role is added only on that condition, in the same write.
 * A disabled account joins nothing (`disabled`).
 * Someone withdrawn from the cohort (by herself or by those who run it) stays withdrawn: she is usually still in the
 * course, and her next launch or a class-list sync would otherwise undo the withdrawal, taking a place back, and
 * her reminders and register line with it. Those who run the cohort enrol her again if she is to come back.
 */
export async function joinCohortFromLms(props: {
  cohortId: string;
  userId: string;
  instructor: boolean;
  now?: Date;
}): Promise<'facilitator' | 'active' | 'waitlisted' | 'kept' | 'researcher' | 'withdrawn' | 'disabled'> {
  // A disabled account (an admin closed it) is left out, not an error: one on a class list must not stop the sync.
  if (await UserModel.exists({ _id: props.userId, status: 'disabled' })) return 'disabled';
  if (props.instructor) {
    if (await UserModel.exists({ _id: props.userId, roles: 'researcher' })) return 'researcher';
    // A new facilitator moves the settings version on, so a settings form opened before cannot drop her unseen;
    // one already named changes nothing (an instructor's every launch must not make a colleague's form stale).
    const facilitatorId = new Types.ObjectId(props.userId);
    const named = await CohortModel.updateOne(
      { _id: props.cohortId, facilitatorIds: { $ne: facilitatorId } },
      { $addToSet: { facilitatorIds: facilitatorId }, $inc: { version: 1 } },
    );
    // The role comes with her naming on the cohort, once: named already, a role an admin took from her since stays
    // taken (a launch does not undo an admin's decision unseen). Given, it is audited as any change of roles.
    if (named.modifiedCount === 1) {
      const granted = await UserModel.updateOne(
        { _id: props.userId, roles: { $nin: ['researcher', 'facilitator'] }, status: { $ne: 'disabled' } },
        { $addToSet: { roles: 'facilitator' }, $inc: { version: 1 } },
      );
      if (granted.modifiedCount === 1)
        await recordAuditEvent({
          action: 'user-updated',
          actor: null,
          target: { type: 'user', id: props.userId },
          detail: `roles: + facilitator, by an LMS launch as the course's staff into a cohort placed in it`,
        });
    }
    return 'facilitator';
  }
  if (await UserModel.exists({ _id: props.userId, roles: 'researcher' })) return 'researcher';
  try {
    // Refused on the row enrolParticipant itself reads: a look here first would let a withdrawal that lands between
    // the look and the enrolment be undone (on two processes).
    const result = await enrolParticipant({ actor: 'system', ...props, keepWithdrawn: true });
    return result.status === 'active' ? 'active' : 'waitlisted';
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const withdrawn = await EnrolmentModel.exists({
      cohortId: props.cohortId,
      userId: props.userId,
      status: 'withdrawn',
    });
    return withdrawn ? 'withdrawn' : 'kept';
  }
}

/**
 * The signed-in shape of a launch's person (a live account only). An erased account is refused as a disabled one: an
 * erasure cut short after it stopped her sign-in may not have removed her LMS link yet. An administrator's account is
 * refused (403, check `roles`), on the same read that would sign her in: a link is never made to one
 * (launchToLink), but an account linked before it was made an administrator keeps its links (her grades and class
 * lists still find her, and she launches again if the role is taken away), so the role is checked at every launch.
 */
export async function signedInUser(userId: string): Promise<Express.User> {
  const user = await UserModel.findById(userId).lean();
  if (!user || !liveUserStatuses.includes(user.status)) throw new NotFoundError(messages.disabled);
  if (user.roles.includes('admin')) throw new LaunchRefusedError(403, 'roles', messages.adminNotSignedIn);
  if (user.status === 'invited')
    await UserModel.updateOne({ _id: user._id, status: 'invited' }, { $set: { status: 'active' } });
  return currentUserOf(user);
}

/**
 * The pending launch a link names, for the account it was offered to: the link exists only because the course
 * asserted the email of an existing account, and signing in proves she owns THAT account. Anyone else signed in is
 * refused (403), so a link passed on (or sent by someone who launched from the course) cannot tie the sender's course
 * account to the account of whoever opens it, which would sign the sender into it at the next launch.
 */
export async function launchToLink(props: {
  actor: Express.User;
  secret: string;
}): Promise<LtiLaunch & { platformName: string; frameOrigins: string[] }> {
  const launch = await launchBySecret(props.secret);
  const offeredTo = launch.email && canonicalEmail(launch.email);
  if (!offeredTo || offeredTo !== canonicalEmail(props.actor.email))
    throw new ForbiddenError(messages.notYourLink(offeredTo ?? 'named by your course'));
  // A link lets the LMS sign her in from then on, past her password and two-step code: an administrator's account is
  // never handed to whoever the LMS says is her (a link page passed to her by someone who launched as "her").
  if (props.actor.roles.includes('admin')) throw new ForbiddenError(messages.adminNotLinked);
  const platform = await LtiPlatformModel.findById(launch.platformId, { name: 1, issuer: 1, authLoginUrl: 1 }).lean();
  // Her confirming page may be framed by the LMS she launched from (its login and issuer origins, and the deep-linking
  // return URL's: what the launch record keeps of frameOriginsOf), not by every registered one: another platform's page
  // framing it could lead her to confirm a link she did not start. (The link page opens it in a new window anyway.)
  return {
    ...launch,
    platformName: platform?.name || platform?.issuer || 'your course’s LMS',
    frameOrigins: originsOf([platform?.authLoginUrl, platform?.issuer, launch.deepLinkReturnUrl]),
  };
}

/**
 * Links her existing account (she has just signed in as `actor`, the account the launch's email named) to the LMS
 * person of a pending launch, then places her as the launch would have. The (platform, sub) index keeps one link.
 */
export async function linkExistingAccount(props: {
  actor: Express.User;
  secret: string;
}): Promise<{ landing: string; notice?: string }> {
  const launch = await launchToLink(props);
  const platform = await LtiPlatformModel.findById(launch.platformId, { issuer: 1 }).lean();
  if (!platform) throw new NotFoundError(linkGone);
  try {
    await LtiAccountModel.create({
      platformId: launch.platformId,
      issuer: platform.issuer,
      sub: launch.sub,
      userId: props.actor.id,
    });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const existing = await LtiAccountModel.findOne({ platformId: launch.platformId, sub: launch.sub }).lean();
    if (String(existing?.userId) !== props.actor.id) throw new ConflictError(messages.linkedElsewhere);
  }
  await LtiLaunchModel.updateOne(
    { _id: launch._id },
    { $set: { userId: props.actor.id }, $unset: { secretHash: 1, secretExpiresAt: 1 } },
  );
  await recordAuditEvent({
    action: 'lti-account-linked',
    actor: { id: props.actor.id, name: props.actor.name },
    target: { type: 'lti-platform', id: launch.platformId },
  });
  // A deep-linking request goes on to its picker, as the launch would have sent her, if she may add content.
  if (launch.messageType === 'LtiDeepLinkingRequest') {
    const why = whyNotAddContent(props.actor, launch.roles ?? []);
    return why ? { landing: '/', notice: why } : { landing: `/lti/deep-link/${await issueLaunchSecret(launch._id)}` };
  }
  return placePerson({ launch: { ...launch, userId: new Types.ObjectId(props.actor.id) }, userId: props.actor.id });
}
