/**
 * The disclosure rule of every research figure, as one pure function.
 *
 * Primary suppression: a figure drawn from fewer than `threshold` people (its `n`) is withheld (null).
 * Secondary suppression: a withheld figure must not be recoverable from the shown ones. `sums` declare cells that
 * add up (a total and its parts: participants overall = the sum over tracks); whenever exactly one member of such a
 * relation is withheld, it could be worked out by subtraction, so the smallest shown part (or, with no part left,
 * the total) is withheld as well. `links` declare figures drawn from the same people (a track's rates and outcomes
 * from its participants): when the source is withheld, so are they. `withheld` names figures withheld from the start
 * whatever their n (impact.ts: a date range's figure that all time withholds, or that differs from all time's by a
 * few people). Applied until nothing changes.
 */
export const suppressionThreshold = 5;

export type Cell = { value: number | null; n: number };
export type SuppressionInput = {
  cells: Record<string, Cell>;
  sums?: { total: string; parts: string[] }[];
  links?: { from: string; to: string[] }[];
  withheld?: Iterable<string>;
  threshold?: number;
};
export type SuppressionResult = { values: Record<string, number | null>; suppressed: string[] };

export function suppressFigures(input: SuppressionInput): SuppressionResult {
  const threshold = input.threshold ?? suppressionThreshold;
  const hidden = new Set<string>();
  const exists = (name: string) => name in input.cells;
  for (const [name, cell] of Object.entries(input.cells)) if (cell.n < threshold) hidden.add(name);
  for (const name of input.withheld ?? []) if (exists(name)) hidden.add(name);
  /** What the links take along with every figure withheld so far, until nothing more. */
  const followLinks = () => {
    for (let more = true; more;) {
      more = false;
      for (const link of input.links ?? []) {
        if (!hidden.has(link.from)) continue;
        for (const to of link.to)
          if (exists(to) && !hidden.has(to)) {
            hidden.add(to);
            more = true;
          }
      }
    }
  };
  let changed = true;
  while (changed) {
    changed = false;
    followLinks();
    // Each sum is judged after the links of every figure withheld before it: a part a link withholds anyway is not
    // joined by another withheld only because the sums came first (it would withhold more than the rule needs).
    for (const sum of input.sums ?? []) {
      followLinks();
      const members = [sum.total, ...sum.parts].filter(exists);
      const withheld = members.filter((m) => hidden.has(m));
      if (withheld.length !== 1) continue;
      const shownParts = sum.parts
        .filter((p) => exists(p) && !hidden.has(p))
        .sort((a, b) => input.cells[a]!.n - input.cells[b]!.n || a.localeCompare(b));
      const next = shownParts[0] ?? (exists(sum.total) && !hidden.has(sum.total) ? sum.total : undefined);
      if (next) {
        hidden.add(next);
        changed = true;
      }
    }
  }
  const values: Record<string, number | null> = {};
  for (const [name, cell] of Object.entries(input.cells)) values[name] = hidden.has(name) ? null : cell.value;
  return { values, suppressed: [...hidden].sort() };
}
