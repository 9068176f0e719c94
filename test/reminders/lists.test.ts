import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import type { CommandStartedEvent, Document } from 'mongodb';
import { dailyDigestKind, NotificationModel } from '../../models/Notification.ts';
import { pageNotifications } from '../../server/services/reminders/queries.ts';
import { useTestDatabase } from '../support/db.ts';

const hours = (n: number) => n * 3_600_000;

/**
 * QA found every notification list taking 7–60 s at 155,000 notifications on the embedded FerretDB: each page keyed
 * the whole collection by send time. Each read of a list must be answered from an index, in the list's order, and
 * stop at the page, on FerretDB as on MongoDB; `explain` says how each read the lists send is answered.
 */
async function answeredInOrderFromAnIndex(command: Document): Promise<void> {
  const db = mongoose.connection.db!;
  const { filter, sort, limit } = command;
  const explained = await db.command({
    explain: { find: 'notifications', filter, sort, limit },
    verbosity: 'queryPlanner',
  });
  const what = JSON.stringify({ filter, sort: sort instanceof Map ? Object.fromEntries(sort) : sort });
  const info = await db.admin().command({ buildInfo: 1 });
  if (info.ferretdbVersion) {
    // Patches 0010 and 0021: read from an order index, no temporary B-tree over the rows the filter selects.
    const plan = JSON.stringify(explained.queryPlanner);
    expect(explained.sortPushdown, what).to.equal(true);
    expect(plan, what).to.include('__pathways_order_').and.not.include('TEMP B-TREE');
  } else {
    const plan = JSON.stringify(explained.queryPlanner.winningPlan);
    expect(plan, what).to.include('IXSCAN').and.not.include('"stage":"SORT"');
  }
}

describe('reminders: the notification lists', () => {
  useTestDatabase({ monitorCommands: true });

  it('her list and everyone’s (by status, by kind for one person), page by page, come newest first without digest bundles, each page read in order from an index', async () => {
    const her = new Types.ObjectId();
    const other = new Types.ObjectId();
    const t0 = new Date('2027-03-01T09:00:00Z').getTime();
    // Four send times shared by many (a session's reminders go to its whole cohort at once): `_id` breaks the ties.
    const rows = [her, other].flatMap((userId) =>
      Array.from({ length: 24 }, (_, i) => ({
        key: `list-test:${String(userId)}:${i}`,
        userId,
        kind: i % 5 === 0 ? dailyDigestKind : i % 2 ? 'module-due' : 'session-reminder',
        about: { type: 'session', id: `s${i}` },
        sendAt: new Date(t0 + hours(i % 4)),
        nextAttemptAt: new Date(t0 + hours(i % 4)),
      })),
    );
    const stored = await NotificationModel.insertMany(rows);
    const newestFirst = (list: typeof stored) =>
      list
        .filter((n) => n.kind !== dailyDigestKind)
        .sort((a, b) => b.sendAt.getTime() - a.sendAt.getTime() || String(b._id).localeCompare(String(a._id)))
        .map((n) => String(n._id));

    const finds: Document[] = [];
    const client = mongoose.connection.getClient();
    const listen = (event: CommandStartedEvent) => {
      if (event.commandName === 'find' && event.command.find === 'notifications') finds.push(event.command);
    };
    const walk = async (props: { userId?: string; kind?: string; status?: string }) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await pageNotifications({ ...props, limit: 7, cursor, now: new Date(t0 - hours(24)) });
        ids.push(...page.items.map((n) => n.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return ids;
    };
    client.on('commandStarted', listen);
    try {
      expect(await walk({ userId: String(her) })).to.deep.equal(
        newestFirst(stored.filter((n) => n.userId.equals(her))),
      );
      expect(await walk({})).to.deep.equal(newestFirst(stored));
      expect(await walk({ status: 'scheduled' })).to.deep.equal(newestFirst(stored));
      expect(await walk({ status: 'failed' })).to.deep.equal([]);
      expect(await walk({ userId: String(other), kind: 'module-due' })).to.deep.equal(
        newestFirst(stored.filter((n) => n.userId.equals(other) && n.kind === 'module-due')),
      );
    } finally {
      client.off('commandStarted', listen);
    }

    expect(finds.length).to.be.greaterThan(10);
    for (const command of finds) await answeredInOrderFromAnIndex(command);
  });
});
