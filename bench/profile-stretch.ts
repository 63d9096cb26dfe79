/**
 * What the service's thread did while a task streamed, from a V8 .cpuprofile (bench/profile.ts):
 * each sample is put in one part by its stack (idle, GC, the sink, the source, the pipeline, the
 * database drivers, other), over the longest stretch in which the source's decoder ran (100 ms
 * bins, gaps under 0.5 s), its first and last 10% left out. Idle while a task streams means the
 * thread waited for a database; time in the sink means the target waited for the service, since
 * the sink builds a statement before sending it (docs/performance.md, "With 1 lane").
 */

/** A V8 .cpuprofile, as far as the bench reads it (profile.ts too). */
export interface CpuNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
export interface CpuProfile { nodes: CpuNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const PARTS: [string, RegExp][] = [
  ['sink', /src\/engine\/sinks\//],
  ['source', /src\/engine\/sources\//],
  ['pipeline', /src\/engine\/(pipeline|source-event-queue)\.ts/],
  ['database drivers', /node_modules\/(pg|pg-protocol|mysql2)\//],
];

export function streamingStretch(p: CpuProfile): { seconds: number; shares: [string, number][] } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOf = new Map<number, string>();
  const part = (id: number): string => {
    let known = partOf.get(id);
    if (known !== undefined) return known;
    const self = nodes.get(id)!.callFrame.functionName;
    known = self === '(idle)' ? 'idle' : self === '(garbage collector)' ? 'garbage collector' : 'other';
    if (known === 'other') {
      // The first part in PARTS with a frame anywhere on the stack names it: a driver called by the
      // sink counts as the sink, a decoder called from a driver's socket callback as the source.
      const urls: string[] = [];
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) urls.push(nodes.get(x)!.callFrame.url);
      known = PARTS.find(([, re]) => urls.some((u) => re.test(u)))?.[0] ?? 'other';
    }
    partOf.set(id, known);
    return known;
  };
  const at: number[] = [];
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) { t += p.timeDeltas[i]; at.push(t); }
  const bins = [...new Set(p.samples.flatMap((id, i) => (part(id) === 'sink' ? [Math.floor(at[i] / 100_000)] : [])))].sort((a, b) => a - b);
  if (bins.length === 0) return { seconds: 0, shares: [] };
  let best = [bins[0], bins[0]];
  let from = bins[0];
  for (let i = 1; i <= bins.length; i++) {
    if (i === bins.length || bins[i] - bins[i - 1] > 5) {
      if (bins[i - 1] - from > best[1] - best[0]) best = [from, bins[i - 1]];
      if (i < bins.length) from = bins[i];
    }
  }
  const [a, b] = [best[0] * 100_000, (best[1] + 1) * 100_000];
  const [w0, w1] = [a + (b - a) * 0.1, b - (b - a) * 0.1];
  const sums = new Map<string, number>();
  let total = 0;
  for (let i = 0; i + 1 < at.length; i++) {
    if (at[i] < w0 || at[i] > w1) continue;
    const dt = at[i + 1] - at[i];
    total += dt;
    const k = part(p.samples[i]);
    sums.set(k, (sums.get(k) ?? 0) + dt);
  }
  return { seconds: (b - a) / 1e6, shares: [...sums].map(([k, v]) => [k, v / total] as [string, number]).sort((x, y) => y[1] - x[1]) };
}
