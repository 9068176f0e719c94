import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { FieldError } from '../errors.ts';
import { spendAllowance, uncountHit } from './rateLimits.ts';

export const minimumPasswordLength = 12;

// ~49k most common leaked passwords, lower-cased once at start-up for a constant-time lookup.
const commonPasswords = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** Returns why a proposed password is unacceptable, or undefined when it is fine. */
export function passwordProblem(password: string, context: { email?: string; name?: string } = {}): string | undefined {
  if (password.length < minimumPasswordLength) return `Use at least ${minimumPasswordLength} characters.`;
  if (password.length > 256) return 'Use at most 256 characters.';
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower)) return 'This password is too common; choose one that is hard to guess.';
  if (/^(.)\1+$/.test(password)) return 'A password made of one repeated character is too easy to guess.';
  const localPart = context.email?.split('@')[0]?.toLowerCase();
  if (localPart && localPart.length >= 4 && lower.includes(localPart))
    // Said as the rule is: "siti" in "Guru besar Siti 2027" is her name, not her address, and she was told it was.
    return `Do not use the part of your email address before the @ (“${localPart}”) in your password.`;
  return undefined;
}

export function passwordFieldErrors(
  password: string,
  context: { email?: string } = {},
  path = 'password',
): FieldError[] {
  const problem = passwordProblem(password, context);
  return problem ? [{ path, message: problem }] : [];
}

/** argon2id with the library's defaults (64 MiB, t=3, p=4): OWASP's recommended floor or above. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string | undefined | null, password: string): Promise<boolean> {
  if (!hash) {
    // Hash anyway so a missing account takes as long as a wrong password (no timing enumeration).
    await argon2.hash(password, { type: argon2.argon2id });
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** Wrong current passwords one account may give within a window before further checks are refused. */
export const currentPasswordAttempts = { limit: 10, windowMs: 15 * 60 * 1000 };

/**
 * Checks the password a signed-in person gives to change her password or email or to erase her account. Sign-in has
 * its own limits; these checks need one too, or anyone holding her session (a shared computer, a stolen cookie or API
 * token) could try passwords without end. Wrong answers are counted per account in the database (every process sees
 * the same count); after 10 in 15 minutes even the right one is refused until the window ends. Each check takes its
 * place in the count before the password is compared, and the right one gives it back: guesses sent all at once (to
 * several processes) would otherwise each read a count under the limit, and all be checked. An empty password is
 * refused uncounted.
 */
export async function isCurrentPassword(props: { userId: string; hash: string | undefined | null; password: string }) {
  // Nothing typed is no guess (no password is empty): it must not spend one of her tries. Forms ask for it first.
  if (props.password === '') return false;
  const window = { key: `current-password:${props.userId}`, ...currentPasswordAttempts };
  await spendAllowance({ ...window, refusal: tooManyAttempts });
  if (!(await verifyPassword(props.hash, props.password))) return false;
  await uncountHit(window);
  return true;
}

const tooManyAttempts =
  'Too many wrong passwords. Wait a few minutes and try again, or reset your password from the sign-in page.';
