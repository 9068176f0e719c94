import type { Types } from 'mongoose';
import { LtiLaunchModel, type LtiLaunch } from '../../../models/LtiLaunch.ts';
import { NotFoundError } from '../../errors.ts';
import { hashSecret, newSecret } from '../secrets.ts';

/** A pending launch (account link, deep-linking choice) may be finished within this time. */
const pendingLifetimeMs = 30 * 60 * 1000;

export const linkGone = 'This link has expired or was used. Open Pathways from your course again.';

/** Gives a launch a secret that names it for a short while (the account-link page, the deep-linking picker). */
export async function issueLaunchSecret(launchId: Types.ObjectId): Promise<string> {
  const secret = newSecret();
  await LtiLaunchModel.updateOne(
    { _id: launchId },
    { $set: { secretHash: hashSecret(secret), secretExpiresAt: new Date(Date.now() + pendingLifetimeMs) } },
  );
  return secret;
}

export async function launchBySecret(secret: string): Promise<LtiLaunch> {
  const launch =
    typeof secret === 'string' && secret.length <= 200
      ? await LtiLaunchModel.findOne({ secretHash: hashSecret(secret) }).lean<LtiLaunch>()
      : null;
  if (!launch || !launch.secretExpiresAt || launch.secretExpiresAt.getTime() < Date.now())
    throw new NotFoundError(linkGone);
  return launch;
}
