/**
 * The optimal assignment of mentees to mentors with capacities: as many mentees matched as the hard rules allow, and
 * among all such assignments the highest total score — a maximum-cardinality, maximum-weight bipartite b-matching,
 * solved as a min-cost max-flow by the primal-dual method: Dijkstra with potentials finds the shortest distances,
 * then a blocking flow sends mentees along every shortest path at once.
 *
 *   source →(1, 0)→ mentee →(1, 100 − score)→ mentor →(free places, 0)→ sink, over eligible pairs only.
 *
 * Every unit of flow crosses exactly one mentee→mentor arc, so a flow of k units costs 100·k − (its total score):
 * the maximum flow is the largest number of mentees that can be matched, and its minimum cost is the largest total
 * score among those (all costs ≥ 0, so the potentials start at 0).
 *
 * Why our own code, not a package (searched npm first): `munkres` / `munkres-js` solve the square assignment problem
 * on a dense cost matrix, so capacities would mean one column per free place (1,000 × ~900 cells for the benchmark)
 * at O(n³), forbidden pairs as large costs, and cardinality-first as a big-M trick; `min-cost-flow` (successive
 * shortest paths too) is little used (under 1,000 downloads a week) and leans on an unmaintained heap package. The
 * algorithm is short and is checked here against brute force on random small instances (test/mentoring/assignment).
 */

export type AssignmentProblem = {
  menteeCount: number;
  /** Free places of each mentor (≤ 0: none). */
  mentorPlaces: readonly number[];
  /** The eligible pairs only (a pair the hard rules exclude never appears), with score 0–100. */
  pairs: readonly { mentee: number; mentor: number; score: number }[];
};
export type AssignmentSolution = {
  pairs: { mentee: number; mentor: number; score: number }[];
  totalScore: number;
  /** Mentees left without a mentor, in index order. */
  unassigned: number[];
};

const maxScore = 100;

export function optimalAssignment(problem: AssignmentProblem): AssignmentSolution {
  const n = problem.menteeCount;
  const m = problem.mentorPlaces.length;
  const source = n + m;
  const sink = n + m + 1;
  const nodes = n + m + 2;
  const arcCount = 2 * (n + m + problem.pairs.length);
  const to = new Int32Array(arcCount);
  const cap = new Int32Array(arcCount);
  const cost = new Float64Array(arcCount);
  const next = new Int32Array(arcCount);
  const head = new Int32Array(nodes).fill(-1);
  let arcs = 0;
  const addArc = (u: number, v: number, capacity: number, c: number) => {
    to[arcs] = v;
    cap[arcs] = capacity;
    cost[arcs] = c;
    next[arcs] = head[u]!;
    head[u] = arcs++;
    to[arcs] = u;
    cap[arcs] = 0;
    cost[arcs] = -c;
    next[arcs] = head[v]!;
    head[v] = arcs++;
  };
  // Pair arcs first so that arc index / 2 is the pair's index.
  for (const p of problem.pairs) addArc(p.mentee, n + p.mentor, 1, maxScore - p.score);
  for (let i = 0; i < n; i++) addArc(source, i, 1, 0);
  problem.mentorPlaces.forEach((places, j) => {
    if (places > 0) addArc(n + j, sink, places, 0);
  });

  const potential = new Float64Array(nodes);
  const dist = new Float64Array(nodes);
  const viaArc = new Int32Array(nodes);
  const done = new Uint8Array(nodes);
  const heap = new MinHeap(arcCount + nodes);
  const level = new Int32Array(nodes);
  const queue = new Int32Array(nodes);
  const current = new Int32Array(nodes);
  for (;;) {
    dist.fill(Infinity);
    done.fill(0);
    dist[source] = 0;
    heap.clear();
    heap.push(0, source);
    while (heap.size > 0) {
      const u = heap.popNode();
      if (done[u]) continue;
      done[u] = 1;
      if (u === sink) break; // the rest cannot shorten the path to the sink
      for (let a = head[u]!; a !== -1; a = next[a]!) {
        if (cap[a]! <= 0) continue;
        const v = to[a]!;
        const d = dist[u]! + cost[a]! + potential[u]! - potential[v]!;
        if (d < dist[v]!) {
          dist[v] = d;
          viaArc[v] = a;
          heap.push(d, v);
        }
      }
    }
    if (!done[sink]) break;
    // Nodes not settled are at least as far as the sink: capping keeps every reduced cost ≥ 0 (as ACL's mcf does).
    const toSink = dist[sink]!;
    for (let v = 0; v < nodes; v++) potential[v] = potential[v]! + (done[v] ? dist[v]! : toSink);
    // Every path of zero reduced cost is now a shortest path: send flow along all of them at once (Dinic's blocking
    // flow on those arcs), so one Dijkstra serves many mentees instead of one.
    const admissible = (a: number, u: number) => cap[a]! > 0 && cost[a]! + potential[u]! - potential[to[a]!]! === 0;
    for (;;) {
      level.fill(-1);
      level[source] = 0;
      let qHead = 0;
      let qTail = 0;
      queue[qTail++] = source;
      while (qHead < qTail) {
        const u = queue[qHead++]!;
        for (let a = head[u]!; a !== -1; a = next[a]!) {
          const v = to[a]!;
          if (level[v]! < 0 && admissible(a, u)) {
            level[v] = level[u]! + 1;
            queue[qTail++] = v;
          }
        }
      }
      if (level[sink]! < 0) break;
      current.set(head);
      const push = (u: number): boolean => {
        if (u === sink) return true;
        for (; current[u] !== -1; current[u] = next[current[u]!]!) {
          const a = current[u]!;
          const v = to[a]!;
          if (level[v] === level[u]! + 1 && admissible(a, u) && push(v)) {
            cap[a] = cap[a]! - 1;
            cap[a ^ 1] = cap[a ^ 1]! + 1;
            return true;
          }
        }
        return false;
      };
      while (push(source));
    }
  }

  const pairs: AssignmentSolution['pairs'] = [];
  const matched = new Uint8Array(n);
  problem.pairs.forEach((p, index) => {
    if (cap[2 * index] === 0) {
      pairs.push({ ...p });
      matched[p.mentee] = 1;
    }
  });
  const unassigned: number[] = [];
  for (let i = 0; i < n; i++) if (!matched[i]) unassigned.push(i);
  return { pairs, totalScore: pairs.reduce((s, p) => s + p.score, 0), unassigned };
}

/** A binary heap of (key, node), lazy deletion by the caller. */
class MinHeap {
  private keys: Float64Array;
  private values: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(Math.max(1, capacity));
    this.values = new Int32Array(Math.max(1, capacity));
  }
  clear() {
    this.size = 0;
  }
  push(key: number, value: number) {
    if (this.size === this.keys.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent]! <= key) break;
      this.keys[i] = this.keys[parent]!;
      this.values[i] = this.values[parent]!;
      i = parent;
    }
    this.keys[i] = key;
    this.values[i] = value;
  }
  popNode(): number {
    const top = this.values[0]!;
    const lastKey = this.keys[--this.size]!;
    const lastValue = this.values[this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.keys[child + 1]! < this.keys[child]!) child++;
      if (this.keys[child]! >= lastKey) break;
      this.keys[i] = this.keys[child]!;
      this.values[i] = this.values[child]!;
      i = child;
    }
    this.keys[i] = lastKey;
    this.values[i] = lastValue;
    return top;
  }
  private grow() {
    const keys = new Float64Array(this.keys.length * 2);
    const values = new Int32Array(this.values.length * 2);
    keys.set(this.keys);
    values.set(this.values);
    this.keys = keys;
    this.values = values;
  }
}
