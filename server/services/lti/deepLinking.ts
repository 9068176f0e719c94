import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { CohortModel } from '../../../models/Cohort.ts';
import type { LtiLaunch } from '../../../models/LtiLaunch.ts';
import { LtiLaunchModel } from '../../../models/LtiLaunch.ts';
import { LtiPlatformModel, type LtiPlatform } from '../../../models/LtiPlatform.ts';
import { ModuleModel } from '../../../models/Module.ts';
import { ProgrammeModel } from '../../../models/Programme.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { absoluteUrl } from '../../settings.ts';
import { cohortsPlacedIn, placeCohortsInCourse } from './coursePlacements.ts';
import { claim, isCourseStaff } from './claims.ts';
import { LaunchRefusedError } from './launch.ts';
import { signingKey } from './keys.ts';
import { launchBySecret } from './pendingLaunches.ts';

const messages = {
  notYours: 'This choice belongs to another person’s launch.',
  noChoice: 'Choose at least one programme, module or cohort.',
  unknown: 'One of the chosen items no longer exists.',
  facilitatorsOnly:
    "Adding Pathways content to a course takes a teacher's or teaching assistant's role in that course, or a " +
    "Pathways facilitator's or administrator's account. Your course did not name you as either.",
  researcher:
    'A researcher account does not add Pathways content to courses: its role in Pathways stands alone. Ask the ' +
    "course's teacher to add it.",
  oneOnly: 'Your course takes one item here: choose one.',
  noLinks: (types: string[]) =>
    `Your course takes only ${types.join(', ')} here, and Pathways adds links to its programmes, modules and cohorts. ` +
    'Add Pathways from another place of your course (an external tool activity or assignment).',
  noCourse:
    'Your LMS did not say which course this is, so a cohort cannot be placed in it. Choose a programme or module.',
};

export type PickerItem = { kind: 'programme' | 'module' | 'cohort'; id: string; title: string; context?: string };

/**
 * Whether she may add Pathways content to her course: the course's staff (its Instructors and teaching assistants,
 * as the request says: course staff run the course's cohorts), whatever roles her Pathways account has (an existing
 * participant account linked to a teacher's course account is hers to use), and Pathways' facilitators and
 * administrators. Never a researcher account: its role stands alone. The launch and the picker ask this one
 * question, so a request the launch let through never meets a 403 in the picker.
 */
export function whyNotAddContent(
  actor: Pick<Express.User, 'roles'>,
  launchRoles: readonly string[],
): string | undefined {
  if (actor.roles.includes('researcher')) return messages.researcher;
  if (actor.roles.includes('admin') || actor.roles.includes('facilitator') || isCourseStaff(launchRoles)) return;
  return messages.facilitatorsOnly;
}

/** A deep-linking request from someone who may not add content is refused at the launch (a page naming `roles`). */
export function requireContentAdder(actor: Pick<Express.User, 'roles'>, launchRoles: readonly string[]): void {
  const why = whyNotAddContent(actor, launchRoles);
  if (why) throw new LaunchRefusedError(403, 'roles', why);
}

/** The pending deep-linking launch of this person (the picker's secret names it). */
export async function pendingDeepLink(props: { actor: Express.User; secret: string }): Promise<LtiLaunch> {
  const launch = await launchBySecret(props.secret);
  if (launch.messageType !== 'LtiDeepLinkingRequest') throw new NotFoundError();
  if (String(launch.userId) !== props.actor.id) throw new ForbiddenError(messages.notYours);
  const why = whyNotAddContent(props.actor, launch.roles ?? []);
  if (why) throw new ForbiddenError(why);
  return launch;
}

/**
 * What she may link: programmes and their modules, and cohorts: admins all; others the cohorts they run and, when
 * the request came from a course they are staff of, the cohorts placed in that course (course staff run them).
 */
export async function pickerItems(actor: Express.User, launch: LtiLaunch): Promise<PickerItem[]> {
  const admin = actor.roles.includes('admin');
  const ofCourse = isCourseStaff(launch.roles ?? [])
    ? await cohortsPlacedIn({
        platformId: launch.platformId,
        deploymentId: launch.deploymentId,
        contextId: launch.contextId ?? undefined,
      })
    : [];
  const cohorts = await CohortModel.find(
    admin ? {} : { $or: [{ facilitatorIds: actor.id }, { _id: { $in: ofCourse } }] },
    { name: 1, programmeId: 1 },
  )
    .sort({ name: 1 })
    .lean();
  const programmes = admin
    ? await ProgrammeModel.find({}, { title: 1 }).sort({ title: 1 }).lean()
    : await ProgrammeModel.find(
        { _id: { $in: [...new Set(cohorts.map((c) => String(c.programmeId)))] } },
        { title: 1 },
      ).lean();
  const titles = new Map(programmes.map((p) => [String(p._id), p.title]));
  const modules = programmes.length
    ? await ModuleModel.find(
        { programmeId: { $in: programmes.map((p) => p._id) }, archived: false },
        {
          title: 1,
          programmeId: 1,
          position: 1,
        },
      ).lean()
    : [];
  modules.sort((a, b) => String(a.programmeId).localeCompare(String(b.programmeId)) || a.position - b.position);
  return [
    ...programmes.map((p) => ({ kind: 'programme' as const, id: String(p._id), title: p.title })),
    ...modules.map((m) => ({
      kind: 'module' as const,
      id: String(m._id),
      title: m.title,
      context: titles.get(String(m.programmeId)),
    })),
    ...cohorts.map((c) => ({
      kind: 'cohort' as const,
      id: String(c._id),
      title: c.name,
      context: titles.get(String(c.programmeId)),
    })),
  ];
}

/**
 * The signed LtiDeepLinkingResponse (Deep Linking 2.0 §4.2) for the chosen items: `ltiResourceLink`s to our launch
 * URL whose custom parameters name the cohort, module or programme, signed with the tool's key, and the
 * platform's URL to post it to. The pending launch is used up.
 * @param choices "kind:id" values from the picker
 */
export async function deepLinkingResponse(props: { actor: Express.User; secret: string; choices: string[] }) {
  const launch = await pendingDeepLink(props);
  const allowed = new Map((await pickerItems(props.actor, launch)).map((i) => [`${i.kind}:${i.id}`, i]));
  // What the platform said it takes back (Deep Linking 2.0, deep_linking_settings): anything else it rejects or drops.
  const types = launch.deepLinkAcceptTypes;
  if (types?.length && !types.includes('ltiResourceLink'))
    throw new ValidationError(messages.noLinks(types), [{ path: 'items', message: messages.noLinks(types) }]);
  const picked = [...new Set(props.choices)].filter((c) => typeof c === 'string');
  if (!picked.length) throw new ValidationError(messages.noChoice, [{ path: 'items', message: messages.noChoice }]);
  const items = picked.map((c) => {
    const item = allowed.get(c);
    const id = c.split(':')[1];
    if (!item || !isObjectId(id))
      throw new ValidationError(messages.unknown, [{ path: 'items', message: messages.unknown }]);
    return item;
  });
  if (launch.deepLinkAcceptMultiple === false && items.length > 1)
    throw new ValidationError(messages.oneOnly, [{ path: 'items', message: messages.oneOnly }]);
  const platform = await LtiPlatformModel.findById(launch.platformId).lean<LtiPlatform>();
  if (!platform) throw new NotFoundError();
  const cohortIds = items.filter((i) => i.kind === 'cohort').map((i) => i.id);
  if (cohortIds.length) {
    // Launches from this course that name these cohorts are honoured from now on (coursePlacements.ts).
    if (!launch.contextId)
      throw new ValidationError(messages.noCourse, [{ path: 'items', message: messages.noCourse }]);
    await placeCohortsInCourse({
      course: {
        platformId: launch.platformId,
        deploymentId: launch.deploymentId,
        contextId: launch.contextId,
        contextTitle: launch.contextTitle ?? undefined,
      },
      cohortIds,
      placedBy: props.actor.id,
    });
  }
  const contentItems = await Promise.all(
    items.map(async (item) => {
      const custom: Record<string, string> = { [item.kind]: item.id };
      if (item.kind === 'module') {
        const module = await ModuleModel.findById(item.id, { programmeId: 1 }).lean();
        if (module) custom.programme = String(module.programmeId);
      }
      return {
        type: 'ltiResourceLink',
        title: item.context ? `${item.title} (${item.context})` : item.title,
        url: absoluteUrl('/lti/launch'),
        custom,
        ...(item.kind === 'cohort' ? { lineItem: { scoreMaximum: 100, label: item.title } } : {}),
      };
    }),
  );
  const { kid, key } = await signingKey();
  const jwt = await new SignJWT({
    nonce: randomBytes(16).toString('base64url'),
    [claim.messageType]: 'LtiDeepLinkingResponse',
    [claim.version]: '1.3.0',
    [claim.deploymentId]: launch.deploymentId,
    [claim.contentItems]: contentItems,
    ...(launch.deepLinkData ? { [claim.data]: launch.deepLinkData } : {}),
  })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(platform.clientId)
    .setAudience(platform.issuer)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
  await LtiLaunchModel.updateOne({ _id: launch._id }, { $unset: { secretHash: 1, secretExpiresAt: 1 } });
  return { returnUrl: launch.deepLinkReturnUrl!, jwt };
}
