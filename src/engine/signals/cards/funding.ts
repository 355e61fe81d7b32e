import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { type Card, type CardOutput, directional, flat, saturate } from './card.ts';
import { formatSignedPercent } from '../../../format/numbers.ts';

/** Funding is slow: it says little about the next minutes and more about the next hours. */
const TIMEFRAME_RELEVANCE: Record<Timeframe, number> = { '1m': 0.3, '5m': 0.6, '1h': 1 };
/** Below this deviation (hourly rate) funding is "normal" whatever the z-score says. */
const STD_FLOOR = 2e-6;
const MIN_SAMPLES = 30;

/**
 * Funding extremes against the symbol's own history, read contrarian: funding far above its
 * usual level means crowded longs (a lean down), far below crowded shorts (a lean up).
 */
export const fundingExtremes: Card = {
  id: 'funding',
  label: 'funding extremes',
  prior: 0.8,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const f = input.funding;
    if (!f) return flat('no funding rate yet');
    if (f.samples < MIN_SAMPLES) return flat(`funding history too short (${f.samples} samples)`);
    const z = (f.rate - f.mean) / Math.max(f.std, STD_FLOOR);
    const rateText = `${formatSignedPercent(f.rate * 100, 4)}/h`;
    const confidence = saturate(f.samples / 240) * TIMEFRAME_RELEVANCE[tf];
    const extremity = saturate((Math.abs(z) - 1) / 2);
    if (extremity === 0) return { ...flat(`funding ${rateText} is within its usual range (${z.toFixed(1)}σ)`, confidence) };
    const crowded = z > 0 ? 'crowded longs' : 'crowded shorts';
    return directional(
      -Math.sign(z) * extremity,
      confidence,
      `funding ${rateText} is ${Math.abs(z).toFixed(1)}σ ${z > 0 ? 'above' : 'below'} its own mean (${crowded}): contrarian ${z > 0 ? 'down' : 'up'}`,
    );
  },
};
