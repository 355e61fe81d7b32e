import type { SignalService } from '../ports.ts';
import type { MarketState } from '../../market/state.ts';
import type { WeightStore } from '../ports.ts';
import {
  SIGNAL_MODES,
  TIMEFRAMES,
  type CardReading,
  type SignalEvent,
  type SignalMode,
  type SignalSnapshot,
  type Timeframe,
  type TimeframeSignal,
  type ZoneSnapshot,
} from '../types.ts';
import { type Card, type CardOutput, DEFAULT_CARDS } from './cards/index.ts';
import { combineTimeframe, composite, findConflict } from './composite.ts';
import { buildCardInput, type InputMemory, newInputMemory } from './input.ts';
import { WeightLearner } from './learning.ts';
import { sizingGuidance } from './sizing.ts';
import { CYCLE_MS, MODE_SPECS } from './spec.ts';
import { SignalTracker } from './tracker.ts';
import { LiveAccuracy } from './live-accuracy.ts';
import { applyConfidenceCalibration } from './confidence-calibration.ts';
import { defaultLog, type LogFn } from '../../ops/log.ts';

export interface SignalEngineOptions {
  /** Where save and listener failures go (default: JSON lines on stderr). */
  log?: LogFn;
  state: MarketState;
  zones: { snapshot(symbol: string): ZoneSnapshot | undefined };
  /** Symbols to read each cycle. */
  symbols: () => string[];
  /** Where learned weights persist; without one, learning lasts for the process only. */
  weights?: WeightStore;
  /** Wall or replay clock for cadences (default Date.now). Learning uses the market clock. */
  now?: () => number;
  /** Cards to run (default: every card). */
  cards?: readonly Card[];
  /** Autosave period of learned weights while started, ms (default 5 min; 0 = never). */
  autosaveMs?: number;
  /** Whether card weights learn from resolved outcomes (default true); false keeps the current weights (the priors when nothing was loaded). */
  learning?: boolean;
}

/** A timeframe whose read is beyond this, against the composite's direction, "leans the other way" (the ▲/▼ threshold of /signal). */
const LEAN = 0.05;

/** 1m buckets below which a symbol's reading is reported as warming up. */
const WARM_BUCKETS = 5;

interface SymbolReadings {
  t: number;
  warmingUp: boolean;
  /** Card outputs per timeframe, in card order. */
  byTf: Record<Timeframe, CardOutput[]>;
  /** Each timeframe's read (card outputs with the learned weights): the same in every mode. */
  reads: Record<Timeframe, TimeframeSignal>;
}

/**
 * The signal engine: every cycle (10 s) runs every card on every symbol and timeframe, feeds the
 * weight learner, and at each mode's cadence rebuilds that mode's composites, tracks conflicts,
 * transitions and fading, and emits events. Snapshots are immutable; readers never touch live state.
 */
export class SignalEngine implements SignalService {
  private readonly state: MarketState;
  private readonly zones: SignalEngineOptions['zones'];
  private readonly symbols: () => string[];
  private readonly store: WeightStore | undefined;
  private readonly now: () => number;
  private readonly cards: readonly Card[];
  private readonly autosaveMs: number;
  private readonly learner: WeightLearner;
  private readonly memory = new Map<string, InputMemory>();
  private readonly readings = new Map<string, SymbolReadings>();
  private readonly snapshots = new Map<string, SignalSnapshot>();
  private readonly trackers = new Map<string, SignalTracker>();
  private readonly lastModeRun: Record<SignalMode, number> = { scalp: -Infinity, day: -Infinity, swing: -Infinity };
  private readonly listeners = new Set<(ev: SignalEvent) => void>();
  private readonly scores: Float64Array;
  /** Every timeframe's read scored live against what price did next (and what followed conflicts). */
  readonly accuracy = new LiveAccuracy({ cycleMs: CYCLE_MS });
  private timer: ReturnType<typeof setInterval> | undefined;
  private autosaveTimer: ReturnType<typeof setInterval> | undefined;

  private readonly log: LogFn;
  private learning: boolean;

  constructor(opts: SignalEngineOptions) {
    this.state = opts.state;
    this.log = opts.log ?? defaultLog('signals');
    this.zones = opts.zones;
    this.symbols = opts.symbols;
    this.store = opts.weights;
    this.now = opts.now ?? Date.now;
    this.cards = opts.cards ?? DEFAULT_CARDS;
    this.autosaveMs = opts.autosaveMs ?? 5 * 60_000;
    this.learner = new WeightLearner(this.cards);
    this.learning = opts.learning ?? true;
    this.scores = new Float64Array(this.cards.length);
  }

  /**
   * Stops or resumes learning: while off, card weights stay as they are (the offline evaluation
   * learns on the first half of a recording and scores the second with the weights frozen).
   */
  setLearning(on: boolean): void {
    this.learning = on;
  }

  /** Runs one cycle now: all cards for all symbols; the modes whose cadence has elapsed are refreshed. */
  cycle(): void {
    const symbols = this.symbols();
    // One symbol's failure (a bad input, a bug in buildCardInput) is logged and skipped: it must
    // not stop the other symbols, the cycle or the process.
    const failed = new Set<string>();
    for (const symbol of symbols) {
      try {
        this.readSymbol(symbol);
      } catch (err) {
        failed.add(symbol);
        this.log('error', 'signal inputs failed; symbol skipped this cycle', { symbol, err });
      }
    }
    const now = this.now();
    for (const mode of SIGNAL_MODES) {
      const due = now - this.lastModeRun[mode] >= MODE_SPECS[mode].cadenceMs;
      if (due) this.lastModeRun[mode] = now;
      for (const symbol of symbols) {
        if (failed.has(symbol)) continue;
        // a symbol whose data just arrived gets its first snapshot now, not at the next cadence tick
        try {
          if (due || !this.snapshots.has(`${symbol}|${mode}`)) this.refresh(symbol, mode);
        } catch (err) {
          this.log('error', 'signal refresh failed; symbol skipped this cycle', { symbol, mode, err });
        }
      }
    }
  }

  /** Cycles every 10 s (timer unref'd) and autosaves weights; idempotent. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.cycle();
      } catch (err) {
        this.log('error', 'signal cycle failed', { err });
      }
    }, CYCLE_MS);
    this.timer.unref?.();
    if (this.store && this.autosaveMs > 0) {
      this.autosaveTimer = setInterval(() => {
        if (this.learner.dirty) this.save().catch((err: unknown) => this.log('error', 'signal weights not saved', { err }));
      }, this.autosaveMs);
      this.autosaveTimer.unref?.();
    }
  }

  /** Stops the timers. Call `save()` afterwards to keep what was learned since the last autosave. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.autosaveTimer) clearInterval(this.autosaveTimer);
    this.timer = undefined;
    this.autosaveTimer = undefined;
  }

  snapshot(symbol: string, mode: SignalMode): SignalSnapshot | undefined {
    return this.snapshots.get(`${symbol}|${mode}`);
  }

  /** Subscribes to conflict, transition and fading events; returns the unsubscribe function. */
  onEvent(listener: (ev: SignalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Restores learned counts from the store (nothing stored, or malformed: starts from the priors). */
  async load(): Promise<void> {
    if (!this.store) return;
    const s = await this.store.load();
    if (s) this.learner.loadState(s);
    if (s?.accuracy) this.accuracy.loadState(s.accuracy);
  }

  async save(): Promise<void> {
    if (!this.store) return;
    await this.store.save({ ...this.learner.toState(this.now()), accuracy: this.accuracy.toState() });
  }

  /** A card's current composite weight and measured accuracy for a symbol and timeframe. */
  cardStats(cardId: string, symbol: string, tf: Timeframe): { weight: number; accuracy?: number; samples: number } | undefined {
    const card = this.cards.find((c) => c.id === cardId);
    if (!card) return undefined;
    return { weight: this.learner.weight(card, symbol, tf), ...this.learner.accuracy(cardId, symbol, tf) };
  }

  private readSymbol(symbol: string): void {
    let memory = this.memory.get(symbol);
    if (!memory) {
      memory = newInputMemory();
      this.memory.set(symbol, memory);
    }
    const input = buildCardInput(this.state, this.zones.snapshot(symbol), symbol, memory);
    if (!input) return;
    const byTf = {} as Record<Timeframe, CardOutput[]>;
    const reads = {} as Record<Timeframe, TimeframeSignal>;
    const scores: Partial<Record<Timeframe, number>> = {};
    const confidences: Partial<Record<Timeframe, number>> = {};
    for (const tf of TIMEFRAMES) {
      const outs: CardOutput[] = [];
      for (let i = 0; i < this.cards.length; i++) {
        const out = readCard(this.cards[i]!, input, tf);
        outs.push(out);
        this.scores[i] = out.score;
      }
      byTf[tf] = outs;
      if (this.learning) this.learner.observe(symbol, tf, input.t, input.price, this.scores);
      const read = this.timeframeSignal(symbol, tf, outs);
      reads[tf] = read;
      scores[tf] = read.score;
      confidences[tf] = read.confidence;
    }
    const warmingUp = input.tf['1m'].filled < WARM_BUCKETS;
    // the reads /signal shows, scored live (not while warming up: those reads are not shown)
    if (!warmingUp) this.accuracy.observe(symbol, input.t, input.price, scores, confidences);
    this.readings.set(symbol, { t: input.t, warmingUp, byTf, reads });
  }

  /** One timeframe's read from its card outputs with the learned weights (the same in every mode). */
  private timeframeSignal(symbol: string, tf: Timeframe, outs: readonly CardOutput[]): TimeframeSignal {
    const learned = this.learner.readings(symbol, tf);
    return combineTimeframe(
      tf,
      outs.map((out, i) => ({ score: out.score, confidence: out.confidence, weight: learned[i]!.weight })),
    );
  }

  private refresh(symbol: string, mode: SignalMode): void {
    const r = this.readings.get(symbol);
    if (!r) return;
    const modeWeights = MODE_SPECS[mode].weights;
    const timeframes: TimeframeSignal[] = [];
    const cards: CardReading[] = [];
    const contribution: number[] = [];
    for (const tf of TIMEFRAMES) {
      const outs = r.byTf[tf];
      const learned = this.learner.readings(symbol, tf);
      for (let i = 0; i < outs.length; i++) {
        const out = outs[i]!;
        const l = learned[i]!;
        const reading: CardReading = {
          card: this.cards[i]!.id,
          tf,
          score: out.score,
          strength: out.strength,
          confidence: out.confidence,
          reason: out.reason,
          weight: l.weight,
          samples: l.samples,
        };
        if (l.accuracy !== undefined) reading.accuracy = l.accuracy;
        cards.push(reading);
        contribution.push(modeWeights[tf] * l.weight * out.confidence * Math.abs(out.score));
      }
      // the read made with these weights when the cards were read (learning only moves them there)
      const read = r.reads[tf];
      // confidence that means what it says: the measured hit rate at this confidence, once known
      const cal = this.accuracy.calibration(tf, r.t);
      const measured = cal ? applyConfidenceCalibration(cal, read.confidence) : undefined;
      timeframes.push(measured === undefined ? read : { ...read, measuredConfidence: measured });
    }
    // strongest contributors first
    const order = cards.map((_, i) => i).sort((a, b) => contribution[b]! - contribution[a]!);

    const key = `${symbol}|${mode}`;
    let tracker = this.trackers.get(key);
    if (!tracker) {
      tracker = new SignalTracker();
      this.trackers.set(key, tracker);
    }
    const conflict = findConflict(timeframes, mode, tracker.conflicted);
    const comp = composite(timeframes, mode, conflict !== undefined);
    const update = tracker.update(comp.score, comp.confidence, conflict !== undefined);
    const against = update.direction === 'neutral' ? [] : timeframes.filter((t) => (update.direction === 'up' ? t.score < -LEAN : t.score > LEAN)).map((t) => t.tf);
    const snapshot: SignalSnapshot = Object.freeze({
      symbol,
      mode,
      t: r.t,
      composite: { score: comp.score, confidence: comp.confidence, direction: update.direction },
      timeframes,
      conflicted: update.conflicted,
      decelerating: update.fading,
      cards: order.map((i) => cards[i]!),
      sizing: sizingGuidance({ confidence: comp.confidence, conflicted: update.conflicted, fading: update.fading, warmingUp: r.warmingUp, direction: update.direction, against }).text,
      accuracy: TIMEFRAMES.map((tf) => this.accuracy.summary(symbol, tf, r.t)),
      conflictFollowUp: this.accuracy.conflictFollowUp(symbol, r.t),
    });
    if (update.events.some((e) => e.kind === 'conflict-start')) this.accuracy.noteConflict(symbol, r.t);
    this.snapshots.set(key, snapshot);
    for (const e of update.events) {
      const base = { symbol, mode, t: r.t, snapshot };
      this.emit(e.kind === 'transition' ? { ...base, kind: 'transition', from: e.from, to: e.to } : { ...base, kind: e.kind });
    }
  }

  private emit(ev: SignalEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.log('error', 'signal event listener failed', { symbol: ev.symbol, mode: ev.mode, kind: ev.kind, err });
      }
    }
  }
}

/** A failing card must not take the cycle down: it reads as "no call". */
function readCard(card: Card, input: Parameters<Card['read']>[0], tf: Timeframe): CardOutput {
  try {
    const out = card.read(input, tf);
    if (!Number.isFinite(out.score) || !Number.isFinite(out.confidence)) return { score: 0, strength: 0, confidence: 0, reason: `${card.label}: no reading` };
    return out;
  } catch (err) {
    return { score: 0, strength: 0, confidence: 0, reason: `${card.label}: failed (${(err as Error)?.message ?? String(err)})` };
  }
}
