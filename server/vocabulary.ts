/**
 * The shared vocabularies of API.md: one topic list for mentoring, the directory and the pool, one list of school
 * phases. Stored values are the slugs; the labels are what pages show.
 */
export const topicLabels = {
  'applying-for-headship': 'Applying for headship',
  interviews: 'Interviews',
  'salary-negotiation': 'Salary negotiation',
  'first-year-in-post': 'First year in post',
  'working-with-governors': 'Working with governors',
  'finance-and-budget': 'Finance and budget',
  'leading-change': 'Leading change',
  'wellbeing-and-isolation': 'Wellbeing and isolation',
  'flexible-working': 'Flexible working',
  'returning-after-a-break': 'Returning after a break',
  'equality-and-inclusion': 'Equality and inclusion',
  'executive-headship': 'Executive headship',
} as const;
export type Topic = keyof typeof topicLabels;
export const topics = Object.keys(topicLabels) as [Topic, ...Topic[]];
export const topicLabel = (topic: string): string => topicLabels[topic as Topic] ?? topic;

export const phaseLabels = {
  primary: 'Primary',
  secondary: 'Secondary',
  'all-through': 'All-through',
  special: 'Special',
  'further-education': 'Further education',
  other: 'Other',
} as const;
export type Phase = keyof typeof phaseLabels;
export const phases = Object.keys(phaseLabels) as [Phase, ...Phase[]];
export const phaseLabel = (phase: string): string => phaseLabels[phase as Phase] ?? phase;
