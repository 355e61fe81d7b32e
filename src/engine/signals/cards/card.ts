import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { formatPrice, formatSignedPercent, formatUsd } from '../../../format/numbers.ts';

/** What one card says about one symbol on one timeframe. */
export interface CardOutput {
  /** −1…+1; positive = up. */
  score: number;
  /** How pronounced the underlying effect is, 0…1. */
  strength: number;
  /** How much data backs the reading, 0…1. */
  confidence: number;
  /** One line a trader can read. */
  reason: string;
}

/** A signal card: a small pure function of the per-symbol input. */
export interface Card {
  /** Stable id, used as the learning key (e.g. `zone-magnet`). */
  id: string;
  /** Display name. */
  label: string;
  /** Weight in the composite before anything is learned. */
  prior: number;
  read(input: CardInput, tf: Timeframe): CardOutput;
}

export function clamp(x: number, lo = -1, hi = 1): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** 0…1, linear up to 1 at `x = 1`. */
export function saturate(x: number): number {
  return x <= 0 || !Number.isFinite(x) ? 0 : x >= 1 ? 1 : x;
}

/** A reading with no directional content. */
export function flat(reason: string, confidence = 0): CardOutput {
  return { score: 0, strength: 0, confidence, reason };
}

/** Score and strength from a signed magnitude, clamped. */
export function directional(score: number, confidence: number, reason: string): CardOutput {
  const s = clamp(Number.isFinite(score) ? score : 0);
  return { score: s, strength: Math.abs(s), confidence: saturate(confidence), reason };
}

/** A fraction as a signed percent (0.012 → `+1.20%`), via the one formatter. */
export function pct(x: number, digits = 2): string {
  return formatSignedPercent(x * 100, digits);
}

export const usd = formatUsd;

export function price(x: number, symbol?: string): string {
  return formatPrice(x, symbol);
}

/** Human span of the recent window of a timeframe, e.g. `5×5m`. */
export function windowLabel(recent: number, tf: Timeframe): string {
  return `${recent}×${tf}`;
}
