/**
 * Merges results of sections run at different times into one:
 *   node --import tsx bench/merge-results.ts a.json b.json ... [--out latest.json]
 * (files in bench/results/). Later files win per section; each part's date, settings, sections
 * and load average are kept under `parts` / `load`. The targets are checked again on the merged
 * figures, the file is written (default latest.json) and the table printed, as run.ts does.
 */
import fs from 'node:fs';
import { renderTable, targetsOf, type BenchResult } from './report.ts';

const META = new Set(['date', 'machine', 'totalSeconds', 'load', 'settings', 'sections', 'targets', 'parts']);
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args.splice(outAt, 2)[1] : 'latest.json';
if (args.length === 0) throw new Error('usage: merge-results.ts a.json b.json ... [--out latest.json]');
const dir = new URL('./results/', import.meta.url);
const merged: BenchResult = { date: new Date().toISOString(), totalSeconds: 0, load: {}, parts: [] };
for (const file of args) {
  const r = JSON.parse(fs.readFileSync(new URL(file, dir), 'utf8')) as BenchResult;
  merged.machine = r.machine;
  merged.totalSeconds += r.totalSeconds;
  merged.load[file] = r.load?.run ?? r.load;
  merged.parts.push({ file, date: r.date, settings: r.settings, sections: r.sections ?? 'all', totalSeconds: r.totalSeconds });
  for (const [k, v] of Object.entries(r)) if (!META.has(k)) merged[k] = v;
}
merged.targets = targetsOf(merged);
fs.writeFileSync(new URL(out, dir), JSON.stringify(merged, null, 2) + '\n');
console.log(renderTable(merged).join('\n'));
