/** The LTI 1.3 area's API (issue 16): keys, platforms, login and launch, people, grades, rosters, deep linking. */
export { rotateToolKey, signingKey, toolJwks } from './keys.ts';
export {
  addDeploymentId,
  deletePlatform,
  findPlatform,
  listPlatforms,
  platformChangesSchema,
  platformOrigins,
  platformSettingsSchema,
  registerPlatform,
  toolValues,
  updatePlatform,
  type PlatformChanges,
  type PlatformInput,
} from './platforms.ts';
export {
  LaunchRefusedError,
  frameOriginsOf,
  startLogin,
  stateCookieName,
  verifyLaunch,
  purgeExpiredLaunchRecords,
} from './launch.ts';
export {
  launchToLink,
  linkExistingAccount,
  markLmsAssertedAddresses,
  newAccountZone,
  personOf,
  placePerson,
  recordLaunch,
  requireCourseRole,
  signedInUser,
} from './people.ts';
export { issueLaunchSecret } from './pendingLaunches.ts';
export { queueScores, sendDueScores, undeliveredScores } from './scores.ts';
export { lastRosterSync, syncCohortRoster } from './roster.ts';
export { deepLinkingResponse, pendingDeepLink, pickerItems, requireContentAdder } from './deepLinking.ts';
export { coursesOfCohort, placeCohortsInCourse } from './coursePlacements.ts';
