import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { UserModel, type Role } from '../../models/User.ts';
import { createApiToken } from '../../server/services/apiTokens.ts';

/** The password of every factory user. */
export const testPassword = 'correct-horse-battery-staple-42';
let passwordHash: Promise<string> | undefined;

/**
 * The stored hash of the factory users' password: argon2id at the smallest cost the library allows. Sign-in verifies
 * a stored hash at the cost written in it, so at Pathways' own (64 MiB, t=3, p=4: about 150 ms and 220 ms of CPU a
 * check here) each of the suite's thousands of sign-ins cost as much, most of the suite's time. The code that checks
 * it is the product's own (verifyPassword); hashes Pathways stores are still made at its cost, in every test that sets
 * a password through it, and test/server/passwords.test.ts asserts that cost.
 */
function factoryPasswordHash(): Promise<string> {
  return argon2.hash(testPassword, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
}

export type TestUser = { id: string; email: string; name: string; roles: Role[]; timezone: string };

export async function buildUser(
  overrides: Partial<{
    email: string;
    name: string;
    roles: Role[];
    timezone: string;
    status: 'active' | 'invited' | 'disabled';
  }> = {},
): Promise<TestUser> {
  passwordHash ??= factoryPasswordHash();
  const unique = randomUUID().slice(0, 8);
  const user = await UserModel.create({
    email: overrides.email ?? `user-${unique}@example.org`,
    name: overrides.name ?? `Test User ${unique}`,
    roles: overrides.roles ?? ['participant'],
    timezone: overrides.timezone ?? 'Europe/London',
    status: overrides.status ?? 'active',
    passwordHash: await passwordHash,
  });
  return {
    id: user.id as string,
    email: user.email,
    name: user.name,
    roles: user.roles as Role[],
    timezone: user.timezone,
  };
}

/** A bearer token for the API. */
export async function tokenFor(user: TestUser): Promise<string> {
  return (await createApiToken({ userId: user.id })).token;
}
