import { Types } from 'mongoose';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import type { Server } from 'node:http';
import type { Express } from 'express';
import supertest from 'supertest';
import { buildUser, tokenFor, type TestUser } from './factories.ts';

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

/** A mentor and a mentee matched through the API as users are (her request, his acceptance): both, and the mentorship's id. */
export async function matchedThroughApi(app: Express | Server) {
  const mentor = await buildMentor();
  const mentee = await buildMentee();
  const bearer = async (user: TestUser) => ({ Authorization: `Bearer ${await tokenFor(user)}` });
  const request = await supertest(app)
    .post('/api/v1/mentoring/requests')
    .set(await bearer(mentee))
    .send({ mentorId: mentor.id, message: 'Please.' })
    .expect(201);
  const accepted = await supertest(app)
    .post(`/api/v1/mentoring/requests/${request.body.id}/accept`)
    .set(await bearer(mentor))
    .expect(201);
  return { mentor, mentee, id: accepted.body.id as string };
}
