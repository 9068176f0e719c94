import { Types } from 'mongoose';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { LtiAccountModel } from '../../../models/LtiAccount.ts';
import { LtiLaunchModel } from '../../../models/LtiLaunch.ts';
import { LtiPlatformModel, type LtiPlatform } from '../../../models/LtiPlatform.ts';
import { LtiRosterSyncModel } from '../../../models/LtiRosterSync.ts';
import { UserModel } from '../../../models/User.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import { loadRunCohort } from '../cohorts/cohorts.ts';
import { scope } from './claims.ts';
import { isCourseStaff, isLearner, isTestUser, personNameOf } from './claims.ts';
import { coursesOfCohort } from './coursePlacements.ts';
import { joinCohortFromLms, personOf } from './people.ts';
import { PlatformCallError, platformFetch, serviceToken } from './serviceToken.ts';

const messages = {
  noLaunch:
    'Nobody has opened this cohort from an LMS course with the class-list service yet: add the link to the course and open it once.',
  platformDown: (why: string) => `The LMS could not give its class list (${why}). Try again later.`,
};

type Member = { user_id: string; roles?: string[]; status?: string; name?: string; email?: string };

const maxPages = 50;
const pageLimit = 100;

/** A URL the platform gave (relative to `page`, as a Link header may be); anything else is the platform's error. */
function platformUrl(link: string, page: string | undefined, what = 'its next-page link is not a URL'): string {
  try {
    return new URL(link, page).toString();
  } catch {
    throw new PlatformCallError(what, false);
  }
}

/** The NRPS membership container, following `Link: <…>; rel="next"` pages. */
async function readMembers(platform: LtiPlatform, url: string): Promise<Member[]> {
  const token = await serviceToken(platform, [scope.memberships]);
  const members: Member[] = [];
  // Large pages (NRPS 2.0 `limit`, which the platform caps at its own maximum): fewer requests, longer lists read.
  const first = new URL(platformUrl(url, undefined, 'its class-list URL is not a URL'));
  if (!first.searchParams.has('limit')) first.searchParams.set('limit', String(pageLimit));
  let next: string | undefined = first.toString();
  for (let page = 0; next && page < maxPages; page += 1) {
    const response = await platformFetch(next, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json',
      },
    });
    const body = (await response.json().catch(() => null)) as { members?: unknown } | null;
    // Anything but a membership container (a proxy's page, a sign-in page) is a failed read, not an empty course:
    // taken as one, it would list everyone enrolled through this LMS as gone from the class list.
    if (!Array.isArray(body?.members)) throw new PlatformCallError('its answer was not a class list', true);
    for (const m of body.members as Record<string, unknown>[]) {
      if (!m || typeof m.user_id !== 'string') continue;
      // Only what has the shape NRPS gives it is used: a platform's malformed field is left out, not a 500.
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      members.push({
        user_id: m.user_id,
        roles: Array.isArray(m.roles) ? m.roles.filter((r): r is string => typeof r === 'string') : [],
        status: text(m.status),
        name: personNameOf(m),
        email: text(m.email),
      });
    }
    const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
    // A Link header may give a relative reference (RFC 8288): resolved against the page it came with.
    next = link === undefined ? undefined : platformUrl(link, next!);
  }
  // A list read in part would enrol only part of the course and report everyone after it as gone: refused whole.
  if (next) throw new PlatformCallError(`its class list has more than ${maxPages} pages`, false);
  return members;
}

/**
 * The class lists a cohort is synced from: for each course it is placed in, the class-list URL its latest launch
 * into the cohort from that course carried. Also the platforms with a placed course whose list is unknown (nobody
 * opened the cohort from it with the service yet): who is gone from those platforms cannot be told.
 */
async function classListsOf(cohortId: Types.ObjectId) {
  const lists: { platform: LtiPlatform; url: string; course: { deploymentId: string; contextId: string } }[] = [];
  const partlyKnown = new Set<string>();
  const platforms = new Map<string, LtiPlatform | null>();
  for (const course of await coursesOfCohort(String(cohortId))) {
    const key = String(course.platformId);
    if (!platforms.has(key)) platforms.set(key, await LtiPlatformModel.findById(course.platformId).lean<LtiPlatform>());
    const platform = platforms.get(key);
    if (!platform) continue;
    const launch = await LtiLaunchModel.findOne(
      {
        cohortId,
        platformId: course.platformId,
        deploymentId: course.deploymentId,
        contextId: course.contextId,
        membershipsUrl: { $type: 'string' },
      },
      { membershipsUrl: 1 },
    )
      .sort({ launchedAt: -1 })
      .lean();
    if (launch?.membershipsUrl)
      lists.push({
        platform,
        url: launch.membershipsUrl,
        course: { deploymentId: course.deploymentId, contextId: course.contextId },
      });
    else partlyKnown.add(key);
  }
  return { lists, partlyKnown };
}

/**
 * Syncs a cohort from the class lists of the LMS courses it is placed in (NRPS 2.0), each read from its latest
 * launch's class-list URL: a cohort placed in two courses (two sections, two LMSs) takes the members of both, and
 * nobody in one is reported gone because the other was launched last. Active learners are enrolled once (capacity
 * and waitlist as usual; existing (platform, sub) links reused), the courses' staff become facilitators. Every list
 * is read before anything changes: one that cannot be read changes nothing. People enrolled through an LMS who are
 * on none of its lists are recorded for the cohort page, not withdrawn. Those who run the cohort sync it: 404 to
 * someone who cannot see it, 403 to someone who sees it.
 */
export async function syncCohortRoster(props: { actor: Express.User; cohortId: string; now?: Date }) {
  const now = props.now ?? new Date();
  const cohort = await loadRunCohort({ actor: props.actor, cohortId: props.cohortId });
  const { lists, partlyKnown } = await classListsOf(cohort._id);
  if (!lists.length) throw new ValidationError(messages.noLaunch, [{ path: 'cohort', message: messages.noLaunch }]);
  const read: { platform: LtiPlatform; course: (typeof lists)[number]['course']; members: Member[] }[] = [];
  try {
    for (const list of lists)
      read.push({ platform: list.platform, course: list.course, members: await readMembers(list.platform, list.url) });
  } catch (error) {
    if (error instanceof PlatformCallError) throw new ConflictError(messages.platformDown(error.message));
    throw error;
  }
  const counts = { added: 0, kept: 0, waitlisted: 0 };
  // Per platform: the subs on its lists (a person in two courses of one platform is one sub there).
  const present = new Map<string, Set<string>>();
  const counted = new Set<string>();
  for (const { platform, course, members } of read) {
    const here = present.get(String(platform._id)) ?? new Set<string>();
    present.set(String(platform._id), here);
    // Those no longer on this course's list get no more grades there (the LMS would refuse them).
    const active = members.filter((m) => (m.status ?? 'Active') === 'Active').map((m) => m.user_id);
    await LtiAccountModel.updateMany(
      {
        platformId: platform._id,
        sub: { $nin: active },
        'classListCourses.contextId': course.contextId,
        'classListCourses.deploymentId': course.deploymentId,
      },
      { $pull: { classListCourses: { deploymentId: course.deploymentId, contextId: course.contextId } } },
    );
    for (const m of members) {
      const roles = m.roles ?? [];
      if ((m.status ?? 'Active') !== 'Active') continue;
      here.add(m.user_id);
      const instructor = isCourseStaff(roles);
      if ((!instructor && !isLearner(roles)) || isTestUser(roles)) continue;
      // Someone new is made in the cohort's zone, as its import makes her.
      const person = await personOf({
        platform,
        sub: m.user_id,
        name: m.name,
        email: m.email,
        instructor,
        timezone: cohort.timezone,
      });
      // Someone whose email belongs to an unlinked account links it herself on her first launch.
      if (!('userId' in person)) continue;
      // Her grades go to this course's line items under her sub, whether or not she ever launches (scores.ts).
      if (!instructor)
        await LtiAccountModel.updateOne(
          { platformId: platform._id, sub: m.user_id },
          { $addToSet: { classListCourses: course } },
        );
      // On two lists (two courses of the cohort): joined and counted once.
      if (counted.has(person.userId)) continue;
      counted.add(person.userId);
      const joined = await joinCohortFromLms({ cohortId: String(cohort._id), userId: person.userId, instructor, now });
      if (joined === 'active') counts.added += 1;
      else if (joined === 'waitlisted') counts.waitlisted += 1;
      else if (joined === 'kept') counts.kept += 1;
    }
  }
  const enrolled = await EnrolmentModel.find(
    { cohortId: cohort._id, status: { $in: ['active', 'waitlisted'] } },
    { userId: 1 },
  ).lean();
  const wholly = [...present.keys()].filter((id) => !partlyKnown.has(id));
  const links =
    enrolled.length && wholly.length
      ? await LtiAccountModel.find({
          userId: { $in: enrolled.map((e) => e.userId) },
          platformId: { $in: wholly.map((id) => new Types.ObjectId(id)) },
        }).lean()
      : [];
  const goneIds = links.filter((l) => !present.get(String(l.platformId))?.has(l.sub)).map((l) => l.userId);
  const names = goneIds.length ? await UserModel.find({ _id: { $in: goneIds } }, { name: 1 }).lean() : [];
  await LtiRosterSyncModel.updateOne(
    { _id: String(cohort._id) },
    {
      $set: {
        syncedAt: now,
        ...counts,
        departed: names.map((u) => ({ userId: u._id, name: u.name })),
      },
    },
    { upsert: true },
  );
  return counts;
}

/** The last sync of a cohort (the cohort page shows who left the class list). */
export async function lastRosterSync(cohortId: string) {
  return LtiRosterSyncModel.findById(cohortId).lean();
}
