import { Types } from 'mongoose';
import { PledgeAuditEntryModel } from '../../models/PledgeAuditEntry.ts';
import { PledgeCommitmentOptionModel } from '../../models/PledgeCommitmentOption.ts';
import { PledgeProgressUpdateModel } from '../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel, type OrganisationType } from '../../models/PledgeSignature.ts';
import { normaliseName, signKeyOf } from '../services/pledge/normalise.ts';
import { listChanged } from '../services/pledge/listCache.ts';
import type { DemoContext } from './index.ts';

/** The commitment options a newcomer sees (admins edit them on /admin/pledge/commitments). */
export const demoCommitmentOptions = [
  {
    title: 'Every headteacher interview panel completes bias training first',
    description: 'No panel member interviews a candidate for headship before finishing the unconscious-bias module.',
  },
  {
    title: 'Headship roles are advertised with flexible working',
    description: 'Part-time, job-share and flexible patterns are offered and said so in the advert.',
  },
  {
    title: 'We report the gender balance of applicants and appointments each year',
    description: 'Applications, shortlists and appointments for senior roles, published yearly.',
  },
  {
    title: 'Women leaders are offered a coach or mentor',
    description: 'Every woman in a senior or aspiring leadership role can have a coach or mentor.',
  },
  {
    title: 'Leadership development is open to part-time staff',
    description: 'Programmes are scheduled so that part-time colleagues can take part.',
  },
];

const regions = [
  'London',
  'North West England',
  'Yorkshire and the Humber',
  'South West England',
  'West Midlands',
  'Scotland',
  'Wales',
  'Northern Ireland',
  'Leinster',
  'Ontario',
];
type Row = {
  kind: 'organisation' | 'individual';
  name: string;
  type?: OrganisationType;
  region: string;
  country: string;
  showName?: boolean;
  role?: string;
};
const organisations: Row[] = [
  ['Riverside Primary School', 'school', 0],
  ['Hillcrest Academy', 'school', 1],
  ['St Anne’s C of E Primary', 'school', 2],
  ['Oakfield High School', 'school', 3],
  ['Meadowbank Primary', 'school', 4],
  ['Glenburn Academy', 'school', 5],
  ['Ysgol y Castell', 'school', 6],
  ['Lagan Valley College', 'school', 7],
  ['Northern Lights Learning Trust', 'trust', 1],
  ['Pennine Schools Partnership', 'trust', 2],
  ['Severn Vale Multi-Academy Trust', 'trust', 3],
  ['Thames Gateway Trust', 'trust', 0],
  ['Riverside Primary Governing Board', 'governing-board', 0],
  ['Oakfield High Governing Board', 'governing-board', 3],
  ['Meadowbank Governors', 'governing-board', 4],
  ['Castle Federation Governing Body', 'governing-board', 6],
  ['Women Leading Schools Network', 'leadership-organisation', 0],
  ['Headship Now', 'leadership-organisation', 1],
  ['Leaders of Tomorrow Scotland', 'leadership-organisation', 5],
  ['Irish Principals Forum', 'leadership-organisation', 8],
  ['Department for Education (pilot region)', 'government', 0],
  ['Welsh Education Directorate', 'government', 6],
  ['Ontario Ministry of Education Leadership Unit', 'government', 9],
  ['Teach Forward Foundation', 'other', 2],
  ['Equal Heads Research Centre', 'other', 4],
  ['Dublin Education Centre', 'other', 8],
].map(([name, type, r]) => ({
  kind: 'organisation' as const,
  name: name as string,
  type: type as OrganisationType,
  region: regions[r as number]!,
  country: (r as number) === 8 ? 'IE' : (r as number) === 9 ? 'CA' : 'GB',
}));
const individuals: Row[] = [
  ['Hannah Clarke', 'Deputy headteacher', true, 0],
  ['Siobhan Murphy', 'Assistant principal', true, 8],
  ['Aisha Rahman', 'Governor', true, 0],
  ['Chloe Martin', 'Head of year', false, 2],
  ['Emily Watson', 'Teacher', true, 3],
  ['Zara Ahmed', 'Deputy headteacher', false, 4],
  ['Olivia Brown', 'Vice principal', true, 9],
  ['Joy Mensah', 'Headteacher', true, 1],
].map(([name, role, showName, r]) => ({
  kind: 'individual' as const,
  name: name as string,
  role: role as string,
  showName: showName as boolean,
  region: regions[r as number]!,
  country: (r as number) === 8 ? 'IE' : (r as number) === 9 ? 'CA' : 'GB',
}));

const emailOf = (row: Row, i: number) =>
  row.name === 'Riverside Primary Governing Board' ? 'governor@pathways.test' : `pledge${i + 1}@example.org`;
const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * 24 * 60 * 60 * 1000);

/** A few dozen confirmed signatures over the past ten months, some pending, one hidden, with commitments and progress. */
export async function seedPledge(ctx: DemoContext, now = new Date()): Promise<void> {
  const options = await PledgeCommitmentOptionModel.insertMany(
    demoCommitmentOptions.map((o, i) => ({ ...o, position: i + 1 })),
  );
  const rows = [...organisations, ...individuals];
  const docs = rows.map((row, i) => {
    const email = emailOf(row, i);
    const confirmedAt = daysAgo(now, 300 - Math.round((i * 290) / rows.length));
    const pending = i % 11 === 10;
    const chosen =
      row.kind === 'organisation' && !pending ? options.filter((_, k) => (i + k) % 3 !== 0).slice(0, 2 + (i % 3)) : [];
    return {
      _id: new Types.ObjectId(),
      kind: row.kind,
      name: row.name,
      nameKey: normaliseName(row.name),
      organisationType: row.type,
      role: row.role,
      contactName:
        row.kind === 'organisation'
          ? email === 'governor@pathways.test'
            ? 'Grace Bennett'
            : 'Pledge contact'
          : undefined,
      email,
      region: row.region,
      country: row.country,
      showName: row.showName ?? false,
      listed: row.kind === 'organisation' || Boolean(row.showName),
      signKey: signKeyOf({ email, kind: row.kind, name: row.name }),
      status: pending ? 'pending' : 'confirmed',
      confirmedAt: pending ? null : confirmedAt,
      hidden: row.name === 'Teach Forward Foundation',
      hiddenReason:
        row.name === 'Teach Forward Foundation'
          ? 'Withdrawn: the foundation asked us to remove it while it reorganises.'
          : undefined,
      commitments: chosen.map((o) => ({ optionId: o._id, addedAt: new Date(confirmedAt.getTime() + 86_400_000) })),
      createdAt: daysAgo(confirmedAt, 1),
    };
  });
  await PledgeSignatureModel.insertMany(docs);
  const hidden = docs.find((d) => d.hidden)!;
  const admin = ctx.people.get('admin@pathways.test');
  await PledgeAuditEntryModel.create({
    signatureId: hidden._id,
    action: 'hidden',
    reason: hidden.hiddenReason,
    actorId: admin ?? null,
    actorLabel: 'Amara Okafor',
    kind: hidden.kind,
    organisationType: hidden.organisationType,
    at: daysAgo(now, 20),
  });
  const progress = [
    'All five governors on our panel finished the bias training before shortlisting.',
    'Our deputy head vacancy was advertised as a job share; four of six applicants were women.',
    'First annual report published on our website: 58% of applicants for senior roles were women.',
    'Three aspiring heads have been matched with serving women heads as mentors.',
  ];
  const updates = docs.flatMap((d, i) =>
    d.commitments.slice(0, 2).map((c, k) => ({
      signatureId: d._id,
      optionId: c.optionId,
      body: progress[(i + k) % progress.length]!,
      postedAt: daysAgo(now, 10 + ((i * 7 + k * 13) % 90)),
    })),
  );
  await PledgeProgressUpdateModel.insertMany(updates.filter((_, i) => i % 2 === 0));
  await listChanged();
}
