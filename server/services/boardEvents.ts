import { onDomainEvent } from '../events.ts';
import { replanRoundsOf } from './roundReminders.ts';

/** A new governing-board certificate can make a panel member ready: her rounds' reminders are re-planned at once. */
onDomainEvent('certificate.issued', async ({ userId }) => {
  await replanRoundsOf({ userId: String(userId) });
});
