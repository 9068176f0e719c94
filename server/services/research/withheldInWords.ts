import { surveyMomentLabels } from '../../../models/Survey.ts';

/**
 * A withheld figure's key (`byTrack.new-head.attendanceRate`, `likert.confidence.start.mean`), as the impact
 * dashboard lists it to a researcher: in words (`New heads: attendance rate`), not in the keys of the API's
 * `suppressed`, which stay as they are for clients.
 */
const metricWords: Record<string, string> = {
  participants: 'participants',
  completionRate: 'completion rate',
  attendanceRate: 'attendance rate',
  'panels.trainedShare': 'interview panel members trained in time',
};

export function withheldInWords(
  key: string,
  names: {
    trackNames: Record<string, string>;
    programmeTitles: Record<string, string>;
    questionPrompts: Record<string, string>;
  },
): string {
  const parts = key.split('.');
  let scope = 'Everyone';
  let rest = parts;
  if ((parts[0] === 'byTrack' || parts[0] === 'byProgramme') && parts.length > 2) {
    const id = parts[1]!;
    scope = parts[0] === 'byTrack' ? (names.trackNames[id] ?? id) : (names.programmeTitles[id] ?? 'A programme');
    rest = parts.slice(2);
  }
  const metric = rest.join('.');
  let words: string;
  if (metricWords[metric]) words = metricWords[metric]!;
  else if (rest[0] === 'outcomes' && rest[1]) words = `${rest[1]} within 12 months`;
  else if (rest[0] === 'likert' && rest.length >= 4) {
    const prompt = names.questionPrompts[rest[1]!] ?? rest[1]!;
    const label = (surveyMomentLabels as Record<string, string>)[rest[2]!];
    const moment = label ? label[0]!.toLowerCase() + label.slice(1) : rest[2]!;
    words = `“${prompt}” ${moment}, ${rest[3] === 'n' ? 'how many answered' : 'mean answer'}`;
  } else words = metric;
  return `${scope}: ${words}`;
}
