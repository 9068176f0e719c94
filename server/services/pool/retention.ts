import { PoolRequestModel } from '../../../models/PoolRequest.ts';

const day = 24 * 60 * 60 * 1000;

/**
 * How long a request nobody confirmed is kept: as the Pledge's unconfirmed signatures (pledge/retention.ts), its link
 * lasts 7 days and three weeks more are allowed; after that the contact never proved her address, no admin ever saw
 * the request, and her name, email and message are deleted.
 */
export const retention = { unconfirmedRequestDays: 30 } as const;

/**
 * Deletes requests left unconfirmed for a month (the maintenance job). One conditional delete: a request confirmed
 * meanwhile is `open` and no longer matches (its link expired long before, so none can be confirmed while this runs).
 */
export async function purgeUnconfirmedPoolRequests(now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - retention.unconfirmedRequestDays * day);
  return (await PoolRequestModel.deleteMany({ status: 'unconfirmed', createdAt: { $lt: cutoff } })).deletedCount;
}
