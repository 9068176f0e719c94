import { Types } from 'mongoose';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { buildUser, type TestUser } from './factories.ts';

/** Weekday evenings 18:00–21:00 in her own zone: shared by any two London profiles. */
export const eveningsAvailability = ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({
  day,
  from: '18:00',
  to: '21:00',
}));

/** A mentor (role and profile) with `capacity` places, all free unless `freePlaces` says otherwise. */
export async function buildMentor(
  overrides: Partial<{ capacity: number; freePlaces: number; schoolName: string; timezone: string; name: string }> = {},
): Promise<TestUser> {
  const timezone = overrides.timezone ?? 'Europe/London';
  const user = await buildUser({ roles: ['mentor'], timezone, ...(overrides.name ? { name: overrides.name } : {}) });
  const capacity = overrides.capacity ?? 2;
  await MentorProfileModel.create({
    userId: new Types.ObjectId(user.id),
    phase: 'primary',
    yearsAsHead: 8,
    schoolName: overrides.schoolName ?? `Mentor School ${user.id.slice(-6)}`,
    country: 'GB',
    region: 'London',
    timezone,
    languages: ['en'],
    expertise: ['interviews', 'salary-negotiation'],
    capacity,
    freePlaces: overrides.freePlaces ?? capacity,
    availability: eveningsAvailability,
    bio: 'Head of a primary school.',
  });
  return user;
}

/** A participant with a mentee profile. */
export async function buildMentee(
  overrides: Partial<{ schoolName: string; timezone: string; name: string }> = {},
): Promise<TestUser> {
  const timezone = overrides.timezone ?? 'Europe/London';
  const user = await buildUser({ timezone, ...(overrides.name ? { name: overrides.name } : {}) });
  await MenteeProfileModel.create({
    userId: new Types.ObjectId(user.id),
    goals: ['interviews'],
    phase: 'primary',
    schoolName: overrides.schoolName ?? `Mentee School ${user.id.slice(-6)}`,
    country: 'GB',
    region: 'London',
    timezone,
    languages: ['en'],
    availability: eveningsAvailability,
  });
  return user;
}
