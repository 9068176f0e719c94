/**
 * Where a record made by a keyed create is seen, for the page that tells her a form was already sent
 * (SubmissionReusedError): the page the form's success would have led to. One entry per model that server/submissions.ts
 * keys; a model without a page of its own (a public pool request) has none, and the page says so without a link.
 */
import { fieldLabel } from './forms.ts';

type Linker = (record: Record<string, unknown>) => string;
const id = (record: Record<string, unknown>, field = '_id') => String(record[field]);

const links: Record<string, Linker> = {
  CareerOutcome: () => '/mentoring/outcomes',
  MentorshipMeeting: (r) => `/mentorships/${id(r, 'mentorshipId')}`,
  NetworkPost: (r) => `/posts/${id(r)}`,
  NetworkReply: (r) => `/posts/${id(r, 'postId')}#replies-heading`,
  NetworkEvent: (r) => `/events/${id(r)}`,
  DirectoryMessage: (r) => `/directory/messages/${r.inReplyTo ? id(r, 'inReplyTo') : id(r)}`,
  PledgeProgressUpdate: (r) => `/pledge/signatures/${id(r, 'signatureId')}/manage`,
  CohortSession: (r) => `/sessions/${id(r)}`,
  RecruitmentRound: (r) => `/rounds/${id(r)}`,
  Board: (r) => `/boards/${id(r)}`,
  Programme: (r) => `/programmes/${id(r)}`,
  Network: (r) => `/networks/${id(r)}`,
  PledgeCommitmentOption: () => '/admin/pledge/commitments',
  // Her own training page lists what she recorded for herself; one recorded for a member shows on the board's page.
  ExternalCertificate: (r) => (id(r, 'recordedBy') === id(r, 'userId') ? '/training/safer-recruitment' : '/boards'),
};

export function linkToSubmitted(model: string, record: Record<string, unknown>): string | null {
  return links[model]?.(record) ?? null;
}

/** Record ids (a select of her mentorships, a ticked cohort): chosen, not typed, and meaningless to copy. */
const recordId = /^[0-9a-f]{24}$/i;

/**
 * What she typed in the form that was refused as already sent, to show read-only on that page so that her changes
 * are not lost with it (she copies them into the form opened again): each field's text, named in words. The form's
 * own fields (`_csrf`, `_submission`), the honeypot (`website`), empty fields and record ids are left out; a field
 * sent several times (ticked boxes) is one line each.
 */
export function typedInForm(body: unknown): { name: string; label: string; value: string }[] {
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body as Record<string, unknown>).flatMap(([name, raw]) => {
    if (name.startsWith('_') || name === 'website') return [];
    const values = (Array.isArray(raw) ? raw : [raw]).filter(
      (v): v is string => typeof v === 'string' && v.trim() !== '' && !recordId.test(v.trim()),
    );
    return values.length ? [{ name, label: fieldLabel(name), value: values.join('\n') }] : [];
  });
}
