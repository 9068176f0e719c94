import { renderEmail } from '../../emails.ts';
import { sendToAddress } from '../reminders/addressedEmails.ts';

/**
 * Every Pledge email leaves through this one function (templates views/emails/pledge-<template>.*.ejs). A signatory
 * has no account, so they wait in the outbox of emails to an address (sendToAddress): a temporary refusal is tried
 * again by the job, so a greylisting 451 does not leave her signature pending with no link to confirm it.
 *
 * A confirmation goes to an address nobody has proved, at the word of anyone who fills in the public form: it carries
 * nothing she typed, not even the name to greet (a name such as "Priya. URGENT: … https://…" made Pathways' own sender
 * mail any address her text and a link). A manage link goes only to the address of a confirmed signature, which its
 * owner proved by confirming: it greets her by the name she confirmed.
 */
export type PledgeEmail =
  | { template: 'pledge-confirm'; to: string; data: { link: string; isChange: boolean; kind: string } }
  | {
      template: 'pledge-manage';
      to: string;
      /** `signatureName` and `kind`: which signature the link manages (one address may have signed for several). */
      data: { name: string; link: string; signatureName: string; kind: string };
    };

const subjectOf = (email: PledgeEmail): string =>
  email.template === 'pledge-confirm'
    ? 'Confirm your signature of the Leading Women to Headship Pledge'
    : email.data.kind === 'organisation'
      ? `Manage the Pledge signature of ${email.data.signatureName}`
      : 'Manage your own signature of the Leading Women to Headship Pledge';

/** Queues the email and tries it at once, waiting for the mail server a few seconds at most (sendToAddress). */
export async function sendPledgeEmail(email: PledgeEmail, opts: { now?: Date } = {}): Promise<void> {
  const subject = subjectOf(email);
  const body = await renderEmail(email.template, { subject, ...email.data, footer: 'pledge' });
  await sendToAddress({ purpose: email.template, to: email.to, subject, ...body }, opts);
}
