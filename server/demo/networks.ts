import { CohortModel } from '../../models/Cohort.ts';
import { NetworkModel } from '../../models/Network.ts';
import { UserModel } from '../../models/User.ts';
import { toCurrentUser } from '../auth.ts';
import {
  approveMember,
  createNetwork,
  createPost,
  joinNetwork,
  replyToPost,
  reportPost,
  reportReply,
  setLeads,
  setPostHidden,
  setReplyHidden,
  type NetworkInput,
} from '../services/networks/index.ts';
import { hashPassword } from '../services/passwords.ts';
import { demoPassword } from './people.ts';
import type { DemoContext } from './index.ts';

/**
 * Eleven networks (regional ones in the UK, Canada, the Middle East, Malaysia and Australia; interest ones for
 * headship applications, returners, flexible working, technology and books), members across zones, stories,
 * questions and replies, an announcement, a request waiting for approval, a reported post and a hidden one, and a
 * reply reported and hidden.
 * Priya (participant@) leads "Returners after a career break"; Margaret (mentor@) leads the Australian network.
 * The demo's aspiring-leaders cohort is linked to "Headship applications", so its graduates are invited.
 */
const networkPeople: { email: string; name: string; timezone: string }[] = [
  { email: 'network1@pathways.test', name: 'Farah Aziz', timezone: 'Asia/Kuala_Lumpur' },
  { email: 'network2@pathways.test', name: 'Nurul Hassan', timezone: 'Asia/Kuala_Lumpur' },
  { email: 'network3@pathways.test', name: 'Layla Mansour', timezone: 'Asia/Dubai' },
  { email: 'network4@pathways.test', name: 'Sophie Tremblay', timezone: 'America/Toronto' },
  { email: 'network5@pathways.test', name: 'Kate Wilson', timezone: 'Australia/Sydney' },
  { email: 'network6@pathways.test', name: 'Fiona Campbell', timezone: 'Europe/London' },
];

const networks: (NetworkInput & { key: string })[] = [
  {
    key: 'london',
    name: 'WomenEd London and the South East',
    kind: 'regional',
    country: 'GB',
    region: 'London and the South East',
    joining: 'open',
    description: 'Monthly meet-ups and a shared reading list for leaders in London, Kent, Surrey and Sussex.',
  },
  {
    key: 'scotland',
    name: 'Scotland leaders network',
    kind: 'regional',
    country: 'GB',
    region: 'Scotland',
    joining: 'open',
    description: 'Women leading Scottish schools, from Shetland to the Borders.',
  },
  {
    key: 'canada',
    name: 'WomenEd Canada',
    kind: 'national',
    country: 'CA',
    joining: 'open',
    description: 'Across provinces and time zones, from Vancouver to Halifax.',
  },
  {
    key: 'middle-east',
    name: 'Middle East women leaders',
    kind: 'regional',
    region: 'Gulf states and the Levant',
    joining: 'approval',
    description: 'For women leading international and national schools in the region. Leads approve each request.',
  },
  {
    key: 'malaysia',
    name: 'WomenEd Malaysia',
    kind: 'national',
    country: 'MY',
    joining: 'approval',
    description: 'Leaders in Malaysian schools, in English and Bahasa Melayu.',
  },
  {
    key: 'australia',
    name: 'WomenEd Australia',
    kind: 'national',
    country: 'AU',
    joining: 'open',
    description: 'State by state, and one national conversation.',
  },
  {
    key: 'headship',
    name: 'Headship applications',
    kind: 'interest',
    joining: 'approval',
    description: 'Applications, interviews and first hundred days: women preparing for headship help each other.',
  },
  {
    key: 'returners',
    name: 'Returners after a career break',
    kind: 'interest',
    joining: 'open',
    description: 'For leaders coming back after caring, illness or a break of any kind. You are not alone.',
  },
  {
    key: 'flexible',
    name: 'Flexible working',
    kind: 'interest',
    joining: 'open',
    description: 'Job shares, part-time leadership and flexible timetables that work.',
  },
  {
    key: 'edtech',
    name: 'Women in education technology',
    kind: 'interest',
    joining: 'open',
    description: 'Leaders shaping how schools use technology.',
  },
  {
    key: 'books',
    name: 'Leadership book club',
    kind: 'interest',
    joining: 'open',
    description: 'One book a month, discussed across time zones.',
  },
];

export async function seedNetworks(ctx: DemoContext): Promise<void> {
  const passwordHash = await hashPassword(demoPassword);
  for (const person of networkPeople) {
    const user = await UserModel.create({ ...person, roles: ['participant'], passwordHash, status: 'active' });
    ctx.people.set(person.email, String(user._id));
  }
  const actor = async (email: string) => toCurrentUser((await UserModel.findById(ctx.people.get(email)).lean())!);
  const admin = await actor('admin@pathways.test');
  const ids = new Map<string, string>();
  for (const { key, ...input } of networks) {
    ids.set(key, String((await createNetwork({ actor: admin, ...input }))._id));
  }
  const id = (key: string) => ids.get(key)!;
  const lead = async (key: string, email: string) =>
    setLeads({ actor: admin, networkId: id(key), userIds: [ctx.people.get(email)!] });
  await lead('returners', 'participant@pathways.test');
  await lead('australia', 'mentor@pathways.test');
  await lead('london', 'participant2@pathways.test');
  await lead('scotland', 'network6@pathways.test');
  await lead('canada', 'network4@pathways.test');
  await lead('middle-east', 'network3@pathways.test');
  await lead('malaysia', 'network1@pathways.test');
  await lead('headship', 'facilitator@pathways.test');
  await lead('flexible', 'participant4@pathways.test');
  await lead('edtech', 'participant9@pathways.test');
  await lead('books', 'network5@pathways.test');

  const join = async (key: string, emails: string[]) => {
    for (const email of emails) await joinNetwork({ actor: await actor(email), networkId: id(key) });
  };
  await join('returners', ['network5@pathways.test', 'network2@pathways.test', 'participant3@pathways.test']);
  await join('returners', ['participant6@pathways.test', 'participant8@pathways.test']);
  await join('australia', ['network5@pathways.test']);
  await join('london', ['participant4@pathways.test', 'participant7@pathways.test', 'participant11@pathways.test']);
  await join('canada', ['participant@pathways.test', 'participant9@pathways.test']);
  await join('flexible', ['participant@pathways.test', 'network6@pathways.test', 'network4@pathways.test']);
  await join('books', ['mentor@pathways.test', 'network3@pathways.test', 'participant10@pathways.test']);
  await join('edtech', ['network2@pathways.test', 'participant5@pathways.test']);
  // Approval networks: one approved, one still waiting for the lead.
  await join('malaysia', ['network2@pathways.test', 'participant10@pathways.test']);
  await approveMember({
    actor: await actor('network1@pathways.test'),
    networkId: id('malaysia'),
    userId: ctx.people.get('network2@pathways.test')!,
  });
  await join('middle-east', ['participant6@pathways.test']);
  await approveMember({
    actor: await actor('network3@pathways.test'),
    networkId: id('middle-east'),
    userId: ctx.people.get('participant6@pathways.test')!,
  });
  await join('headship', ['participant@pathways.test', 'participant3@pathways.test']);
  await approveMember({
    actor: await actor('facilitator@pathways.test'),
    networkId: id('headship'),
    userId: ctx.people.get('participant3@pathways.test')!,
  });

  const post = async (
    key: string,
    email: string,
    kind: 'story' | 'question' | 'announcement',
    title: string,
    body: string,
  ) => createPost({ actor: await actor(email), networkId: id(key), kind, title, body });
  const reply = async (postId: string, email: string, body: string) =>
    replyToPost({ actor: await actor(email), postId, body });

  const alone = await post(
    'returners',
    'network5@pathways.test',
    'story',
    'I felt really alone as a leader after my career break',
    'Three years at home with my children, then a deputy headship in Sydney. The first term I told no one how hard it was.\n\nThis network is **combating that for me**: thank you all.',
  );
  await reply(alone.id, 'participant@pathways.test', 'So glad you are here, Kate. Toronto sends its love.');
  await reply(
    alone.id,
    'network2@pathways.test',
    'Same in Kuala Lumpur: the first term back is the hardest. It gets better.',
  );
  const keepingIn = await post(
    'returners',
    'participant3@pathways.test',
    'question',
    'How did you keep in touch with school while away?',
    'I am planning a year out. What helped you come back: keeping-in-touch days, reading, a mentor?',
  );
  await reply(
    keepingIn.id,
    'participant6@pathways.test',
    'Keeping-in-touch days, and one coffee a month with my head.',
  );
  // A reply reported and hidden by the network's lead (Priya): the thread stays, the advert does not.
  const advert = await reply(
    keepingIn.id,
    'participant8@pathways.test',
    'Supply cover at half the agency rate: message me.',
  );
  await reportReply({
    actor: await actor('participant3@pathways.test'),
    replyId: advert.id,
    reason: 'An advert under my question.',
  });
  await setReplyHidden({
    actor: await actor('participant@pathways.test'),
    replyId: advert.id,
    hidden: true,
    reason: 'Adverts are not allowed in the network.',
  });
  await post(
    'returners',
    'participant@pathways.test',
    'announcement',
    'Welcome to our new members',
    'Introduce yourself in a story: where you lead, and what you are coming back to.',
  );
  const offTopic = await post(
    'returners',
    'participant8@pathways.test',
    'story',
    'Selling my car',
    'Good condition, ask me.',
  );
  await reportPost({
    actor: await actor('network2@pathways.test'),
    postId: offTopic.id,
    reason: 'An advert, not a story.',
  });
  const hidden = await post(
    'returners',
    'participant6@pathways.test',
    'question',
    'Names a colleague',
    'Has anyone worked with …',
  );
  await setPostHidden({
    actor: await actor('participant@pathways.test'),
    postId: hidden.id,
    hidden: true,
    reason: 'Names a colleague who did not agree to it.',
  });

  const interview = await post(
    'headship',
    'participant3@pathways.test',
    'question',
    'Presentation task at interview: how long did yours run?',
    'Mine is 15 minutes on "the first year of my headship". Too long to read from slides?',
  );
  await reply(
    interview.id,
    'facilitator@pathways.test',
    'Ten minutes of talk, five of questions. Tell one story, not five.',
  );
  await post(
    'london',
    'participant2@pathways.test',
    'announcement',
    'Meet-up in March',
    'Our next meet-up is at a school in Southwark.',
  );
  const jobShare = await post(
    'flexible',
    'network6@pathways.test',
    'story',
    'Our co-headship, two years in',
    'We split the week 3/2 and overlap on Wednesdays. Governors were wary; the staff survey says it works.',
  );
  await reply(jobShare.id, 'network4@pathways.test', 'Would you share your handover notes template?');
  await post(
    'australia',
    'network5@pathways.test',
    'story',
    'Our first state meet-up',
    'Twelve of us in Parramatta, and four online from Perth.',
  );
  await post(
    'malaysia',
    'network2@pathways.test',
    'story',
    'Leading in two languages',
    'Assemblies in Bahasa Melayu and English: what I learned.',
  );
  await post(
    'middle-east',
    'participant6@pathways.test',
    'question',
    'Ramadan timetables',
    'How do you shorten the day without losing lessons?',
  );
  await post(
    'books',
    'network5@pathways.test',
    'announcement',
    'This month: "Dare to Lead"',
    'Discussion on the last Sunday of the month.',
  );

  const cohort = await CohortModel.findOne({}).sort({ startsOn: 1 }).select({ _id: 1 }).lean();
  if (cohort) await NetworkModel.updateOne({ _id: id('headship') }, { $set: { linkedCohortIds: [cohort._id] } });
}
