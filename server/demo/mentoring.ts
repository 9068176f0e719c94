import { UserModel, type Role } from '../../models/User.ts';
import type { Topic } from '../vocabulary.ts';
import type { Window } from '../services/mentoring/availability.ts';
import { saveMenteeProfile, saveMentorProfile } from '../services/mentoring/profiles.ts';
import {
  closeMentorship,
  endMentorshipsPastTheirEnd,
  logMeeting,
  rateClosedMentorship,
  recordOutcome,
  saveAgreement,
} from '../services/mentoring/mentorships.ts';
import {
  acceptMentoringRequest,
  createMentoringRequest,
  declineMentoringRequest,
} from '../services/mentoring/requests.ts';
import { hashPassword } from '../services/passwords.ts';
import type { DemoContext } from './index.ts';
import { demoPassword } from './people.ts';

/**
 * Mentoring demo: a dozen serving heads as mentors across London, Yorkshire, Toronto, Dubai, Kuala Lumpur and Sydney;
 * mentees whose suggestions show the zone reasoning (Priya in Toronto is offered Margaret in Sydney, whose late
 * mornings are Priya's evenings); active mentorships with agreements and meetings, one closed with outcomes, closed
 * ones rated by their mentees (three of Catherine's, so the admin overview lists her), one request waiting.
 * Everything goes through the domain functions, so the rules and reminders are the real ones.
 */
const day = 86_400_000;
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;
const windows = (days: readonly Window['day'][], from: string, to: string): Window[] =>
  days.map((d) => ({ day: d, from, to }));

type MentorSeed = {
  email: string;
  name: string;
  timezone: string;
  country: string;
  region: string;
  schoolName: string;
  phase: 'primary' | 'secondary' | 'all-through' | 'special';
  yearsAsHead: number;
  expertise: Topic[];
  languages: string[];
  capacity: number;
  availability: Window[];
  bio: string;
};

const evenings = [...windows(weekdays, '18:00', '21:00'), ...windows(['sat'], '09:00', '12:00')];
const mentors: MentorSeed[] = [
  {
    email: 'mentor@pathways.test',
    name: 'Margaret Osei',
    timezone: 'Australia/Sydney',
    country: 'AU',
    region: 'New South Wales',
    schoolName: 'Harbourside Public School',
    phase: 'primary',
    yearsAsHead: 12,
    expertise: ['interviews', 'salary-negotiation', 'wellbeing-and-isolation'],
    languages: ['English', 'Twi'],
    capacity: 2,
    // Late mornings in Sydney are the evening before in Toronto and London's small hours.
    availability: windows(['tue', 'wed', 'thu', 'fri', 'sat'], '10:30', '13:00'),
    bio: 'Head of a large primary school in Sydney; I moved from deputy to head at 38 and coach women through their first interviews.',
  },
  ...(
    [
      [
        'Catherine Wright',
        'Europe/London',
        'GB',
        'London',
        'Southwark Park Primary',
        'primary',
        9,
        ['applying-for-headship', 'interviews', 'working-with-governors'],
        ['English'],
      ],
      [
        'Anjali Mehta',
        'Europe/London',
        'GB',
        'London',
        'Hackney Downs Academy',
        'secondary',
        7,
        ['finance-and-budget', 'leading-change', 'equality-and-inclusion'],
        ['English', 'Hindi'],
      ],
      [
        'Bronwen Davies',
        'Europe/London',
        'GB',
        'Yorkshire and the Humber',
        'Wharfedale High School',
        'secondary',
        15,
        ['executive-headship', 'salary-negotiation', 'working-with-governors'],
        ['English', 'Welsh'],
      ],
      [
        'Sarah Holroyd',
        'Europe/London',
        'GB',
        'Yorkshire and the Humber',
        'Calder Valley Primary',
        'primary',
        6,
        ['first-year-in-post', 'wellbeing-and-isolation', 'flexible-working'],
        ['English'],
      ],
      [
        'Michelle Tremblay',
        'America/Toronto',
        'CA',
        'Ontario',
        'Riverdale Collegiate',
        'secondary',
        10,
        ['interviews', 'leading-change', 'returning-after-a-break'],
        ['English', 'French'],
      ],
      [
        'Grace Okonkwo',
        'America/Toronto',
        'CA',
        'Ontario',
        'Maple Grove Public School',
        'primary',
        5,
        ['applying-for-headship', 'salary-negotiation', 'equality-and-inclusion'],
        ['English', 'Igbo'],
      ],
      [
        'Farah Al Mansoori',
        'Asia/Dubai',
        'AE',
        'Dubai',
        'Jumeirah British School',
        'all-through',
        11,
        ['executive-headship', 'interviews', 'finance-and-budget'],
        ['English', 'Arabic'],
      ],
      [
        'Leila Haddad',
        'Asia/Dubai',
        'AE',
        'Abu Dhabi',
        'Al Reem International School',
        'secondary',
        8,
        ['first-year-in-post', 'working-with-governors', 'flexible-working'],
        ['English', 'Arabic', 'French'],
      ],
      [
        'Siti Rahman',
        'Asia/Kuala_Lumpur',
        'MY',
        'Kuala Lumpur',
        'Bangsar International School',
        'primary',
        9,
        ['applying-for-headship', 'salary-negotiation', 'wellbeing-and-isolation'],
        ['English', 'Malay'],
      ],
      [
        'Tan Mei Ling',
        'Asia/Kuala_Lumpur',
        'MY',
        'Selangor',
        'Petaling Jaya Garden School',
        'special',
        13,
        ['leading-change', 'equality-and-inclusion', 'returning-after-a-break'],
        ['English', 'Mandarin', 'Malay'],
      ],
      [
        'Jacqueline Nguyen',
        'Australia/Sydney',
        'AU',
        'New South Wales',
        'Parramatta West High School',
        'secondary',
        4,
        ['first-year-in-post', 'interviews', 'flexible-working'],
        ['English', 'Vietnamese'],
      ],
    ] as const
  ).map(([name, timezone, country, region, schoolName, phase, yearsAsHead, expertise, languages], i) => ({
    email: `mentor${i + 2}@pathways.test`,
    name,
    timezone,
    country,
    region,
    schoolName,
    phase,
    yearsAsHead,
    expertise: [...expertise] as Topic[],
    languages: [...languages],
    capacity: i % 4 === 3 ? 1 : 2,
    availability: evenings,
    bio: `Head of ${schoolName} for ${yearsAsHead} years.`,
  })),
];

type MenteeSeed = {
  email: string;
  goals: Topic[];
  phase: 'primary' | 'secondary' | 'all-through';
  schoolName: string;
  country: string;
  region: string;
  availability: Window[];
  languages: string[];
  preferences?: { sameRegion: boolean; language: string };
};
const mentees: MenteeSeed[] = [
  // Toronto: her suggestions name shared evenings with Toronto mentors and with Margaret in Sydney ("your time").
  {
    email: 'participant@pathways.test',
    goals: ['interviews', 'salary-negotiation', 'applying-for-headship'],
    phase: 'primary',
    schoolName: 'Bayview Elementary',
    country: 'CA',
    region: 'Ontario',
    availability: windows(weekdays, '19:00', '22:00'),
    languages: ['English', 'Gujarati'],
  },
  {
    email: 'participant2@pathways.test',
    goals: ['applying-for-headship', 'interviews'],
    phase: 'primary',
    schoolName: 'Lambeth Fields Primary',
    country: 'GB',
    region: 'London',
    availability: evenings,
    languages: ['English'],
  },
  {
    email: 'participant6@pathways.test',
    goals: ['executive-headship', 'finance-and-budget'],
    phase: 'all-through',
    schoolName: 'Marina Heights School',
    country: 'AE',
    region: 'Dubai',
    availability: evenings,
    languages: ['English', 'Arabic'],
  },
  {
    email: 'participant10@pathways.test',
    goals: ['salary-negotiation', 'wellbeing-and-isolation'],
    phase: 'primary',
    schoolName: 'Orchard Road Primary',
    country: 'SG',
    region: 'Singapore',
    availability: evenings,
    languages: ['English', 'Mandarin'],
  },
  {
    email: 'participant4@pathways.test',
    goals: ['working-with-governors', 'executive-headship'],
    phase: 'secondary',
    schoolName: 'Leeds City Academy',
    country: 'GB',
    region: 'Yorkshire and the Humber',
    availability: evenings,
    languages: ['English', 'Bengali'],
    preferences: { sameRegion: true, language: '' },
  },
  // London: Catherine's earlier mentees, each mentorship closed and rated (see seedMentoring).
  ...(
    [
      ['participant7@pathways.test', 'Peckham Rye Primary'],
      ['participant8@pathways.test', 'Brixton Hill Primary'],
      ['participant11@pathways.test', 'Camberwell Grove Primary'],
    ] as const
  ).map(([email, schoolName]) => ({
    email,
    goals: ['applying-for-headship', 'interviews'] as Topic[],
    phase: 'primary' as const,
    schoolName,
    country: 'GB',
    region: 'London',
    availability: evenings,
    languages: ['English'],
  })),
];

export async function seedMentoring(ctx: DemoContext): Promise<void> {
  const passwordHash = await hashPassword(demoPassword);
  const ids = new Map(ctx.people);
  for (const m of mentors) {
    if (!ids.has(m.email)) {
      const user = await UserModel.create({
        email: m.email,
        name: m.name,
        roles: ['mentor'] as Role[],
        timezone: m.timezone,
        passwordHash,
        status: 'active',
      });
      ids.set(m.email, user.id as string);
    }
    const { email, name, ...profile } = m;
    void name;
    await saveMentorProfile({ userId: ids.get(email)!, profile });
  }
  const zoneOf = async (email: string) =>
    (await UserModel.findById(ids.get(email)).select('timezone').lean())!.timezone;
  for (const m of mentees) {
    const { email, preferences, ...profile } = m;
    await saveMenteeProfile({
      userId: ids.get(email)!,
      profile: {
        ...profile,
        timezone: await zoneOf(email),
        preferences: preferences ?? { sameRegion: false, language: '' },
      },
    });
  }
  const as = (email: string) => ({ id: ids.get(email)!, roles: ['participant'] as Role[] });
  const asMentor = (email: string) => ({ id: ids.get(email)!, roles: ['mentor'] as Role[] });
  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * day);
  const isoDay = (daysAhead: number) => new Date(now + daysAhead * day).toISOString().slice(0, 10);

  async function match(
    menteeEmail: string,
    mentorEmail: string,
    message: string,
    askedDaysAgo: number,
    acceptedDaysAgo: number,
  ) {
    const r = await createMentoringRequest({
      actor: as(menteeEmail),
      mentorId: ids.get(mentorEmail)!,
      message,
      now: at(askedDaysAgo),
    });
    return acceptMentoringRequest({ actor: asMentor(mentorEmail), requestId: String(r._id), now: at(acceptedDaysAgo) });
  }

  // London: Catherine's three earlier mentees closed their mentorships and rated them (one after Catherine closed it,
  // with a note of her own), so the admin overview lists her among the mentors (listed from 3 ratings), the ratings by
  // month and the feedback for the programme team.
  const earlier: {
    email: string;
    days: [asked: number, accepted: number, closed: number];
    rating: number;
    closedBy: 'mentee' | 'mentor';
    reason: string;
    feedback: string;
  }[] = [
    {
      email: 'participant7@pathways.test',
      days: [170, 168, 120],
      rating: 5,
      closedBy: 'mentee',
      reason: 'I have my interview date and feel ready.',
      feedback: 'Catherine’s mock panel was harder than the real one would be, which was the point.',
    },
    {
      email: 'participant8@pathways.test',
      days: [150, 147, 90],
      rating: 4,
      closedBy: 'mentor',
      reason: 'Zara moved to a deputy headship in another trust and has what she came for.',
      feedback: 'Zara could mentor others herself in a year or two.',
    },
    {
      email: 'participant11@pathways.test',
      days: [130, 126, 45],
      rating: 3,
      closedBy: 'mentee',
      reason: 'The application window has closed for this year.',
      feedback: 'Helpful, but a call a month was not enough in the weeks before the interviews.',
    },
  ];
  for (const e of earlier) {
    const [asked, accepted, closed] = e.days;
    const m = await match(
      e.email,
      'mentor2@pathways.test',
      'I would like help preparing my application.',
      asked,
      accepted,
    );
    const mentorshipId = String(m._id);
    const byMentee = e.closedBy === 'mentee';
    await closeMentorship({
      actor: byMentee ? as(e.email) : asMentor('mentor2@pathways.test'),
      mentorshipId,
      reason: e.reason,
      ...(byMentee ? { rating: e.rating } : {}),
      feedback: e.feedback,
      now: at(closed),
    });
    if (!byMentee) await rateClosedMentorship({ actor: as(e.email), mentorshipId, rating: e.rating });
  }

  // London: Hannah with Catherine, monthly, two meetings logged.
  const hannah = await match(
    'participant2@pathways.test',
    'mentor2@pathways.test',
    'I am applying for my first headship this spring and would love help with the interview day.',
    64,
    60,
  );
  await saveAgreement({
    actor: as('participant2@pathways.test'),
    mentorshipId: String(hannah._id),
    goals: ['Apply for two primary headships by March', 'Prepare for the in-tray and the panel interview'],
    meetingFrequency: 'monthly',
    endsOn: isoDay(120),
    now: at(59),
  });
  await logMeeting({
    actor: asMentor('mentor2@pathways.test'),
    mentorshipId: String(hannah._id),
    heldAt: at(52),
    minutes: 60,
    sharedNotes: 'Went through the job pack for Southfields; drafted the letter’s opening.',
    privateNotes: 'She underplays her work on the deficit budget: ask about it next time.',
    now: at(52),
  });
  await logMeeting({
    actor: as('participant2@pathways.test'),
    mentorshipId: String(hannah._id),
    heldAt: at(20),
    minutes: 45,
    sharedNotes: 'Mock panel interview; safeguarding question practised twice.',
    now: at(20),
  });

  // Dubai: Nadia with Farah, fortnightly, one meeting a while ago (her rhythm reminder is near).
  const nadia = await match(
    'participant6@pathways.test',
    'mentor8@pathways.test',
    'I lead the secondary phase of an all-through school and am thinking about executive headship.',
    45,
    41,
  );
  await saveAgreement({
    actor: asMentor('mentor8@pathways.test'),
    mentorshipId: String(nadia._id),
    goals: ['Understand the executive head role', 'Read the trust’s budget with confidence'],
    meetingFrequency: 'fortnightly',
    endsOn: isoDay(13),
    now: at(40),
  });
  await logMeeting({
    actor: asMentor('mentor8@pathways.test'),
    mentorshipId: String(nadia._id),
    heldAt: at(18),
    minutes: 50,
    sharedNotes: 'Walked through a trust budget line by line.',
    now: at(18),
  });

  // Singapore and Kuala Lumpur (the same offset): Mei with Siti, closed after she was appointed.
  const mei = await match(
    'participant10@pathways.test',
    'mentor10@pathways.test',
    'I have an interview in six weeks and want to negotiate the pay band this time.',
    150,
    147,
  );
  await saveAgreement({
    actor: as('participant10@pathways.test'),
    mentorshipId: String(mei._id),
    goals: ['Interview for the headship at Orchard Road', 'Negotiate the salary band'],
    meetingFrequency: 'weekly',
    endsOn: isoDay(-30),
    now: at(146),
  });
  for (const ago of [140, 133, 126, 119])
    await logMeeting({
      actor: asMentor('mentor10@pathways.test'),
      mentorshipId: String(mei._id),
      heldAt: at(ago),
      minutes: 40,
      sharedNotes: 'Weekly call: interview practice and the pay conversation.',
      now: at(ago),
    });
  await closeMentorship({
    actor: as('participant10@pathways.test'),
    mentorshipId: String(mei._id),
    reason: 'I was appointed head.',
    rating: 5,
    feedback: 'Having someone who had done it made the difference.',
    now: at(35),
  });

  // Toronto and Sydney: Priya with Margaret, fortnightly, ended on its agreed end date three days ago. Nobody closed
  // it: the `mentoring:end-mentorships` sweep did, once that day was over in both zones, so Margaret's place is free
  // again and Priya's six-month outcomes prompt is planned from that day.
  const priya = await match(
    'participant@pathways.test',
    'mentor@pathways.test',
    'I would like to prepare for my first headship interview with someone who has sat on both sides of the table.',
    100,
    98,
  );
  await saveAgreement({
    actor: as('participant@pathways.test'),
    mentorshipId: String(priya._id),
    goals: ['Prepare for the panel interview', 'Plan the first hundred days'],
    meetingFrequency: 'fortnightly',
    endsOn: isoDay(-3),
    now: at(97),
  });
  for (const ago of [90, 76, 62, 48, 34, 20, 6])
    await logMeeting({
      actor: asMentor('mentor@pathways.test'),
      mentorshipId: String(priya._id),
      heldAt: at(ago),
      minutes: 45,
      sharedNotes: 'Fortnightly call (her evening, my morning): interview questions and the first hundred days.',
      now: at(ago),
    });
  await endMentorshipsPastTheirEnd({ now: at(0) });
  // She rates it afterwards, as the page offers her once it is closed.
  await rateClosedMentorship({ actor: as('participant@pathways.test'), mentorshipId: String(priya._id), rating: 4 });

  // A request waiting: Aisha (Yorkshire) asks Bronwen.
  await createMentoringRequest({
    actor: as('participant4@pathways.test'),
    mentorId: ids.get('mentor4@pathways.test')!,
    message: 'I would like to talk about working with a new chair of governors.',
    now: at(2),
  });

  // A request declined with a reason: the mentee's email saying so (with a link to her other suggestions) is in the
  // outbox.
  const declined = await createMentoringRequest({
    actor: as('participant@pathways.test'),
    mentorId: ids.get('mentor6@pathways.test')!,
    message: 'Could we talk about preparing for a first headship interview?',
    now: at(6),
  });
  await declineMentoringRequest({
    actor: asMentor('mentor6@pathways.test'),
    requestId: String(declined._id),
    reason: 'I am taking a term away from mentoring; Grace Okonkwo, also in Toronto, would be a good match.',
    now: at(5),
  });

  const outcomes: [
    string,
    'applied' | 'interviewed' | 'appointed' | 'salary-negotiated' | 'promoted',
    number,
    string,
  ][] = [
    ['participant2@pathways.test', 'applied', 40, 'Southfields Primary'],
    ['participant2@pathways.test', 'interviewed', 12, 'Southfields Primary, first round'],
    ['participant10@pathways.test', 'applied', 140, 'Orchard Road Primary'],
    ['participant10@pathways.test', 'interviewed', 110, 'Orchard Road Primary'],
    ['participant10@pathways.test', 'appointed', 95, 'Head of Orchard Road Primary from January'],
    ['participant10@pathways.test', 'salary-negotiated', 95, 'She moved up 4 points on the pay scale.'],
    ['participant6@pathways.test', 'promoted', 200, 'Head of secondary phase'],
  ];
  for (const [email, kind, ago, detail] of outcomes)
    await recordOutcome({ actor: as(email), kind, on: at(ago).toISOString().slice(0, 10), detail });
}
