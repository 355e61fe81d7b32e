import { TIMEFRAMES, type SignalMode, type Timeframe, type TimeframeSignal } from '../types.ts';
import { saturate } from './cards/card.ts';
import { CONFLICT_MIN_MODE_WEIGHT, MODE_SPECS } from './spec.ts';

/** One card's reading with the weight it carries in the composite. */
export interface WeightedReading {
  score: number;
  confidence: number;
  weight: number;
}

/** Composite |score| at which a timeframe's read counts as fully formed for its confidence. */
const FULL_STRENGTH = 0.3;

/**
 * Combines the cards of one timeframe. The score is the weighted mean of card scores, each card
 * weighing its (learned) weight × its confidence, so quiet cards dilute it. Confidence is high only
 * when cards cover the timeframe, agree in sign, and the result is not tiny.
 */
export function combineTimeframe(tf: Timeframe, readings: readonly WeightedReading[]): TimeframeSignal {
  let weightSum = 0;
  let evidence = 0;
  let signed = 0;
  let unsigned = 0;
  for (const r of readings) {
    const w = r.weight * r.confidence;
    weightSum += r.weight;
    evidence += w;
    signed += w * r.score;
    unsigned += w * Math.abs(r.score);
  }
  if (evidence <= 0 || weightSum <= 0) return { tf, score: 0, strength: 0, confidence: 0 };
  const score = signed / evidence;
  const agreement = unsigned > 0 ? Math.abs(signed) / unsigned : 0;
  const coverage = evidence / weightSum;
  const strength = Math.abs(score);
  const confidence = Math.sqrt(coverage) * agreement * saturate(strength / FULL_STRENGTH);
  return { tf, score, strength, confidence };
}

/** Thresholds of the conflict state; entering needs more than staying (hysteresis). */
export const CONFLICT = {
  enterStrength: 0.2,
  exitStrength: 0.1,
  minConfidence: 0.1,
} as const;

/**
 * Timeframes that matter to the mode disagree in sign, each with meaningful strength. Returns the
 * disagreeing pair, or undefined. `wasConflicted` lowers the bar so the flag does not flap.
 */
export function findConflict(
  timeframes: readonly TimeframeSignal[],
  mode: SignalMode,
  wasConflicted: boolean,
): [TimeframeSignal, TimeframeSignal] | undefined {
  const weights = MODE_SPECS[mode].weights;
  const bar = wasConflicted ? CONFLICT.exitStrength : CONFLICT.enterStrength;
  const relevant = timeframes.filter(
    (s) => weights[s.tf] >= CONFLICT_MIN_MODE_WEIGHT && s.strength >= bar && (wasConflicted || s.confidence >= CONFLICT.minConfidence),
  );
  let best: [TimeframeSignal, TimeframeSignal] | undefined;
  let bestScore = 0;
  for (let i = 0; i < relevant.length; i++) {
    for (let j = i + 1; j < relevant.length; j++) {
      const a = relevant[i]!;
      const b = relevant[j]!;
      if (Math.sign(a.score) === Math.sign(b.score)) continue;
      const s = Math.min(a.strength, b.strength);
      if (s > bestScore) {
        best = [a, b];
        bestScore = s;
      }
    }
  }
  return best;
}

/** A mode's composite over its timeframes; a conflict halves the confidence. */
export function composite(
  timeframes: readonly TimeframeSignal[],
  mode: SignalMode,
  conflicted: boolean,
): { score: number; confidence: number } {
  const weights = MODE_SPECS[mode].weights;
  let score = 0;
  let confidence = 0;
  for (const tf of TIMEFRAMES) {
    const s = timeframes.find((x) => x.tf === tf);
    if (!s) continue;
    score += weights[tf] * s.score;
    confidence += weights[tf] * s.confidence;
  }
  return { score: Math.max(-1, Math.min(1, score)), confidence: conflicted ? confidence * 0.5 : confidence };
}
