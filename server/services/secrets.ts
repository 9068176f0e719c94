import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A URL-safe random secret for links and tokens (256 bits). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens are stored as SHA-256: they are long random strings, so a slow hash adds nothing. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether two secrets (or hashes) are the same, compared in constant time. */
export function sameSecret(presented: string, kept: string): boolean {
  const [a, b] = [Buffer.from(presented), Buffer.from(kept)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a presented secret hashes to the stored hash, compared in constant time. */
export function secretMatchesHash(secret: string, storedHash: string): boolean {
  return sameSecret(hashSecret(secret), storedHash);
}
