/**
 * `npm run test:unit`: runs the test files listed in test/unit-lane.txt (no database, Chromium or
 * service process; README "Tests") with the same runner options as `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readUnitLane } from '../test/unit-lane.ts';

const files = readUnitLane().map((name) => fileURLToPath(new URL(`../test/${name}`, import.meta.url)));
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
