/**
 * The open leveraged positions of simulated traders on one venue for one symbol. Each side is a
 * binary heap keyed on liquidation price, so the next position to die is at the root (longs: the
 * highest liquidation price, shorts: the lowest). Voluntary closes only flag the position (a
 * random heap removal costs a cache-missing sift); flagged entries are skipped when they surface
 * and swept out when they pile up.
 */
import type { PositionSide } from '../../market/types.ts';
import type { Rng } from './rng.ts';

export interface SimPosition {
  side: PositionSide;
  entry: number;
  /** Size in coins. */
  qty: number;
  leverage: number;
  /** Liquidation trigger price (compared with the venue's mark). */
  liq: number;
  openedAt: number;
  /** Set when the trader closed it; the heap drops it lazily. */
  closed?: boolean;
}

/** Heap whose root is the position the mark reaches first. */
class LiquidationHeap {
  items: SimPosition[] = [];
  /** Open (not flagged) entries. */
  live = 0;

  /** Longs die first when their liq is highest, shorts when lowest. */
  constructor(private readonly highestFirst: boolean) {}

  private before(a: SimPosition, b: SimPosition): boolean {
    return this.highestFirst ? a.liq > b.liq : a.liq < b.liq;
  }

  /** The open position the mark reaches first: the root is never a flagged entry. */
  get root(): SimPosition | undefined {
    return this.items[0];
  }

  push(p: SimPosition): void {
    this.items.push(p);
    this.live++;
    this.up(this.items.length - 1);
  }

  /** Removes the open root (a liquidation). */
  popRoot(): SimPosition {
    const root = this.removeRoot();
    this.live--;
    this.dropFlaggedRoots();
    return root;
  }

  flagClosed(p: SimPosition): void {
    p.closed = true;
    this.live--;
    this.dropFlaggedRoots();
    if (this.items.length > 64 && this.live < this.items.length / 2) this.sweep();
  }

  private removeRoot(): SimPosition {
    const items = this.items;
    const root = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.down(0);
    }
    return root;
  }

  /** Keeps the root open, so reading it never has to mutate the heap (reads must not change the run). */
  private dropFlaggedRoots(): void {
    while (this.items.length > 0 && this.items[0]!.closed) this.removeRoot();
  }

  /** Drops flagged entries and re-heapifies: O(n), amortized over the closes that flagged them. */
  private sweep(): void {
    this.items = this.items.filter((p) => !p.closed);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private up(i: number): void {
    const items = this.items;
    const p = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(p, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = p;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const p = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.before(items[r]!, items[l]!) ? r : l;
      if (!this.before(items[child]!, p)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = p;
  }
}

export class PositionBook {
  private readonly longHeap = new LiquidationHeap(true);
  private readonly shortHeap = new LiquidationHeap(false);
  /** Σ qty of open positions, coins. */
  longQty = 0;
  shortQty = 0;
  /** Σ entry notional, USD (for the crowding bias that feeds the perp premium). */
  longEntryNotional = 0;
  shortEntryNotional = 0;

  get longCount(): number {
    return this.longHeap.live;
  }

  get shortCount(): number {
    return this.shortHeap.live;
  }

  get count(): number {
    return this.longHeap.live + this.shortHeap.live;
  }

  get totalQty(): number {
    return this.longQty + this.shortQty;
  }

  /** Every open position of a side, in no particular order. */
  *open(side: PositionSide): IterableIterator<SimPosition> {
    for (const p of (side === 'long' ? this.longHeap : this.shortHeap).items) if (!p.closed) yield p;
  }

  /** The position of this side the mark reaches first. */
  nextToLiquidate(side: PositionSide): SimPosition | undefined {
    return (side === 'long' ? this.longHeap : this.shortHeap).root;
  }

  add(p: SimPosition): void {
    if (p.side === 'long') {
      this.longHeap.push(p);
      this.longQty += p.qty;
      this.longEntryNotional += p.qty * p.entry;
    } else {
      this.shortHeap.push(p);
      this.shortQty += p.qty;
      this.shortEntryNotional += p.qty * p.entry;
    }
  }

  /** A trader closes: picks a uniformly random open position, removes and returns it. */
  closeRandom(rng: Rng): SimPosition | undefined {
    if (this.count === 0) return undefined;
    const heap = rng.next() * this.count < this.longHeap.live ? this.longHeap : this.shortHeap;
    // at least half of a heap is open (sweep invariant), so this ends after ~2 draws
    for (;;) {
      const p = heap.items[rng.int(heap.items.length)]!;
      if (p.closed) continue;
      heap.flagClosed(p);
      this.account(p);
      return p;
    }
  }

  /** Removes every position whose liquidation price the mark has reached; appends them in trigger order. */
  takeLiquidated(mark: number, out: SimPosition[]): void {
    while (this.longHeap.root && this.longHeap.root.liq >= mark) {
      const p = this.longHeap.popRoot();
      this.account(p);
      out.push(p);
    }
    while (this.shortHeap.root && this.shortHeap.root.liq <= mark) {
      const p = this.shortHeap.popRoot();
      this.account(p);
      out.push(p);
    }
  }

  private account(p: SimPosition): void {
    if (p.side === 'long') {
      this.longQty -= p.qty;
      this.longEntryNotional -= p.qty * p.entry;
      // float sums drift: snap to zero when the side is empty
      if (this.longHeap.live === 0) this.longQty = this.longEntryNotional = 0;
    } else {
      this.shortQty -= p.qty;
      this.shortEntryNotional -= p.qty * p.entry;
      if (this.shortHeap.live === 0) this.shortQty = this.shortEntryNotional = 0;
    }
  }
}
