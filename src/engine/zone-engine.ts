import type { HeatmapService, ZoneService } from './ports.ts';
import type { MarketState } from '../market/state.ts';
import type { Venue } from '../market/types.ts';
import { BracketBook, type BracketTable, type BybitRiskTier, type OkxTier } from './brackets.ts';
import { DEFAULT_EXIT_SIZE_USD, planExit, type PlannerOptions } from './exit.ts';
import type { CalibrationStore } from './ports.ts';
import { Calibration, type CalibrationOptions, type CalibrationSummary } from './calibration.ts';
import { CALIBRATION_GRID, DEFAULT_LEVERAGE_MIX, extendMix, hourlyAtr, LevelBook, normalizeMix, type LeverageWeight } from './levels.ts';
import { SweepTracker, type SweepOptions } from './sweeps.ts';
import { TrackRecord, type TrackRecordOptions } from './track-record.ts';
import type { ExitPlan, ExitRequest, ObservedZones, SnapshotValidation, SweepEvent, ZoneSnapshot } from './types.ts';
import { buildObservedZones } from './observed.ts';
import type { ObservedBook } from '../market/observed.ts';
import { buildZoneSnapshot } from './zones.ts';
import { defaultLog, type LogFn } from '../ops/log.ts';
import { HeatmapBook, type HeatmapView, type HeatmapWindow, HEATMAP_SLICE_MS, HEATMAP_WINDOWS } from './heatmap.ts';

/** Observed positions needed before their leverage replaces the assumed prior. */
const OBSERVED_PRIOR_MIN_POSITIONS = 30;
const OBSERVED_PRIOR_EVERY_MS = 10 * 60_000;

export interface ZoneEngineOptions {
  /** Where update and listener failures go (default: JSON lines on stderr). */
  log?: LogFn;
  /** Symbols to snapshot on each update. */
  symbols: () => string[];
  leverageMix?: readonly LeverageWeight[];
  /** Engine clock (wall clock live, recorded clock in replay/evaluation). */
  now?: () => number;
  brackets?: BracketBook;
  sweeps?: SweepOptions;
  trackRecord?: TrackRecordOptions;
  /** Shortest OI interval the level book processes (default 60 s). */
  minIntervalMs?: number;
  /** Learn the leverage mix per venue and symbol from realized liquidations (default on); `false` keeps the prior. */
  calibration?: false | CalibrationOptions;
  /** Where the calibration persists (loaded by `loadCalibration()`, saved by `saveCalibration()`). */
  calibrationStore?: CalibrationStore;
  /** Exit planner options (size floor for targets and stop-hunt clusters). */
  planner?: PlannerOptions;
  /** Positions observed on Hyperliquid: snapshots carry their zones beside the estimate. */
  observed?: ObservedBook;
}

export type SweepListener = (ev: SweepEvent) => void;

const MINUTE = 60_000;
const ATR_LOOKBACK_MS = 16 * 3_600_000;

/**
 * The zone service: keeps the level book up to date from MarketState and publishes an immutable
 * ZoneSnapshot per symbol on every `update()` (the app calls it every SNAPSHOT_INTERVAL_MS).
 * Commands and the notifier read snapshots only.
 */
export class ZoneEngine implements ZoneService, HeatmapService {
  readonly brackets: BracketBook;
  readonly levels: LevelBook;
  /** Liquidation heatmap history: one bounded price × time grid per symbol, fed by every snapshot. */
  readonly heatmaps = new HeatmapBook();
  /** Undefined when calibration is off. */
  readonly calibration: Calibration | undefined;
  private readonly calibrationStore: CalibrationStore | undefined;
  private readonly nowFn: () => number;
  private readonly symbolsFn: () => string[];
  private readonly snaps = new Map<string, ZoneSnapshot>();
  private readonly lastUpdateT = new Map<string, number>();
  private readonly atrCache = new Map<string, { barT: number; atr: number | undefined }>();
  private readonly sweepTracker: SweepTracker;
  private readonly records = new Map<string, TrackRecord>();
  private readonly trackOpts: TrackRecordOptions;
  private readonly listeners = new Set<SweepListener>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly planner: PlannerOptions;

  private readonly log: LogFn;

  constructor(
    private readonly state: MarketState,
    opts: ZoneEngineOptions,
  ) {
    this.log = opts.log ?? defaultLog('zones');
    this.symbolsFn = opts.symbols;
    this.nowFn = opts.now ?? Date.now;
    this.brackets = opts.brackets ?? new BracketBook();
    const mix = normalizeMix(opts.leverageMix ?? DEFAULT_LEVERAGE_MIX);
    const calibrated = opts.calibration !== false;
    // Calibrated, the book also tracks the finer grid (at weight 0 until evidence moves weight there).
    const extra = calibrated ? CALIBRATION_GRID : [];
    this.calibration = calibrated ? new Calibration(extendMix(mix, extra), opts.calibration || {}) : undefined;
    this.calibrationStore = opts.calibrationStore;
    this.levels = new LevelBook({ brackets: this.brackets, leverageMix: mix, extraLeverages: extra, minIntervalMs: opts.minIntervalMs, calibration: this.calibration });
    this.sweepTracker = new SweepTracker(opts.sweeps);
    this.trackOpts = opts.trackRecord ?? {};
    this.planner = opts.planner ?? {};
    this.observed = opts.observed;
  }

  private readonly observed?: ObservedBook;
  private readonly observedPriorAt = new Map<string, number>();

  /**
   * Observed leverage (Hyperliquid's public positions, notional-weighted) becomes the calibration's
   * prior for every venue of the symbol, once the sample is large enough; refreshed every 10 min.
   */
  private observedPrior(symbol: string, observed: ObservedZones, now: number): void {
    if (!this.calibration || observed.positions < OBSERVED_PRIOR_MIN_POSITIONS || observed.leverageMix.length === 0) return;
    const last = this.observedPriorAt.get(symbol);
    if (last !== undefined && now - last < OBSERVED_PRIOR_EVERY_MS) return;
    this.observedPriorAt.set(symbol, now);
    this.calibration.setPrior('*', symbol, observed.leverageMix);
  }

  /** Incremental level-book update and a new snapshot for every symbol with a price. */
  update(): void {
    const now = this.nowFn();
    for (const symbol of this.symbolsFn()) this.updateSymbol(symbol, now);
    const events = this.sweepTracker.resolve(now, (symbol, from, until) => this.state.venues(symbol).flatMap((vs) => vs.liquidations.between(from, until)));
    for (const ev of events) {
      this.records.get(ev.symbol)?.recordSweep(ev);
      this.emitSweep(Object.freeze({ ...ev, phase: 'settled' as const }));
    }
  }

  private emitSweep(ev: SweepEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.log('error', 'sweep listener failed', { symbol: ev.symbol, err });
      }
    }
  }

  /** Calls `update()` every `intervalMs` until `stop()`. */
  start(intervalMs: number): void {
    this.stop();
    this.update();
    this.timer = setInterval(() => {
      try {
        this.update();
      } catch (err) {
        this.log('error', 'zone engine update failed', { err });
      }
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  snapshot(symbol: string): ZoneSnapshot | undefined {
    return this.snaps.get(symbol);
  }

  snapshots(): ZoneSnapshot[] {
    return [...this.snaps.values()];
  }

  /** The heatmap window for a symbol (candles from the market bars), undefined before its first snapshot. */
  heatmap(symbol: string, window: HeatmapWindow): HeatmapView | undefined {
    const grid = this.heatmaps.grid(symbol);
    const snap = this.snaps.get(symbol);
    if (!grid || !snap) return undefined;
    const from = (grid.newestSlice + 1) * HEATMAP_SLICE_MS - HEATMAP_WINDOWS[window];
    return grid.view({ symbol, window, venues: [...snap.venues], dataAgeMs: snap.dataAgeMs }, this.state.aggregatedBars(symbol, from));
  }

  /** The exit plan against the latest snapshot; an `{ error }` value for bad input or no data. */
  planExit(req: ExitRequest): ExitPlan | { error: string } {
    const snap = this.snaps.get(req.symbol);
    if (!snap) return { error: `No data yet for ${req.symbol}, warming up.` };
    const full: ExitRequest = { ...req, sizeUsd: req.sizeUsd ?? DEFAULT_EXIT_SIZE_USD, venue: req.venue ?? 'binance' };
    return planExit(snap, full, this.bracketTable(full.venue, full.symbol), this.planner);
  }

  bracketTable(venue: Venue, symbol: string): BracketTable {
    return this.brackets.get(venue, symbol);
  }

  trackRecord(symbol: string): string | undefined {
    return this.records.get(symbol)?.line();
  }

  /** Calibration state per venue for a symbol (empty when calibration is off or nothing is known yet). */
  calibrationSummary(symbol: string): CalibrationSummary[] {
    return this.calibration?.summaries(symbol, this.nowFn()) ?? [];
  }

  /** Restores persisted calibration; returns how many venue-symbol records were usable. */
  async loadCalibration(): Promise<{ restored: number; skipped: number }> {
    if (!this.calibration || !this.calibrationStore) return { restored: 0, skipped: 0 };
    const { records, skipped } = await this.calibrationStore.load();
    const restored = this.calibration.restore(records);
    return { restored, skipped: skipped + records.length - restored };
  }

  /** Persists the calibration states changed since the last save (all with `all`). */
  async saveCalibration(all = false): Promise<number> {
    if (!this.calibration || !this.calibrationStore) return 0;
    const records = this.calibration.records(this.nowFn(), all);
    if (records.length > 0) await this.calibrationStore.save(records);
    return records.length;
  }

  /** Subscribes to sweep events; returns the unsubscribe function. */
  onSweep(listener: SweepListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Installs OKX position tiers fetched at startup, in USD at the price of the moment. */
  setOkxTiers(symbol: string, tiers: readonly OkxTier[], coinsPerContract: number, price: number): void {
    if (tiers.length === 0 || !(coinsPerContract > 0) || !(price > 0)) return;
    this.brackets.setOkxTiers(symbol, tiers, coinsPerContract, price, `${new Date(this.nowFn()).toISOString().slice(0, 16).replace('T', ' ')} UTC, sizes at ${price}`);
  }

  /** Installs Hyperliquid margin tiers read from its meta at startup. */
  setHyperliquidTiers(symbol: string, tiers: readonly { lowerBound: number; maxLeverage: number }[]): void {
    if (tiers.length === 0) return;
    this.brackets.setHyperliquidTiers(symbol, tiers, new Date(this.nowFn()).toISOString().slice(0, 10));
  }

  /** Installs Bybit risk-limit tiers fetched at startup (`fetchBybitRiskLimits`). */
  setBybitTiers(symbol: string, tiers: readonly BybitRiskTier[]): void {
    if (tiers.length === 0) return;
    this.brackets.setBybitTiers(symbol, tiers, new Date(this.nowFn()).toISOString().slice(0, 10));
  }

  private updateSymbol(symbol: string, now: number): void {
    const venues = this.state.venues(symbol);
    if (venues.length === 0) return;
    this.backfillHeatmap(symbol, now);
    this.levels.update(this.state, symbol, now);
    const price = this.state.price(symbol);
    if (price === undefined || !(price > 0)) return;

    const previous = this.snaps.get(symbol);
    const since = this.lastUpdateT.get(symbol) ?? now;
    const range = this.rangeSince(symbol, since, price);
    const crossed = this.sweepTracker.observe(previous, range.low, range.high, now);

    let newest = 0;
    for (const vs of venues) if (vs.lastEventTime > newest) newest = vs.lastEventTime;
    let snap = buildZoneSnapshot({
      symbol,
      t: now,
      price,
      atr: this.atr(symbol) ?? price * 0.005,
      dataAgeMs: newest > 0 ? Math.max(0, now - newest) : Number.POSITIVE_INFINITY,
      seq: (previous?.seq ?? 0) + 1,
      sources: this.levels.venues(symbol),
      leverages: this.levels.leverages,
      dataVenues: venues.filter((v) => v.mark !== undefined || v.bars.length > 0).map((v) => v.venue),
      previous,
      calibration: this.calibration?.summaries(symbol, now),
      validation: this.validationOf(symbol),
    });
    if (this.observed) {
      const observed = buildObservedZones({
        symbol,
        t: now,
        price,
        atr: snap.atr,
        summary: this.observed.summary(symbol, now),
        leverageMix: this.observed.leverageMix(symbol, now),
        oiUsd: this.state.get(symbol, 'hyperliquid')?.oi?.oiUsd,
        previous: previous?.observed?.snapshot,
      });
      if (observed) {
        snap = Object.freeze({ ...snap, observed });
        this.observedPrior(symbol, observed, now);
      }
    }
    this.snaps.set(symbol, snap);
    this.lastUpdateT.set(symbol, now);
    this.heatmaps.record(symbol, snap, range);
    // Told at once (the notifier alerts on it within a tick); the realized figure follows as `settled`.
    for (const z of crossed) {
      this.emitSweep(
        Object.freeze({ symbol, zoneId: z.id, side: z.side, low: z.low, high: z.high, t: now, modeledUsd: z.notionalUsd, realizedUsd: 0, windowMs: 0, phase: 'crossed' as const, seq: snap.seq, previousT: previous!.t }),
      );
    }

    let record = this.records.get(symbol);
    if (!record) {
      record = new TrackRecord(this.trackOpts);
      this.records.set(symbol, record);
    }
    record.observe(snap, range.low, range.high, now);
  }

  /**
   * After a start, the history bootstrap (OI history and 1-minute bars) would all be processed by the
   * first update, leaving the heatmap with one slice. Instead, while the level book has processed no
   * interval for the symbol yet, it is stepped through that history slice by slice and each slice's
   * map recorded into the heatmap (at most 3 days), so the heatmap opens with the bootstrapped hours.
   */
  private backfillHeatmap(symbol: string, now: number): void {
    if (this.backfilled.has(symbol)) return;
    const books = this.levels.venues(symbol);
    if (books.some((b) => b.stats.intervals > 0)) {
      this.backfilled.add(symbol);
      return;
    }
    let first = Number.POSITIVE_INFINITY;
    for (const vs of this.state.venues(symbol)) if (vs.oiHistory.length > 1 && vs.oiHistory[0]!.t < first) first = vs.oiHistory[0]!.t;
    if (!(now - first > 2 * HEATMAP_SLICE_MS)) return; // no history yet: try again on the next update
    this.backfilled.add(symbol);
    const from = Math.max(first, now - HEATMAP_WINDOWS['3d']);
    const bars = this.state.aggregatedBars(symbol, from - HEATMAP_SLICE_MS);
    let b = 0;
    let price: number | undefined;
    for (let sliceEnd = (Math.floor(from / HEATMAP_SLICE_MS) + 1) * HEATMAP_SLICE_MS; sliceEnd <= now - HEATMAP_SLICE_MS; sliceEnd += HEATMAP_SLICE_MS) {
      let low = Number.POSITIVE_INFINITY;
      let high = 0;
      for (; b < bars.length && bars[b]!.t < sliceEnd; b++) {
        const bar = bars[b]!;
        if (bar.t >= sliceEnd - HEATMAP_SLICE_MS) {
          if (bar.low < low) low = bar.low;
          if (bar.high > high) high = bar.high;
        }
        price = bar.close;
      }
      this.levels.update(this.state, symbol, sliceEnd - 1, sliceEnd - 1);
      if (price === undefined || !(high > 0)) continue;
      const snap = buildZoneSnapshot({
        symbol,
        t: sliceEnd - 1,
        price,
        atr: price * 0.005,
        dataAgeMs: 0,
        seq: 0,
        sources: this.levels.venues(symbol),
        leverages: this.levels.leverages,
      });
      this.heatmaps.record(symbol, snap, { low, high }, { backfill: true });
    }
  }

  private readonly backfilled = new Set<string>();

  /** The validated view behind the snapshot price (see SnapshotValidation). */
  private validationOf(symbol: string): SnapshotValidation {
    const v = this.state.validation(symbol);
    return {
      venues: v.venues,
      bound: v.bound,
      quarantined: v.quarantined,
      confirmed: v.venues.length > 0 && !v.quarantined.some((q) => q.kind === 'unconfirmed'),
    };
  }

  /** Price range traded since `since`: bars overlapping it, plus live marks and last trades. */
  private rangeSince(symbol: string, since: number, price: number): { low: number; high: number } {
    let low = price;
    let high = price;
    // A quarantined venue's prices do not trade through zones (a bad mark would "sweep" them all).
    const held = new Set(this.state.validation(symbol).quarantined.map((q) => q.venue));
    for (const vs of this.state.venues(symbol)) {
      if (held.has(vs.venue)) continue;
      const bars = vs.bars;
      for (let i = bars.length - 1; i >= 0 && bars[i]!.t + MINUTE > since; i--) {
        if (bars[i]!.low < low) low = bars[i]!.low;
        if (bars[i]!.high > high) high = bars[i]!.high;
      }
      for (const p of [vs.mark, vs.lastTradePrice]) {
        if (p === undefined || !(p > 0)) continue;
        if (p < low) low = p;
        if (p > high) high = p;
      }
    }
    return { low, high };
  }

  /** Hourly ATR across venues, recomputed once per new bar. */
  private atr(symbol: string): number | undefined {
    let barT = 0;
    for (const vs of this.state.venues(symbol)) {
      const last = vs.bars[vs.bars.length - 1];
      if (last && last.t > barT) barT = last.t;
    }
    const hit = this.atrCache.get(symbol);
    if (hit && hit.barT === barT) return hit.atr;
    const atr = hourlyAtr(this.state.aggregatedBars(symbol, barT - ATR_LOOKBACK_MS));
    this.atrCache.set(symbol, { barT, atr });
    return atr;
  }
}
