import { renderEmail } from '../../emails.ts';
import { sendEmail } from '../../mailer.ts';

/**
 * Every Pledge email leaves through this one function (templates views/emails/pledge-<template>.*.ejs), so the
 * notifications pipeline can take them over in one place.
 */
export type PledgeEmail =
  | { template: 'pledge-confirm'; to: string; data: { name: string; link: string; isChange: boolean; kind: string } }
  | { template: 'pledge-manage'; to: string; data: { name: string; link: string } };

const subjects: Record<PledgeEmail['template'], string> = {
  'pledge-confirm': 'Confirm your signature of the Leading Women to Headship Pledge',
  'pledge-manage': 'Manage your Leading Women to Headship Pledge',
};

export async function sendPledgeEmail(email: PledgeEmail): Promise<void> {
  const subject = subjects[email.template];
  const body = await renderEmail(email.template, { subject, ...email.data, footer: 'pledge' });
  await sendEmail({ to: email.to, subject, ...body });
}
