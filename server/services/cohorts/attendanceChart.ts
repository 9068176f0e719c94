/**
 * Geometry of the attendance chart (an SVG drawn by views/cohorts/_chart.ejs): one stacked bar per session, its
 * height the share of participants in each status. Each status has a pattern and a text label as well as a
 * colour, so the chart reads without colour; a table beside it gives the same numbers.
 */
export const chartStatuses = [
  { key: 'present', label: 'Present', fill: '#1d5e2f', pattern: 'solid', ink: '#ffffff' },
  { key: 'late', label: 'Late', fill: '#2f6fa8', pattern: 'stripes', ink: '#ffffff' },
  { key: 'excused', label: 'Excused', fill: '#7a4e00', pattern: 'dots', ink: '#ffffff' },
  { key: 'absent', label: 'Absent', fill: '#a61b1b', pattern: 'cross', ink: '#ffffff' },
  { key: 'unmarked', label: 'Not marked', fill: '#ffffff', pattern: 'none', ink: '#222222' },
] as const;

/** A segment's letter and count are drawn only where it is tall enough for them. */
const labelMinHeight = 14;

/**
 * Where a segment's label ("L2") sits: on a chip of the status's plain colour, which its `ink` reads on at 4.5:1 or
 * more (WCAG 1.4.3). Drawn straight on a pattern, a letter crossed its white stripes, dots and lines at 1:1. The chip
 * covers the text (11 px bold: about 7 px a character, 8 px tall) with room around it, and the pattern shows beside it.
 */
function labelOn(segment: { x: number; y: number; width: number; height: number }, text: string) {
  const middle = segment.y + segment.height / 2;
  const chip = { width: text.length * 7 + 4, height: 13 };
  return {
    text,
    x: segment.x + segment.width / 2,
    baseline: middle + 4,
    chip: { ...chip, x: segment.x + (segment.width - chip.width) / 2, y: middle - chip.height / 2 },
  };
}

type SessionCounts = {
  title: string;
  startsAt: Date;
  present: number;
  late: number;
  excused: number;
  absent: number;
  unmarked: number;
};

export function attendanceChart(sessions: SessionCounts[]) {
  const plot = { left: 48, top: 16, height: 200, barWidth: 28, gap: 16 };
  const width = plot.left + Math.max(1, sessions.length) * (plot.barWidth + plot.gap) + 16;
  const bars = sessions.map((s, i) => {
    const total = s.present + s.late + s.excused + s.absent + s.unmarked;
    const x = plot.left + plot.gap / 2 + i * (plot.barWidth + plot.gap);
    let y = plot.top + plot.height;
    // A status no one has takes no height and is not drawn. Each segment is written out field by field: spreading the
    // status and the geometry into it was 2% of the attendance report's CPU under load.
    const segments = [];
    for (const { key, label, fill, pattern, ink } of chartStatuses) {
      const count = s[key];
      if (!count) continue;
      const height = (count / total) * plot.height;
      y -= height;
      const segment = { x, y, height, width: plot.barWidth };
      const tag = height >= labelMinHeight ? labelOn(segment, `${label[0]}${count}`) : undefined;
      segments.push({ key, label, fill, pattern, ink, x, y, height, width: plot.barWidth, count, tag });
    }
    const attended = total ? Math.round(((s.present + s.late) / total) * 100) : 0;
    return { label: `S${i + 1}`, title: s.title, x, segments, total, attended };
  });
  const ticks = [0, 25, 50, 75, 100].map((p) => ({
    label: `${p}%`,
    y: plot.top + plot.height - (p / 100) * plot.height,
  }));
  return { width, height: plot.top + plot.height + 40, plot, bars, ticks };
}
