/**
 * Bar charts of the impact dashboard, as plain geometry for the SVG in views/research/dashboard.ejs. A withheld
 * figure is drawn as no bar with the words "fewer than 5", never as zero. The same numbers are in the table beside.
 */
export type Bar = { label: string; value: number | null; text: string; y: number; width: number };
export type Chart = { id: string; title: string; description: string; bars: Bar[]; height: number; max: number };

const barHeight = 22;
const gap = 10;
const plotWidth = 300;

function chart(
  id: string,
  title: string,
  description: string,
  items: { label: string; value: number | null; text: string }[],
  max: number,
): Chart {
  return {
    id,
    title,
    description,
    max,
    height: items.length * (barHeight + gap) + gap,
    bars: items.map((item, i) => ({
      ...item,
      y: gap + i * (barHeight + gap),
      width: item.value === null || max <= 0 ? 0 : Math.max(1, Math.round((item.value / max) * plotWidth)),
    })),
  };
}

const withheld = 'fewer than 5';
type ImpactLike = {
  likert: { questionId: string; prompt: string; start: { mean: number | null }; end: { mean: number | null } }[];
  outcomes: Record<string, number | null>;
};

export function chartOf(impact: ImpactLike): Chart[] {
  // The moment leads the label: the chart shortens a long prompt, and "(start)" and "(end)" were cut off with it,
  // leaving two bars alike.
  const likertItems = impact.likert.flatMap((q) => [
    {
      label: `Start: ${q.prompt}`,
      value: q.start.mean,
      text: q.start.mean === null ? withheld : q.start.mean.toFixed(2),
    },
    { label: `End: ${q.prompt}`, value: q.end.mean, text: q.end.mean === null ? withheld : q.end.mean.toFixed(2) },
  ]);
  const outcomeItems = Object.entries(impact.outcomes).map(([kind, value]) => ({
    label: kind[0]!.toUpperCase() + kind.slice(1),
    value,
    text: value === null ? withheld : String(value),
  }));
  const maxOutcome = Math.max(1, ...outcomeItems.map((o) => o.value ?? 0));
  return [
    chart(
      'likert',
      'Mean answer at the start and end of the programme (1 to 5)',
      'Horizontal bars, one per question and moment; the same figures are in the table.',
      likertItems,
      5,
    ),
    chart(
      'outcomes',
      'Participants with each career step within 12 months of enrolment',
      'Horizontal bars, one per step; the same figures are in the table.',
      outcomeItems,
      maxOutcome,
    ),
  ];
}
