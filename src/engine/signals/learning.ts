import type { WeightState, WeightStats } from '../ports.ts';
import type { Timeframe } from '../types.ts';
import type { Card } from './cards/card.ts';
import { TIMEFRAME_SPECS } from './spec.ts';

/** Tuning of the online weight learner. */
export const LEARNING = {
  /** Each resolved sample multiplies older counts by this (memory of roughly 1 / (1 − decay) samples). */
  decay: 0.998,
  /** Pseudo-samples at 50 % that shrink the measured accuracy toward "no edge" while samples are few. */
  priorSamples: 30,
  /** Weight factor per unit of (shrunk accuracy − 0.5): 60 % → ×1.4, 40 % → ×0.6. */
  gain: 4,
  minFactor: 0.25,
  maxFactor: 2,
  /** A card reading closer to zero than this made no call and is not judged. */
  minScore: 0.05,
  /** A prediction not resolved within this many horizons (a data gap) is dropped. */
  maxLateHorizons: 2,
} as const;

interface Prediction {
  t: number;
  price: number;
  /** Card scores, in card order. */
  scores: Float64Array;
}

interface PendingQueue {
  lastSampleT: number;
  queue: Prediction[];
}

export function statsKey(cardId: string, symbol: string, tf: Timeframe): string {
  return `${cardId}|${symbol}|${tf}`;
}

/** Shrunk accuracy → weight factor, bounded. */
export function weightFactor(stats: Pick<WeightStats, 'hits' | 'n'> | undefined): number {
  const hits = stats?.hits ?? 0;
  const n = stats?.n ?? 0;
  const shrunk = (hits + LEARNING.priorSamples / 2) / (n + LEARNING.priorSamples);
  const f = 1 + LEARNING.gain * (shrunk - 0.5);
  return Math.min(LEARNING.maxFactor, Math.max(LEARNING.minFactor, f));
}

/**
 * Online measurement of each card's sign-hit rate per symbol and timeframe. Every cycle the engine
 * calls `observe`: predictions older than the timeframe's horizon (market clock) are resolved
 * against the price now, and a new prediction is sampled at most once per `sampleEveryMs`.
 */
export class WeightLearner {
  private readonly stats = new Map<string, WeightStats>();
  private readonly pending = new Map<string, PendingQueue>();
  /** Stats keys per symbol and timeframe, in card order (built once: the lookups run every refresh). */
  private readonly keys = new Map<string, string[]>();
  /** Set when counts changed since the last `toState`. */
  dirty = false;

  constructor(private readonly cards: readonly Card[]) {}

  /** Weights, measured accuracies and sample counts of every card for a symbol and timeframe, in card order. */
  readings(symbol: string, tf: Timeframe): { weight: number; accuracy: number | undefined; samples: number }[] {
    const keyId = `${symbol}|${tf}`;
    let keys = this.keys.get(keyId);
    if (!keys) {
      keys = this.cards.map((c) => statsKey(c.id, symbol, tf));
      this.keys.set(keyId, keys);
    }
    const out: { weight: number; accuracy: number | undefined; samples: number }[] = [];
    for (let i = 0; i < this.cards.length; i++) {
      const st = this.stats.get(keys[i]!);
      out.push({
        weight: this.cards[i]!.prior * weightFactor(st),
        accuracy: st && st.n > 0 ? st.hits / st.n : undefined,
        samples: st?.total ?? 0,
      });
    }
    return out;
  }

  weight(card: Card, symbol: string, tf: Timeframe): number {
    return card.prior * weightFactor(this.stats.get(statsKey(card.id, symbol, tf)));
  }

  /** Measured (unshrunk) hit rate and samples resolved so far. */
  accuracy(cardId: string, symbol: string, tf: Timeframe): { accuracy?: number; samples: number } {
    const s = this.stats.get(statsKey(cardId, symbol, tf));
    if (!s || s.n <= 0) return { samples: s?.total ?? 0 };
    return { accuracy: s.hits / s.n, samples: s.total };
  }

  observe(symbol: string, tf: Timeframe, t: number, price: number, scores: ArrayLike<number>): void {
    if (!(price > 0) || !Number.isFinite(t)) return;
    const spec = TIMEFRAME_SPECS[tf];
    const key = `${symbol}|${tf}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { lastSampleT: -Infinity, queue: [] };
      this.pending.set(key, p);
    }
    while (p.queue.length > 0 && t - p.queue[0]!.t >= spec.horizonMs) {
      const pred = p.queue.shift()!;
      if (t - pred.t <= LEARNING.maxLateHorizons * spec.horizonMs) this.resolve(symbol, tf, pred, price);
    }
    if (t - p.lastSampleT >= spec.sampleEveryMs) {
      p.lastSampleT = t;
      p.queue.push({ t, price, scores: Float64Array.from(scores) });
    }
  }

  private resolve(symbol: string, tf: Timeframe, pred: Prediction, price: number): void {
    const ret = price / pred.price - 1;
    if (ret === 0) return;
    const up = ret > 0;
    for (let i = 0; i < this.cards.length; i++) {
      const s = pred.scores[i]!;
      if (!(Math.abs(s) >= LEARNING.minScore)) continue;
      const key = statsKey(this.cards[i]!.id, symbol, tf);
      let st = this.stats.get(key);
      if (!st) {
        st = { hits: 0, n: 0, total: 0 };
        this.stats.set(key, st);
      }
      st.hits = st.hits * LEARNING.decay + (s > 0 === up ? 1 : 0);
      st.n = st.n * LEARNING.decay + 1;
      st.total++;
      this.dirty = true;
    }
  }

  toState(now: number): WeightState {
    const stats: Record<string, WeightStats> = {};
    const priors = new Map(this.cards.map((c) => [c.id, c.prior]));
    for (const [k, s] of this.stats) {
      const prior = priors.get(k.slice(0, k.indexOf('|'))) ?? 1;
      stats[k] = { hits: s.hits, n: s.n, total: s.total, weight: prior * weightFactor(s) };
    }
    this.dirty = false;
    return { version: 1, savedAt: now, stats };
  }

  /** Replaces the counts with stored ones (pending predictions are not persisted: they resolve within hours). */
  loadState(state: WeightState): void {
    this.stats.clear();
    for (const [k, s] of Object.entries(state.stats)) this.stats.set(k, { hits: s.hits, n: s.n, total: s.total });
    this.dirty = false;
  }
}
