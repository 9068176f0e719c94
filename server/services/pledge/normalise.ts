import type { SignatureKind } from '../../../models/PledgeSignature.ts';
import { canonicalEmail } from '../../emailAddresses.ts';

/** Lower case, accents removed, punctuation dropped, spaces collapsed: "St. Mary's  C.E. School" → "st marys ce school". */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The identity of a signature: the same email signing for the same organisation is the same signature; an
 * individual has one signature per email whatever name she types.
 */
export function signKeyOf(props: { email: string; kind: SignatureKind; name: string }): string {
  return [canonicalEmail(props.email), props.kind, props.kind === 'organisation' ? normaliseName(props.name) : ''].join(
    '|',
  );
}
