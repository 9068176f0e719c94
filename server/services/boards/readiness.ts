import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ProgrammeModel } from '../../../models/Programme.ts';
import { trackProgressForUsers } from '../learning/progress.ts';

/**
 * Readiness of an interview panel: is each member's unconscious-bias (governing-board) training still valid
 * when the interview day ends, in the board's zone? `memberReadiness` is the pure rule; `loadReadiness`
 * gathers what it needs for a whole panel in a fixed number of queries (never one per member).
 */
export const readinessStatuses = ['valid', 'expires-before-interview', 'in-progress', 'not-started'] as const;
export type ReadinessStatus = (typeof readinessStatuses)[number];

export type CertificateFact = {
  id?: string;
  verificationCode?: string;
  issuedAt: Date;
  expiresAt: Date | null;
  /** The cohort whose completion issued it: an enrolment there is training done, not training under way. */
  cohortId?: string;
};
export type MemberReadiness = {
  status: ReadinessStatus;
  percent: number;
  /** The certificate that decides: the valid one, else the latest-expiring one she holds. */
  certificate?: CertificateFact;
  certificateExpiresAt?: Date | null;
  /** expires-before-interview only: the instant by which she must renew. */
  renewBy?: Date;
};

/** The instant an interview day ends in a zone: midnight at the start of the next day there. */
export function endOfInterviewDay(interviewDate: string, zone: string): Date {
  const day = DateTime.fromISO(interviewDate, { zone });
  if (!day.isValid) throw new Error(`not a date: ${interviewDate}`);
  return day.plus({ days: 1 }).startOf('day').toJSDate();
}

/** Whole days from `now` (in the zone) to the interview day; 0 on the day, negative after it. */
export function daysUntil(interviewDate: string, zone: string, now: Date): number {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const day = DateTime.fromISO(interviewDate, { zone }).startOf('day');
  return Math.round(day.diff(today, 'days').days);
}

/**
 * A member's status for an interview day, in this order (the first that holds):
 * - valid: a certificate issued by the end of the day that has not expired by then (no expiry counts as valid);
 * - expires-before-interview: she holds a certificate, but it lapses before the day ends. This comes before
 *   in-progress because what she must do is renew by a date, even if she has begun the modules again;
 * - in-progress: no certificate, but some module done in a governing-board enrolment (percent of the most advanced);
 * - not-started: none of these (enrolled with nothing completed is not started).
 */
export function memberReadiness(props: {
  interviewDate: string;
  timezone: string;
  certificates: CertificateFact[];
  /** Progress (0–100) in each of her active governing-board enrolments. */
  enrolmentPercents: number[];
  /** Decides the renewal date of a certificate that has already lapsed. */
  now?: Date;
}): MemberReadiness {
  const dayEnds = endOfInterviewDay(props.interviewDate, props.timezone).getTime();
  const held = props.certificates.filter((c) => c.issuedAt.getTime() < dayEnds);
  const valid = held
    .filter((c) => c.expiresAt === null || c.expiresAt.getTime() >= dayEnds)
    .sort((a, b) => (b.expiresAt?.getTime() ?? Infinity) - (a.expiresAt?.getTime() ?? Infinity))[0];
  const percent = Math.max(0, ...props.enrolmentPercents.map((p) => Math.min(100, Math.max(0, Math.round(p)))));
  if (valid) return { status: 'valid', percent: 100, certificate: valid, certificateExpiresAt: valid.expiresAt };
  const latest = [...held].sort((a, b) => (b.expiresAt?.getTime() ?? 0) - (a.expiresAt?.getTime() ?? 0))[0];
  if (latest) {
    const renewBy = renewalDeadline({
      lapsesAt: latest.expiresAt!,
      interviewDate: props.interviewDate,
      timezone: props.timezone,
      now: props.now ?? new Date(),
    });
    return {
      status: 'expires-before-interview',
      percent,
      certificate: latest,
      certificateExpiresAt: latest.expiresAt,
      renewBy,
    };
  }
  if (percent > 0) return { status: 'in-progress', percent };
  return { status: 'not-started', percent };
}

/**
 * By when she must renew: before her certificate lapses, so that she is never untrained; once it has lapsed,
 * before the interview day begins in the board's zone (a renewal issued later on the day still counts for
 * readiness, but nobody should plan to finish training on the morning of an interview).
 */
export function renewalDeadline(props: { lapsesAt: Date; interviewDate: string; timezone: string; now: Date }): Date {
  if (props.lapsesAt.getTime() > props.now.getTime()) return props.lapsesAt;
  return DateTime.fromISO(props.interviewDate, { zone: props.timezone }).startOf('day').toJSDate();
}

export type PanelFacts = {
  certificates: Map<string, CertificateFact[]>;
  enrolmentPercents: Map<string, number[]>;
  /**
   * Users with an active or waitlisted governing-board enrolment that has not yet given her a certificate (so "enrol
   * who lacks training" skips them). An enrolment stays active once its training is done, so the cohort of a
   * certificate she already holds is training done: renewing it needs a place in another cohort.
   */
  enrolled: Set<string>;
};

/**
 * Certificates and governing-board progress for many people at once: a fixed number of queries whatever the
 * panel size. Percent comes from the learning area (her most advanced active governing-board enrolment, not counting
 * one whose certificate she already holds: a renewal starts from nothing).
 */
export async function loadPanelFacts(userIds: (string | Types.ObjectId)[]): Promise<PanelFacts> {
  const ids = [...new Set(userIds.map(String))].map((id) => new Types.ObjectId(id));
  const facts: PanelFacts = { certificates: new Map(), enrolmentPercents: new Map(), enrolled: new Set() };
  if (!ids.length) return facts;
  const [programmes, certificates] = await Promise.all([
    ProgrammeModel.find({ track: 'governing-board' }).select('_id').lean(),
    CertificateModel.find({ userId: { $in: ids }, track: 'governing-board' })
      .select('userId cohortId issuedAt expiresAt verificationCode')
      .lean(),
  ]);
  const programmeIds = programmes.map((p) => p._id);
  // The enrolments that gave her a certificate: training done, neither under way nor progress towards a renewal.
  const finished = new Set(certificates.map((c) => `${String(c.userId)}:${String(c.cohortId)}`));
  const [enrolments, progress] = await Promise.all([
    EnrolmentModel.find({
      userId: { $in: ids },
      programmeId: { $in: programmeIds },
      status: { $in: ['active', 'waitlisted'] },
    })
      .select('userId cohortId')
      .lean(),
    trackProgressForUsers({ userIds: ids, track: 'governing-board', finished }),
  ]);
  for (const c of certificates) {
    const list = facts.certificates.get(String(c.userId)) ?? [];
    list.push({
      id: String(c._id),
      verificationCode: c.verificationCode,
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt ?? null,
      cohortId: c.cohortId ? String(c.cohortId) : undefined,
    });
    facts.certificates.set(String(c.userId), list);
  }
  for (const e of enrolments)
    if (!finished.has(`${String(e.userId)}:${String(e.cohortId)}`)) facts.enrolled.add(String(e.userId));
  for (const [userId, row] of progress) facts.enrolmentPercents.set(userId, [row.percent]);
  return facts;
}

export type PanelMemberReadiness = MemberReadiness & { userId: string };
export type PanelReadiness = {
  ready: boolean;
  interviewDate: string;
  timezone: string;
  daysLeft: number;
  members: PanelMemberReadiness[];
};

/** Readiness of a panel for the LAST interview date; an empty panel is not ready. */
export async function loadReadiness(props: {
  panel: (string | Types.ObjectId)[];
  interviewDates: string[];
  timezone: string;
  now?: Date;
}): Promise<PanelReadiness> {
  const interviewDate = lastInterviewDate(props.interviewDates);
  const facts = await loadPanelFacts(props.panel);
  return readinessFromFacts({
    panel: props.panel.map(String),
    interviewDate,
    timezone: props.timezone,
    facts,
    now: props.now ?? new Date(),
  });
}

export function readinessFromFacts(props: {
  panel: string[];
  interviewDate: string;
  timezone: string;
  facts: PanelFacts;
  now: Date;
}): PanelReadiness {
  const members = props.panel.map((userId) => ({
    userId,
    ...memberReadiness({
      interviewDate: props.interviewDate,
      timezone: props.timezone,
      certificates: props.facts.certificates.get(userId) ?? [],
      enrolmentPercents: props.facts.enrolmentPercents.get(userId) ?? [],
      now: props.now,
    }),
  }));
  return {
    ready: members.length > 0 && members.every((m) => m.status === 'valid'),
    interviewDate: props.interviewDate,
    timezone: props.timezone,
    daysLeft: daysUntil(props.interviewDate, props.timezone, props.now),
    members,
  };
}

export function lastInterviewDate(dates: string[]): string {
  const sorted = [...dates].sort();
  const last = sorted[sorted.length - 1];
  if (!last) throw new Error('a round has at least one interview date');
  return last;
}
