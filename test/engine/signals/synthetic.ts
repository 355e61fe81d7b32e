/**
 * A small deterministic market for signal tests: applies synthetic MarketEvents (bars, trades,
 * marks, OI, book, liquidations) to a real MarketState under a controllable clock, following a
 * regime (drift, noise, taker bias, OI drift) the test chooses.
 */
import { MarketState } from '../../../src/market/state.ts';
import type { MarketEvent, Venue } from '../../../src/market/types.ts';
import { mulberry32 } from '../../../testkit/random.ts';

export interface Regime {
  /** Expected return per minute (fraction). */
  drift: number;
  /** Noise per minute (fraction, standard deviation). */
  vol: number;
  /** Probability that a trade is a taker buy. */
  buyShare: number;
  /** Open-interest change per minute (fraction). */
  oiDrift: number;
  /** Top-of-book imbalance shown (−1…+1); default from the taker bias. */
  imbalance?: number;
  /** Liquidations per minute of each side, USD. */
  liqLongUsd?: number;
  liqShortUsd?: number;
}

export const TREND_UP: Regime = { drift: 0.0006, vol: 0.0004, buyShare: 0.64, oiDrift: 0.0004 };
export const TREND_DOWN: Regime = { drift: -0.0006, vol: 0.0004, buyShare: 0.36, oiDrift: 0.0004 };
export const CHOP: Regime = { drift: 0, vol: 0.0006, buyShare: 0.5, oiDrift: 0 };
/** A sharp reversal: heavy selling, rising OI, longs liquidated. */
export const DUMP: Regime = { drift: -0.0025, vol: 0.0005, buyShare: 0.25, oiDrift: 0.0008, liqLongUsd: 400_000, liqShortUsd: 20_000 };

export const MINUTE = 60_000;
export const STEP_MS = 10_000;

export const rng = mulberry32;

interface SymbolSim {
  price: number;
  oi: number;
  funding: number;
}

export class SyntheticMarket {
  readonly state = new MarketState();
  readonly venues: Venue[];
  t: number;
  private readonly random: () => number;
  private readonly sims = new Map<string, SymbolSim>();

  constructor(opts: { symbols: string[]; start?: number; price?: number; seed?: number; venues?: Venue[] }) {
    this.t = opts.start ?? Date.UTC(2026, 0, 5, 0, 0, 0);
    this.random = rng(opts.seed ?? 1);
    this.venues = opts.venues ?? ['binance', 'bybit'];
    for (const s of opts.symbols) this.sims.set(s, { price: opts.price ?? 3000, oi: 1_000_000, funding: 0.0000125 });
  }

  now = (): number => this.t;

  symbols(): string[] {
    return [...this.sims.keys()];
  }

  private gauss(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** Seeds `minutes` of closed 1m bars ending at the current clock (a REST bootstrap), plus OI and funding history. */
  seedHistory(minutes: number, regime: Regime): void {
    const start = this.t - minutes * MINUTE;
    for (const [symbol, sim] of this.sims) {
      // walk backwards so the history ends at the current price
      const closes: number[] = [];
      const ois: number[] = [];
      let p = sim.price;
      let oi = sim.oi;
      for (let i = 0; i < minutes; i++) {
        closes.unshift(p);
        ois.unshift(oi);
        p /= 1 + regime.drift + regime.vol * this.gauss();
        oi /= 1 + regime.oiDrift;
      }
      for (let i = 0; i < minutes; i++) {
        const t = start + i * MINUTE;
        const close = closes[i]!;
        const open = i > 0 ? closes[i - 1]! : close;
        for (const venue of this.venues) {
          const volume = 100 + 20 * this.random();
          const ev: MarketEvent = {
            kind: 'bar',
            venue,
            symbol,
            exchTime: t + MINUTE - 1,
            recvTime: t + MINUTE - 1,
            openTime: t,
            open,
            high: Math.max(open, close) * (1 + regime.vol * 0.3),
            low: Math.min(open, close) * (1 - regime.vol * 0.3),
            close,
            volume,
            takerBuyVolume: volume * clamp01(regime.buyShare + 0.05 * this.gauss()),
          };
          this.state.apply(ev);
          this.apply({ kind: 'oi', venue, symbol, exchTime: t, recvTime: t, oiBase: ois[i]!, oiUsd: ois[i]! * close });
          this.apply({ kind: 'mark', venue, symbol, exchTime: t, recvTime: t, mark: close, fundingRateHourly: sim.funding * (1 + 0.05 * this.gauss()) });
        }
      }
    }
  }

  private apply(ev: MarketEvent): void {
    this.state.apply(ev);
  }

  /** Advances the clock by one 10-second step under a regime, per symbol. */
  step(regime: Regime | ((symbol: string) => Regime)): void {
    const next = this.t + STEP_MS;
    const frac = STEP_MS / MINUTE;
    for (const [symbol, sim] of this.sims) {
      const r = typeof regime === 'function' ? regime(symbol) : regime;
      const trades = 6;
      for (let i = 0; i < trades; i++) {
        const t = this.t + Math.floor(((i + 1) * STEP_MS) / (trades + 1));
        sim.price *= 1 + (r.drift * frac) / trades + r.vol * Math.sqrt(frac / trades) * this.gauss();
        for (const venue of this.venues) {
          const px = sim.price * (venue === 'bybit' ? 1 + 0.00002 * this.gauss() : 1);
          this.apply({ kind: 'trade', venue, symbol, exchTime: t, recvTime: t, price: px, qty: 2 + this.random() * 2, side: this.random() < r.buyShare ? 'buy' : 'sell' });
        }
      }
      sim.oi *= 1 + r.oiDrift * frac + 0.00005 * this.gauss();
      const imbalance = r.imbalance ?? Math.max(-1, Math.min(1, (r.buyShare - 0.5) * 2 + 0.1 * this.gauss()));
      for (const venue of this.venues) {
        const px = sim.price;
        this.apply({ kind: 'mark', venue, symbol, exchTime: next, recvTime: next, mark: px, index: px, fundingRateHourly: sim.funding * (1 + 0.05 * this.gauss()) });
        this.apply({ kind: 'oi', venue, symbol, exchTime: next, recvTime: next, oiBase: sim.oi, oiUsd: sim.oi * px });
        const bidSize = 10 * (1 + imbalance);
        const askSize = 10 * (1 - imbalance);
        this.apply({ kind: 'book', venue, symbol, exchTime: next, recvTime: next, bid: px * 0.9999, bidSize, ask: px * 1.0001, askSize, imbalance });
        if (venue === 'bybit') {
          for (const [side, usd] of [['long', r.liqLongUsd], ['short', r.liqShortUsd]] as const) {
            if (!usd) continue;
            const notional = usd * frac;
            this.apply({ kind: 'liquidation', venue, symbol, exchTime: next, recvTime: next, side, price: px, qty: notional / px, notionalUsd: notional });
          }
        }
      }
    }
    this.t = next;
  }

  price(symbol: string): number {
    return this.sims.get(symbol)!.price;
  }
}

function clamp01(x: number): number {
  return Math.max(0, Math.min(1, x));
}
