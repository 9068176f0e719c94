import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import type { CommandStartedEvent, CommandSucceededEvent } from 'mongodb';
import { createApp } from '../server/app.ts';
import { connectDatabase } from '../server/db.ts';
import { loadConfig } from '../server/config.ts';
import { startBenchDatabase } from './database.ts';
import { scenarios, type Actor } from './scenarios/index.ts';
import { seedBenchDatabase } from './seed.ts';
import { createToken, proxyHeaders, signInForCookie } from './server.ts';

/**
 * `npm run bench:queries -- [--scale 2000] [--only a,b] [--repeat N] [--cost N]`
 *
 * Lists every database command each bench scenario sends for one (warm) request, with its time, and marks the ones
 * our FerretDB build answers by reading the whole collection: it answers from an index only an equality or `$in` of
 * plain values on a top-level field that leads one of the collection's indexes (patch 0002; see README, The
 * database). A page whose time grows with the data has a "SCAN" line here; that is where to look first.
 * --repeat N then sends each request N more times one after another and prints the mean time and CPU: run it under
 * `node --cpu-prof` to see where the app's own time goes.
 * --cost N sends each read command N more times one after another, as the app sent it, and prints what one costs in
 * CPU: the database process's (read from /proc; the bench's own FerretDB only) and this process's (the driver's).
 * Under load the two share the machine's cores, so a page's rate falls with the sum (README, Benchmarks).
 */
const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '2000' },
    only: { type: 'string' },
    repeat: { type: 'string', default: '0' },
    cost: { type: 'string', default: '0' },
  },
});
const log = (line: string) => process.stderr.write(`[queries] ${line}\n`);

/** A process's CPU time so far (user + system), in microseconds; undefined where /proc cannot tell. */
function processCpuMicros(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    // Fields 14 and 15 of /proc/<pid>/stat are utime and stime, in ticks of 1/100 s (USER_HZ, 100 on Linux). They are
    // counted after the command name, which is in parentheses and may itself hold ") ".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return undefined;
  }
}

/** Sends one recorded read command `times` times and returns the CPU (µs) one took, in the database and here. */
async function commandCost(command: Record<string, unknown>, times: number, databasePid: number | undefined) {
  // What the driver adds to each command (session, cluster time, database) is added again by the driver.
  const { lsid: _lsid, $db: _db, $clusterTime: _clusterTime, ...own } = command;
  const db = mongoose.connection.db!;
  for (let i = 0; i < 20; i += 1) await db.command(own);
  const databaseBefore = processCpuMicros(databasePid);
  const appBefore = process.cpuUsage();
  for (let i = 0; i < times; i += 1) await db.command(own);
  const app = process.cpuUsage(appBefore);
  const databaseAfter = processCpuMicros(databasePid);
  return {
    database:
      databaseBefore === undefined || databaseAfter === undefined
        ? undefined
        : (databaseAfter - databaseBefore) / times,
    app: (app.user + app.system) / times,
  };
}

type Seen = {
  name: string;
  collection: string;
  filter: unknown;
  ms: number;
  scan: boolean;
  command: Record<string, unknown>;
};

/** Per collection, the fields that lead one of its indexes (what patch 0002 can push down). */
async function leadingIndexFields(): Promise<Map<string, Set<string>>> {
  const db = mongoose.connection.db!;
  const result = new Map<string, Set<string>>();
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    const indexes = await db.collection(name).indexes();
    result.set(name, new Set(indexes.map((i) => Object.keys(i.key)[0]!)));
  }
  return result;
}

const isPlainValue = (v: unknown) =>
  v !== null && (typeof v !== 'object' || v instanceof mongoose.mongo.ObjectId || v instanceof Date);

/**
 * True when some top-level key is an equality or `$in` of plain values on a field that leads an index, or (patch 0025)
 * the filter's `$or` is an array of documents that are each so answered.
 */
function answeredFromIndex(filter: unknown, leading: Set<string> | undefined): boolean {
  if (!filter || typeof filter !== 'object') return false;
  const { $or: branches } = filter as { $or?: unknown };
  const answeredAlone = (b: unknown) => !!b && typeof b === 'object' && !('$or' in b) && answeredFromIndex(b, leading);
  if (Array.isArray(branches) && branches.length && branches.every(answeredAlone)) return true;
  return Object.entries(filter as Record<string, unknown>).some(([key, value]) => {
    // every collection has its _id index, even one made after the indexes were listed (sessions)
    if (key !== '_id' && !leading?.has(key)) return false;
    if (isPlainValue(value)) return true;
    const ops = value as Record<string, unknown>;
    if (value && typeof value === 'object' && Object.keys(ops).length === 1) {
      if ('$eq' in ops) return isPlainValue(ops.$eq);
      if ('$in' in ops) return Array.isArray(ops.$in) && ops.$in.every(isPlainValue);
    }
    return false;
  });
}

/** The filter of a read or write command, and whether FerretDB reads the whole collection for it. */
function describe(event: CommandStartedEvent, indexes: Map<string, Set<string>>): Omit<Seen, 'ms'> | undefined {
  const c = event.command as Record<string, unknown>;
  const name = event.commandName;
  if (['ping', 'hello', 'isMaster', 'endSessions', 'buildInfo', 'saslStart', 'saslContinue'].includes(name))
    return undefined;
  const collection = String(c[name] ?? '');
  let filter: unknown;
  if (name === 'find' || name === 'count' || name === 'findAndModify' || name === 'distinct')
    filter = c.filter ?? c.query ?? {};
  else if (name === 'aggregate') filter = (c.pipeline as { $match?: unknown }[])?.[0]?.$match ?? {};
  else if (name === 'update') filter = (c.updates as { q: unknown }[]).map((u) => u.q);
  else if (name === 'delete') filter = (c.deletes as { q: unknown }[]).map((u) => u.q);
  else if (name === 'insert') filter = `${(c.documents as unknown[]).length} document(s)`;
  else filter = '';
  const leading = indexes.get(collection);
  const scan =
    name === 'insert'
      ? false
      : Array.isArray(filter)
        ? !filter.every((f) => answeredFromIndex(f, leading))
        : !answeredFromIndex(filter, leading);
  return { name, collection, filter, scan, command: c };
}

async function main(): Promise<void> {
  const scale = Number(args.scale);
  const database = await startBenchDatabase();
  try {
    const data = await seedBenchDatabase({ uri: database.uri, scale, log });
    await connectDatabase(database.uri, 'pathways', { monitorCommands: true });
    const config = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: '/tmp',
      SESSION_SECRET: 'x'.repeat(40),
      SMTP_URL: 'smtp://127.0.0.1:9',
      DEMO_DATA: 'false',
      RUN_JOBS: 'false',
      // The bench's seeded admin and facilitators have no authenticator app; production would ask them to set one up.
      MFA_REQUIRED_ROLES: 'none',
      LOG_LEVEL: 'warn',
      BASE_URL: 'http://127.0.0.1',
    });
    const server = createApp(config).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const indexes = await leadingIndexFields();
    const pending = new Map<number, Omit<Seen, 'ms'> & { started: number }>();
    let seen: Seen[] = [];
    const client = mongoose.connection.getClient();
    client.on('commandStarted', (e: CommandStartedEvent) => {
      const d = describe(e, indexes);
      if (d) pending.set(e.requestId, { ...d, started: performance.now() });
    });
    client.on('commandSucceeded', (e: CommandSucceededEvent) => {
      const p = pending.get(e.requestId);
      if (p) seen.push({ ...p, ms: performance.now() - p.started });
      pending.delete(e.requestId);
    });
    const emails: Record<Exclude<Actor, 'anonymous'>, string> = {
      participant: data.participantEmail,
      facilitator: data.facilitatorEmail,
      admin: data.adminEmail,
    };
    const only = args.only?.split(',');
    for (const scenario of scenarios.filter((s) => !only || only.includes(s.name))) {
      const target = scenario.target(data);
      const headers: Record<string, string> = { ...proxyHeaders };
      if (target.as !== 'anonymous') {
        if (target.via === 'token')
          headers.authorization = `Bearer ${await createToken(baseUrl, emails[target.as], data.password)}`;
        else headers.cookie = await signInForCookie(baseUrl, emails[target.as], data.password);
      }
      if (target.body !== undefined) headers['content-type'] = 'application/json';
      const url = `${baseUrl}${Array.isArray(target.path) ? target.path[0] : target.path}`;
      const send = () =>
        fetch(url, {
          method: target.method ?? 'GET',
          headers,
          body: target.body === undefined ? undefined : JSON.stringify(target.body),
          redirect: 'manual',
        });
      await (await send()).arrayBuffer(); // warm-up: connections, caches
      seen = [];
      const started = performance.now();
      const res = await send();
      const bytes = (await res.arrayBuffer()).byteLength;
      const total = performance.now() - started;
      // A snapshot: what --repeat and --cost send is seen by the listener too, and must not join the list.
      const recorded = [...seen];
      console.log(
        `\n${scenario.name}: ${res.status}, ${bytes.toLocaleString('en-GB')} bytes in ${total.toFixed(0)} ms, ${recorded.length} commands, ${recorded.filter((s) => s.scan).length} scans`,
      );
      if (Number(args.repeat) > 0) {
        const from = performance.now();
        const cpuFrom = process.cpuUsage();
        for (let i = 0; i < Number(args.repeat); i += 1) await (await send()).arrayBuffer();
        const cpu = process.cpuUsage(cpuFrom);
        // This process runs the app and the client: its CPU a request is the app's plus a small, fixed client share.
        console.log(
          `  mean of ${args.repeat} more: ${((performance.now() - from) / Number(args.repeat)).toFixed(1)} ms, ` +
            `${((cpu.user + cpu.system) / 1000 / Number(args.repeat)).toFixed(2)} ms of this process's CPU`,
        );
      }
      const costTimes = Number(args.cost);
      let databaseTotal = 0;
      let appTotal = 0;
      for (const s of recorded) {
        let cost = '';
        if (costTimes > 0 && ['find', 'aggregate', 'count', 'distinct'].includes(s.name)) {
          const { database: spent, app } = await commandCost(s.command, costTimes, database.pid);
          databaseTotal += spent ?? 0;
          appTotal += app;
          cost = ` [CPU µs: database ${spent === undefined ? '?' : spent.toFixed(0)}, driver ${app.toFixed(0)}]`;
        }
        console.log(
          `  ${s.scan ? 'SCAN' : '    '} ${s.ms.toFixed(1).padStart(7)} ms${cost} ${s.name} ${s.collection} ${JSON.stringify(s.filter).slice(0, 160)}`,
        );
      }
      if (costTimes > 0)
        console.log(
          `  reads in all: database ${databaseTotal.toFixed(0)} µs, driver ${appTotal.toFixed(0)} µs of CPU (each sent ${costTimes} times)`,
        );
    }
    server.close();
    await mongoose.disconnect();
  } finally {
    await database.stop();
  }
}

await main();
