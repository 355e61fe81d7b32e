import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { TIMEFRAME_SPECS } from '../spec.ts';
import { type Card, type CardOutput, directional, flat, saturate, windowLabel } from './card.ts';
import { formatSignedPercent } from '../../../format/numbers.ts';

/**
 * Taker flow: the slope of cumulative volume delta (taker buys − sells) over the recent window,
 * as a share of the volume traded. Aggressive buying leans up, aggressive selling down.
 */
export const takerFlow: Card = {
  id: 'taker-flow',
  label: 'taker flow',
  prior: 1,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const view = input.tf[tf];
    const spec = TIMEFRAME_SPECS[tf];
    const n = Math.min(spec.recent, view.buy.length);
    if (n < 3) return flat(`not enough ${tf} history yet`);
    const start = view.buy.length - n;
    // least-squares slope of cumulative delta against bucket index
    let cvd = 0;
    let volume = 0;
    let sx = 0;
    let sy = 0;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      const b = view.buy[start + i]!;
      const s = view.sell[start + i]!;
      cvd += b - s;
      volume += b + s;
      sx += i;
      sy += cvd;
      sxy += i * cvd;
      sxx += i * i;
    }
    if (volume <= 0) return flat(`no traded volume over ${windowLabel(n, tf)}`);
    const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const normalized = slope / (volume / n);
    const net = cvd / volume;
    const score = Math.tanh(3 * normalized);
    const confidence = 0.8 * saturate(view.filled / spec.buckets);
    const side = net >= 0 ? 'buying' : 'selling';
    return directional(
      score,
      confidence,
      `taker ${side}: net ${formatSignedPercent(net * 100, 0)} of volume over ${windowLabel(n, tf)}, CVD ${slope >= 0 ? 'rising' : 'falling'}`,
    );
  },
};
