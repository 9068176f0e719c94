import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import type { AnyModel, SeedPlan } from './seed.ts';

/**
 * Seeders for collections whose models other areas own. Each runs only when its model file exists, and a
 * seeder whose documents no longer match the model is reported and skipped (the rest of the bench still runs).
 * Counts follow the issues: 60,000 attendance records and 20,000 pledge signatures per 10,000 participants.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type AreaSeeder = { name: string; modelFile: string; seed: (plan: SeedPlan, model: AnyModel) => Promise<void> };

async function loadModel(file: string): Promise<AnyModel | undefined> {
  const full = path.join(root, 'models', `${file}.ts`);
  if (!existsSync(full)) return undefined;
  const module = (await import(full)) as Record<string, unknown>;
  return Object.values(module).find(
    (v): v is AnyModel => typeof v === 'function' && 'collection' in (v as object) && 'modelName' in (v as object),
  );
}

const statuses = ['present', 'present', 'present', 'present', 'present', 'late', 'excused', 'absent'] as const;

const areaSeeders: AreaSeeder[] = [
  {
    // Registers of the sessions that have started, in order, each for every member, ~200 records per cohort.
    name: 'attendance',
    modelFile: 'AttendanceRecord',
    seed: async (plan, model) => {
      const perCohort = Math.round((plan.scale * 6) / plan.cohorts.length);
      const docs: object[] = [];
      for (const cohort of plan.cohorts) {
        let budget = perCohort;
        const started = plan.sessions.filter((s) => s.cohortId.equals(cohort._id) && s.startsAt <= plan.now);
        for (const session of started) {
          if (budget < cohort.members.length / 2) break;
          budget -= cohort.members.length;
          const markedAt = new Date(session.startsAt.getTime() + 30 * 60_000);
          cohort.members.forEach((userId, n) => {
            const status = statuses[(n * 5 + session.startsAt.getUTCDate()) % statuses.length]!;
            // The _id is "<sessionId>:<userId>" (models/AttendanceRecord.ts): registers read records by _id.
            docs.push({
              _id: `${String(session._id)}:${String(userId)}`,
              sessionId: session._id,
              cohortId: cohort._id,
              userId,
              status,
              note: status === 'excused' ? 'Ofsted visit' : '',
              markedBy: cohort.facilitatorIds[0],
              markedAt,
              source: 'register',
              createdAt: markedAt,
              updatedAt: markedAt,
            });
          });
        }
      }
      plan.counts.attendanceRecords = await plan.insert(model, docs, 5_000);
    },
  },
  {
    // Mostly confirmed organisations across UK regions; some individuals, some pending or hidden.
    name: 'pledge',
    modelFile: 'PledgeSignature',
    seed: async (plan, model) => {
      const regions = [
        'North East',
        'North West',
        'Yorkshire and the Humber',
        'East Midlands',
        'West Midlands',
        'East of England',
        'London',
        'South East',
        'South West',
        'Wales',
        'Scotland',
        'Northern Ireland',
      ];
      const types = [
        'school',
        'school',
        'school',
        'trust',
        'governing-board',
        'leadership-organisation',
        'government',
        'other',
      ];
      const count = plan.scale * 2;
      const docs: object[] = [];
      for (let i = 0; i < count; i++) {
        const individual = i % 10 === 9;
        const confirmedAt = new Date(plan.now.getTime() - ((i * 37) % 700) * 24 * 60 * 60 * 1000);
        const status = i % 25 === 0 ? 'pending' : 'confirmed';
        const name = individual
          ? `Signatory ${i}`
          : `${['St Mary', 'Oakfield', 'Riverside', 'Hillcrest', 'Greenway'][i % 5]} ${['Primary School', 'Academy Trust', 'High School', 'Governing Board'][i % 4]} ${i}`;
        const email = `signatory${i}@bench.pathways.test`;
        const kind = individual ? 'individual' : 'organisation';
        const showName = individual && i % 20 === 19;
        docs.push({
          _id: new Types.ObjectId(),
          kind,
          name,
          nameKey: name.toLowerCase(),
          email,
          signKey: `${email}|${kind}|${name.toLowerCase()}`,
          ...(individual
            ? { role: 'Deputy headteacher', showName }
            : { organisationType: types[i % types.length], contactName: `Contact ${i}`, showName: false }),
          listed: !individual || showName,
          region: regions[i % regions.length],
          country: i % 50 === 0 ? 'IE' : 'GB',
          status,
          confirmedAt: status === 'confirmed' ? confirmedAt : null,
          pendingChanges: null,
          hidden: i % 200 === 7,
          commitments: [],
          boardId: null,
          showRoundReadiness: false,
          createdAt: confirmedAt,
          updatedAt: confirmedAt,
        });
      }
      plan.counts.pledgeSignatures = await plan.insert(model, docs, 5_000);
      plan.extra.pledgeFilter = { region: 'London', type: 'school', country: 'GB' };
    },
  },
  {
    // Issue 14: 35 networks; every participant in one network, every third in a second (~380 members each at
    // 10,000 people). Participant 0 (the bench participant) is in networks 0 and 3. Ids go to plan.extra.networkIds.
    name: 'networks',
    modelFile: 'Network',
    seed: async (plan, model) => {
      const memberships = await loadModel('NetworkMembership');
      if (!memberships) throw new Error('models/NetworkMembership.ts is missing');
      const networks = Array.from({ length: 35 }, (_, i) => {
        const name = `Bench network ${i}`;
        return {
          _id: new Types.ObjectId(),
          name,
          nameKey: name.toLowerCase(),
          kind: i < 21 ? 'regional' : 'interest',
          description: '',
          joining: i % 4 === 0 ? 'approval' : 'open',
          memberCount: 0,
          linkedCohortIds: [],
          createdAt: plan.now,
          updatedAt: plan.now,
        };
      });
      const rows: { networkId: Types.ObjectId; userId: Types.ObjectId }[] = [];
      plan.participants.forEach((userId, i) => {
        rows.push({ networkId: networks[i % 35]!._id, userId });
        if (i % 3 === 0 && (i * 7 + 3) % 35 !== i % 35)
          rows.push({ networkId: networks[(i * 7 + 3) % 35]!._id, userId });
      });
      for (const r of rows) networks.find((n) => n._id.equals(r.networkId))!.memberCount += 1;
      plan.counts.networks = await plan.insert(model, networks, 5_000);
      plan.counts.networkMemberships = await plan.insert(
        memberships,
        rows.map((r, n) => ({
          ...r,
          status: 'member',
          role: n < 35 ? 'lead' : 'member',
          joinedAt: plan.now,
          createdAt: plan.now,
          updatedAt: plan.now,
        })),
        5_000,
      );
      plan.extra.networkIds = networks.map((n) => String(n._id));
    },
  },
  {
    // Issue 14: a directory profile for every participant: 2 in 5 seen by everyone, 2 in 5 by their networks,
    // 1 in 5 hidden; six countries, two topics each.
    name: 'directory',
    modelFile: 'DirectoryProfile',
    seed: async (plan, model) => {
      const countries = ['GB', 'GB', 'CA', 'AE', 'MY', 'AU', 'IE'];
      const topicList = ['applying-for-headship', 'interviews', 'flexible-working', 'returning-after-a-break'];
      const visibility = ['everyone', 'everyone', 'networks', 'networks', 'hidden'];
      const names = new Map(plan.users.map((u) => [String(u._id), u.name]));
      const docs = plan.participants.map((userId, i) => {
        const name = names.get(String(userId)) ?? `Participant ${i}`;
        const headline = `Deputy head ${i}`;
        return {
          _id: userId,
          visibility: visibility[i % 5],
          name,
          headline,
          role: 'Deputy headteacher',
          phase: 'secondary',
          country: countries[i % countries.length],
          region: 'Region',
          topics: [topicList[i % 4], topicList[(i + 1) % 4]],
          openTo: ['peer-support'],
          searchText: `${name} \n ${headline}`.toLowerCase(),
          createdAt: plan.now,
          updatedAt: plan.now,
        };
      });
      plan.counts.directoryProfiles = await plan.insert(model, docs, 5_000);
    },
  },
];

export async function seedAreas(plan: SeedPlan, log: (line: string) => void): Promise<void> {
  for (const seeder of areaSeeders) {
    const model = await loadModel(seeder.modelFile);
    if (!model) {
      log(`${seeder.name}: models/${seeder.modelFile}.ts does not exist yet; not seeded`);
      continue;
    }
    try {
      await seeder.seed(plan, model);
    } catch (error) {
      log(
        `${seeder.name}: not seeded, the bench seeder no longer matches models/${seeder.modelFile}.ts: ${(error as Error).message}`,
      );
    }
  }
}
