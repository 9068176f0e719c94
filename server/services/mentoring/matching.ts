import { topicLabel } from '../../vocabulary.ts';
import { comparableText } from '../../visibleText.ts';
import {
  describeMinutes,
  describeSlots,
  intervalsInComingWeek,
  sharedIntervals,
  slotsInZone,
  totalMinutes,
  type Interval,
  type Window,
} from './availability.ts';

/**
 * Whether a mentor may mentor a mentee (the hard rules, never broken in suggestions, requests, accepts or the
 * assignment) and how well they fit (a score 0–100). Every place that scores a pair calls scorePair, so the number is
 * the same everywhere; the reasons are written from the very parts that add up to the score, so they cannot disagree.
 */

/** The weights of the score, in points out of 100. Admin pages show this object as it is. */
export const scoreWeights = {
  /** Her goals that the mentor has as expertise, in proportion to all her goals. */
  sharedTopics: 40,
  /** Time both are free in the coming seven days, in proportion, full at `fullSharedTimeMinutes`. */
  sharedTime: 20,
  /** The same school phase. */
  samePhase: 15,
  /** A language in common (or, when she asked for one, the mentor speaks it). */
  language: 15,
  /** The same country and region; the same country alone counts half, unless she asked for her own region. */
  region: 10,
} as const;
export type ScoreFactor = keyof typeof scoreWeights;

/** Hard rule: at least this many minutes of shared availability in the coming seven days. */
export const minimumSharedMinutes = 120;
/** Shared time earns its full weight from this many minutes a week (6 hours). */
export const fullSharedTimeMinutes = 360;

/** The weights in plain words, for the pages that show them to admins and mentees. */
export const scoreWeightRows: { factor: ScoreFactor; points: number; rule: string }[] = [
  {
    factor: 'sharedTopics',
    points: scoreWeights.sharedTopics,
    rule: 'her goals the mentor has as expertise, in proportion to all her goals',
  },
  {
    factor: 'sharedTime',
    points: scoreWeights.sharedTime,
    rule: `time both are free in the coming seven days, full from ${describeMinutes(fullSharedTimeMinutes)} a week`,
  },
  { factor: 'samePhase', points: scoreWeights.samePhase, rule: 'the same school phase' },
  {
    factor: 'language',
    points: scoreWeights.language,
    rule: 'a language in common, or the language she asked for',
  },
  {
    factor: 'region',
    points: scoreWeights.region,
    rule: 'the same country and region (the same country alone: half, unless she asked for her own region)',
  },
];

export const hardRules = {
  herself: 'She cannot mentor herself.',
  'no-free-place': 'This mentor has no free place at the moment.',
  'same-school': 'This mentor works at your own school.',
  'too-little-shared-time': `You share less than ${describeMinutes(minimumSharedMinutes)} of free time in the coming seven days.`,
} as const;
export type HardRule = keyof typeof hardRules;

export type MentorForMatching = {
  userId: string;
  freePlaces: number;
  schoolName: string;
  phase: string;
  country: string;
  region: string;
  timezone: string;
  languages: readonly string[];
  expertise: readonly string[];
  availability: readonly Window[];
};
export type MenteeForMatching = {
  userId: string;
  schoolName: string;
  phase: string;
  country: string;
  region: string;
  timezone: string;
  languages: readonly string[];
  goals: readonly string[];
  availability: readonly Window[];
  preferences?: { sameRegion?: boolean | null; language?: string | null } | null;
};

export type ScoredPart = { factor: ScoreFactor; points: number; reason?: string };
export type PairScore = {
  eligible: boolean;
  excludedBy: HardRule[];
  /** 0–100, the rounded sum of `parts`. */
  score: number;
  overlapMinutesPerWeek: number;
  sharedTopics: string[];
  /** In plain words, addressed to the mentee, from `parts`. */
  reasons: string[];
  parts: ScoredPart[];
};

// At module level: the assignment calls sameSchool 300,000 times, and a function declared inside it is created (and,
// under tsx, named with a defineProperty) on every call: about a third of the assignment's time. For the same reason
// each name's key is kept: computing it every time (NFKC and case folding) doubled the comparisons' time, reading it
// back takes a tenth of it. Bounded, as the names are whatever profiles hold.
const schoolKeys = new Map<string, string>();
const schoolKeyOf = (name: string): string => {
  let key = schoolKeys.get(name);
  if (key === undefined) {
    if (schoolKeys.size >= 10_000) schoolKeys.clear();
    key = comparableText(name);
    schoolKeys.set(name, key);
  }
  return key;
};
/**
 * School names compare as a reader sees them (comparableText): ignoring case, every space and invisible character,
 * and how an accent was typed ("St  Mary's " = "st mary's"; "École" typed on a Mac = "École" typed elsewhere).
 */
export const sameSchool = (a: string, b: string): boolean => {
  const key = schoolKeyOf(a);
  return key !== '' && key === schoolKeyOf(b);
};
const sameText = (a: string | null | undefined, b: string | null | undefined) =>
  !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Scores one pair at `now`. Intervals may be passed in when the caller scores one person against many (they are what
 * intervalsInComingWeek gives for the same `now`); `describe: false` skips writing the slot words, which costs zone
 * conversions and strings, when only the numbers are needed (the assignment scores 300,000 pairs): `reasons` is then
 * empty and the score the same.
 */
export function scorePair(props: {
  mentor: MentorForMatching;
  mentee: MenteeForMatching;
  now: Date;
  mentorIntervals?: readonly Interval[];
  menteeIntervals?: readonly Interval[];
  describe?: boolean;
}): PairScore {
  const { mentor, mentee, now, describe = true } = props;
  const mentorIntervals = props.mentorIntervals ?? intervalsInComingWeek({ ...mentor, now });
  const menteeIntervals = props.menteeIntervals ?? intervalsInComingWeek({ ...mentee, now });
  const shared = sharedIntervals(menteeIntervals, mentorIntervals);
  const overlap = totalMinutes(shared);

  const excludedBy: HardRule[] = [];
  if (mentor.userId === mentee.userId) excludedBy.push('herself');
  if (mentor.freePlaces <= 0) excludedBy.push('no-free-place');
  if (sameSchool(mentor.schoolName, mentee.schoolName)) excludedBy.push('same-school');
  if (overlap < minimumSharedMinutes) excludedBy.push('too-little-shared-time');

  const parts: ScoredPart[] = [];
  const expertise = new Set(mentor.expertise);
  const sharedTopics = mentee.goals.filter((g) => expertise.has(g));
  {
    const points = mentee.goals.length ? (scoreWeights.sharedTopics * sharedTopics.length) / mentee.goals.length : 0;
    parts.push({
      factor: 'sharedTopics',
      points,
      reason:
        describe && sharedTopics.length
          ? `you share ${sharedTopics.length} goal${sharedTopics.length === 1 ? '' : 's'}: ${sharedTopics.map(topicLabel).join(', ').toLowerCase()}`
          : undefined,
    });
  }
  {
    const points = (scoreWeights.sharedTime * Math.min(overlap, fullSharedTimeMinutes)) / fullSharedTimeMinutes;
    const when = describe && overlap > 0 ? `: ${describeSlots(slotsInZone(shared, mentee.timezone))} your time` : '';
    parts.push({
      factor: 'sharedTime',
      points,
      reason: describe && overlap > 0 ? `${describeMinutes(overlap)} a week when you are both free${when}` : undefined,
    });
  }
  {
    const same = mentor.phase === mentee.phase;
    parts.push({
      factor: 'samePhase',
      points: same ? scoreWeights.samePhase : 0,
      reason: describe && same ? `you both work in ${mentee.phase.replace(/-/g, ' ')} schools` : undefined,
    });
  }
  {
    const wanted = mentee.preferences?.language?.trim();
    if (wanted) {
      const speaks = mentor.languages.some((l) => sameText(l, wanted));
      parts.push({
        factor: 'language',
        points: speaks ? scoreWeights.language : 0,
        reason: !describe
          ? undefined
          : speaks
            ? `she speaks ${wanted}, as you asked`
            : `she does not speak ${wanted}, the language you asked for`,
      });
    } else {
      const common = mentee.languages.filter((l) => mentor.languages.some((m) => sameText(l, m)));
      parts.push({
        factor: 'language',
        points: common.length ? scoreWeights.language : 0,
        reason: describe && common.length ? `you both speak ${common.join(', ')}` : undefined,
      });
    }
  }
  {
    const sameCountry = sameText(mentor.country, mentee.country);
    const sameRegion = sameCountry && sameText(mentor.region, mentee.region);
    const asked = mentee.preferences?.sameRegion === true;
    const points = sameRegion ? scoreWeights.region : sameCountry && !asked ? scoreWeights.region / 2 : 0;
    parts.push({
      factor: 'region',
      points,
      reason: !describe
        ? undefined
        : sameRegion
          ? `she is in your region (${mentee.region})`
          : asked
            ? 'she is not in your region, which you asked for'
            : sameCountry
              ? 'she works in your country'
              : undefined,
    });
  }

  const score = Math.round(parts.reduce((sum, p) => sum + p.points, 0));
  return {
    eligible: excludedBy.length === 0,
    excludedBy,
    score,
    overlapMinutesPerWeek: overlap,
    sharedTopics,
    reasons: parts.filter((p) => p.reason).map((p) => p.reason!),
    parts,
  };
}

/**
 * What the pair has in common, in words addressed to the mentor ("1 goal (interviews)", "15 hours a week of free
 * time", …): the assignment's email tells her why the team paired them. Read from the parts that make the score, as
 * `reasons` are, so it never claims a goal or time they do not share; empty when they share nothing that scores.
 */
export function commonGroundForMentor(pair: PairScore): string[] {
  const pointsOf = (factor: ScoreFactor) => pair.parts.find((p) => p.factor === factor)?.points ?? 0;
  const topics = pair.sharedTopics;
  return [
    topics.length
      ? `${topics.length} goal${topics.length === 1 ? '' : 's'} (${topics.map(topicLabel).join(', ').toLowerCase()})`
      : '',
    pair.overlapMinutesPerWeek > 0 ? `${describeMinutes(pair.overlapMinutesPerWeek)} a week of free time` : '',
    pointsOf('samePhase') > 0 ? 'the phase of school you work in' : '',
    pointsOf('language') > 0 ? 'a language' : '',
    pointsOf('region') >= scoreWeights.region ? 'a region' : pointsOf('region') > 0 ? 'a country' : '',
  ].filter(Boolean);
}
