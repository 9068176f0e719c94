/**
 * A process that races others for data-folder locks, for the lock test: `node --import tsx
 * test/support/dataFolderLocker.ts <root> <trials> <intervalMs>`. It prints "ready", reads the start instant from its
 * input, then for trial k, at that instant plus k intervals (to the millisecond, as processes started at once would),
 * tries to lock `<root>/<k>/db` and prints `{"trial":k,"held":true}` or the refusal. It holds what it won until the
 * last trial is over, as a running app would.
 */
import { createInterface } from 'node:readline';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockDataFolder } from '../../server/dataFolderLock.ts';

const [root, trials, intervalMs] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
console.log('ready');
const lines = createInterface({ input: process.stdin });
const [startAt] = (await lines[Symbol.asyncIterator]().next()).value.split(' ').map(Number);
lines.close();
for (let trial = 0; trial < Number(trials); trial++) {
  const at = startAt + trial * Number(intervalMs);
  if (at - now() > 5) await sleep(at - now() - 5);
  while (now() < at);
  const dataDir = path.join(root!, String(trial));
  try {
    await lockDataFolder(path.join(dataDir, 'db'), dataDir);
    console.log(JSON.stringify({ trial, held: true }));
  } catch (error) {
    console.log(JSON.stringify({ trial, held: false, refusal: (error as Error).message }));
  }
}
await sleep(1_000);
