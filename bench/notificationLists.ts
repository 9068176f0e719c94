import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { connectDatabase, disconnectDatabase } from '../server/db.ts';
import { dailyDigestKind, NotificationModel, notificationKinds } from '../models/Notification.ts';
import { NotificationDeliveryModel } from '../models/NotificationDelivery.ts';
import { pageNotifications } from '../server/services/reminders/queries.ts';
import { startBenchDatabase } from './database.ts';

/**
 * `node --import tsx bench/notificationLists.ts [--people 5000] [--per-person 31] [--repeat 5]`
 *
 * Times the notification lists (`pageNotifications`: her own list, the admin list and the admin list filtered by
 * kind or status) on a notifications collection the size QA's bench seed grew to (5,000 people, about 155,000
 * notifications, a daily digest bundle for every fifth person's days), on the indexes models/Notification.ts declares.
 * Each list is read first and then one page further on (its cursor). Prints the median of --repeat runs of each.
 */
const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '5000' },
    'per-person': { type: 'string', default: '31' },
    repeat: { type: 'string', default: '5' },
  },
});
const people = Number(args.people);
const perPerson = Number(args['per-person']);
const repeat = Number(args.repeat);

const database = await startBenchDatabase();
await connectDatabase(database.uri, 'benchnotificationlists');
try {
  await NotificationModel.deleteMany({});
  await NotificationDeliveryModel.deleteMany({});
  const userIds = Array.from({ length: people }, () => new Types.ObjectId());
  const start = Date.UTC(2026, 0, 1);
  const kinds = notificationKinds.filter((k) => k !== 'invitation' && k !== 'password-reset');
  let rows: Record<string, unknown>[] = [];
  let total = 0;
  const flush = async () => {
    if (!rows.length) return;
    await NotificationModel.collection.insertMany(rows);
    total += rows.length;
    rows = [];
  };
  for (const [u, userId] of userIds.entries()) {
    for (let i = 0; i < perPerson; i++) {
      // Many notifications share a send time (a session's reminders go to its whole cohort at one instant).
      const sendAt = new Date(start + (((u % 300) * 7 + i * 53) % 2000) * 3_600_000);
      const digest = u % 5 === 0 && i % 4 === 0;
      rows.push({
        key: `bench:${u}:${i}`,
        userId,
        kind: digest ? dailyDigestKind : kinds[(u + i) % kinds.length],
        about: { type: 'session', id: String(i) },
        sendAt,
        eventAt: sendAt,
        status: 'sent',
        subject: `Notification ${i} for person ${u}`,
        data: { name: `Person ${u}`, note: 'x'.repeat(80) },
        attempts: 1,
        maxAttempts: 8,
        nextAttemptAt: null,
        sentAt: sendAt,
        createdAt: sendAt,
        updatedAt: sendAt,
      });
    }
    if (rows.length >= 5000) await flush();
  }
  await flush();

  const median = async (run: () => Promise<unknown>): Promise<string> => {
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    return `${times[Math.floor(times.length / 2)]!.toFixed(1)} ms`.padStart(12);
  };
  const twoPages = async (props: Omit<Parameters<typeof pageNotifications>[0], 'limit' | 'cursor'>) => {
    const first = await pageNotifications({ ...props, limit: 50 });
    if (first.nextCursor) await pageNotifications({ ...props, limit: 50, cursor: first.nextCursor });
  };
  const her = String(userIds[Math.floor(people / 2)]);
  const cases: [string, () => Promise<unknown>][] = [
    ['her list (first page of 50)', () => pageNotifications({ userId: her, limit: 50 })],
    ['admin list (first page of 50)', () => pageNotifications({ limit: 50 })],
    ['admin list, two pages', () => twoPages({})],
    ['admin list, kind module-due', () => pageNotifications({ kind: 'module-due', limit: 50 })],
    ['admin list, status sent', () => pageNotifications({ status: 'sent', limit: 50 })],
    ['admin list, status failed (none)', () => pageNotifications({ status: 'failed', limit: 50 })],
  ];
  console.log(`${total} notifications of ${people} people (${database.kind}); median of ${repeat}`);
  for (const [name, run] of cases) console.log(`${name.padEnd(36)}${await median(run)}`);
} finally {
  await disconnectDatabase();
  await database.stop();
}
