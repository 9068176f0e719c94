import { Types } from 'mongoose';
import { UserModel } from '../../../models/User.ts';

/**
 * Names and emails of people by id (board members, panel members, advisers), for pages and reminders. A module of
 * its own so that boards.ts (which re-plans reminders when chairs change) and roundReminders.ts (which names the
 * panel) do not import each other.
 */
export async function peopleById(
  ids: (string | Types.ObjectId)[],
): Promise<Map<string, { id: string; name: string; email: string; status: string }>> {
  const unique = [...new Set(ids.map(String))].filter((id) => Types.ObjectId.isValid(id));
  const users = await UserModel.find({ _id: { $in: unique } })
    .select('name email status')
    .lean();
  return new Map(
    users.map((u) => [String(u._id), { id: String(u._id), name: u.name, email: u.email, status: u.status }]),
  );
}
