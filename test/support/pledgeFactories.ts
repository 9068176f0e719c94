import supertest from 'supertest';
import type { Express } from 'express';
import { Types } from 'mongoose';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeCommitmentOptionModel } from '../../models/PledgeCommitmentOption.ts';
import { PledgeSignatureModel, type OrganisationType } from '../../models/PledgeSignature.ts';
import { listChanged } from '../../server/services/pledge/listCache.ts';
import { normaliseName, signKeyOf } from '../../server/services/pledge/normalise.ts';

let counter = 0;
/** A distinct client address per call, so tests do not share the per-IP rate limit (the app trusts loopback proxies). */
export const freshIp = (): string => `10.7.${Math.floor(++counter / 250)}.${counter % 250}`;

export function organisationBody(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    kind: 'organisation',
    name: `Test School ${counter}`,
    email: `contact${counter}@school.example`,
    organisationType: 'school',
    contactName: 'Jo Contact',
    region: 'North West England',
    country: 'GB',
    ...overrides,
  };
}

/** Signs through the public API (202) and returns the confirmation path read from the outbox. */
export async function signViaApi(app: Express, body: Record<string, unknown>): Promise<string> {
  await supertest(app).post('/api/v1/pledge/signatures').set('X-Forwarded-For', freshIp()).send(body).expect(202);
  return latestLink(String(body.email), '/pledge/confirm/');
}

/** Opens a confirmation link and presses Confirm in `agent`'s browser session (which grants manage access); the page. */
export async function confirmViaLink(
  agent: ReturnType<typeof supertest.agent>,
  confirmPath: string,
): Promise<supertest.Response> {
  const page = await agent.get(confirmPath).expect(200);
  const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
  if (!match) throw new Error('no Confirm form on the confirmation page');
  return agent.post(confirmPath).type('form').send({ _csrf: match[1] }).expect(200);
}

export async function latestLink(email: string, prefix: string): Promise<string> {
  const message = await OutboxMessageModel.findOne({ to: email.toLowerCase() }).sort({ createdAt: -1, _id: -1 }).lean();
  if (!message) throw new Error(`no email to ${email}`);
  const match = new RegExp(`https?://[^/\\s]+(${prefix.replace(/\//g, '\\/')}[A-Za-z0-9_-]+)`).exec(message.text);
  if (!match) throw new Error(`no ${prefix} link in the email to ${email}`);
  return match[1]!;
}

export async function buildCommitmentOption(overrides: Partial<{ title: string; active: boolean }> = {}) {
  counter++;
  const o = await PledgeCommitmentOptionModel.create({
    title: overrides.title ?? `Commitment ${counter}`,
    position: counter,
    active: overrides.active ?? true,
  });
  return { id: String(o._id), title: o.title };
}

/** A signature written directly (for list and admin tests), confirmed unless told otherwise. */
export async function buildSignature(
  overrides: Partial<{
    kind: 'organisation' | 'individual';
    name: string;
    email: string;
    organisationType: OrganisationType;
    region: string;
    country: string;
    showName: boolean;
    status: 'pending' | 'confirmed';
    hidden: boolean;
    confirmedAt: Date;
  }> = {},
) {
  counter++;
  const kind = overrides.kind ?? 'organisation';
  const name = overrides.name ?? `Org ${counter}`;
  const email = overrides.email ?? `sig${counter}@example.org`;
  const showName = overrides.showName ?? false;
  const doc = await PledgeSignatureModel.create({
    _id: new Types.ObjectId(),
    kind,
    name,
    nameKey: normaliseName(name),
    email,
    signKey: signKeyOf({ email, kind, name }),
    organisationType: kind === 'organisation' ? (overrides.organisationType ?? 'school') : undefined,
    region: overrides.region ?? 'London',
    country: overrides.country ?? 'GB',
    showName,
    listed: kind === 'organisation' || showName,
    status: overrides.status ?? 'confirmed',
    confirmedAt: (overrides.status ?? 'confirmed') === 'confirmed' ? (overrides.confirmedAt ?? new Date()) : null,
    hidden: overrides.hidden ?? false,
  });
  // Written behind the services' back: tell every process's list cache, as the services do.
  await listChanged();
  return { id: String(doc._id), name, email };
}
