import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { namesOf } from './mentorships.ts';

/**
 * How mentees rated their closed mentorships, for the programme team (admins) only: whether matching worked. A
 * mentor never sees a rating, nor the feedback written for the programme team; neither is in any research export.
 *
 * A mentor's own figures are listed from `minRatingsPerMentor` ratings: a median of one or two ratings is those
 * mentees' view rather than a pattern, and at a glance it would put a single mentee's verdict beside her mentor's name.
 * An admin who needs one mentorship's rating opens that mentorship (admins read every mentorship).
 */
export const ratingValues = [1, 2, 3, 4, 5] as const;
export type RatingValue = (typeof ratingValues)[number];
export const minRatingsPerMentor = 3;
/** How many of the latest notes for the programme team the overview shows. */
export const feedbackShown = 20;

export type RatingCounts = Record<`${RatingValue}`, number>;
export type MentorshipRatings = {
  /** Closed mentorships that their mentee rated (of the overview's `closedMentorships`). */
  rated: number;
  median: number | null;
  distribution: RatingCounts;
  /** The ratings of the mentorships closed each month (the reader's zone), the chart's 12 months, oldest first. */
  byMonth: { month: string; label: string; rated: number; median: number | null }[];
  /** Mentors with at least `minRatingsPerMentor` ratings, the lowest median first (the ones to look into). */
  mentors: { mentorId: string; ratings: number; median: number }[];
  /** Mentors rated fewer times, not listed one by one. */
  mentorsWithFewerRatings: number;
};

const emptyCounts = (): RatingCounts => ({ 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 });

/** The median of ratings counted by value (the middle one, or halfway between the middle two); null when none. */
export function medianOfCounts(counts: RatingCounts): number | null {
  const total = ratingValues.reduce((sum, v) => sum + counts[v], 0);
  if (!total) return null;
  // The values at sorted positions ⌊(n−1)/2⌋ and ⌊n/2⌋ (0-based): one and the same when n is odd.
  const valueAt = (position: number) => {
    let seen = 0;
    for (const v of ratingValues) {
      seen += counts[v];
      if (position < seen) return v;
    }
    return ratingValues.at(-1)!;
  };
  return (valueAt(Math.floor((total - 1) / 2)) + valueAt(Math.floor(total / 2))) / 2;
}

/**
 * Read from the rated mentorships only (index `rating`; a rating is only ever written on a closed mentorship): one
 * aggregation counting each mentor's ratings by value (at most five rows a mentor), and the last 12 months' ratings
 * with the day each mentorship closed.
 */
export async function mentorshipRatings(props: {
  now: Date;
  zone: string;
  months?: number;
}): Promise<MentorshipRatings> {
  const months = props.months ?? 12;
  const end = DateTime.fromJSDate(props.now, { zone: props.zone }).startOf('month');
  const start = end.minus({ months: months - 1 });
  const rated = { rating: { $in: [...ratingValues] } };
  const [byMentor, recent] = await Promise.all([
    MentorshipModel.aggregate<{ _id: { mentorId: Types.ObjectId; rating: RatingValue }; n: number }>([
      { $match: rated },
      { $group: { _id: { mentorId: '$mentorId', rating: '$rating' }, n: { $sum: 1 } } },
    ]),
    MentorshipModel.find({ ...rated, closedAt: { $gte: start.toJSDate() } })
      .select('rating closedAt')
      .lean(),
  ]);

  const distribution = emptyCounts();
  const perMentor = new Map<string, RatingCounts>();
  for (const { _id, n } of byMentor) {
    distribution[_id.rating] += n;
    const counts = perMentor.get(String(_id.mentorId)) ?? emptyCounts();
    counts[_id.rating] += n;
    perMentor.set(String(_id.mentorId), counts);
  }
  const countOf = (counts: RatingCounts) => ratingValues.reduce((sum, v) => sum + counts[v], 0);
  const mentors = [...perMentor]
    .map(([mentorId, counts]) => ({ mentorId, ratings: countOf(counts), median: medianOfCounts(counts)! }))
    .filter((m) => m.ratings >= minRatingsPerMentor)
    .sort((a, b) => a.median - b.median || b.ratings - a.ratings || a.mentorId.localeCompare(b.mentorId));

  const monthly = Array.from({ length: months }, (_, i) => {
    const m = start.plus({ months: i });
    return { month: m.toFormat('yyyy-LL'), label: m.toFormat('LLL yyyy'), counts: emptyCounts() };
  });
  const slotOf = new Map(monthly.map((m) => [m.month, m]));
  for (const r of recent) {
    const month = DateTime.fromJSDate(r.closedAt!, { zone: props.zone }).toFormat('yyyy-LL');
    const slot = slotOf.get(month);
    if (slot) slot.counts[r.rating as RatingValue] += 1;
  }

  return {
    rated: countOf(distribution),
    median: medianOfCounts(distribution),
    distribution,
    byMonth: monthly.map((m) => ({
      month: m.month,
      label: m.label,
      rated: countOf(m.counts),
      median: medianOfCounts(m.counts),
    })),
    mentors,
    mentorsWithFewerRatings: perMentor.size - mentors.length,
  };
}

export type FeedbackNote = {
  mentorshipId: string;
  mentorName: string;
  menteeName: string;
  /** Who wrote it: the member who closed the mentorship. */
  from: 'mentee' | 'mentor';
  closedAt: Date;
  rating: number | null;
  feedback: string;
};

/**
 * The latest notes for the programme team (the close form's feedback, written by whoever closed it), newest first:
 * admins only. Read newest first from index `status, closedAt`, stopping at the limit.
 */
export async function latestFeedback(props: { limit?: number } = {}): Promise<FeedbackNote[]> {
  const rows = await MentorshipModel.find({ status: 'closed', feedback: { $gt: '' } })
    .sort({ closedAt: -1 })
    .limit(props.limit ?? feedbackShown)
    .select('mentorId menteeId closedBy closedAt rating feedback')
    .lean();
  const names = await namesOf(rows.flatMap((r) => [r.mentorId, r.menteeId]));
  return rows.map((r) => ({
    mentorshipId: String(r._id),
    mentorName: names.get(String(r.mentorId)) ?? 'Former member',
    menteeName: names.get(String(r.menteeId)) ?? 'Former member',
    from: String(r.closedBy) === String(r.mentorId) ? 'mentor' : 'mentee',
    closedAt: r.closedAt!,
    rating: r.rating ?? null,
    feedback: r.feedback!,
  }));
}
