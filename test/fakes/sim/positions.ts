/**
 * The open leveraged positions of simulated traders on one venue for one symbol. Each side is a
 * binary heap keyed on liquidation price, so the next position to die is at the root (longs: the
 * highest liquidation price, shorts: the lowest) and adding, liquidating or closing any position
 * is O(log n).
 */
import type { PositionSide } from '../../../src/market/types.ts';

export interface SimPosition {
  side: PositionSide;
  entry: number;
  /** Size in coins. */
  qty: number;
  leverage: number;
  /** Liquidation trigger price (compared with the venue's mark). */
  liq: number;
  openedAt: number;
}

/** Heap whose root is the position the mark reaches first. */
class LiquidationHeap {
  readonly items: SimPosition[] = [];

  /** Longs die first when their liq is highest, shorts when lowest. */
  constructor(private readonly highestFirst: boolean) {}

  private before(a: SimPosition, b: SimPosition): boolean {
    return this.highestFirst ? a.liq > b.liq : a.liq < b.liq;
  }

  get root(): SimPosition | undefined {
    return this.items[0];
  }

  push(p: SimPosition): void {
    this.items.push(p);
    this.up(this.items.length - 1);
  }

  removeAt(index: number): SimPosition {
    const items = this.items;
    const removed = items[index]!;
    const last = items.pop()!;
    if (index < items.length) {
      items[index] = last;
      this.down(index);
      this.up(index);
    }
    return removed;
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

  /** Open longs, in heap order (not sorted). */
  get longs(): readonly SimPosition[] {
    return this.longHeap.items;
  }

  get shorts(): readonly SimPosition[] {
    return this.shortHeap.items;
  }

  get count(): number {
    return this.longHeap.items.length + this.shortHeap.items.length;
  }

  get totalQty(): number {
    return this.longQty + this.shortQty;
  }

  /** The position of this side the mark reaches first. */
  nextToLiquidate(side: PositionSide): SimPosition | undefined {
    return side === 'long' ? this.longHeap.root : this.shortHeap.root;
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

  /** Removes and returns the position at `index` of the side's (heap-ordered) list. */
  removeAt(side: PositionSide, index: number): SimPosition {
    const p = (side === 'long' ? this.longHeap : this.shortHeap).removeAt(index);
    this.account(p);
    return p;
  }

  /** Removes every position whose liquidation price the mark has reached; appends them in trigger order. */
  takeLiquidated(mark: number, out: SimPosition[]): void {
    while (this.longHeap.root && this.longHeap.root.liq >= mark) {
      const p = this.longHeap.removeAt(0);
      this.account(p);
      out.push(p);
    }
    while (this.shortHeap.root && this.shortHeap.root.liq <= mark) {
      const p = this.shortHeap.removeAt(0);
      this.account(p);
      out.push(p);
    }
  }

  private account(p: SimPosition): void {
    if (p.side === 'long') {
      this.longQty -= p.qty;
      this.longEntryNotional -= p.qty * p.entry;
    } else {
      this.shortQty -= p.qty;
      this.shortEntryNotional -= p.qty * p.entry;
    }
    // float sums drift: snap to zero when the side is empty
    if (this.longHeap.items.length === 0) this.longQty = this.longEntryNotional = 0;
    if (this.shortHeap.items.length === 0) this.shortQty = this.shortEntryNotional = 0;
  }
}
