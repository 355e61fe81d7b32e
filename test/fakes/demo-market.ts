/**
 * The demo market: the agent-based simulator driving the same fake Binance and Bybit servers the
 * tests use, on loopback. `liqzone demo` points the real venue clients at these, so everything
 * downstream (mappers, state, engines, commands, notifier) runs exactly as it does live.
 */
import type { Venue } from '../../src/market/types.ts';
import { FakeBinance } from './binance.ts';
import { FakeBybit } from './bybit.ts';
import { MarketSimulator, type Regime } from './simulator.ts';
import type { FakeMarketData } from './ws-server.ts';

export interface DemoMarketOptions {
  symbols: string[];
  venues?: Venue[];
  seed?: number;
  /** Simulated seconds per wall-clock second (default 1). */
  speed?: number;
  /** Wall-clock step of the simulator, ms (default 100). */
  stepMs?: number;
  /** Cycle regimes on their own so zones get approached, swept and rebuilt (default true). */
  autoRegimes?: boolean;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', msg: string, extra?: object) => void;
}

export interface DemoMarket {
  simulator: MarketSimulator;
  endpoints: { binance: { wsUrl: string; restUrl: string }; bybit: { wsUrl: string; restUrl: string } };
  fakes: { binance: FakeBinance; bybit: FakeBybit };
  /** Manual control (the console's /demo command): pauses the automatic regime cycle for that symbol. */
  setRegime(symbol: string, regime: Regime): void;
  driveToward(symbol: string, price: number, overMs: number): void;
  stop(): Promise<void>;
}

const AUTO_CYCLE: Regime[] = ['calm', 'trend-up', 'chop', 'reversal', 'calm', 'trend-down', 'burst', 'chop'];

export async function startDemoMarket(opts: DemoMarketOptions): Promise<DemoMarket> {
  const venues = opts.venues ?? ['binance', 'bybit'];
  const speed = opts.speed ?? 1;
  const stepMs = opts.stepMs ?? 100;
  const simulator = new MarketSimulator({ symbols: opts.symbols, venues, seed: opts.seed ?? 7, startTime: Date.now() });
  const data = (venue: Venue): FakeMarketData => ({
    bars: (symbol, limit) => simulator.history(venue, symbol, { bars: limit, oiPoints: 0 }).bars,
    oiHistory: (symbol, limit) => simulator.history(venue, symbol, { bars: 0, oiPoints: limit }).oi,
    openInterest: (symbol) => {
      const oi = simulator.openInterest(venue, symbol);
      return { t: simulator.now(), oiBase: oi.oiBase, oiUsd: oi.oiUsd };
    },
  });
  const binance = new FakeBinance({ data: data('binance') });
  const bybit = new FakeBybit({ data: data('bybit') });
  const [b, y] = await Promise.all([binance.start(), bybit.start()]);

  const manual = new Set<string>();
  let last = Date.now();
  const timer = setInterval(() => {
    const wall = Date.now();
    const dt = Math.min(5_000, (wall - last) * speed);
    last = wall;
    try {
      for (const ev of simulator.advance(dt)) {
        if (ev.venue === 'binance') binance.push(ev);
        else bybit.push(ev);
      }
    } catch (err) {
      opts.log?.('error', `simulator step failed: ${(err as Error).message}`);
    }
  }, stepMs);

  // Regimes rotate every few simulated minutes, staggered per symbol, unless set by hand.
  let cycle = 0;
  const regimeTimer =
    opts.autoRegimes === false
      ? undefined
      : setInterval(() => {
          cycle++;
          opts.symbols.forEach((s, i) => {
            if (!manual.has(s)) simulator.setRegime(s, AUTO_CYCLE[(cycle + i) % AUTO_CYCLE.length]!);
          });
        }, Math.max(5_000, 180_000 / speed));

  return {
    simulator,
    endpoints: { binance: b, bybit: y },
    fakes: { binance, bybit },
    setRegime(symbol, regime) {
      manual.add(symbol);
      simulator.setRegime(symbol, regime);
    },
    driveToward(symbol, price, overMs) {
      manual.add(symbol);
      simulator.driveToward(symbol, price, overMs);
    },
    async stop() {
      clearInterval(timer);
      if (regimeTimer) clearInterval(regimeTimer);
      await Promise.all([binance.stop(), bybit.stop()]);
    },
  };
}
