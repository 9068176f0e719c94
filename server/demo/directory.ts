import { Types } from 'mongoose';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { UserModel } from '../../models/User.ts';
import { logger } from '../logger.ts';
import { searchFieldsOf } from '../services/directory/profiles.ts';
import {
  cancelNetworkEvent,
  changeNetworkEvent,
  createNetworkEvent,
  rsvpToEvent,
} from '../services/networks/events.ts';
import { rankMeetingTimes } from '../services/networks/meetingTimes.ts';
import { showLeads } from '../services/networks/leadsShown.ts';
import { directoryFollowsAllMemberships } from '../services/directory/profileNetworks.ts';
import { markProfilesInBlocks } from '../services/directory/blocks.ts';
import type { Phase, Topic } from '../vocabulary.ts';
import type { DemoContext } from './index.ts';

/**
 * The directory and an event, after the networks demo: profiles with each of the three visibilities across zones
 * (Toronto, Sydney, London, Dubai, Singapore, Dublin), and an upcoming event of a network at the hour "find a time"
 * ranks best for its members, with RSVPs (so reminders are planned and it is in their calendar feeds), and two more
 * a week on: one moved, one cancelled.
 */
type DemoProfile = {
  email: string;
  visibility: 'hidden' | 'networks' | 'everyone';
  headline: string;
  role: string;
  phase: Phase;
  country: string;
  region: string;
  topics: Topic[];
  openTo: ('mentoring' | 'peer-support' | 'speaking' | 'research')[];
};

const profiles: DemoProfile[] = [
  {
    email: 'participant@pathways.test',
    visibility: 'everyone',
    headline: 'Deputy head preparing her first headship application',
    role: 'Deputy headteacher',
    phase: 'primary',
    country: 'CA',
    region: 'Ontario',
    topics: ['applying-for-headship', 'interviews'],
    openTo: ['peer-support'],
  },
  {
    email: 'mentor@pathways.test',
    visibility: 'everyone',
    headline: 'Head of a primary school for twelve years; happy to talk about the first year in post',
    role: 'Headteacher',
    phase: 'primary',
    country: 'AU',
    region: 'New South Wales',
    topics: ['first-year-in-post', 'working-with-governors', 'wellbeing-and-isolation'],
    openTo: ['mentoring', 'speaking'],
  },
  {
    email: 'participant2@pathways.test',
    visibility: 'networks',
    headline: 'Back after a career break, leading maths',
    role: 'Head of maths',
    phase: 'primary',
    country: 'GB',
    region: 'Yorkshire',
    topics: ['returning-after-a-break', 'flexible-working'],
    openTo: ['peer-support'],
  },
  {
    email: 'participant6@pathways.test',
    visibility: 'networks',
    headline: 'Assistant principal in an international school',
    role: 'Assistant principal',
    phase: 'all-through',
    country: 'AE',
    region: 'Dubai',
    topics: ['leading-change', 'equality-and-inclusion'],
    openTo: ['research'],
  },
  {
    email: 'participant10@pathways.test',
    visibility: 'everyone',
    headline: 'Vice-principal; researching women’s routes to headship in South-East Asia',
    role: 'Vice-principal',
    phase: 'primary',
    country: 'SG',
    region: 'Singapore',
    topics: ['applying-for-headship', 'equality-and-inclusion'],
    openTo: ['research', 'speaking'],
  },
  {
    email: 'participant3@pathways.test',
    visibility: 'hidden',
    headline: 'Not ready to be found yet',
    role: 'Senior leader',
    phase: 'primary',
    country: 'IE',
    region: 'Dublin',
    topics: ['wellbeing-and-isolation'],
    openTo: [],
  },
  {
    email: 'participant4@pathways.test',
    visibility: 'everyone',
    headline: 'Newly appointed head, sharing what the interviews were like',
    role: 'Headteacher',
    phase: 'secondary',
    country: 'GB',
    region: 'London',
    topics: ['interviews', 'salary-negotiation'],
    openTo: ['mentoring', 'peer-support'],
  },
];

/**
 * The network for the demo event: the largest one with a lead (the networks demo names leads) among the demo participant's networks if any, left as that demo
 * made it; without one (the networks demo not loaded), a small network of its own with these people.
 */
async function eventNetwork(fallbackMembers: Types.ObjectId[], preferMemberId?: string): Promise<Types.ObjectId> {
  const led = await NetworkMembershipModel.find({ role: 'lead', status: 'member' }).select({ networkId: 1 }).lean();
  const hers = preferMemberId
    ? await NetworkMembershipModel.find({ userId: new Types.ObjectId(preferMemberId), status: 'member' })
        .select({ networkId: 1 })
        .lean()
    : [];
  const herIds = new Set(hers.map((h) => String(h.networkId)));
  const candidates = led.some((l) => herIds.has(String(l.networkId)))
    ? led.filter((l) => herIds.has(String(l.networkId)))
    : led;
  if (candidates.length) {
    const networks = await NetworkModel.find({ _id: { $in: candidates.map((l) => l.networkId) } })
      .select({ memberCount: 1 })
      .lean();
    return networks.sort((a, b) => (b.memberCount ?? 0) - (a.memberCount ?? 0))[0]!._id;
  }
  const created = await NetworkModel.create({
    name: 'Evening coffee across time zones',
    nameKey: 'evening coffee across time zones',
    kind: 'interest',
    description: 'An informal monthly call for women leaders wherever they are.',
    joining: 'open',
    memberCount: fallbackMembers.length,
  });
  await NetworkMembershipModel.insertMany(
    fallbackMembers.map((userId, i) => ({
      networkId: created._id,
      userId,
      status: 'member',
      role: i === 0 ? 'lead' : 'member',
      joinedAt: new Date(),
    })),
  );
  await showLeads(created._id);
  return created._id;
}

export async function seedDirectory(ctx: DemoContext): Promise<void> {
  await seedProfilesAndEvent(ctx);
  // Each profile's networks, from the memberships seeded without the app (what the repair job writes).
  await directoryFollowsAllMemberships();
  await markProfilesInBlocks();
}

async function seedProfilesAndEvent(ctx: DemoContext): Promise<void> {
  const people = await UserModel.find({
    _id: { $in: profiles.map((p) => ctx.people.get(p.email)).filter(Boolean) },
  }).lean();
  const byId = new Map(people.map((p) => [String(p._id), p]));
  for (const p of profiles) {
    const user = byId.get(ctx.people.get(p.email) ?? '');
    if (!user) continue;
    const { email, ...fields } = p;
    void email;
    await DirectoryProfileModel.create({
      _id: user._id,
      ...fields,
      name: user.name,
      ...searchFieldsOf(user.name, p),
    });
  }

  const mentor = byId.get(ctx.people.get('mentor@pathways.test') ?? '');
  const fallback = ['participant@pathways.test', 'participant2@pathways.test', 'participant6@pathways.test']
    .map((e) => byId.get(ctx.people.get(e) ?? ''))
    .filter((u) => u !== undefined);
  if (!mentor) return;
  const participantId = ctx.people.get('participant@pathways.test');
  const networkId = await eventNetwork([mentor._id, ...fallback.map((u) => u._id)], participantId);
  const members = await NetworkMembershipModel.find({ networkId, status: 'member' })
    .select({ userId: 1, role: 1 })
    .lean();
  const memberPeople = await UserModel.find({ _id: { $in: members.map((m) => m.userId) } }).lean();
  const leadId = String(members.find((m) => m.role === 'lead')?.userId ?? '');
  const leadUser = memberPeople.find((p) => String(p._id) === leadId);
  if (!leadUser) return;
  // The event sits at the hour "find a time" ranks best for these members, ten to sixteen days from now.
  const from = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  const [best] = rankMeetingTimes({
    zones: memberPeople.map((p) => p.timezone),
    durationMinutes: 60,
    from,
    days: 7,
    now: new Date(),
  });
  const actorOf = (u: (typeof memberPeople)[number]) => ({
    id: String(u._id),
    email: u.email,
    name: u.name,
    roles: u.roles,
    timezone: u.timezone,
  });
  const event = await createNetworkEvent({
    actor: actorOf(leadUser),
    networkId: String(networkId),
    event: {
      title: 'Evening coffee: leading across time zones',
      startsAt: best!.startsAt,
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/pathways-coffee',
    },
  });
  // The lead and up to three members say they are going (the demo participant first when she is a member).
  const going = [
    leadUser,
    ...memberPeople
      .filter((p) => String(p._id) !== leadId)
      .sort((a, b) => Number(String(b._id) === participantId) - Number(String(a._id) === participantId))
      .slice(0, 3),
  ];
  for (const u of going) await rsvpToEvent({ actor: actorOf(u), eventId: event.id, going: true });
  logger.info({ eventId: event.id, startsAt: event.startsAt }, 'demo network event');

  // Two more a week later, with the same people going: one the lead moved a day on (its page lists the change, and a
  // change notice waits in the outbox) and one she cancelled (a cancellation notice each, and "cancelled" in feeds).
  const weekLater = new Date(best!.startsAt.getTime() + 7 * 24 * 3600_000);
  const later = async (title: string) => {
    const created = await createNetworkEvent({
      actor: actorOf(leadUser),
      networkId: String(networkId),
      event: { title, startsAt: weekLater, durationMinutes: 45, mode: 'in-person', location: 'Library, room 2' },
    });
    for (const u of going) await rsvpToEvent({ actor: actorOf(u), eventId: created.id, going: true });
    return created;
  };
  const moved = await later('Book club: first chapters of a headship');
  await changeNetworkEvent({
    actor: actorOf(leadUser),
    eventId: moved.id,
    input: { startsAt: new Date(weekLater.getTime() + 24 * 3600_000) },
  });
  const called = await later('Walk and talk');
  await cancelNetworkEvent({ actor: actorOf(leadUser), eventId: called.id });
}
