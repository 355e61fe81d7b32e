import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { type Card, type CardOutput, directional, flat } from './card.ts';
import { formatScore } from '../../../format/numbers.ts';

/** The top of the book speaks for seconds to minutes, hardly for hours. */
const TIMEFRAME_RELEVANCE: Record<Timeframe, number> = { '1m': 1, '5m': 0.6, '1h': 0.25 };

/** Book imbalance: resting size at the best bid against the best ask, smoothed over the timeframe. */
export const bookImbalance: Card = {
  id: 'book',
  label: 'book imbalance',
  prior: 0.7,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const imb = input.tf[tf].bookImbalance;
    if (imb === undefined) return flat('no fresh order book');
    const side = imb >= 0 ? 'bids' : 'asks';
    return directional(
      imb * 1.5,
      0.6 * TIMEFRAME_RELEVANCE[tf],
      `${side} heavier at the top of the book (imbalance ${formatScore(imb)}, smoothed over ${tf})`,
    );
  },
};
