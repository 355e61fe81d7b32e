import type { Timeframe } from '../../types.ts';
import type { CardInput } from '../input.ts';
import { TIMEFRAME_SPECS } from '../spec.ts';
import { type Card, type CardOutput, directional, flat, saturate, usd, windowLabel } from './card.ts';

/** The last minute counts as a cascade at this multiple of the normal per-minute liquidation rate. */
const CASCADE_MULTIPLE = 5;
const CASCADE_MIN_EVENTS = 3;

/**
 * Realized liquidation flow: which side is being force-closed. Shorts liquidated are forced buys
 * (up), longs liquidated forced sells (down); a burst far above the normal rate is a cascade and
 * dominates the short timeframes. Realized volume is a lower bound (Binance only samples).
 */
export const liquidationFlow: Card = {
  id: 'liq-flow',
  label: 'liquidation flow',
  prior: 1,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const view = input.tf[tf];
    const spec = TIMEFRAME_SPECS[tf];
    const span = windowLabel(spec.recent, tf);
    const { longUsd, shortUsd, count } = view.liq;
    const total = longUsd + shortUsd;
    const burst = input.liqBurst;
    const burstUsd = burst.longUsd + burst.shortUsd;
    const cascade =
      tf !== '1h' && burst.count >= CASCADE_MIN_EVENTS && burstUsd > 0 && burstUsd >= CASCADE_MULTIPLE * burst.baselinePerMinUsd;
    if (total <= 0 && !cascade) return flat(`no liquidations over ${span}`, saturate(view.filled / spec.buckets) * 0.3);

    const imbalance = total > 0 ? (shortUsd - longUsd) / total : 0;
    // liquidations as a share of traded notional: 0.5 % of the tape is already a lot
    const intensity = saturate(total / Math.max(view.notionalUsd, 1) / 0.005);
    let score = imbalance * (0.3 + 0.7 * intensity);
    let confidence = saturate(count / 8) * 0.8;
    const dominant = shortUsd >= longUsd ? 'shorts' : 'longs';
    let reason = `${dominant} liquidated: ${usd(Math.max(longUsd, shortUsd))} vs ${usd(Math.min(longUsd, shortUsd))} ${dominant === 'shorts' ? 'longs' : 'shorts'} over ${span} (lower bound)`;
    if (cascade) {
      const side = burst.shortUsd >= burst.longUsd ? 1 : -1;
      const multiple = burst.baselinePerMinUsd > 0 ? burstUsd / burst.baselinePerMinUsd : Infinity;
      score = side * Math.max(Math.abs(score), 0.8);
      confidence = Math.max(confidence, 0.7);
      // the amount named for a side is that side's own; the other side's is said beside it
      const main = side > 0 ? burst.shortUsd : burst.longUsd;
      const other = side > 0 ? burst.longUsd : burst.shortUsd;
      reason = `cascade: ${usd(main)} of ${side > 0 ? 'shorts' : 'longs'}${other > 0 ? ` (and ${usd(other)} of ${side > 0 ? 'longs' : 'shorts'})` : ''} liquidated in the last minute${Number.isFinite(multiple) ? `, ${multiple.toFixed(0)}× the usual rate` : ''} (lower bound)`;
    }
    return directional(score, confidence, reason);
  },
};
