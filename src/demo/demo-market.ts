/**
 * The demo market: the agent-based simulator driving the same fake Binance, Bybit, OKX and
 * Hyperliquid servers the tests use, on loopback (only the venues asked for). `liqzone demo` points the real venue clients at these, so everything
 * downstream (mappers, state, engines, commands, notifier) runs exactly as it does live.
 */
import type { Venue } from '../market/types.ts';
import { FakeBinance } from './binance.ts';
import { FakeBybit } from './bybit.ts';
import { FakeHyperliquid, hyperliquidFakeInstruments } from './hyperliquid.ts';
import { FakeOkx } from './okx.ts';
import { okxFakeInstruments } from './okx-encode.ts';
import { MarketSimulator, type Regime, type RegimeOptions } from './simulator.ts';
import type { FakeMarketData } from './ws-server.ts';
import type { LogFn } from '../ops/log.ts';

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
  /** No clock of its own: the caller moves the market with `step()` (deterministic tests). */
  manual?: boolean;
  /**
   * Market clock at the start, ms. Default: now (a manual market: the current whole minute). A test
   * that must replay exactly passes a fixed time: where the start falls within the hour decides how
   * the 5-minute and hourly bars are cut, and so what the 5m and 1h reads say.
   */
  startTime?: number;
  log?: LogFn;
}

export interface DemoMarket {
  simulator: MarketSimulator;
  /** Binance and Bybit always; OKX and Hyperliquid when asked for in `venues`. */
  endpoints: { binance: { wsUrl: string; restUrl: string }; bybit: { wsUrl: string; restUrl: string }; okx?: { wsUrl: string; restUrl: string }; hyperliquid?: { wsUrl: string; restUrl: string } };
  fakes: { binance: FakeBinance; bybit: FakeBybit; okx?: FakeOkx; hyperliquid?: FakeHyperliquid };
  /** Manual control (the console's /demo command). Returns what will happen and roughly when, where that is worth saying. */
  setRegime(symbol: string, regime: Regime): string | undefined;
  driveToward(symbol: string, price: number, overMs: number): void;
  /** Advances the simulated market by `dtMs` and sends what happened to the fakes; returns the event count. */
  step(dtMs: number): number;
  stop(): Promise<void>;
}

/**
 * The shape of a demo reversal (simulated time), tuned against the signal engine so the day read
 * shows a timeframe conflict: a first leg hard and long enough that the 5m read (25-minute window)
 * and the 1h read (5-hour window) carry it, then a turn that flips the 1m read (5-minute window)
 * a few minutes in, while the slower reads still point the old way. Damped noise lets the legs
 * stand out. The default 90-second legs were smaller than the noise and every timeframe flipped
 * together, so no conflict ever showed.
 */
export const DEMO_REVERSAL = {
  /** First leg: 16× the usual reversal drift for 3 min (about +3 % on ETH, traders' flow included). */
  legMs: 3 * 60_000,
  legDrift: 16,
  /**
   * The turn: under a third of that pace for 5 min, then the usual second-leg drift. At half the pace
   * (8) the turn, with the liquidations it set off, could win back the whole leg before the 1m read
   * flipped, so 5m and 1h flipped with it and no conflict showed: 8 of 60 start minutes within the
   * hour, seed 11. At 5: 60 of 60, and seeds 1–8 at four start minutes each.
   */
  turnMs: 5 * 60_000,
  turnDrift: 5,
  noise: 0.4,
  /** When the 1m read usually flips, counted from the turn. */
  flipAfterMs: [3 * 60_000, 5 * 60_000] as const,
} as const;

/**
 * Which way a demo reversal's first leg goes: the way the symbol already leans over the last hour
 * and the last five hours (each move in units of its typical size), so the build-up reinforces
 * what the 1h read carries instead of fighting it. `closes`: 1-minute closes, oldest first.
 */
export function reversalFirstLeg(closes: readonly number[]): 'up' | 'down' {
  const n = closes.length;
  if (n < 3) return 'up';
  let sumSq = 0;
  for (let i = 1; i < n; i++) sumSq += Math.log(closes[i]! / closes[i - 1]!) ** 2;
  const sigma = Math.sqrt(sumSq / (n - 1));
  if (!(sigma > 0)) return 'up';
  const last = closes[n - 1]!;
  const lean = (minutes: number) => {
    const span = Math.min(minutes, n - 1);
    return Math.log(last / closes[n - 1 - span]!) / (sigma * Math.sqrt(span));
  };
  return lean(60) + lean(300) >= 0 ? 'up' : 'down';
}

/** Options for the simulator and a note for the operator: what happens, and roughly when in wall time. */
export function demoReversal(symbol: string, direction: 'up' | 'down', speed: number): { options: RegimeOptions; note: string } {
  const r = DEMO_REVERSAL;
  const [up, down] = direction === 'up' ? ['up', 'down'] : ['down', 'up'];
  const rally = direction === 'up' ? 'rally' : 'sell-off';
  const wall = (ms: number) => ms / speed;
  const conflictFrom = wall(r.legMs + r.flipAfterMs[0]);
  const conflictTo = wall(r.legMs + r.flipAfterMs[1]);
  const note =
    `${symbol} reversal: a hard ${rally} for ${span(wall(r.legMs))} (so the 5m and 1h reads lean ${up}), then a turn ${down}, ` +
    `fast for ${span(wall(r.turnMs))}, then steadier. The 1m read flips about ${span(wall(r.flipAfterMs[0]), wall(r.flipAfterMs[1]))} into the turn while 5m/1h still lean ${up}: ` +
    `expect a timeframe conflict in about ${span(conflictFrom, conflictTo)} (watch /signal ${symbol}; the day read refreshes once a minute), ` +
    `clearing once the ${down} leg carries 5m and 1h over` +
    (speed !== 1 ? ` (wall-clock times at ×${speed} speed).` : '.');
  return {
    options: { direction, legMs: r.legMs, legDrift: r.legDrift, turnDrift: r.turnDrift, turnMs: r.turnMs, noise: r.noise },
    note,
  };
}

/** "3 min", "40 s", "6–8 min". */
function span(fromMs: number, toMs?: number): string {
  const unit = (toMs ?? fromMs) >= 90_000 ? 60_000 : 1000;
  const label = unit === 60_000 ? 'min' : 's';
  const a = Math.max(1, Math.round(fromMs / unit));
  const b = toMs === undefined ? a : Math.max(a, Math.round(toMs / unit));
  return a === b ? `${a} ${label}` : `${a}–${b} ${label}`;
}

export async function startDemoMarket(opts: DemoMarketOptions): Promise<DemoMarket> {
  const venues = opts.venues ?? ['binance', 'bybit'];
  const speed = opts.speed ?? 1;
  const stepMs = opts.stepMs ?? 100;
  // A manual market starts on a whole minute so a given seed replays the same bars every run.
  const start = opts.startTime ?? (opts.manual ? Math.floor(Date.now() / 60_000) * 60_000 : Date.now());
  // OKX and Hyperliquid push open interest on their sockets, as Bybit does; Binance is polled
  const simulator = new MarketSimulator({ symbols: opts.symbols, venues, seed: opts.seed ?? 7, startTime: start, oiEventVenues: ['bybit', 'okx', 'hyperliquid'] });
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
  const okx = venues.includes('okx') ? new FakeOkx({ instruments: okxFakeInstruments(opts.symbols), data: data('okx'), markPrice: (s) => simulator.price(s) }) : undefined;
  const hyperliquid = venues.includes('hyperliquid') ? new FakeHyperliquid({ instruments: hyperliquidFakeInstruments(opts.symbols), data: data('hyperliquid'), seed: opts.seed ?? 7 }) : undefined;
  const [b, y, o, h] = await Promise.all([binance.start(), bybit.start(), okx?.start(), hyperliquid?.start()]);

  if (opts.autoRegimes === false) simulator.setRegime('all', 'calm');
  const step = (dt: number): number => {
    const events = simulator.advance(dt);
    for (const ev of events) {
      if (ev.venue === 'binance') binance.push(ev);
      else if (ev.venue === 'bybit') bybit.push(ev);
      else if (ev.venue === 'okx') okx?.push(ev);
      else hyperliquid?.push(ev);
    }
    return events.length;
  };
  let last = Date.now();
  const timer = opts.manual
    ? undefined
    : setInterval(() => {
        const wall = Date.now();
        const dt = Math.min(5_000, (wall - last) * speed);
        last = wall;
        try {
          step(dt);
        } catch (err) {
          opts.log?.('error', `simulator step failed: ${(err as Error).message}`);
        }
      }, stepMs);

  return {
    simulator,
    endpoints: { binance: b, bybit: y, ...(o ? { okx: o } : {}), ...(h ? { hyperliquid: h } : {}) },
    fakes: { binance, bybit, ...(okx ? { okx } : {}), ...(hyperliquid ? { hyperliquid } : {}) },
    step,
    setRegime(symbol, regime) {
      if (regime !== 'reversal') {
        simulator.setRegime(symbol, regime);
        return undefined;
      }
      const venue = simulator.venues[0]!;
      const closes = simulator.history(venue, symbol, { bars: 300, oiPoints: 0 }).bars.map((b) => b.close);
      closes.push(simulator.price(symbol));
      const plan = demoReversal(symbol, reversalFirstLeg(closes), speed);
      simulator.setRegime(symbol, 'reversal', plan.options);
      return plan.note;
    },
    driveToward(symbol, price, overMs) {
      simulator.driveToward(symbol, price, overMs);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await Promise.all([binance.stop(), bybit.stop(), okx?.stop(), hyperliquid?.stop()]);
    },
  };
}
