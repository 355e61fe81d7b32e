import type { Venue } from '../../../market/types.ts';
import type { Timeframe } from '../../types.ts';
import type { CardInput, Flow } from '../input.ts';
import { type Card, type CardOutput, clamp, directional, flat, saturate } from './card.ts';
import { formatScore, formatSignedPercent } from '../../../format/numbers.ts';

/** The mark gap's deviation is judged against at least this spread (bp): below it is noise. */
const GAP_STD_FLOOR_BP = 0.5;

/**
 * Cross-venue divergence (Binance vs Bybit): when one venue runs ahead of the other, the venue
 * with more volume usually leads and the other follows. Reads the mark gap against its usual
 * level and the taker flow of the leading venue against the lagging one.
 */
export const venueDivergence: Card = {
  id: 'venue-divergence',
  label: 'cross-venue divergence',
  prior: 0.7,
  read(input: CardInput, tf: Timeframe): CardOutput {
    const view = input.tf[tf];
    const bn = view.venueFlow.binance;
    const by = view.venueFlow.bybit;
    const gap = view.markGap;
    if (!bn || !by || bn.buy + bn.sell <= 0 || by.buy + by.sell <= 0) return flat('needs both Binance and Bybit flow');
    const leader: Venue = bn.buy + bn.sell >= by.buy + by.sell ? 'binance' : 'bybit';
    const lead = leader === 'binance' ? bn : by;
    const lag = leader === 'binance' ? by : bn;
    const flowGap = netFlow(lead) - netFlow(lag);

    let gapScore = 0;
    let gapText = 'no mark gap yet';
    if (gap) {
      const z = (gap.now - gap.mean) / Math.max(gap.std, GAP_STD_FLOOR_BP);
      // the gap is Binance − Bybit: Binance leading and richer than usual leans up
      gapScore = (leader === 'binance' ? 1 : -1) * Math.tanh(z / 2);
      gapText = `Binance ${signed(gap.now)} bp vs Bybit (usual ${signed(gap.mean)} bp)`;
    }
    const score = clamp(0.6 * gapScore + 0.4 * Math.tanh(2 * flowGap));
    const confidence = 0.6 * (gap ? saturate(gap.samples / 12) : 0.4);
    const name = (v: Venue) => (v === 'binance' ? 'Binance' : 'Bybit');
    return directional(
      score,
      confidence,
      `${name(leader)} leads; ${gapText}; taker flow ${name(leader)} ${signedPct(netFlow(lead))}, ${name(leader === 'binance' ? 'bybit' : 'binance')} ${signedPct(netFlow(lag))}`,
    );
  },
};

function netFlow(f: Flow): number {
  const v = f.buy + f.sell;
  return v > 0 ? (f.buy - f.sell) / v : 0;
}

function signed(x: number): string {
  return formatScore(x, 1);
}

function signedPct(x: number): string {
  return formatSignedPercent(x * 100, 0);
}
