/** Risk guidance from the composite's confidence and the conflict flag. Never advice to trade. */
export interface SizingGuidance {
  /** Suggested ceiling as a fraction of the trader's usual risk, 0…1. */
  fraction: number;
  text: string;
}

export function sizingGuidance(confidence: number, conflicted: boolean, fading: boolean, warmingUp = false): SizingGuidance {
  if (warmingUp) return { fraction: 0, text: 'no sizing read yet: not enough data' };
  if (conflicted) return { fraction: 0.25, text: 'reduced size: timeframes conflict — at most about ¼ of your usual risk, if any' };
  if (confidence < 0.2) return { fraction: 0.25, text: 'minimal size: the read is weak or unclear — at most about ¼ of your usual risk' };
  if (fading) return { fraction: 0.5, text: 'reduced size: momentum is fading — at most about half your usual risk' };
  if (confidence < 0.45) return { fraction: 0.5, text: 'reduced size: moderate read — at most about half your usual risk' };
  return { fraction: 1, text: 'normal size at most: aligned, confident read — never more than your usual risk' };
}
