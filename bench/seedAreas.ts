import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import { UserModel } from '../models/User.ts';
import { searchFieldsOf } from '../server/services/directory/profiles.ts';
import { menteeProfileDoc, mentorProfileDoc } from './mentoringProfiles.ts';
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
    // Research (issue 15): 4 in 5 participants consent; a start survey per programme answered at each enrolment,
    // an end survey answered in finished cohorts; a third record applying within the year, a tenth an appointment.
    name: 'research',
    modelFile: 'ResearchConsent',
    seed: async (plan, model) => {
      const surveyModel = await loadModel('Survey');
      const responseModel = await loadModel('SurveyResponse');
      const outcomeModel = await loadModel('CareerOutcome');
      if (!surveyModel || !responseModel || !outcomeModel) return;
      const day = 24 * 60 * 60 * 1000;
      const consenting = plan.participants.filter((_, i) => i % 5 !== 4);
      plan.counts.researchConsents = await plan.insert(
        model,
        consenting.map((userId, i) => ({
          _id: new Types.ObjectId(),
          userId,
          consented: true,
          textVersion: 'bench',
          at: new Date(plan.now.getTime() - (400 + (i % 30)) * day),
        })),
        5_000,
      );
      const questions = [
        { id: 'confidence', prompt: 'How confident are you to apply for headship?', type: 'likert5' },
        { id: 'readiness', prompt: 'How ready do you feel to lead a school?', type: 'likert5' },
      ];
      const programmeIds = [...new Set(plan.cohorts.map((c) => String(c.programmeId)))];
      const surveys = programmeIds.flatMap((programmeId) =>
        (['start', 'end'] as const).map((moment) => ({
          _id: new Types.ObjectId(),
          title: `Bench ${moment}`,
          programmeId: new Types.ObjectId(programmeId),
          moment,
          questions,
          createdBy: plan.adminId,
          createdAt: plan.now,
          updatedAt: plan.now,
        })),
      );
      await plan.insert(surveyModel, surveys);
      const surveyOf = (programmeId: Types.ObjectId, moment: string) =>
        surveys.find((s) => s.programmeId.equals(programmeId) && s.moment === moment)!._id;
      const responses: object[] = [];
      const outcomes: object[] = [];
      for (const cohort of plan.cohorts) {
        cohort.members.forEach((userId, n) => {
          const answeredAt = new Date(cohort.enrolledAt.getTime() + 2 * day);
          responses.push({
            _id: new Types.ObjectId(),
            surveyId: surveyOf(cohort.programmeId, 'start'),
            userId,
            programmeId: cohort.programmeId,
            moment: 'start',
            answers: { confidence: 1 + (n % 3), readiness: 2 + (n % 2) },
            answeredAt,
          });
          if (!cohort.running)
            responses.push({
              _id: new Types.ObjectId(),
              surveyId: surveyOf(cohort.programmeId, 'end'),
              userId,
              programmeId: cohort.programmeId,
              moment: 'end',
              answers: { confidence: 3 + (n % 3), readiness: 3 + (n % 2) },
              answeredAt: new Date(cohort.enrolledAt.getTime() + 120 * day),
            });
          if (!cohort.running && n % 3 === 0) {
            const on = new Date(cohort.enrolledAt.getTime() + 200 * day).toISOString().slice(0, 10);
            outcomes.push({
              _id: new Types.ObjectId(),
              userId,
              kind: 'applied',
              on,
              detail: '',
              createdAt: plan.now,
              updatedAt: plan.now,
            });
            if (n % 10 === 0)
              outcomes.push({
                _id: new Types.ObjectId(),
                userId,
                kind: 'appointed',
                on,
                detail: '',
                createdAt: plan.now,
                updatedAt: plan.now,
              });
          }
        });
      }
      plan.counts.surveyResponses = await plan.insert(responseModel, responses, 5_000);
      plan.counts.careerOutcomes = await plan.insert(outcomeModel, outcomes, 5_000);
      plan.extra.researchProgrammeId = programmeIds[1];
    },
  },
  {
    // Issue 12: 2,000 mentors (their own users) and a mentee profile for each of the 10,000 participants, per 10,000.
    name: 'mentoring',
    modelFile: 'MentorProfile',
    seed: async (plan, model) => {
      const menteeModel = await loadModel('MenteeProfile');
      if (!menteeModel) throw new Error('models/MenteeProfile.ts is missing');
      const mentorCount = Math.round(plan.scale / 5);
      const stamp = { createdAt: plan.now, updatedAt: plan.now };
      const mentorUsers = Array.from({ length: mentorCount }, (_, n) => ({
        _id: new Types.ObjectId(),
        email: `mentor${n}@bench.pathways.test`,
        name: `Mentor ${n}`,
        roles: ['mentor'],
        timezone: 'Europe/London',
        status: 'active',
        ...stamp,
      }));
      plan.counts.mentors = await plan.insert(UserModel, mentorUsers, 5_000);
      await plan.insert(
        model,
        mentorUsers.map((u, n) => ({ ...mentorProfileDoc(u._id, n), ...stamp })),
        5_000,
      );
      plan.counts.menteeProfiles = await plan.insert(
        menteeModel,
        plan.participants.map((userId, n) => ({ ...menteeProfileDoc(userId, n), ...stamp })),
        5_000,
      );
      // The bench participant's ranked candidates, as her saving the profile makes them (every mentor ranked once);
      // the others get theirs on their first visit, as after a deployment.
      const candidates = path.join(root, 'server/services/mentoring/candidates.ts');
      if (existsSync(candidates)) {
        const { refreshMenteeCandidates } = (await import(candidates)) as {
          refreshMenteeCandidates: (props: { userId: string }) => Promise<boolean>;
        };
        await refreshMenteeCandidates({ userId: String(plan.participants[0]) });
      }
    },
  },
  {
    // Issue 14: 35 networks; every participant in two of them (about 570 members a network at 10,000 people), 3 posts
    // per 10 people spread over the networks (about 86 a network at 10,000), each with 2 replies; at least 60 posts a
    // network, so the post list's first page (20 on the page, 50 in the API) is full at every scale and the growth
    // figure compares the same page, not a page of 9 posts with one of 50.
    name: 'networks',
    modelFile: 'Network',
    seed: async (plan, networkModel) => {
      const [membershipModel, postModel, replyModel] = await Promise.all(
        ['NetworkMembership', 'NetworkPost', 'NetworkReply'].map(loadModel),
      );
      if (!membershipModel || !postModel || !replyModel) throw new Error('network models missing');
      const kinds = ['regional', 'national', 'interest'] as const;
      const count = 35;
      const networks = Array.from({ length: count }, (_, i) => ({
        _id: new Types.ObjectId(),
        name: `Bench network ${i}`,
        nameKey: `bench network ${i}`,
        kind: kinds[i % kinds.length],
        description: 'A bench network.',
        joining: i % 3 === 2 ? 'approval' : 'open',
        memberCount: 0,
        linkedCohortIds: [],
        createdAt: plan.now,
        updatedAt: plan.now,
      }));
      const members: Types.ObjectId[][] = networks.map(() => []);
      const memberships: object[] = [];
      plan.participants.forEach((userId, n) => {
        const first = n % count;
        const second = (n * 7 + 3) % count === first ? (first + 1) % count : (n * 7 + 3) % count;
        for (const i of [first, second]) {
          members[i]!.push(userId);
          memberships.push({
            networkId: networks[i]!._id,
            userId,
            status: 'member',
            // The second member leads: the bench participant (participant0, first in network 0) reads as a member.
            role: members[i]!.length === 2 ? 'lead' : 'member',
            joinedAt: plan.now,
            createdAt: plan.now,
            updatedAt: plan.now,
          });
        }
      });
      networks.forEach((network, i) => {
        network.memberCount = members[i]!.length;
      });
      plan.counts.networks = await plan.insert(networkModel, networks, 5_000);
      plan.counts.networkMemberships = await plan.insert(membershipModel, memberships, 5_000);
      const posts: object[] = [];
      const replies: object[] = [];
      // Each post and reply carries its author's name, as the app copies it (server/services/networks/authorNames.ts).
      const nameOf = new Map(plan.users.map((u) => [String(u._id), u.name]));
      const author = (userId: Types.ObjectId) => ({
        authorId: userId,
        authorName: nameOf.get(String(userId)),
        authorVersion: 0,
      });
      const total = Math.max(Math.round(plan.scale * 0.3), 60 * count);
      for (let p = 0; p < total; p++) {
        const i = p % count;
        const people = members[i]!;
        if (!people.length) continue;
        const at = new Date(plan.now.getTime() - (total - p) * 3_600_000);
        const postId = Types.ObjectId.createFromTime(Math.floor(at.getTime() / 1000));
        posts.push({
          _id: postId,
          networkId: networks[i]!._id,
          ...author(people[p % people.length]!),
          kind: p % 5 === 0 ? 'question' : 'story',
          title: `Story ${p}: a term of leading`,
          body: `What I learned this term.\n\n- **One** thing\n- Another thing (${p})`,
          replyCount: 2,
          hidden: p % 50 === 7,
          createdAt: at,
          updatedAt: at,
        });
        for (let r = 0; r < 2; r++)
          replies.push({
            postId,
            networkId: networks[i]!._id,
            ...author(people[(p + r + 1) % people.length]!),
            body: 'Thank you for sharing.',
            createdAt: at,
            updatedAt: at,
          });
      }
      plan.counts.networkPosts = await plan.insert(postModel, posts, 5_000);
      plan.counts.networkReplies = await plan.insert(replyModel, replies, 5_000);
      // The bench participant (participant0) is in network 0, the one the scenarios read.
      plan.extra.benchNetworkId = String(networks[0]!._id);
      // The directory's scenarios filter by these.
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
          // As a profile saved now writes it (else every start of the bench's app would write all of them again).
          ...searchFieldsOf(name, { headline, role: 'Deputy headteacher', region: 'Region' }),
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
