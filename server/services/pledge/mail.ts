import { renderEmail } from '../../emails.ts';
import { sendEmail } from '../../mailer.ts';

/**
 * Every Pledge email leaves through this one function (templates views/emails/pledge-<template>.*.ejs), so the
 * notifications pipeline can take them over in one place.
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

export async function sendPledgeEmail(email: PledgeEmail): Promise<void> {
  const subject = subjectOf(email);
  const body = await renderEmail(email.template, { subject, ...email.data, footer: 'pledge' });
  await sendEmail({ to: email.to, subject, ...body });
}
