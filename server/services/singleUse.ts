import { SingleUseModel } from '../../models/SingleUse.ts';
import { isDuplicateKeyError } from '../db.ts';

/** Uses `key` once: true for the first caller ever, false for every other, however close together they come. */
export async function claimSingleUse(key: string, props: { now: Date; expiresAt: Date }): Promise<boolean> {
  try {
    await SingleUseModel.create({ _id: key, usedAt: props.now, expiresAt: props.expiresAt });
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/** Forgets uses whose guarded thing expired more than a day ago (maintenance). */
export async function purgeSpentUses(now: Date): Promise<number> {
  return (await SingleUseModel.deleteMany({ expiresAt: { $lt: new Date(now.getTime() - 24 * 60 * 60 * 1000) } })).deletedCount;
}
