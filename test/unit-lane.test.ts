/**
 * The fast lane (test/unit-lane.txt, `npm run test:unit`) holds exactly the test files that start
 * no server: a listed file that starts PostgreSQL, MariaDB, Chromium or an OpenDI process fails
 * here, and so does a new test file that starts none and is not listed (so the lane stays whole).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readUnitLane } from './unit-lane.ts';

/** How a test starts a server: the harness entry points (test/harness/) and child processes. */
const STARTS_A_SERVER = /\bstartPostgres\(|\bCATALOG_KINDS\b|\bfreshPgCatalogUrl\(|\bstartMariaDb\(|\bOpenDIService\b|\bstartCrossEngineEnv\(|\bstartProxiedCluster\(|\bConsoleBrowser\b|\b(spawn|spawnSync|execFile|execFileSync|fork)\(/;

const dir = new URL('./', import.meta.url);
const testFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort();
const startsAServer = (f: string) => STARTS_A_SERVER.test(fs.readFileSync(new URL(f, dir), 'utf8'));

test('every file of the fast lane exists, once, and starts no server', () => {
  const lane = readUnitLane();
  assert.deepEqual(lane.filter((f) => !testFiles.includes(f)), [], 'listed files that do not exist');
  assert.deepEqual(lane.filter((f, i) => lane.indexOf(f) !== i), [], 'listed twice');
  assert.deepEqual(lane.filter(startsAServer), [], 'these start a database, Chromium or a process: take them out of test/unit-lane.txt');
});

test('every test file that starts no server is in the fast lane', () => {
  const lane = new Set(readUnitLane());
  assert.deepEqual(testFiles.filter((f) => !lane.has(f) && !startsAServer(f)), [],
    'add these to test/unit-lane.txt (or, if they start a server through a helper, add the helper to STARTS_A_SERVER)');
});
