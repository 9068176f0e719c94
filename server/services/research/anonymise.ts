/**
 * k-anonymity of the export on region × phase × cohort year × track (k = 2: no row is unique on that combination;
 * the cohort year counts because who was in which cohort is widely known). Rare categories are coarsened step by
 * step — the region becomes the country, then "other"; then the phase becomes "other"; then the cohort year; then
 * the track — and a row still unique after every step (possible only when it is alone in the whole export) is left
 * out. Pure, so it is tested on its own.
 */
export const kAnonymity = 2;

export type Quasi = { region: string; country: string; phase: string; track: string; cohortYear: string };

type Level = { region: 0 | 1 | 2; phase: 0 | 1; year: 0 | 1; track: 0 | 1 };
const shown = (row: Quasi, level: Level) => ({
  region:
    level.region === 0 ? row.region || row.country || 'other' : level.region === 1 ? row.country || 'other' : 'other',
  phase: level.phase === 0 ? row.phase || 'other' : 'other',
  cohortYear: level.year === 0 ? row.cohortYear || 'other' : 'other',
  track: level.track === 0 ? row.track : 'other',
});
type Shown = ReturnType<typeof shown>;
const keyOf = (q: Shown) => `${q.region}\u0000${q.phase}\u0000${q.cohortYear}\u0000${q.track}`;

const steps: ((l: Level) => Level | null)[] = [
  (l) => (l.region < 2 ? { ...l, region: (l.region + 1) as 1 | 2 } : null),
  (l) => (l.region === 2 && l.phase === 0 ? { ...l, phase: 1 } : null),
  (l) => (l.region === 2 && l.phase === 1 && l.year === 0 ? { ...l, year: 1 } : null),
  (l) => (l.region === 2 && l.phase === 1 && l.year === 1 && l.track === 0 ? { ...l, track: 1 } : null),
];

export function coarsen<T extends Quasi>(rows: readonly T[], k = kAnonymity): (T & Shown)[] {
  const levels: Level[] = rows.map(() => ({ region: 0, phase: 0, year: 0, track: 0 }));
  for (;;) {
    const groups = new Map<string, number>();
    const keys = rows.map((row, i) => keyOf(shown(row, levels[i]!)));
    for (const key of keys) groups.set(key, (groups.get(key) ?? 0) + 1);
    let changed = false;
    rows.forEach((_, i) => {
      if (groups.get(keys[i]!)! >= k) return;
      for (const step of steps) {
        const next = step(levels[i]!);
        if (next) {
          levels[i] = next;
          changed = true;
          return;
        }
      }
    });
    if (!changed) break;
  }
  const out = rows.map((row, i) => ({ ...row, ...shown(row, levels[i]!) }));
  const counts = new Map<string, number>();
  for (const r of out) counts.set(keyOf(r), (counts.get(keyOf(r)) ?? 0) + 1);
  return out.filter((r) => counts.get(keyOf(r))! >= k);
}
