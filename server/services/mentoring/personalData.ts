import { Types } from 'mongoose';
import { CareerOutcomeModel } from '../../../models/CareerOutcome.ts';
import { MenteeProfileModel } from '../../../models/MenteeProfile.ts';
import { MentorCandidatesModel } from '../../../models/MentorCandidates.ts';
import { MentoringRequestModel } from '../../../models/MentoringRequest.ts';
import { MentorProfileModel } from '../../../models/MentorProfile.ts';
import { MentorshipMeetingModel } from '../../../models/MentorshipMeeting.ts';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { personalDataArea } from '../privacy/personalData.ts';
import { cancelNotifications } from '../reminders/plan.ts';
import { forgetNameInOthersNotifications, forgetWordsInOthersNotifications } from '../reminders/personalData.ts';
import { releasedKeys } from './requestKeys.ts';
import { endMentorshipsOfLeaving } from './mentorships.ts';

/**
 * Mentoring's personal data. Export: her profiles, the requests she sent (with her messages) and received (without the
 * sender's message), her mentorships with their shared notes and only her own private notes, her outcomes.
 * Erasure: her profiles go; text she wrote (messages, notes, feedback, outcome details, a reason for declining, also
 * where the mentee's email quoted it) and her goals (as the mentee, or as who wrote them last) are emptied; the rows the other
 * member and the programme's figures rely on stay (mentorships, meetings, requests, outcome kinds and dates) and show
 * "Former member". Her active mentorships close as any close does (./mentorships.ts, endMentorshipsOfLeaving), her
 * pending requests end, and her mentoring reminders are cancelled. Idempotent.
 */
const mentoringKinds = [
  'mentoring-request',
  'mentoring-request-reminder',
  'mentoring-request-expired',
  'mentoring-meeting-due',
  'mentorship-ending',
  'mentorship-closed',
  'mentoring-outcomes-prompt',
];
export const erasedReason = 'A member left Pathways.';

const strip = <T extends Record<string, unknown>>(doc: T) => {
  const { _id, __v, ...rest } = doc as T & { _id: unknown; __v?: unknown };
  void __v;
  return { id: String(_id), ...rest };
};

/** A mentee profile without its `inBlocks` mark, which is not hers to see (models/MenteeProfile.ts). */
const withoutBlocksMark = <T extends { inBlocks?: unknown }>(profile: T): Omit<T, 'inBlocks'> => {
  const { inBlocks, ...rest } = profile;
  void inBlocks;
  return rest;
};

export const mentoringPersonalData = personalDataArea({
  area: 'mentoring',
  columns: {
    mentorProfile: [
      'id',
      'userId',
      'phase',
      'yearsAsHead',
      'schoolName',
      'country',
      'region',
      'timezone',
      'languages',
      'expertise',
      'capacity',
      'freePlaces',
      'placesHeldFor',
      'availability',
      'bio',
      'matchVersion',
      'candidatesStale',
      'createdAt',
      'updatedAt',
    ],
    menteeProfile: [
      'id',
      'userId',
      'goals',
      'phase',
      'schoolName',
      'country',
      'region',
      'timezone',
      'languages',
      'availability',
      'preferences',
      'matchVersion',
      'createdAt',
      'updatedAt',
    ],
    requestsSent: ['id', 'menteeId', 'mentorId', 'status', 'sentAt', 'answeredAt', 'message', 'declineReason'],
    requestsReceived: ['id', 'menteeId', 'mentorId', 'status', 'sentAt', 'answeredAt', 'declineReason'],
    mentorships: [
      'id',
      'role',
      'mentorId',
      'menteeId',
      'status',
      'startedAt',
      'closedAt',
      'closeReason',
      'agreement',
      'rating',
      'feedback',
      'meetings',
    ],
    outcomes: ['id', 'kind', 'on', 'detail'],
  },

  async exportFor(userId: Types.ObjectId) {
    const [mentorProfile, menteeProfile, sent, received, mentorships, outcomes] = await Promise.all([
      MentorProfileModel.findOne({ userId }).lean(),
      MenteeProfileModel.findOne({ userId }).lean(),
      MentoringRequestModel.find({ menteeId: userId }).lean(),
      MentoringRequestModel.find({ mentorId: userId }).lean(),
      MentorshipModel.find({ $or: [{ mentorId: userId }, { menteeId: userId }] }).lean(),
      CareerOutcomeModel.find({ userId }).lean(),
    ]);
    const meetings = mentorships.length
      ? await MentorshipMeetingModel.find({ mentorshipId: { $in: mentorships.map((m) => m._id) } }).lean()
      : [];
    const me = String(userId);
    const requestOut = (r: (typeof sent)[number], withMessage: boolean) => ({
      id: String(r._id),
      menteeId: String(r.menteeId),
      mentorId: String(r.mentorId),
      status: r.status,
      sentAt: r.sentAt,
      answeredAt: r.answeredAt ?? null,
      ...(withMessage ? { message: r.message } : {}),
      declineReason: r.declineReason ?? null,
    });
    return {
      mentorProfile: mentorProfile ? strip(mentorProfile) : null,
      // Not `inBlocks`: set when anyone blocks her, it would tell her she was blocked (directory/blocks.ts).
      menteeProfile: menteeProfile ? strip(withoutBlocksMark(menteeProfile)) : null,
      requestsSent: sent.map((r) => requestOut(r, true)),
      requestsReceived: received.map((r) => requestOut(r, false)),
      mentorships: mentorships.map((m) => ({
        id: String(m._id),
        role: String(m.mentorId) === me ? 'mentor' : 'mentee',
        mentorId: String(m.mentorId),
        menteeId: String(m.menteeId),
        status: m.status,
        startedAt: m.startedAt,
        closedAt: m.closedAt ?? null,
        closeReason: m.closeReason ?? null,
        agreement: m.agreement ?? null,
        // Her rating as the mentee (given at her close or afterwards), her feedback when she closed it.
        ...(String(m.menteeId) === me ? { rating: m.rating ?? null } : {}),
        ...(String(m.closedBy) === me ? { feedback: m.feedback ?? null } : {}),
        meetings: meetings
          .filter((x) => String(x.mentorshipId) === String(m._id))
          .map((x) => ({
            id: String(x._id),
            heldAt: x.heldAt,
            minutes: x.minutes,
            sharedNotes: x.sharedNotes,
            loggedByMe: String(x.authorId) === me,
            ...(String(x.authorId) === me ? { privateNotes: x.privateNotes } : {}),
          })),
      })),
      outcomes: outcomes.map((o) => ({ id: String(o._id), kind: o.kind, on: o.on, detail: o.detail })),
    };
  },

  async eraseFor(userId: Types.ObjectId) {
    // Closed as any close is: her mentor's place comes back, reminders stop, and a mentee who remains is asked about
    // her outcomes six months on.
    await endMentorshipsOfLeaving({ userId, reason: erasedReason });
    await MentorshipModel.updateMany({ closedBy: userId }, { $set: { feedback: '' } });
    // The goals are the mentee's own ("shortlisted for Oakridge's headship"): they go with her, and with whoever wrote
    // them last.
    await MentorshipModel.updateMany(
      { $or: [{ menteeId: userId }, { 'agreement.updatedBy': userId }], 'agreement.goals': { $exists: true, $ne: [] } },
      { $set: { 'agreement.goals': [] } },
    );
    // A mentor's reason for declining, as the mentee's email quoted it.
    const declined = await MentoringRequestModel.find({ mentorId: userId, declineReason: { $nin: ['', null] } })
      .select({ declineReason: 1 })
      .lean();
    await forgetWordsInOthersNotifications({
      userId,
      about: { type: 'mentoring-request', ids: declined.map((r) => r._id) },
      kinds: ['mentoring-request-answered'],
      words: declined.map((r) => r.declineReason ?? ''),
      by: '(removed when she left Pathways)',
    });
    await MentorshipMeetingModel.updateMany({ authorId: userId }, { $set: { sharedNotes: '', privateNotes: '' } });
    // Her name leaves the emails her requests and mentorships sent or will send to the other person.
    const [requestIds, mentorshipIds] = await Promise.all([
      MentoringRequestModel.distinct('_id', { $or: [{ menteeId: userId }, { mentorId: userId }] }),
      MentorshipModel.distinct('_id', { $or: [{ menteeId: userId }, { mentorId: userId }] }),
    ]);
    await forgetNameInOthersNotifications({ userId, about: { type: 'mentoring-request', ids: requestIds } });
    await forgetNameInOthersNotifications({ userId, about: { type: 'mentorship', ids: mentorshipIds } });
    const pending = await MentoringRequestModel.find({
      $or: [{ menteeId: userId }, { mentorId: userId }],
      status: 'pending',
    }).lean();
    for (const r of pending)
      await MentoringRequestModel.updateOne(
        { _id: r._id, status: 'pending' },
        { $set: { status: 'expired', ...releasedKeys(r) } },
      );
    await MentoringRequestModel.updateMany({ menteeId: userId }, { $set: { message: '' } });
    await MentoringRequestModel.updateMany({ mentorId: userId }, { $set: { declineReason: '' } });
    await CareerOutcomeModel.updateMany({ userId }, { $set: { detail: '' } });
    await MentorProfileModel.deleteOne({ userId });
    await MenteeProfileModel.deleteOne({ userId });
    // Her ranked candidates are derived from her profile (rebuilt from the profiles; nothing to keep).
    await MentorCandidatesModel.deleteOne({ menteeId: userId });
    await cancelNotifications({ userId, kinds: mentoringKinds });
  },
});
