/**
 * Where a record made by a keyed create is seen, for the page that tells her a form was already sent
 * (SubmissionReusedError): the page the form's success would have led to. One entry per model that server/submissions.ts
 * keys; a model without a page of its own (a public pool request) has none, and the page says so without a link.
 */
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
  Module: (r) => `/modules/${id(r)}`,
  Network: (r) => `/networks/${id(r)}`,
  Cohort: (r) => `/cohorts/${id(r)}`,
  // A researcher's surveys are listed on one page; a survey's own page is the one participants answer.
  Survey: () => '/surveys',
  PledgeCommitmentOption: () => '/admin/pledge/commitments',
  // Her own training page lists what she recorded for herself; one recorded for a member shows on the board's page.
  ExternalCertificate: (r) => (id(r, 'recordedBy') === id(r, 'userId') ? '/training/safer-recruitment' : '/boards'),
};

export function linkToSubmitted(model: string, record: Record<string, unknown>): string | null {
  return links[model]?.(record) ?? null;
}
