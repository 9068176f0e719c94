import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { panelTraining, panelTrainingIds } from '../learning/panelTraining.ts';
import { programmeEnrolmentsProgress } from '../learning/progress.ts';

/**
 * Readiness of an interview panel: is each member's unconscious-bias training (the programmes an admin marked as the
 * panels' training, learning/panelTraining.ts) held by the end of the round's first interview day and still valid when
 * its last one ends, in the board's zone (interviewDays)? `memberReadiness` is the pure rule; `loadReadiness`
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
  /**
   * Not valid, with no certificate held on the day: the latest one she gained after it, if any. It does not make her
   * ready for that day, but a record saying she holds none would be false.
   */
  certificateAfterDay?: CertificateFact;
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
 * A member's status for a round's interview days, in this order (the first that holds):
 * - valid: a certificate issued by the end of the first day that has not expired by the end of the last (no expiry
 *   counts as valid): she is trained before she interviews anyone, and stays so while she interviews;
 * - expires-before-interview: she holds a certificate, but it lapses before the last day ends. This comes before
 *   in-progress because what she must do is renew by a date, even if she has begun the modules again;
 * - in-progress: no certificate, but some module done in a panel-training enrolment (percent of the most advanced);
 * - not-started: none of these (enrolled with nothing completed is not started).
 */
export function memberReadiness(props: {
  /** The round's first interview day: her certificate must be issued by its end. */
  interviewDate: string;
  /** The round's last interview day (default: the first): her certificate must not lapse before it ends. */
  validThrough?: string;
  timezone: string;
  certificates: CertificateFact[];
  /** Progress (0–100) in each of her panel-training enrolments under way on the day (readinessFromFacts). */
  enrolmentPercents: number[];
  /** Decides the renewal date of a certificate that has already lapsed. */
  now?: Date;
}): MemberReadiness {
  const dayEnds = endOfInterviewDay(props.interviewDate, props.timezone).getTime();
  const lastDayEnds = endOfInterviewDay(props.validThrough ?? props.interviewDate, props.timezone).getTime();
  const held = heldBy(props.certificates, dayEnds);
  const valid = held
    .filter((c) => c.expiresAt === null || c.expiresAt.getTime() >= Math.max(dayEnds, lastDayEnds))
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
  const afterDay = props.certificates
    .filter((c) => c.issuedAt.getTime() >= dayEnds)
    .sort((a, b) => b.issuedAt.getTime() - a.issuedAt.getTime())[0];
  const later = afterDay ? { certificateAfterDay: afterDay } : {};
  if (percent > 0) return { status: 'in-progress', percent, ...later };
  return { status: 'not-started', percent, ...later };
}

/** The certificates she holds when an interview day ends (`dayEnds`): one issued later was not hers on the day. */
const heldBy = (certificates: CertificateFact[], dayEnds: number) =>
  certificates.filter((c) => c.issuedAt.getTime() < dayEnds);

/**
 * By when she must renew: before her certificate lapses, so that she is never untrained, and at the latest before the
 * (first) interview day begins in the board's zone: a round interviewing on several days needs her renewal held on
 * the first, even when her certificate lapses only between them (a renewal issued later on that day still counts for
 * readiness, but nobody should plan to finish training on the morning of an interview). Once it has lapsed, before
 * that day begins.
 */
export function renewalDeadline(props: { lapsesAt: Date; interviewDate: string; timezone: string; now: Date }): Date {
  const dayBegins = DateTime.fromISO(props.interviewDate, { zone: props.timezone }).startOf('day').toJSDate();
  if (props.lapsesAt.getTime() > props.now.getTime() && props.lapsesAt.getTime() < dayBegins.getTime())
    return props.lapsesAt;
  return dayBegins;
}

export type PanelFacts = {
  certificates: Map<string, CertificateFact[]>;
  /**
   * Her active or waitlisted panel-training enrolments, with her progress in each (0 while waitlisted). An enrolment
   * stays active once its training is done; which ones are done is decided for each interview day (readinessFromFacts),
   * as a certificate counts for a day only when issued by its end.
   */
  enrolments: Map<string, { cohortId: string; percent: number }[]>;
};

/**
 * Certificates and enrolments of the panels' training (the marked programmes only: a governor induction on the same
 * track is not bias training) with their progress, for many people at once: a fixed number of queries whatever the
 * panel size. The facts hold for any interview day, so one load serves rounds with different days (a board's rounds,
 * the dashboard).
 */
export async function loadPanelFacts(userIds: (string | Types.ObjectId)[]): Promise<PanelFacts> {
  const ids = [...new Set(userIds.map(String))].map((id) => new Types.ObjectId(id));
  const facts: PanelFacts = { certificates: new Map(), enrolments: new Map() };
  if (!ids.length) return facts;
  const programmeIds = panelTrainingIds(await panelTraining());
  if (!programmeIds.length) return facts;
  const [certificates, progress, enrolments] = await Promise.all([
    CertificateModel.find({ userId: { $in: ids }, track: 'governing-board', programmeId: { $in: programmeIds } })
      .select('userId cohortId issuedAt expiresAt verificationCode')
      .lean(),
    programmeEnrolmentsProgress({ userIds: ids, programmeIds }),
    EnrolmentModel.find({
      userId: { $in: ids },
      programmeId: { $in: programmeIds },
      status: { $in: ['active', 'waitlisted'] },
    })
      .select('userId cohortId')
      .lean(),
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
  for (const [userId, rows] of progress)
    facts.enrolments.set(
      userId,
      rows.map((r) => ({ cohortId: r.cohortId, percent: r.percent })),
    );
  // A waitlisted place has no progress yet, and is training under way all the same.
  for (const e of enrolments) {
    const list = facts.enrolments.get(String(e.userId)) ?? [];
    if (!list.some((known) => known.cohortId === String(e.cohortId)))
      list.push({ cohortId: String(e.cohortId), percent: 0 });
    facts.enrolments.set(String(e.userId), list);
  }
  return facts;
}

export type PanelMemberReadiness = MemberReadiness & {
  userId: string;
  /** In the panels' training, not done by the interview day (active or waitlisted): enrolling the untrained skips her. */
  enrolled: boolean;
};
export type PanelReadiness = {
  ready: boolean;
  interviewDate: string;
  timezone: string;
  daysLeft: number;
  members: PanelMemberReadiness[];
};

/** Readiness of a panel for a round's interview days (interviewDays); an empty panel is not ready. */
export async function loadReadiness(props: {
  panel: (string | Types.ObjectId)[];
  interviewDates: string[];
  timezone: string;
  now?: Date;
}): Promise<PanelReadiness> {
  const facts = await loadPanelFacts(props.panel);
  return readinessFromFacts({
    panel: props.panel.map(String),
    ...interviewDays(props.interviewDates),
    timezone: props.timezone,
    facts,
    now: props.now ?? new Date(),
  });
}

export function readinessFromFacts(props: {
  panel: string[];
  /** The first interview day (interviewDays): the deadline, and what `daysLeft` counts to. */
  interviewDate: string;
  /** The last interview day, through which a certificate must stay valid (default: the first). */
  validThrough?: string;
  timezone: string;
  facts: PanelFacts;
  now: Date;
}): PanelReadiness {
  const dayEnds = endOfInterviewDay(props.interviewDate, props.timezone).getTime();
  const members = props.panel.map((userId) => {
    const certificates = props.facts.certificates.get(userId) ?? [];
    // An enrolment whose certificate she holds on the day is training done: neither under way nor progress towards a
    // renewal (a renewal starts from nothing). One whose certificate came after the day was under way on the day.
    const done = new Set(heldBy(certificates, dayEnds).flatMap((c) => c.cohortId ?? []));
    const underWay = (props.facts.enrolments.get(userId) ?? []).filter((e) => !done.has(e.cohortId));
    return {
      userId,
      ...memberReadiness({
        interviewDate: props.interviewDate,
        validThrough: props.validThrough,
        timezone: props.timezone,
        certificates,
        enrolmentPercents: underWay.map((e) => e.percent),
        now: props.now,
      }),
      enrolled: underWay.length > 0,
    };
  });
  return {
    ready: members.length > 0 && members.every((m) => m.status === 'valid'),
    interviewDate: props.interviewDate,
    timezone: props.timezone,
    daysLeft: daysUntil(props.interviewDate, props.timezone, props.now),
    members,
  };
}

/**
 * The days a round's readiness is judged for. `interviewDate` is the FIRST interview day: a member must be trained
 * before she interviews anyone, so a round interviewing on 1 and 15 March needs her certificate by the end of 1 March
 * (one issued that day still counts, as for a round of one day), and its reminders count down to 1 March.
 * `validThrough` is the last day: she interviews until then, so a certificate lapsing on 10 March does not do.
 */
export function interviewDays(dates: string[]): { interviewDate: string; validThrough: string } {
  const sorted = [...dates].sort();
  const first = sorted[0];
  if (!first) throw new Error('a round has at least one interview date');
  return { interviewDate: first, validThrough: sorted[sorted.length - 1]! };
}

/** A round's first interview day: the training deadline (interviewDays). */
export function firstInterviewDate(dates: string[]): string {
  return interviewDays(dates).interviewDate;
}
