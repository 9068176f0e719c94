import { outcomeKinds, type OutcomeKind } from '../../../models/CareerOutcome.ts';
import type { OutcomeChart } from './overview.ts';

/**
 * Geometry of the outcomes-over-time chart: one stacked bar a month, one colour a kind. Drawn as inline SVG with
 * role="img", a title and a description (views/mentorships/overview.ejs); the same numbers are in a table beside it,
 * so nobody needs to read colours. Colours keep at least 3:1 against white (WCAG 1.4.11).
 */
export const kindColours: Record<OutcomeKind, string> = {
  applied: '#1b4f72',
  interviewed: '#6c3483',
  appointed: '#0e6655',
  'salary-negotiated': '#9a5b00',
  promoted: '#922b21',
};

export type ChartGeometry = {
  width: number;
  height: number;
  plotTop: number;
  plotBottom: number;
  bars: {
    x: number;
    width: number;
    label: string;
    total: number;
    segments: { kind: OutcomeKind; y: number; height: number; colour: string; count: number }[];
  }[];
  ticks: { y: number; value: number }[];
  description: string;
};

export function outcomeChart(chart: OutcomeChart): ChartGeometry {
  const width = 720;
  const height = 300;
  const plotTop = 20;
  const plotBottom = 250;
  const left = 40;
  const slot = (width - left - 10) / Math.max(1, chart.months.length);
  const max = Math.max(1, chart.max);
  const scale = (plotBottom - plotTop) / max;
  const bars = chart.months.map((m, i) => {
    let y = plotBottom;
    const segments = outcomeKinds
      .filter((k) => m.counts[k] > 0)
      .map((kind) => {
        const h = m.counts[kind] * scale;
        y -= h;
        return { kind, y, height: h, colour: kindColours[kind], count: m.counts[kind] };
      });
    const total = outcomeKinds.reduce((sum, k) => sum + m.counts[k], 0);
    return { x: left + i * slot + slot * 0.15, width: slot * 0.7, label: m.label, total, segments };
  });
  const step = Math.max(1, Math.ceil(max / 4));
  const ticks = [];
  for (let v = 0; v <= max; v += step) ticks.push({ y: plotBottom - v * scale, value: v });
  const total = bars.reduce((sum, b) => sum + b.total, 0);
  const busiest = bars.reduce((best, b) => (b.total > best.total ? b : best), bars[0] ?? { total: 0, label: '' });
  const description = total
    ? `${total} outcomes recorded from ${chart.months[0]?.label} to ${chart.months.at(-1)?.label}; the most in ${busiest.label} (${busiest.total}). The table below gives every number.`
    : `No outcomes recorded from ${chart.months[0]?.label} to ${chart.months.at(-1)?.label}.`;
  return { width, height, plotTop, plotBottom, bars, ticks, description };
}
