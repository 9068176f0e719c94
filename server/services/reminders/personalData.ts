import { NotificationModel } from '../../../models/Notification.ts';
import type { PersonalDataArea } from '../privacy/personalData.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/**
 * Reminders: the notifications planned for and sent to her. The export leaves out each notification's `data` (it can
 * hold a single-use link). Erasure cancels what was still to be sent and empties subjects and data; the rows stay so
 * delivery figures do not change.
 */
export const remindersPersonalData: PersonalDataArea = {
  area: 'reminders',
  async exportFor(userId) {
    const notifications = await NotificationModel.find({ userId }).sort({ sendAt: 1 }).lean();
    return {
      notifications: notifications.map((n) => ({
        kind: n.kind,
        about: n.about ? { type: n.about.type, id: n.about.id } : null,
        subject: n.subject,
        status: n.status,
        sendAt: iso(n.sendAt),
        sentAt: iso(n.sentAt),
      })),
    };
  },
  async eraseFor(userId) {
    await NotificationModel.updateMany(
      { userId, status: 'scheduled' },
      { $set: { status: 'cancelled', skipReason: 'account erased', nextAttemptAt: null } },
    );
    await NotificationModel.updateMany({ userId }, { $set: { subject: '', data: {} } });
  },
};
