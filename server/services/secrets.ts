import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { logger } from '../logger.ts';
import { settings } from '../settings.ts';

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

/**
 * Secrets the app must read back (two-step sign-in secrets, calendar feed tokens) are stored sealed when SECRETS_ENCRYPTION_KEY is set:
 * AES-256-GCM with a random nonce, bound to `context` (whose secret it is), so a copy of the database alone does
 * not give away anyone's second factor, and a sealed value moved to another record does not open. Values stored
 * before a key was set stay readable as they are (`openSecret`), and are sealed the next time they are written.
 */
const sealedPrefix = 'sealed1:';

export const isSealed = (stored: string): boolean => stored.startsWith(sealedPrefix);

export function sealSecret(plain: string, context: string): string {
  const key = settings.secretsEncryptionKey;
  if (!key) return plain;
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(context));
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return sealedPrefix + Buffer.concat([nonce, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** The secret in a stored value; throws when it is sealed and the configured key (if any) does not open it. */
export function openSecret(stored: string, context: string): string {
  if (!isSealed(stored)) return stored;
  const key = settings.secretsEncryptionKey;
  if (!key) throw new Error('A sealed secret was found but SECRETS_ENCRYPTION_KEY is not set.');
  const bytes = Buffer.from(stored.slice(sealedPrefix.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12)).setAAD(Buffer.from(context));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * The secret in a stored value, or null when it is sealed and the configured key (if any) does not open it: logged
 * for operators (a lost or changed SECRETS_ENCRYPTION_KEY), refused for the person, never a 500.
 */
export function openSecretOrNull(stored: string, context: string): string | null {
  try {
    return openSecret(stored, context);
  } catch (error) {
    logger.error({ err: error, context }, 'a stored secret could not be opened: check SECRETS_ENCRYPTION_KEY');
    return null;
  }
}
