import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Format characters that come along when an address is copied from a web page or a mail program (direction marks
 * around it on right-to-left pages, zero-width spaces, soft hyphens, a byte-order mark): invisible, never part of an
 * address. The two joiners are left, as some scripts' domains need them (Persian), and UTS #46 judges them there.
 */
const invisibleMarks = /(?![\u200c\u200d])\p{Cf}/gu;

/**
 * The one place an email address is made comparable: every address Pathways receives (forms, the API, a CSV
 * import, an LMS's email claim, a Pledge signature, a pool request, an invitation, an email change, the CLI) and
 * every address it looks up goes through `canonicalEmail`, so one person has one stored address however she typed it.
 *
 * - Without invisible marks, trimmed, and the whole address in Unicode NFC.
 * - The local part (before the last @) lower-cased, as Pathways always has: "Ana@x.org" and "ana@x.org" are one
 *   account. (RFC 5321 lets a mail server tell them apart; in practice none does, and people type either.)
 * - The domain in one form whether typed in Unicode or in punycode: "CAFÉ.fr", "café.fr" and "xn--caf-dma.fr" are
 *   all stored "café.fr" (UTS #46 mapping, as browsers do: `domainToUnicode(domainToASCII(domain))`). Unicode, not
 *   punycode, because every ASCII domain is unchanged by it, people read their own address in it, and nodemailer
 *   puts the punycode form on the wire by itself. A root dot ("x.org.") names the same domain and is dropped.
 */
export function canonicalEmail(typed: string): string {
  const address = String(typed).replace(invisibleMarks, '').trim().normalize('NFC');
  const at = address.lastIndexOf('@');
  if (at < 0) return address.toLowerCase();
  const typedDomain = address.slice(at + 1);
  return `${address.slice(0, at).toLowerCase()}@${canonicalDomain(typedDomain) ?? typedDomain.toLowerCase()}`;
}

// Lower-cased after the mapping too: the few letters UTS #46 folds to upper case (Cherokee) would otherwise be
// lower-cased by the User schema on save, and the stored form would no longer be the one a look-up computes.
function canonicalDomain(typed: string): string | undefined {
  const ascii = domainToASCII(typed.endsWith('.') ? typed.slice(0, -1) : typed);
  return (ascii && domainToUnicode(ascii).toLowerCase()) || undefined;
}

/** The domain's ASCII (punycode) form, as mail servers and DNS see it. */
export const asciiDomainOf = (email: string): string => domainToASCII(email.slice(email.lastIndexOf('@') + 1));

// RFC 5322 dot-atom: the local parts every mail server takes without quoting. Letters beyond ASCII need SMTPUTF8,
// which many servers on the way (and the relay Pathways sends through) may not offer, so such an address could
// never receive her invitation or reset link.
const localPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The answer to what has no shape of an address at all (a form may say it in its own words). */
export const notAnEmailAddress = 'must be an email address, such as ana@example.org';

/**
 * Why an address (as `canonicalEmail` gave it) cannot receive mail, in words for the field; undefined when it can.
 * Accepts internationalised domains; refuses what no mail could reach (no domain, a bare host, an IP-looking
 * domain, a space, two @, a local part with letters beyond ASCII or dots at its ends).
 */
export function emailAddressProblem(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return notAnEmailAddress;
  if (email.length > 320) return 'must be at most 320 characters';
  const local = email.slice(0, at);
  if (local.length > 64) return 'must have at most 64 characters before the @';
  if (!localPart.test(local)) {
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7f]/.test(local))
      return "must have only letters a–z, digits and . _ - + ' before the @ (the domain after it may be in any script)";
    return 'must be an email address, such as ana@example.org (no spaces, no dot at either end of the part before the @)';
  }
  const ascii = asciiDomainOf(email);
  const labels = ascii.split('.');
  if (
    !ascii ||
    ascii.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => label.test(l)) ||
    /^\d+$/.test(labels.at(-1)!)
  )
    return 'must have a domain after the @, such as example.org';
  return undefined;
}

/** The canonical address, or the reason it cannot be one (for the field that was typed). */
export function checkedEmail(typed: string): { email: string } | { problem: string } {
  const email = canonicalEmail(typed);
  const problem = emailAddressProblem(email);
  return problem ? { problem } : { email };
}
