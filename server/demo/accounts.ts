import { recordAuditEvent } from '../services/audit/events.ts';
import { enableTwoStepWithSecret } from '../services/accounts/twoStep.ts';
import type { DemoContext } from './index.ts';

/**
 * One demo person signs in with two-step sign-in, with a published key (demo data never loads in production), so a
 * newcomer can add it to an authenticator app, or use one of the recovery codes below once each.
 */
export const demoTwoStep = {
  email: 'participant2@pathways.test',
  secret: 'OBQXI2DXMF4XGLLEMVWW6LJSON2GK4BB',
  recoveryCodes: Array.from({ length: 10 }, (_, i) => `demo-code-${String(i + 1).padStart(4, '0')}`),
};

const dayMs = 24 * 60 * 60 * 1000;

/** Two-step sign-in for one person, and a few days of audit trail for the admin to read at /admin/audit. */
export async function seedAccounts(ctx: DemoContext, now = new Date()): Promise<void> {
  const twoStepUser = ctx.people.get(demoTwoStep.email)!;
  await enableTwoStepWithSecret({
    userId: twoStepUser,
    secret: demoTwoStep.secret,
    recoveryCodes: demoTwoStep.recoveryCodes,
    now: new Date(now.getTime() - 6 * dayMs),
  });
  const admin = { id: ctx.people.get('admin@pathways.test')!, name: 'Amara Okafor' };
  const hannah = { id: twoStepUser, name: 'Hannah Clarke' };
  const ago = (days: number, hours = 0) => new Date(now.getTime() - days * dayMs - hours * 60 * 60 * 1000);
  const user = (id: string) => ({ type: 'user', id });
  const events: Parameters<typeof recordAuditEvent>[0][] = [
    { action: 'sign-in', actor: admin, target: user(admin.id), ip: '192.0.2.10', detail: 'password', at: ago(9, 3) },
    ...['participant3@pathways.test', 'participant4@pathways.test', 'governor2@pathways.test'].map((email, i) => ({
      action: 'user-created' as const,
      actor: admin,
      target: user(ctx.people.get(email)!),
      ip: '192.0.2.10',
      detail: `${email} (${email.startsWith('governor') ? 'governor' : 'participant'})`,
      at: ago(9, 2 - i * 0.2),
    })),
    {
      action: 'sign-in-failed',
      actor: null,
      target: user(admin.id),
      ip: '198.51.100.23',
      detail: 'web: wrong password',
      at: ago(7, 5),
    },
    {
      action: 'token-created',
      actor: admin,
      target: { type: 'api-token', id: 'demo' },
      ip: '192.0.2.10',
      detail: 'Reporting script',
      at: ago(6, 8),
    },
    {
      action: 'sign-in',
      actor: hannah,
      target: user(hannah.id),
      ip: '203.0.113.40',
      detail: 'password',
      at: ago(6, 1),
    },
    { action: 'mfa-enabled', actor: hannah, target: user(hannah.id), ip: '203.0.113.40', at: ago(6) },
    {
      action: 'sign-in',
      actor: hannah,
      target: user(hannah.id),
      ip: '203.0.113.40',
      detail: 'password and totp',
      at: ago(3, 4),
    },
    { action: 'password-changed', actor: admin, target: user(admin.id), ip: '192.0.2.10', at: ago(2, 6) },
    {
      action: 'session-ended',
      actor: admin,
      target: user(admin.id),
      ip: '192.0.2.10',
      detail: '1 session(s) ended: password changed',
      at: ago(2, 6),
    },
    { action: 'sign-in', actor: admin, target: user(admin.id), ip: '192.0.2.10', detail: 'password', at: ago(0, 2) },
  ];
  for (const event of events) await recordAuditEvent(event);
}
