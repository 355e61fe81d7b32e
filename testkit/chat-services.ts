/**
 * Test doubles shared by the platform end-to-end tests, the chart test and the chat bench:
 * a constructed ZoneSnapshot (the real engine is built elsewhere), an exit plan, a small
 * subscription service that enforces the channel-permission rule, and a Services object.
 * Imports nothing from vitest so the bench and a manual demo can use it.
 */
import { allCommands } from '../commands/index.ts';
import { createChartService } from '../src/bot/charts.ts';
import type { Caller } from '../src/bot/command.ts';
import { CommandRegistry } from '../src/bot/registry.ts';
import { errorReply, type Reply } from '../src/bot/reply.ts';
import type { ChartService, Services } from '../src/bot/services.ts';
import { DEFAULT_MIN_CLUSTER_SHARE, unrealizedPnl } from '../src/engine/exit.ts';
import type { ExitPlan, ExitRequest, LiquidationBin, Zone, ZoneSnapshot } from '../src/engine/types.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import type { SubscriptionService } from '../src/bot/services.ts';
import { HeatmapBook, type HeatmapWindow } from '../src/engine/heatmap.ts';

/** A deterministic snapshot: two long clusters below the price, two short clusters above. */
export function makeSnapshot(symbol = 'ETH', price = 3150, seq = 1): ZoneSnapshot {
  const binSize = price * 0.001;
  const bins: LiquidationBin[] = [];
  const bump = (x: number, centre: number, width: number, height: number) => height * Math.exp(-(((x - centre) / width) ** 2));
  for (let i = -80; i <= 80; i++) {
    const p = price + i * binSize;
    const below = p < price;
    const longUsd = below ? bump(p, price * 0.975, binSize * 4, 9e6) + bump(p, price * 0.94, binSize * 6, 14e6) + 2e5 : 0;
    const shortUsd = !below ? bump(p, price * 1.02, binSize * 3, 11e6) + bump(p, price * 1.055, binSize * 5, 7e6) + 1.5e5 : 0;
    bins.push({ price: p, longUsd, shortUsd });
  }
  const zone = (side: 'long' | 'short', centre: number, halfWidth: number, notionalUsd: number, share: number, rank: number): Zone => {
    const low = centre - halfWidth;
    const high = centre + halfWidth;
    const near = side === 'long' ? high : low;
    return {
      id: `${symbol}:${side === 'long' ? 'L' : 'S'}:${Number(centre.toPrecision(5))}`,
      side,
      low,
      high,
      peak: centre,
      notionalUsd,
      share,
      distancePct: ((near - price) / price) * 100,
      distanceAtr: Math.abs(near - price) / (price * 0.012),
      rank,
      leverage: { '25': notionalUsd * 0.6, '50': notionalUsd * 0.4 },
      venues: { binance: notionalUsd * 0.55, bybit: notionalUsd * 0.45 },
    };
  };
  const zones = [
    zone('short', price * 1.02, binSize * 4, 62e6, 0.58, 1),
    zone('long', price * 0.975, binSize * 5, 48e6, 0.37, 2),
    zone('short', price * 1.055, binSize * 6, 45e6, 0.42, 2),
    zone('long', price * 0.94, binSize * 8, 81e6, 0.63, 1),
  ].sort((a, b) => Math.abs(a.distancePct) - Math.abs(b.distancePct));
  return { symbol, t: Date.UTC(2026, 10, 3, 14, 30), price, atr: price * 0.012, binSize, bins, zones, venues: ['binance', 'bybit'], dataAgeMs: 2400, seq };
}

/**
 * Heatmap history for the test services: 4 h of 5-minute slices of ETH and BTC made from
 * `makeSnapshot` as price wanders (a sine), through the real grid; candles from the grid's slice prices.
 */
export function makeHeatmaps(end = Date.UTC(2026, 10, 3, 14, 30)): Services['heatmaps'] {
  const book = new HeatmapBook();
  const base: Record<string, number> = { ETH: 3150, BTC: 97_000 };
  for (const [symbol, p0] of Object.entries(base)) {
    let prev = p0;
    for (let i = 48; i >= 0; i--) {
      const price = p0 * (1 + 0.012 * Math.sin(i / 7));
      const snap = { ...makeSnapshot(symbol, price, 100 - i), t: end - i * 5 * 60_000 };
      book.record(symbol, snap, { low: Math.min(prev, price), high: Math.max(prev, price) });
      prev = price;
    }
  }
  return {
    heatmap: (symbol: string, window: HeatmapWindow) => book.grid(symbol)?.view({ symbol, window, venues: ['binance', 'bybit'], dataAgeMs: 2400 }, []),
  };
}

export function makePlan(snapshot: ZoneSnapshot, req: Partial<ExitRequest> = {}): ExitPlan {
  const request: ExitRequest = { symbol: snapshot.symbol, side: 'long', entry: snapshot.price * 0.99, leverage: 20, sizeUsd: 10_000, venue: 'binance', ...req };
  const long = request.side === 'long';
  const liquidationPrice = request.entry * (long ? 1 - 1 / request.leverage + 0.004 : 1 + 1 / request.leverage - 0.004);
  const targets = snapshot.zones
    .filter((z) => z.side === (long ? 'short' : 'long'))
    .map((z) => ({ price: long ? z.low : z.high, zoneId: z.id, zoneUsd: z.notionalUsd, distancePct: z.distancePct }));
  return {
    request,
    price: snapshot.price,
    liquidationPrice,
    bracket: { maintMarginRatio: 0.004, maxLeverage: 125, notionalCap: 50_000 },
    targets,
    stop: { price: request.entry * (long ? 0.985 : 1.015), reason: 'below the nearest long cluster' },
    pnl: unrealizedPnl(request, snapshot.price),
    minClusterShare: DEFAULT_MIN_CLUSTER_SHARE,
    warnings: [],
    snapshotT: snapshot.t,
  };
}

/** Refuses channel subscriptions for callers who may not manage the channel, like the real one will. */
export class TestSubscriptionService implements SubscriptionService {
  readonly accepted: { caller: Caller; symbol: string; where: string }[] = [];
  /** Every call, as the adapters delivered it. */
  readonly calls: { command: string; subcommand?: string; args: Record<string, string | number | undefined>; caller: Caller }[] = [];

  async handle(command: 'subscribe' | 'unsubscribe' | 'subscriptions' | 'alerts', caller: Caller, args: Record<string, string | number | undefined>, subcommand?: string): Promise<Reply> {
    this.calls.push({ command, subcommand, args, caller });
    if (command === 'alerts') return { ok: true, title: 'Alert settings', text: `${subcommand}: ${JSON.stringify(args)}`, ephemeral: true };
    if (command !== 'subscribe') return errorReply(`/${command} is not part of this test double.`);
    const symbol = String(args.symbol);
    const where = args.where === 'here' && !caller.isPrivate ? 'here' : 'me';
    if (where === 'here' && !caller.canManage) {
      return errorReply('Only members who can manage this channel may subscribe it. Use /subscribe SYMBOL for alerts to you.');
    }
    this.accepted.push({ caller, symbol, where });
    return {
      ok: true,
      title: `Subscribed to ${symbol}`,
      text: where === 'here' ? `This chat will get ${symbol} exit-zone and conflict alerts.` : `You will get ${symbol} alerts privately.`,
      tone: 'neutral',
      ephemeral: true,
    };
  }
}

export interface TestServicesOptions {
  charts?: ChartService;
  subscriptions?: SubscriptionService;
  symbols?: string[];
}

export function makeServices(opts: TestServicesOptions = {}): Services & { snapshots: Map<string, ZoneSnapshot> } {
  const symbols = opts.symbols ?? [...DEFAULT_SYMBOLS];
  const snapshots = new Map<string, ZoneSnapshot>();
  snapshots.set('ETH', makeSnapshot('ETH', 3150, 7));
  snapshots.set('BTC', makeSnapshot('BTC', 97_000, 3));
  return {
    snapshots,
    now: () => Date.UTC(2026, 10, 3, 14, 30, 2),
    status: () => ({ mode: 'demo', startedAt: 0, now: 0, venues: [] }),
    symbols: {
      tracked: () => symbols,
      instruments: () => [],
      instrument: () => undefined,
      byVenueSymbol: () => undefined,
      skipped: () => [],
      venuesOf: () => ['binance', 'bybit'],
    },
    zones: {
      snapshot: (symbol) => snapshots.get(symbol),
      planExit: (req) => {
        const s = snapshots.get(req.symbol);
        return s ? makePlan(s, req) : { error: `No zone snapshot for ${req.symbol} yet.` };
      },
    },
    heatmaps: makeHeatmaps(),
    charts: opts.charts ?? createChartService(),
    subscriptions: opts.subscriptions ?? new TestSubscriptionService(),
  };
}

/** The real command set, as every platform serves it. */
export function makeRegistry(): CommandRegistry {
  return new CommandRegistry(allCommands());
}
