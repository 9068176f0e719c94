import type { Types } from 'mongoose';
import { LtiAccountModel } from '../../../models/LtiAccount.ts';
import { LtiLaunchModel } from '../../../models/LtiLaunch.ts';
import { LtiPlatformModel } from '../../../models/LtiPlatform.ts';
import { LtiRosterSyncModel } from '../../../models/LtiRosterSync.ts';
import { LtiScoreModel } from '../../../models/LtiScore.ts';
import { personalDataArea } from '../privacy/personalData.ts';

/**
 * LTI keeps her LMS identities (platform and `sub`), her launches (the name, email and roles the LMS sent) and the
 * scores owed to LMS grade books. Erasure removes the links (a later launch makes a new account), the launches'
 * personal fields, pending scores and her name in roster-sync lists.
 */
export const ltiPersonalData = personalDataArea({
  area: 'lti',
  columns: {
    accounts: ['platform', 'sub', 'classListCourses'],
    launches: ['at', 'messageType', 'name', 'email', 'roles', 'course'],
    scores: ['scoreGiven', 'scoreMaximum', 'activityProgress', 'state', 'at'],
  },
  async exportFor(userId: Types.ObjectId) {
    const [accounts, launches, scores] = await Promise.all([
      LtiAccountModel.find({ userId }).lean(),
      LtiLaunchModel.find({ userId }).sort({ launchedAt: 1 }).lean(),
      LtiScoreModel.find({ userId }).lean(),
    ]);
    const names = new Map(
      (await LtiPlatformModel.find({ _id: { $in: accounts.map((a) => a.platformId) } }, { name: 1 }).lean()).map(
        (p) => [String(p._id), p.name],
      ),
    );
    return {
      accounts: accounts.map((a) => ({
        platform: names.get(String(a.platformId)) ?? a.issuer,
        sub: a.sub,
        classListCourses: (a.classListCourses ?? []).map((c) => c.contextId),
      })),
      launches: launches.map((l) => ({
        at: l.launchedAt,
        messageType: l.messageType,
        name: l.name ?? null,
        email: l.email ?? null,
        roles: l.roles,
        course: l.contextTitle ?? null,
      })),
      scores: scores.map((s) => ({
        scoreGiven: s.scoreGiven,
        scoreMaximum: s.scoreMaximum,
        activityProgress: s.activityProgress,
        state: s.state,
        at: s.timestamp,
      })),
    };
  },
  async eraseFor(userId: Types.ObjectId) {
    await LtiAccountModel.deleteMany({ userId });
    await LtiLaunchModel.updateMany(
      { userId },
      { $set: { sub: 'former-member', roles: [] }, $unset: { name: 1, email: 1, secretHash: 1, secretExpiresAt: 1 } },
    );
    await LtiScoreModel.deleteMany({ userId });
    // Out of each "left the LMS course" list (a `$pull` with a condition: tools/ferretdb/patches/0011).
    await LtiRosterSyncModel.updateMany({ 'departed.userId': userId }, { $pull: { departed: { userId } } });
  },
});
