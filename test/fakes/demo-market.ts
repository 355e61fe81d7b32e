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
  /**
   * Let the simulator pick regimes itself (calm, chop, trends, reversals, bursts, crowding
   * episodes) so zones get built, approached and swept (default true). False holds every symbol calm.
   */
  autoRegimes?: boolean;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', msg: string, extra?: object) => void;
}

export interface DemoMarket {
  simulator: MarketSimulator;
  endpoints: { binance: { wsUrl: string; restUrl: string }; bybit: { wsUrl: string; restUrl: string } };
  fakes: { binance: FakeBinance; bybit: FakeBybit };
  /** Manual control (the console's /demo command). */
  setRegime(symbol: string, regime: Regime): void;
  driveToward(symbol: string, price: number, overMs: number): void;
  stop(): Promise<void>;
}

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

  if (opts.autoRegimes === false) simulator.setRegime('all', 'calm');
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

  return {
    simulator,
    endpoints: { binance: b, bybit: y },
    fakes: { binance, bybit },
    setRegime(symbol, regime) {
      // a demo reversal turns after 90 s so the conflict shows while someone is watching
      simulator.setRegime(symbol, regime, regime === 'reversal' ? { legMs: 90_000 } : {});
    },
    driveToward(symbol, price, overMs) {
      simulator.driveToward(symbol, price, overMs);
    },
    async stop() {
      clearInterval(timer);
      await Promise.all([binance.stop(), bybit.stop()]);
    },
  };
}
