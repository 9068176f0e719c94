import type { Types } from 'mongoose';
import { MentoringRequestModel, type MentoringRequest } from '../../../models/MentoringRequest.ts';

/** The unique keys of a pending request (see models/MentoringRequest.ts), and how answering frees them. */
export const openKeyOf = (menteeId: string, mentorId: string) => `${menteeId}:${mentorId}`;
export const slotKeyOf = (menteeId: string, slot: number) => `${menteeId}:${slot}`;

export const releasedKeys = (request: Pick<MentoringRequest, '_id' | 'menteeId' | 'mentorId'>) => ({
  openKey: `${openKeyOf(String(request.menteeId), String(request.mentorId))}:${String(request._id)}`,
  slotKey: `done:${String(request._id)}`,
});

/** Expires one request if it is still pending (one conditional write: the sweep and the notice may both try). */
export async function expireRequest(
  request: Pick<MentoringRequest, 'menteeId' | 'mentorId'> & { _id: Types.ObjectId },
): Promise<boolean> {
  const result = await MentoringRequestModel.updateOne(
    { _id: request._id, status: 'pending' },
    { $set: { status: 'expired', ...releasedKeys(request) } },
  );
  return result.modifiedCount === 1;
}
