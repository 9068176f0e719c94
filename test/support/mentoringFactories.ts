import type { Window } from '../../server/services/mentoring/availability.ts';
import {
  saveMenteeProfile,
  saveMentorProfile,
  type MenteeProfileInput,
  type MentorProfileInput,
} from '../../server/services/mentoring/profiles.ts';
import { buildUser, type TestUser } from './factories.ts';

/** Every weekday 09:00–17:00: pairs in the same zone then share 40 hours a week in any week of the year. */
export const officeHours: Window[] = (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({
  day,
  from: '09:00',
  to: '17:00',
}));

/** A mentor (role `mentor`) with a saved profile; the profile overrides win. */
export async function buildMentor(
  profile: Partial<MentorProfileInput> = {},
  user: Parameters<typeof buildUser>[0] = {},
): Promise<TestUser> {
  const mentor = await buildUser({ roles: ['mentor'], ...user });
  await saveMentorProfile({
    userId: mentor.id,
    profile: {
      phase: 'secondary',
      yearsAsHead: 8,
      schoolName: `Mentor School ${mentor.id.slice(-6)}`,
      country: 'GB',
      region: 'Yorkshire',
      timezone: 'Europe/London',
      languages: ['English'],
      expertise: ['interviews', 'salary-negotiation'],
      capacity: 2,
      availability: officeHours,
      bio: '',
      ...profile,
    },
  });
  return mentor;
}

/** A participant with a saved mentee profile. */
export async function buildMentee(
  profile: Partial<MenteeProfileInput> = {},
  user: Parameters<typeof buildUser>[0] = {},
): Promise<TestUser> {
  const mentee = await buildUser({ roles: ['participant'], ...user });
  await saveMenteeProfile({
    userId: mentee.id,
    profile: {
      goals: ['interviews', 'salary-negotiation'],
      phase: 'secondary',
      schoolName: `Mentee School ${mentee.id.slice(-6)}`,
      country: 'GB',
      region: 'Yorkshire',
      timezone: 'Europe/London',
      languages: ['English'],
      availability: officeHours,
      preferences: { sameRegion: false, language: '' },
      ...profile,
    },
  });
  return mentee;
}
