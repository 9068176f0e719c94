import type { Types } from 'mongoose';
import { DirectoryBlockModel } from '../../../models/DirectoryBlock.ts';
import { DirectoryMessageModel } from '../../../models/DirectoryMessage.ts';
import { DirectoryProfileModel } from '../../../models/DirectoryProfile.ts';
import { EventRsvpModel } from '../../../models/EventRsvp.ts';
import { NetworkEventModel } from '../../../models/NetworkEvent.ts';
import { NotificationModel } from '../../../models/Notification.ts';
import { OutboxMessageModel } from '../../../models/OutboxMessage.ts';
import { UserModel } from '../../../models/User.ts';
import { personalDataArea } from '../privacy/personalData.ts';
import { cancelNotifications } from '../reminders/plan.ts';
import { forgetNameInOthersNotifications } from '../reminders/personalData.ts';

const formerMember = 'Former member';

/**
 * The directory and network events: her profile, the messages she sent and received (with her reason when she
 * reported one), the people she blocked, the events she put on as a lead and her answers to events. Erasure removes her profile, the messages she wrote (a conversation keeps the other
 * side's words, addressed to "Former member") with the outbox's copies of their emails, her blocks both ways and her
 * RSVPs with their pending reminders.
 */
export const directoryPersonalData = personalDataArea({
  area: 'directory',
  columns: {
    profile: ['visibility', 'headline', 'role', 'phase', 'country', 'region', 'topics', 'openTo', 'updatedAt'],
    messagesSent: ['to', 'body', 'sentAt'],
    messagesReceived: ['from', 'body', 'sentAt', 'reported', 'reportReason'],
    blocked: ['blocked'],
    eventsCreated: ['title', 'startsAt', 'durationMinutes', 'mode', 'location', 'joinUrl'],
    eventAnswers: ['event', 'startsAt', 'going'],
  },

  async exportFor(userId: Types.ObjectId) {
    const [profile, sent, received, blocks, rsvps, created] = await Promise.all([
      DirectoryProfileModel.findById(userId).lean(),
      DirectoryMessageModel.find({ fromId: userId }).lean(),
      DirectoryMessageModel.find({ toId: userId }).lean(),
      DirectoryBlockModel.find({ blockerId: userId }).lean(),
      EventRsvpModel.find({ userId }).lean(),
      NetworkEventModel.find({ createdBy: userId }).sort({ startsAt: 1 }).lean(),
    ]);
    const blockedNames = await UserModel.find({ _id: { $in: blocks.map((b) => b.blockedId) } })
      .select({ name: 1 })
      .lean();
    const events = await NetworkEventModel.find({ _id: { $in: rsvps.map((r) => r.eventId) } })
      .select({ title: 1, startsAt: 1 })
      .lean();
    const eventById = new Map(events.map((e) => [String(e._id), e]));
    return {
      profile: profile
        ? {
            visibility: profile.visibility,
            headline: profile.headline,
            role: profile.role,
            phase: profile.phase,
            country: profile.country,
            region: profile.region,
            topics: profile.topics,
            openTo: profile.openTo,
            updatedAt: profile.updatedAt,
          }
        : null,
      messagesSent: sent.map((m) => ({ to: m.toName, body: m.body, sentAt: m.createdAt })),
      messagesReceived: received.map((m) => ({
        from: m.fromName,
        body: m.body,
        sentAt: m.createdAt,
        reported: !!m.reportedAt,
        // Her own words, when she reported it.
        reportReason: m.reportedAt ? (m.reportReason ?? null) : null,
      })),
      blocked: blockedNames.map((u) => u.name),
      // The events she put on as a lead (what members see of them; her answers to others' are below).
      eventsCreated: created.map((e) => ({
        title: e.title,
        startsAt: e.startsAt,
        durationMinutes: e.durationMinutes,
        mode: e.mode,
        location: e.location ?? null,
        joinUrl: e.joinUrl ?? null,
      })),
      eventAnswers: rsvps.map((r) => ({
        event: eventById.get(String(r.eventId))?.title ?? null,
        startsAt: eventById.get(String(r.eventId))?.startsAt ?? null,
        going: r.going,
      })),
    };
  },

  async eraseFor(userId: Types.ObjectId) {
    const rsvps = await EventRsvpModel.find({ userId }).select({ eventId: 1 }).lean();
    for (const r of rsvps) await cancelNotifications({ about: { type: 'event', id: r.eventId }, userId });
    // "<her name> wrote to you through Pathways": the emails about the messages she sent (deleted below).
    const sent = await DirectoryMessageModel.distinct('_id', { fromId: userId });
    await forgetNameInOthersNotifications({ userId, about: { type: 'message', ids: sent } });
    // Without SMTP the emails are kept in the outbox, and each copy of those holds her words (and, for a reply, the
    // address she shared): they go with the messages.
    if (sent.length) {
      const emails = await NotificationModel.find({
        'about.type': 'message',
        'about.id': { $in: sent.map((id) => String(id)) },
      }).distinct('_id');
      if (emails.length) await OutboxMessageModel.deleteMany({ notificationId: { $in: emails } });
    }
    await Promise.all([
      DirectoryProfileModel.deleteOne({ _id: userId }),
      DirectoryMessageModel.deleteMany({ fromId: userId }),
      DirectoryMessageModel.updateMany({ toId: userId }, { $set: { toName: formerMember } }),
      DirectoryBlockModel.deleteMany({ blockerId: userId }),
      DirectoryBlockModel.deleteMany({ blockedId: userId }),
      EventRsvpModel.deleteMany({ userId }),
    ]);
  },
});
