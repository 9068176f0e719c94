import { UserModel } from '../../models/User.ts';
import { recordAuditEvent } from '../services/audit/events.ts';
import { hashPassword } from '../services/passwords.ts';
import type { DemoContext } from './index.ts';
import { demoPassword } from './people.ts';

/** A person an admin disabled (she cannot sign in) and one invited who has not chosen a password yet. */
export const demoDisabledPerson = { email: 'disabled@pathways.test', name: 'Bronwen Hale', timezone: 'Europe/London' };
export const demoInvitedPerson = { email: 'invited@pathways.test', name: 'Keira Walsh', timezone: 'Europe/Dublin' };

export async function seedAccountStatuses(ctx: DemoContext): Promise<void> {
  const admin = { id: ctx.people.get('admin@pathways.test')!, name: 'Amara Okafor' };
  const disabled = await UserModel.create({
    ...demoDisabledPerson,
    roles: ['participant'],
    status: 'disabled',
    passwordHash: await hashPassword(demoPassword),
  });
  const invited = await UserModel.create({ ...demoInvitedPerson, roles: ['participant'], status: 'invited' });
  await recordAuditEvent({
    action: 'user-disabled',
    actor: admin,
    target: { type: 'user', id: disabled._id },
    detail: 'status: active → disabled',
  });
  await recordAuditEvent({
    action: 'user-created',
    actor: admin,
    target: { type: 'user', id: invited._id },
    detail: 'invited as participant',
  });
}
