import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { LtiToolKeysModel } from '../../../models/LtiToolKeys.ts';
import { isDuplicateKeyError } from '../../db.ts';

/** A retired key stays published this long, so platforms that cached our JWKS still verify what it signed. */
export const retiredKeyGraceMs = 7 * 24 * 60 * 60 * 1000;
const keysId = 'tool';

type StoredKey = { kid: string; privateJwk: JWK; publicJwk: JWK; createdAt: Date; retiredAt?: Date | null };

async function newKey(): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256' }, publicJwk, createdAt: new Date() };
}

/**
 * The tool's keys, created on first use. Read by `_id` on every use (no copy in this process): a rotation by one
 * process is what every process signs with next. Two processes creating at once: the upsert on `_id` lets one win,
 * and the loser reads the winner's key.
 */
async function loadKeys(): Promise<{ currentKid: string; keys: StoredKey[] }> {
  const found = await LtiToolKeysModel.findById(keysId).lean();
  if (found) return found as unknown as { currentKid: string; keys: StoredKey[] };
  const key = await newKey();
  try {
    await LtiToolKeysModel.updateOne(
      { _id: keysId },
      { $setOnInsert: { currentKid: key.kid, keys: [key] } },
      { upsert: true },
    );
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  return (await LtiToolKeysModel.findById(keysId).lean()) as unknown as { currentKid: string; keys: StoredKey[] };
}

/** The key the tool signs with now: its `kid` and the private key. */
export async function signingKey(): Promise<{ kid: string; key: CryptoKey | Uint8Array }> {
  const { currentKid, keys } = await loadKeys();
  const current = keys.find((k) => k.kid === currentKid)!;
  return { kid: current.kid, key: await importJWK(current.privateJwk, 'RS256') };
}

/** The public JWKS served at /lti/jwks: the current key and keys retired within the grace period. */
export async function toolJwks(now = new Date()): Promise<{ keys: JWK[] }> {
  const { keys } = await loadKeys();
  return {
    keys: keys
      .filter((k) => !k.retiredAt || now.getTime() - new Date(k.retiredAt).getTime() < retiredKeyGraceMs)
      .map((k) => k.publicJwk),
  };
}

/**
 * Rotates the signing key: a new key becomes current, the old one is retired (still published for the grace
 * period), keys retired longer ago are dropped. One conditional update on the current key: of two rotations at once
 * (an admin's double click, two admins) one applies. The other does not try again: what she asked for, retiring the
 * key that was current when she asked, has just been done, and a second new key would only retire the first one
 * before any platform fetched it. She is told the key in use now and that her request changed nothing.
 */
export async function rotateToolKey(now = new Date()): Promise<{ kid: string; rotatedNow: boolean }> {
  const { currentKid, keys } = await loadKeys();
  const key = await newKey();
  const kept = keys
    .filter((k) => !k.retiredAt || now.getTime() - new Date(k.retiredAt).getTime() < retiredKeyGraceMs)
    .map((k) => (k.kid === currentKid ? { ...k, retiredAt: now } : k));
  const result = await LtiToolKeysModel.updateOne(
    { _id: keysId, currentKid },
    { $set: { currentKid: key.kid, keys: [...kept, key] } },
  );
  if (result.modifiedCount === 1) return { kid: key.kid, rotatedNow: true };
  return { kid: (await loadKeys()).currentKid, rotatedNow: false };
}
