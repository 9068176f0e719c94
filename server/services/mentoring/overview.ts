import { DateTime } from 'luxon';
import { CareerOutcomeModel, outcomeKinds, type OutcomeKind } from '../../../models/CareerOutcome.ts';
import { MenteeProfileModel } from '../../../models/MenteeProfile.ts';
import { MentoringRequestModel } from '../../../models/MentoringRequest.ts';
import { MentorProfileModel } from '../../../models/MentorProfile.ts';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { UserModel } from '../../../models/User.ts';
import { mentorshipRatings, type MentorshipRatings } from './ratings.ts';
import { activeMentorNames } from './suggestions.ts';

/**
 * The programme at a glance (admins): who mentors, who waits, how fast women are matched, and what came of it.
 * Read from the source collections with a few counts and two small scans; nothing derived is kept. The ratings are
 * read from the rated mentorships alone (./ratings.ts).
 */
export type OutcomeCounts = Record<OutcomeKind, number>;
export type OutcomeChart = { months: { month: string; label: string; counts: OutcomeCounts }[]; max: number };
export type MentoringOverview = {
  mentors: number;
  mentorsWithFreePlaces: number;
  mentees: number;
  unmatchedMentees: number;
  pendingRequests: number;
  activeMentorships: number;
  closedMentorships: number;
  /** Days from the request to the accept, median over every mentorship; null before the first. */
  medianDaysToMatch: number | null;
  outcomes: OutcomeCounts;
  chart: OutcomeChart;
  /** How mentees rated the closed mentorships: whether matching worked. */
  ratings: MentorshipRatings;
};

const emptyCounts = (): OutcomeCounts => Object.fromEntries(outcomeKinds.map((k) => [k, 0])) as OutcomeCounts;

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Outcomes per month over the last `months` months (by the day she gave), oldest first, ending with the reader's
 * month: on New Year's morning in Auckland it is January there, and an outcome given for that day counts.
 */
export function outcomesByMonth(
  outcomes: { kind: string; on: string }[],
  now: Date,
  months = 12,
  zone = 'UTC',
): OutcomeChart {
  const end = DateTime.fromJSDate(now, { zone }).startOf('month');
  const list = Array.from({ length: months }, (_, i) => {
    const m = end.minus({ months: months - 1 - i });
    return { month: m.toFormat('yyyy-LL'), label: m.toFormat('LLL yyyy'), counts: emptyCounts() };
  });
  const byMonth = new Map(list.map((m) => [m.month, m]));
  for (const o of outcomes) {
    const slot = byMonth.get(o.on.slice(0, 7));
    if (slot && o.kind in slot.counts) slot.counts[o.kind as OutcomeKind] += 1;
  }
  const max = Math.max(0, ...list.map((m) => outcomeKinds.reduce((sum, k) => sum + m.counts[k], 0)));
  return { months: list, max };
}

export async function mentoringOverview(props: {
  now?: Date;
  /** The reader's zone: where her current month (the chart's last) is. */
  zone?: string;
}): Promise<MentoringOverview> {
  const now = props.now ?? new Date();
  const zone = props.zone ?? 'UTC';
  const [mentorProfiles, inactive, allMentees, pendingRequests, active, closedMentorships, started] = await Promise.all(
    [
      MentorProfileModel.find({}).select('userId freePlaces').lean(),
      // Few accounts are not active: read those, not every active one. A disabled or erased account is no mentor or
      // mentee of the programme now, and the assignment leaves her out: counted here, "without a mentor" would
      // promise the admin matches the assignment cannot make.
      UserModel.find({ status: { $ne: 'active' } })
        .select('_id')
        .lean(),
      MenteeProfileModel.find({}).select('userId').lean(),
      MentoringRequestModel.countDocuments({ status: 'pending' }),
      MentorshipModel.find({ status: 'active' }).select('menteeId').lean(),
      MentorshipModel.countDocuments({ status: 'closed' }),
      MentorshipModel.find({ status: { $in: ['active', 'closed'] } })
        .select('startedAt requestedAt')
        .lean(),
    ],
  );
  const gone = new Set(inactive.map((u) => String(u._id)));
  // A profile whose owner no longer has the mentor role (an admin took it away) is no mentor now either.
  const mayMentor = await activeMentorNames(mentorProfiles.map((p) => p.userId));
  const mentors = mentorProfiles.filter((p) => mayMentor.has(String(p.userId)));
  const menteeIds = allMentees.filter((p) => !gone.has(String(p.userId)));
  const matched = new Set(active.map((m) => String(m.menteeId)));
  const since = DateTime.fromJSDate(now, { zone }).startOf('month').minus({ months: 11 }).toISODate()!;
  const outcomes = emptyCounts();
  await Promise.all(
    outcomeKinds.map(async (kind) => {
      outcomes[kind] = await CareerOutcomeModel.countDocuments({ kind });
    }),
  );
  const [recent, ratings] = await Promise.all([
    CareerOutcomeModel.find({ kind: { $in: [...outcomeKinds] }, on: { $gte: since } })
      .select('kind on')
      .lean(),
    mentorshipRatings({ now, zone }),
  ]);
  const days = started.map((m) => (m.startedAt.getTime() - m.requestedAt.getTime()) / 86_400_000);
  const mid = median(days);
  return {
    mentors: mentors.length,
    mentorsWithFreePlaces: mentors.filter((p) => p.freePlaces > 0).length,
    mentees: menteeIds.length,
    unmatchedMentees: menteeIds.filter((m) => !matched.has(String(m.userId))).length,
    pendingRequests,
    activeMentorships: active.length,
    closedMentorships,
    medianDaysToMatch: mid === null ? null : Math.round(mid * 10) / 10,
    outcomes,
    chart: outcomesByMonth(recent, now, 12, zone),
    ratings,
  };
}
