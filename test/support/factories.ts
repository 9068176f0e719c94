import { randomUUID } from 'node:crypto';
import { UserModel, type Role } from '../../models/User.ts';
import { hashPassword } from '../../server/services/passwords.ts';
import { createApiToken } from '../../server/services/apiTokens.ts';

/** The password of every factory user (hashed once per run: argon2id is deliberately slow). */
export const testPassword = 'correct-horse-battery-staple-42';
let passwordHash: Promise<string> | undefined;

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
  passwordHash ??= hashPassword(testPassword);
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
