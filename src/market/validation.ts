/**
 * The validated market view: which venue data may move the market state, per symbol.
 *
 * - A robust reference price: the median of the fresh marks, last trades and book mids of the
 *   venues in good standing.
 * - A venue whose price departs from the others by more than a bound (max(3 %, 8 × the 1-minute
 *   ATR)) is quarantined for that symbol: none of its events for that symbol reach the state (so
 *   not the reference, the level book or the signals) until all its fresh prices agree again.
 * - With no other fresh venue to compare with, a jump beyond the bound from the reference must be
 *   confirmed by trades on that venue before it counts.
 * - Trades are deduplicated by id (rollover overlaps are already deduplicated by the connection;
 *   this catches venue re-sends and reconnect replays); future exchange timestamps are clamped to
 *   the receive time and counted, so feed-lag metrics cannot be hidden by a venue clock ahead of ours.
 *
 * Pure: the clock is the events' receive time. `MarketState` owns one and asks it about every event.
 */
import { type MarketEvent, type Venue, VENUES } from './types.ts';
import { formatPrice, formatSignedPercent } from '../format/numbers.ts';

export interface ValidationOptions {
  /** Minimum departure that quarantines, as a fraction (default 0.03). */
  minBound: number;
  /** Departure bound in 1-minute ATRs (default 8). */
  atrMultiple: number;
  /** A price sample older than this (receive time) no longer counts (default 30 s). */
  freshMs: number;
  /** Trades on the jumping venue, at the new level, that confirm a single-venue jump (default 3). */
  confirmTrades: number;
  /** Exchange timestamps later than receive time + this are clamped and counted (default 1 s). */
  futureToleranceMs: number;
  /** Trade ids remembered per venue and symbol for dedupe (default 512). */
  tradeIdMemory: number;
}

export const DEFAULT_VALIDATION: ValidationOptions = {
  minBound: 0.03,
  atrMultiple: 8,
  freshMs: 30_000,
  confirmTrades: 3,
  futureToleranceMs: 1_000,
  tradeIdMemory: 512,
};

/** A venue held out of one symbol's state, and why (shown in /status, /zones, /healthz). */
export interface Quarantine {
  venue: Venue;
  symbol: string;
  /** Receive time the quarantine began. */
  since: number;
  /** The departing price and the reference it was judged against. */
  price: number;
  reference: number;
  /** Bound in force, as a fraction. */
  bound: number;
  /** `departs` (others disagree with it) or `unconfirmed` (a lone venue's jump not yet confirmed by its trades). */
  kind: 'departs' | 'unconfirmed';
  /** One line for people, e.g. `binance ETH mark 31,204 is +900% from the reference 3,120 (bound 3%)`. */
  reason: string;
}

/** Per-symbol view for snapshots and commands. */
export interface PriceValidation {
  /** The validated reference price, when any venue has fresh data in good standing. */
  reference: number | undefined;
  /** Venues whose fresh prices make the reference. */
  venues: Venue[];
  /** Bound in force, as a fraction. */
  bound: number;
  quarantined: Quarantine[];
}

/** Counters for /status, /healthz and metrics. */
export interface ValidationCounts {
  /** Events held out of the state because their venue is quarantined or unconfirmed for the symbol. */
  heldOut: number;
  duplicateTrades: number;
  /** Events whose exchange time was later than receive time + tolerance (clamped). */
  futureTimestamps: number;
}

type SampleKind = 'mark' | 'trade' | 'mid';

interface Sample {
  price: number;
  t: number;
}

/**
 * Bounded memory of recent trades (id and exchange time), cheap on the hot path: a duplicate carries
 * its original's exchange time, so a trade newer than every remembered one is new without a lookup;
 * otherwise only the remembered trades at or after its time are compared (a handful within one
 * millisecond's burst; up to the whole memory for a re-send after a reconnect, which is rare).
 */
class RecentTrades {
  private maxTime = -Infinity;
  private readonly ids: Array<string | number | undefined>;
  private readonly times: Float64Array;
  private next = 0;
  constructor(private readonly size: number) {
    this.ids = new Array(size);
    this.times = new Float64Array(size).fill(-Infinity);
  }
  /** false when the same id was seen recently. */
  add(id: string | number, time: number): boolean {
    if (time > this.maxTime) {
      this.maxTime = time;
    } else {
      let i = this.next;
      for (let n = 0; n < this.size; n++) {
        i = i === 0 ? this.size - 1 : i - 1;
        if (this.times[i]! < time) break;
        if (this.ids[i] === id) return false;
      }
    }
    this.ids[this.next] = id;
    this.times[this.next] = time;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
    return true;
  }
}

/** Opaque to callers: what `admit` keeps per venue and symbol (a holder may cache it, see `admit`). */
export interface ValidationSlot {
  readonly venue: Venue;
}

interface VenueCheck extends ValidationSlot {
  venue: Venue;
  sym: SymbolCheck;
  mark?: Sample;
  trade?: Sample;
  mid?: Sample;
  quarantine?: Quarantine;
  /** Trades at the candidate level counted toward confirming a lone venue's jump. */
  confirmations: number;
  ids?: RecentTrades;
}

interface SymbolCheck {
  symbol: string;
  venues: Map<Venue, VenueCheck>;
  /** Last reference computed (cached between slow-path checks). */
  ref: number | undefined;
  /** Latest receive time seen for the symbol (the validator's clock). */
  now: number;
  /** 1-minute ATR (Wilder, 14) of accepted prices, and the minute being built. */
  atr: number | undefined;
  minute: number;
  high: number;
  low: number;
  close: number;
  prevClose: number | undefined;
}

const MINUTE = 60_000;
const ATR_PERIOD = 14;

function median(xs: number[]): number | undefined {
  const n = xs.length;
  if (n === 0) return undefined;
  xs.sort((a, b) => a - b);
  return n % 2 === 1 ? xs[(n - 1) >> 1] : (xs[n / 2 - 1]! + xs[n / 2]!) / 2;
}

/** A fraction as a signed percent, one decimal below 10 %: `+2.5%`, `−12%`. */
function pct(x: number): string {
  const v = x * 100;
  return formatSignedPercent(v, Math.abs(v) >= 10 ? 0 : 1);
}

export class MarketValidator {
  readonly options: ValidationOptions;
  readonly counts: ValidationCounts = { heldOut: 0, duplicateTrades: 0, futureTimestamps: 0 };
  /** Per venue: future timestamps clamped and duplicate trades dropped. */
  readonly byVenue = new Map<Venue, { futureTimestamps: number; duplicateTrades: number; heldOut: number }>();
  private readonly symbols = new Map<string, SymbolCheck>();
  /** Called when a venue is quarantined or rejoins (for logs). */
  onChange?: (change: { type: 'quarantined' | 'rejoined'; venue: Venue; symbol: string; reason: string }) => void;

  constructor(options: Partial<ValidationOptions> = {}) {
    this.options = { ...DEFAULT_VALIDATION, ...options };
  }

  /**
   * Whether an event may enter the state. May clamp `ev.exchTime` (future timestamps). Trades
   * with an id seen recently, and every event of a venue quarantined for the symbol, are refused.
   */
  admit(ev: MarketEvent, holder?: { validation?: ValidationSlot }): boolean {
    if (ev.kind !== 'bar' && ev.exchTime > ev.recvTime + this.options.futureToleranceMs) {
      ev.exchTime = ev.recvTime;
      this.counts.futureTimestamps++;
      this.venueCounts(ev.venue).futureTimestamps++;
    }
    // `holder` (the state's record of this venue and symbol) caches the slot: no lookups per event
    let vc = holder?.validation as VenueCheck | undefined;
    if (vc === undefined) {
      vc = this.venueCheck(this.symbolCheck(ev.symbol), ev.venue);
      if (holder) holder.validation = vc;
    }
    const sym = vc.sym;
    if (ev.recvTime > sym.now) sym.now = ev.recvTime;
    if (ev.kind === 'trade' && ev.id !== undefined) {
      vc.ids ??= new RecentTrades(this.options.tradeIdMemory);
      if (!vc.ids.add(ev.id, ev.exchTime)) {
        this.counts.duplicateTrades++;
        this.venueCounts(ev.venue).duplicateTrades++;
        return false;
      }
    }
    let ok: boolean;
    switch (ev.kind) {
      case 'trade':
        ok = this.check(sym, vc, 'trade', ev.price, ev.recvTime);
        break;
      case 'mark':
        ok = this.check(sym, vc, 'mark', ev.mark, ev.recvTime);
        break;
      case 'book':
        ok = this.check(sym, vc, 'mid', (ev.bid + ev.ask) / 2, ev.recvTime);
        break;
      default:
        // OI, liquidations and history bars carry no price to judge: they follow their venue's
        // standing. A lone venue's unconfirmed jump holds its OI (valued at that venue's mark).
        ok = vc.quarantine === undefined || (vc.quarantine.kind === 'unconfirmed' && ev.kind === 'liquidation');
    }
    if (!ok) {
      this.counts.heldOut++;
      this.venueCounts(ev.venue).heldOut++;
    }
    return ok;
  }

  /** Whether a venue departed from the others for the symbol: all its data for it is held out. */
  isQuarantined(symbol: string, venue: Venue): boolean {
    return this.symbols.get(symbol)?.venues.get(venue)?.quarantine?.kind === 'departs';
  }

  /** The reference price from the fresh samples of venues in good standing. */
  reference(symbol: string): number | undefined {
    const sym = this.symbols.get(symbol);
    if (!sym) return undefined;
    const ref = this.computeReference(sym, undefined);
    if (ref !== undefined) sym.ref = ref;
    return ref ?? sym.ref;
  }

  view(symbol: string): PriceValidation {
    const sym = this.symbols.get(symbol);
    if (!sym) return { reference: undefined, venues: [], bound: this.options.minBound, quarantined: [] };
    const fresh = sym.now - this.options.freshMs;
    const venues: Venue[] = [];
    const quarantined: Quarantine[] = [];
    // in the house order (binance, bybit, okx, hyperliquid), not the order feeds first arrived in
    for (const venue of VENUES) {
      const vc = sym.venues.get(venue);
      if (!vc) continue;
      if (vc.quarantine) quarantined.push({ ...vc.quarantine });
      else if ([vc.mark, vc.trade, vc.mid].some((s) => s !== undefined && s.t >= fresh)) venues.push(vc.venue);
    }
    return { reference: this.reference(symbol), venues, bound: this.bound(sym), quarantined };
  }

  /** Every quarantine in force, all symbols. */
  quarantines(): Quarantine[] {
    const out: Quarantine[] = [];
    for (const sym of this.symbols.values()) for (const vc of sym.venues.values()) if (vc.quarantine) out.push({ ...vc.quarantine });
    return out;
  }

  /** Departure bound for the symbol, as a fraction. */
  private bound(sym: SymbolCheck): number {
    const ref = sym.ref;
    const atrPart = sym.atr !== undefined && ref !== undefined && ref > 0 ? (this.options.atrMultiple * sym.atr) / ref : 0;
    return Math.max(this.options.minBound, atrPart);
  }

  /** Median of fresh samples of venues in good standing, leaving out `except`. */
  private computeReference(sym: SymbolCheck, except: Venue | undefined): number | undefined {
    const fresh = sym.now - this.options.freshMs;
    const xs: number[] = [];
    for (const vc of sym.venues.values()) {
      if (vc.venue === except || vc.quarantine) continue;
      if (vc.mark && vc.mark.t >= fresh) xs.push(vc.mark.price);
      if (vc.trade && vc.trade.t >= fresh) xs.push(vc.trade.price);
      if (vc.mid && vc.mid.t >= fresh) xs.push(vc.mid.price);
    }
    return median(xs);
  }

  /** Judges one price sample; records it; returns whether the event may enter the state. */
  private check(sym: SymbolCheck, vc: VenueCheck, kind: SampleKind, price: number, t: number): boolean {
    // update the venue's sample in place: no allocation per event on the hot path
    const sample = kind === 'trade' ? vc.trade : kind === 'mark' ? vc.mark : vc.mid;
    if (sample) {
      sample.price = price;
      sample.t = t;
    } else if (kind === 'trade') vc.trade = { price, t };
    else if (kind === 'mark') vc.mark = { price, t };
    else vc.mid = { price, t };
    const bound = this.bound(sym);
    const cached = sym.ref;
    // Fast path: well inside the bound of the cached reference, from a venue in good standing.
    if (cached !== undefined && vc.quarantine === undefined && Math.abs(price / cached - 1) <= bound / 2) {
      if (kind === 'trade') vc.confirmations = 0;
      this.noteAccepted(sym, price, t);
      return true;
    }
    if (cached === undefined) {
      sym.ref = price;
      this.noteAccepted(sym, price, t);
      return true;
    }
    const others = this.computeReference(sym, vc.venue);
    if (others !== undefined) {
      // Other venues are fresh: agreement with them decides, whatever the old reference was.
      const dev = price / others - 1;
      if (Math.abs(dev) <= bound) {
        if (vc.quarantine && this.allFreshAgree(sym, vc, others, bound)) this.rejoin(sym, vc, `agrees with the others again (${formatPrice(price, sym.symbol)} vs ${formatPrice(others, sym.symbol)})`);
        // A departed venue stays out entirely; a lone venue's pending jump only holds the departing prices.
        if (vc.quarantine?.kind === 'departs') return false;
        vc.confirmations = 0;
        sym.ref = this.computeReference(sym, undefined) ?? others;
        this.noteAccepted(sym, price, t);
        return true;
      }
      this.quarantine(sym, vc, 'departs', kind, price, others, bound, t);
      return false;
    }
    // No other fresh venue: continuity with the reference, and trades to confirm a jump.
    const dev = price / cached - 1;
    if (Math.abs(dev) <= bound) {
      // a trade back at the reference level speaks against the jump
      if (kind === 'trade') vc.confirmations = 0;
      if (vc.quarantine && this.allFreshAgree(sym, vc, cached, bound)) this.rejoin(sym, vc, `agrees with the reference again (${formatPrice(price, sym.symbol)} vs ${formatPrice(cached, sym.symbol)})`);
      if (vc.quarantine?.kind === 'departs') return false;
      // the reference follows what is accepted (stale samples of other venues no longer count)
      sym.ref = this.computeReference(sym, undefined) ?? price;
      this.noteAccepted(sym, price, t);
      return true;
    }
    const q = vc.quarantine;
    if (kind === 'trade' && q && q.kind === 'unconfirmed' && Math.abs(price / q.price - 1) <= bound) {
      vc.confirmations++;
      if (vc.confirmations >= this.options.confirmTrades) {
        // The venue's own trades confirm the new level: it becomes the reference.
        vc.confirmations = 0;
        this.rejoin(sym, vc, `jump to ${formatPrice(price, sym.symbol)} confirmed by ${this.options.confirmTrades} trades`);
        sym.ref = price;
        this.resetAtrMinute(sym, price, t);
        this.dropStaleDisagreeing(vc, price, bound);
        return true;
      }
      return false;
    }
    if (!q || q.kind !== 'unconfirmed' || Math.abs(price / q.price - 1) > bound) {
      vc.confirmations = kind === 'trade' ? 1 : 0;
      this.quarantine(sym, vc, 'unconfirmed', kind, price, cached, bound, t);
    }
    return false;
  }

  /** After a confirmed jump, samples of the same venue from the old level no longer count. */
  private dropStaleDisagreeing(vc: VenueCheck, price: number, bound: number): void {
    for (const k of ['mark', 'trade', 'mid'] as const) {
      const s = vc[k];
      if (s && Math.abs(s.price / price - 1) > bound) vc[k] = undefined;
    }
  }

  private allFreshAgree(sym: SymbolCheck, vc: VenueCheck, ref: number, bound: number): boolean {
    const fresh = sym.now - this.options.freshMs;
    for (const s of [vc.mark, vc.trade, vc.mid]) if (s && s.t >= fresh && Math.abs(s.price / ref - 1) > bound) return false;
    return true;
  }

  private quarantine(sym: SymbolCheck, vc: VenueCheck, kind: Quarantine['kind'], sampleKind: SampleKind, price: number, reference: number, bound: number, t: number): void {
    const what = sampleKind === 'mid' ? 'book mid' : sampleKind === 'trade' ? 'last trade' : 'mark';
    const reason =
      kind === 'departs'
        ? `${vc.venue} ${sym.symbol} ${what} ${formatPrice(price, sym.symbol)} is ${pct(price / reference - 1)} from the other venues (${formatPrice(reference, sym.symbol)}; bound ${pct(bound).slice(1)})`
        : `${vc.venue} ${sym.symbol} ${what} jumped to ${formatPrice(price, sym.symbol)} (${pct(price / reference - 1)} from ${formatPrice(reference, sym.symbol)}; bound ${pct(bound).slice(1)}), not yet confirmed by ${vc.venue} trades`;
    const prev = vc.quarantine;
    vc.quarantine = { venue: vc.venue, symbol: sym.symbol, since: prev?.since ?? t, price, reference, bound, kind, reason };
    if (!prev || prev.kind !== kind) this.onChange?.({ type: 'quarantined', venue: vc.venue, symbol: sym.symbol, reason });
  }

  private rejoin(sym: SymbolCheck, vc: VenueCheck, why: string): void {
    vc.quarantine = undefined;
    this.onChange?.({ type: 'rejoined', venue: vc.venue, symbol: sym.symbol, reason: `${vc.venue} ${sym.symbol} rejoined: ${why}` });
  }

  /** Folds an accepted price into the 1-minute ATR. */
  private noteAccepted(sym: SymbolCheck, price: number, t: number): void {
    const m = t - (t % MINUTE);
    if (m > sym.minute) {
      if (sym.minute > 0) {
        const prev = sym.prevClose;
        const tr = prev === undefined ? sym.high - sym.low : Math.max(sym.high - sym.low, Math.abs(sym.high - prev), Math.abs(sym.low - prev));
        sym.atr = sym.atr === undefined ? tr : sym.atr + (tr - sym.atr) / ATR_PERIOD;
        sym.prevClose = sym.close;
      }
      sym.minute = m;
      sym.high = price;
      sym.low = price;
    } else if (m < sym.minute) {
      return; // a late sample from an earlier minute
    }
    if (price > sym.high) sym.high = price;
    if (price < sym.low) sym.low = price;
    sym.close = price;
  }

  /** A confirmed jump starts a new minute at the new level (the gap is not volatility to widen the bound with). */
  private resetAtrMinute(sym: SymbolCheck, price: number, t: number): void {
    sym.minute = t - (t % MINUTE);
    sym.high = price;
    sym.low = price;
    sym.close = price;
    sym.prevClose = undefined;
  }

  private symbolCheck(symbol: string): SymbolCheck {
    let s = this.symbols.get(symbol);
    if (!s) {
      s = { symbol, venues: new Map(), ref: undefined, now: 0, atr: undefined, minute: 0, high: 0, low: 0, close: 0, prevClose: undefined };
      this.symbols.set(symbol, s);
    }
    return s;
  }

  private venueCheck(sym: SymbolCheck, venue: Venue): VenueCheck {
    let v = sym.venues.get(venue);
    if (!v) {
      v = { venue, sym, confirmations: 0 };
      sym.venues.set(venue, v);
    }
    return v;
  }

  private venueCounts(venue: Venue): { futureTimestamps: number; duplicateTrades: number; heldOut: number } {
    let c = this.byVenue.get(venue);
    if (!c) {
      c = { futureTimestamps: 0, duplicateTrades: 0, heldOut: 0 };
      this.byVenue.set(venue, c);
    }
    return c;
  }
}
