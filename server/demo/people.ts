import { UserModel, type Role } from '../../models/User.ts';
import { hashPassword } from '../services/passwords.ts';

/** Every demo account signs in with this password (printed on start). */
export const demoPassword = 'walk-the-pathway-2027';

/** One account per role, then the people the other areas' demo data needs. */
export const demoAccounts: { email: string; name: string; roles: Role[]; timezone: string }[] = [
  { email: 'admin@pathways.test', name: 'Amara Okafor', roles: ['admin'], timezone: 'Europe/London' },
  { email: 'facilitator@pathways.test', name: 'Fiona MacLeod', roles: ['facilitator'], timezone: 'Europe/London' },
  { email: 'participant@pathways.test', name: 'Priya Shah', roles: ['participant'], timezone: 'America/Toronto' },
  { email: 'governor@pathways.test', name: 'Grace Bennett', roles: ['governor'], timezone: 'Europe/London' },
  { email: 'mentor@pathways.test', name: 'Margaret Osei', roles: ['mentor'], timezone: 'Australia/Sydney' },
  { email: 'researcher@pathways.test', name: 'Ruth Adebayo', roles: ['researcher'], timezone: 'Europe/London' },
];

/** Further participants and governors that fill cohorts and panels. */
export const demoExtraPeople: { email: string; name: string; roles: Role[]; timezone: string }[] = [
  ['Hannah Clarke', 'Europe/London'],
  ['Siobhan Murphy', 'Europe/Dublin'],
  ['Aisha Rahman', 'Europe/London'],
  ['Chloe Martin', 'Europe/Paris'],
  ['Nadia Haddad', 'Asia/Dubai'],
  ['Emily Watson', 'Europe/London'],
  ['Zara Ahmed', 'Europe/London'],
  ['Olivia Brown', 'America/New_York'],
  ['Mei Lin', 'Asia/Singapore'],
  ['Rachel Green', 'Europe/London'],
  ['Isabel Costa', 'Europe/Lisbon'],
  ['Joy Mensah', 'Africa/Accra'],
  // Her certificate shows the PDF font printing letters beyond Western European ones (server/pdf.ts).
  ['Nguyễn Thu Hà', 'Asia/Ho_Chi_Minh'],
]
  .map(([name, timezone], i) => ({
    email: `participant${i + 2}@pathways.test`,
    name: name!,
    roles: ['participant'] as Role[],
    timezone: timezone!,
  }))
  .concat(
    [
      ['Helen Price', 'Europe/London'],
      ['David Evans', 'Europe/London'],
      ['Ruth Adeyemi', 'Europe/London'],
      ['Tom Hughes', 'Europe/London'],
    ].map(([name, timezone], i) => ({
      email: `governor${i + 2}@pathways.test`,
      name: name!,
      roles: ['governor'] as Role[],
      timezone: timezone!,
    })),
  );

export async function seedPeople(): Promise<Map<string, string>> {
  const passwordHash = await hashPassword(demoPassword);
  const ids = new Map<string, string>();
  for (const person of [...demoAccounts, ...demoExtraPeople]) {
    const user = await UserModel.create({ ...person, passwordHash, status: 'active' });
    ids.set(person.email, user.id as string);
  }
  return ids;
}
