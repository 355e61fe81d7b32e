import type { Timeframe } from '../types.ts';

/** Risk guidance from the composite's direction and confidence and the conflict flag. Never advice to trade. */
export interface SizingGuidance {
  /** Suggested ceiling as a fraction of the trader's usual risk, 0…1. */
  fraction: number;
  text: string;
}

export interface SizingInput {
  confidence: number;
  conflicted: boolean;
  fading: boolean;
  warmingUp?: boolean;
  /** The composite's direction after hysteresis; neutral means there is no read to size for. */
  direction?: 'up' | 'down' | 'neutral';
  /** Timeframes leaning against that direction (below the conflict threshold). */
  against?: readonly Timeframe[];
}

/**
 * The sizing line. It never says more than the read does: no direction → minimal; a timeframe
 * leaning the other way → not "aligned".
 */
export function sizingGuidance(s: SizingInput): SizingGuidance {
  if (s.warmingUp) return { fraction: 0, text: 'no sizing read yet: not enough data' };
  if (s.conflicted) return { fraction: 0.25, text: 'reduced size: timeframes conflict — at most about ¼ of your usual risk, if any' };
  if (s.direction === 'neutral') return { fraction: 0.25, text: 'minimal size: no directional read — at most about ¼ of your usual risk' };
  if (s.confidence < 0.2) return { fraction: 0.25, text: 'minimal size: the read is weak or unclear — at most about ¼ of your usual risk' };
  if (s.fading) return { fraction: 0.5, text: 'reduced size: momentum is fading — at most about half your usual risk' };
  if (s.confidence < 0.45) return { fraction: 0.5, text: 'reduced size: moderate read — at most about half your usual risk' };
  const against = s.against ?? [];
  if (against.length > 0) return { fraction: 0.5, text: `reduced size: confident read, but ${against.join(' and ')} ${against.length > 1 ? 'lean' : 'leans'} the other way — at most about half your usual risk` };
  return { fraction: 1, text: 'normal size at most: aligned, confident read — never more than your usual risk' };
}
