import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { TIMEFRAME_SPECS } from '../spec.ts';
import { type Card, type CardOutput, directional, flat, pct, saturate, windowLabel } from './card.ts';

/** An OI change of this size over the recent window counts as a full-strength move. */
const OI_SCALE: Record<Timeframe, number> = { '1m': 0.002, '5m': 0.005, '1h': 0.02 };

/**
 * Open interest against price, the four quadrants: rising OI confirms the move (new longs in a
 * rally, new shorts in a sell-off); falling OI means the move is positions closing (short
 * covering, long unwinding), the same lean but weaker.
 */
export const openInterestPrice: Card = {
  id: 'oi-price',
  label: 'open interest vs price',
  prior: 1,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const view = input.tf[tf];
    const spec = TIMEFRAME_SPECS[tf];
    const span = windowLabel(spec.recent, tf);
    const dp = view.priceChange;
    const doi = view.oiChange;
    if (dp === undefined) return flat(`not enough ${tf} history yet`);
    if (doi === undefined) return flat(`no open-interest history over ${span}`);
    const typicalMove = Math.max(view.returnRms * Math.sqrt(spec.recent), 1e-5);
    const priceMag = saturate(Math.abs(dp) / (1.5 * typicalMove));
    const oiMag = saturate(Math.abs(doi) / OI_SCALE[tf]);
    const up = dp >= 0;
    const oiUp = doi >= 0;
    const [lean, label] = up
      ? oiUp
        ? [1, 'new longs: price and OI rising']
        : [0.35, 'short covering: price up, OI falling']
      : oiUp
        ? [-1, 'new shorts: price falling, OI rising']
        : [-0.35, 'long unwinding: price and OI falling'];
    const score = lean * Math.sqrt(priceMag * oiMag);
    const confidence = 0.7 * saturate(view.filled / spec.buckets);
    return directional(score, confidence, `${label} (price ${pct(dp)}, OI ${pct(doi)} over ${span})`);
  },
};
