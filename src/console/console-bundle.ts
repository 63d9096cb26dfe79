/**
 * Builds the web console (console/, README "Web console") into the few files the browser loads:
 * its TypeScript/JSX and CSS bundled and minified by esbuild in this process, the chart library
 * split into its own file (loaded only by the pages that draw charts). The build runs once, on
 * the first request for a console file, so the README's two commands stay the only set-up and
 * an API-only service never pays for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareAsset, type StaticAsset } from './static-asset.ts';

export const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'console');

/** Served file name (under /console/) -> content type; the whole set: nothing else is served. */
export const CONSOLE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'chart.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;
export type ConsoleFile = keyof typeof CONSOLE_FILES;

export async function buildConsole(): Promise<Map<ConsoleFile, StaticAsset>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: CONSOLE_DIR,
    entryPoints: { app: 'src/main.tsx', chart: 'src/chart/uplot-entry.ts' },
    outdir: 'out', // nothing is written (write: false); names the outputs
    write: false,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'eof', // the libraries' licence notices stay in the files
    charset: 'utf8',
    logLevel: 'silent',
  });
  const out = new Map<ConsoleFile, StaticAsset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path) as ConsoleFile;
    if (!(name in CONSOLE_FILES)) throw new Error(`the console build produced an unexpected file ${name}`);
    out.set(name, prepareAsset(Buffer.from(file.contents), CONSOLE_FILES[name]));
  }
  for (const name of ['index.html', 'favicon.svg'] as const) {
    out.set(name, prepareAsset(fs.readFileSync(path.join(CONSOLE_DIR, name)), CONSOLE_FILES[name]));
  }
  const missing = Object.keys(CONSOLE_FILES).filter((n) => !out.has(n as ConsoleFile));
  if (missing.length > 0) throw new Error(`the console build did not produce ${missing.join(', ')}`);
  return out;
}
