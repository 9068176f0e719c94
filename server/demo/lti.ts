import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { LtiAccountModel } from '../../models/LtiAccount.ts';
import { LtiLaunchModel } from '../../models/LtiLaunch.ts';
import { LtiPlatformModel } from '../../models/LtiPlatform.ts';
import { LtiRosterSyncModel } from '../../models/LtiRosterSync.ts';
import { UserModel } from '../../models/User.ts';
import { placeCohortsInCourse } from '../services/lti/index.ts';
import type { DemoContext } from './index.ts';

/**
 * LTI demo: a registered "Moodle (demo)" platform (so /admin/lti shows Pathways' values and a registration), the
 * demo participant's Moodle identity linked to her account, her cohort placed in a Moodle course and her launch from
 * it with a grade-book line item,
 * and that cohort's last class-list sync with one person who left the course (/cohorts/:id/lms).
 */
export async function seedLti(ctx: DemoContext): Promise<void> {
  const platform = await LtiPlatformModel.create({
    name: 'Moodle (demo)',
    issuer: 'https://moodle.pathways-demo.example',
    clientId: 'pathways-demo-client',
    authLoginUrl: 'https://moodle.pathways-demo.example/mod/lti/auth.php',
    authTokenUrl: 'https://moodle.pathways-demo.example/mod/lti/token.php',
    jwksUrl: 'https://moodle.pathways-demo.example/mod/lti/certs.php',
    deploymentIds: ['1'],
  });
  const participantId = ctx.people.get('participant@pathways.test');
  if (!participantId) return;
  const enrolment = await EnrolmentModel.findOne({ userId: participantId, status: 'active' }).lean();
  await LtiAccountModel.create({ platformId: platform._id, issuer: platform.issuer, sub: '17', userId: participantId });
  if (!enrolment) return;
  // Her cohort was placed in the Moodle course by its facilitator (deep linking), so launches from it are honoured.
  const cohort = await CohortModel.findById(enrolment.cohortId, { facilitatorIds: 1 }).lean();
  await placeCohortsInCourse({
    course: {
      platformId: platform._id,
      deploymentId: '1',
      contextId: '42',
      contextTitle: 'Aspiring Heads 2027 (Moodle course)',
    },
    cohortIds: [String(enrolment.cohortId)],
    placedBy: String(cohort?.facilitatorIds[0] ?? participantId),
  });
  await LtiLaunchModel.create({
    platformId: platform._id,
    sub: '17',
    userId: participantId,
    messageType: 'LtiResourceLinkRequest',
    deploymentId: '1',
    roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
    contextId: '42',
    contextTitle: 'Aspiring Heads 2027 (Moodle course)',
    resourceLinkId: '7',
    cohortId: enrolment.cohortId,
    custom: { cohort: String(enrolment.cohortId) },
    lineItemUrl: 'https://moodle.pathways-demo.example/mod/lti/services.php/42/lineitems/3/lineitem?type_id=1',
    canPostScores: true,
    membershipsUrl: 'https://moodle.pathways-demo.example/mod/lti/services.php/CourseSection/42/bindings/1/memberships',
    launchedAt: new Date(),
  });
  const leaver = await UserModel.create({
    email: 'lti-leaver@pathways.test',
    name: 'Rosa Departed (left the Moodle course)',
    roles: ['participant'],
    status: 'active',
    // Made by the LMS, as a launch makes an account: its address is the LMS's word.
    emailUnverified: true,
  });
  await LtiAccountModel.create({ platformId: platform._id, issuer: platform.issuer, sub: '23', userId: leaver._id });
  await LtiRosterSyncModel.create({
    _id: String(enrolment.cohortId),
    syncedAt: new Date(),
    added: 0,
    kept: 1,
    waitlisted: 0,
    departed: [{ userId: leaver._id, name: leaver.name }],
  });
}
