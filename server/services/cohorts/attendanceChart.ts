/**
 * Geometry of the attendance chart (an SVG drawn by views/cohorts/_chart.ejs): one stacked bar per session, its
 * height the share of participants in each status. Each status has a pattern and a text label as well as a
 * colour, so the chart reads without colour; a table beside it gives the same numbers.
 */
export const chartStatuses = [
  { key: 'present', label: 'Present', fill: '#1d5e2f', pattern: 'solid' },
  { key: 'late', label: 'Late', fill: '#2f6fa8', pattern: 'stripes' },
  { key: 'excused', label: 'Excused', fill: '#7a4e00', pattern: 'dots' },
  { key: 'absent', label: 'Absent', fill: '#a61b1b', pattern: 'cross' },
  { key: 'unmarked', label: 'Not marked', fill: '#ffffff', pattern: 'none' },
] as const;

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
    const segments = chartStatuses
      .map((status) => {
        const count = s[status.key];
        const height = total ? (count / total) * plot.height : 0;
        y -= height;
        return { ...status, count, x, y, height, width: plot.barWidth };
      })
      .filter((seg) => seg.count > 0);
    const attended = total ? Math.round(((s.present + s.late) / total) * 100) : 0;
    return { label: `S${i + 1}`, title: s.title, x, segments, total, attended };
  });
  const ticks = [0, 25, 50, 75, 100].map((p) => ({
    label: `${p}%`,
    y: plot.top + plot.height - (p / 100) * plot.height,
  }));
  return { width, height: plot.top + plot.height + 40, plot, bars, ticks };
}
