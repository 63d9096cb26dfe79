/** test/unit-lane.txt: the file names of the fast lane (comments and blank lines skipped). */
import fs from 'node:fs';

export const UNIT_LANE_FILE = new URL('./unit-lane.txt', import.meta.url);

export function readUnitLane(): string[] {
  return fs.readFileSync(UNIT_LANE_FILE, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
