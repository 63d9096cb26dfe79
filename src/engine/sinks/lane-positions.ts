/**
 * Where each apply lane stands (laned-sink.ts, docs/target-checkpoint.md "Lanes"). Every lane
 * commits its own checkpoint row; a task resumes from the lowest of them, and while the replay is
 * still at or before a lane's own position, that lane discards what it already applied.
 *
 * Positions are checkpoint texts (checkpoint.ts): stream positions, ordered by the source
 * (`StreamOrder`), and initial-load positions `load:{stream, chunks, ...}`, which come after their
 * stream start and before every later stream position; two load positions of one copy are ordered
 * by the chunks committed. null (no position yet) is the lowest.
 */
import { decodeCheckpoint } from '../checkpoint.ts';

/** The source's order of its own positions (negative: a before b). */
export type StreamOrder = (a: string, b: string) => number;
export type PositionOrder = (a: string | null, b: string | null) => number;

export function checkpointOrder(stream: StreamOrder): PositionOrder {
  const key = (p: string | null) => {
    const d = decodeCheckpoint(p);
    return { stream: d.stream, rank: d.load ? 1 + (d.load.chunks ?? 0) : 0 };
  };
  return (a, b) => {
    if (a === b) return 0;
    const x = key(a), y = key(b);
    if (x.stream !== y.stream) {
      if (x.stream === null) return -1;
      if (y.stream === null) return 1;
      const c = stream(x.stream, y.stream);
      if (c !== 0) return c;
    }
    return x.rank - y.rank;
  };
}

/** The lowest of `positions` (null, no position yet, is the lowest): where a task with lanes resumes. */
export function lowestOf(order: PositionOrder, positions: readonly (string | null)[]): string | null {
  return positions.reduce((low, p) => (order(p, low) < 0 ? p : low), positions[0]);
}

/**
 * The lanes' committed positions and the catch-up rule after a restart: the task replays from
 * `lowest()`; a lane whose position is higher is `ahead` and discards every replayed source
 * transaction whose commit position is at or before its own; once the replay passes it, it
 * applies like the others. A lane's row never moves back (`commitPosition`).
 */
export class LanePositions {
  private readonly positions: (string | null)[];
  private readonly isAhead: boolean[];

  constructor(private readonly order: PositionOrder, positions: (string | null)[]) {
    this.positions = [...positions];
    const low = this.lowest();
    this.isAhead = this.positions.map((p) => order(p, low) > 0);
  }

  lowest(): string | null { return lowestOf(this.order, this.positions); }

  highest(): string | null {
    return this.positions.reduce((high, p) => (this.order(p, high) > 0 ? p : high), this.positions[0]);
  }

  ahead(lane: number): boolean { return this.isAhead[lane]; }

  catchingUp(): boolean { return this.isAhead.some(Boolean); }

  /** A replayed source transaction committed at `position`: per lane, whether to discard it. Lanes at or past it stop being ahead. */
  transactionEnd(position: string): boolean[] {
    return this.positions.map((p, lane) => {
      if (!this.isAhead[lane]) return false;
      const c = this.order(position, p);
      if (c >= 0) this.isAhead[lane] = false;
      return c <= 0;
    });
  }

  /** The position lane `lane` writes when the task commits at `position`: never below its own. */
  commitPosition(lane: number, position: string): string {
    const own = this.positions[lane];
    return this.order(position, own) >= 0 ? position : own!;
  }

  /** After lane `lane` committed `position` (as commitPosition gave it). */
  committed(lane: number, position: string): void {
    this.positions[lane] = position;
  }
}
