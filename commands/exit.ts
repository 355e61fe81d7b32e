import type { CommandDef } from '../src/bot/command.ts';
import { errorReply, unavailableReply, type Reply, type ReplyField } from '../src/bot/reply.ts';
import { resolveSymbol } from '../src/bot/registry.ts';
import { DEFAULT_EXIT_SIZE_USD } from '../src/engine/exit.ts';
import { formatNumber, formatPercent, formatPrice, formatSignedPercent, formatUsd } from '../src/format/numbers.ts';
import type { ChartService } from '../src/bot/services.ts';
import type { ExitPlan, ExitRequest, ExitTarget, ZoneSnapshot } from '../src/engine/types.ts';
import type { PositionSide, Venue } from '../src/market/types.ts';
import { positionOptions } from './options.ts';

export const exit: CommandDef = {
  name: 'exit',
  description: 'Exit plan for a position: liquidation price, targets at zone edges, a stop',
  usage: '/exit SYMBOL long|short ENTRY LEVERAGE [SIZE_USD] [binance|bybit|okx|hyperliquid]',
  examples: ['/exit ETH long 3120 20x', '/exit BTC short 97000 10 25k bybit', '/exit ETH long 3000 20x 10000 okx'],
  options: positionOptions(),
  slow: true,
  run: ({ services, args }) => {
    if (!services.zones) return unavailableReply('/exit');
    const resolved = resolveSymbol(services, String(args.symbol ?? ''));
    if ('error' in resolved) return errorReply(resolved.error, exit.usage);
    const symbol = resolved.symbol;
    const side = args.side as PositionSide | undefined;
    const entry = Number(args.entry);
    const leverage = Number(args.leverage);
    const sizeUsd = args.size === undefined ? DEFAULT_EXIT_SIZE_USD : Number(args.size);
    const venue = (args.venue as Venue | undefined) ?? 'binance';
    if (side !== 'long' && side !== 'short') return errorReply('Side must be long or short.', exit.usage);
    if (!(entry > 0) || !Number.isFinite(entry)) return errorReply(`Entry must be a price above 0 (got ${String(args.entry)}).`, exit.usage);
    if (!(leverage >= 1) || !Number.isFinite(leverage)) return errorReply(`Leverage must be at least 1 (got ${String(args.leverage)}).`, exit.usage);
    if (!(sizeUsd > 0) || !Number.isFinite(sizeUsd)) return errorReply(`Size must be a USD amount above 0 (got ${String(args.size)}).`, exit.usage);

    const snap = services.zones.snapshot(symbol);
    if (!snap) return { ok: false, text: `No data yet for ${symbol}, warming up. Try again in a few seconds.`, tone: 'warning', ephemeral: true };
    const req: ExitRequest = { symbol, side, entry, leverage, sizeUsd, venue };
    const plan = services.zones.planExit(req);
    if ('error' in plan) return errorReply(plan.error, exit.usage);

    return exitPlanReply(plan, snap, services.charts);
  },
};

export interface ExitPlanReplyOptions {
  /** The position view: reward/risk from entry as well as from the current price. */
  fromEntry?: boolean;
}

/** `R:R 1.9 from here` (and `2.3 from entry` in the position view); nothing without a stop. */
export function rewardRiskText(t: ExitTarget, fromEntry = false): string {
  const parts: string[] = [];
  if (fromEntry && t.rewardRiskFromEntry !== undefined) parts.push(`${formatNumber(t.rewardRiskFromEntry, 1)} from entry`);
  if (t.rewardRisk !== undefined) parts.push(`${formatNumber(t.rewardRisk, 1)} from here`);
  return parts.length ? `R:R ${parts.join(', ')}` : '';
}

/** `+1.20% from entry (+24.0% on margin)`. */
export function pnlText(plan: Pick<ExitPlan, 'pnl'>): string {
  return `${formatSignedPercent(plan.pnl.movePct)} from entry (${formatSignedPercent(plan.pnl.onMarginPct, 1)} on margin)`;
}

/** The exit-plan reply (fields, narrative, chart, data), shared by /exit and /position plan. */
export function exitPlanReply(plan: ExitPlan, snap: ZoneSnapshot, charts: ChartService | undefined, opts: ExitPlanReplyOptions = {}): Reply {
  const { symbol, side, entry, leverage, sizeUsd, venue } = plan.request;
  const long = side === 'long';
  const venueName = ({ binance: 'Binance', bybit: 'Bybit', okx: 'OKX', hyperliquid: 'Hyperliquid' } as const)[venue];
  const liqDistPct = ((plan.liquidationPrice - entry) / entry) * 100;
  const signed = (x: number) => formatSignedPercent(x);
  const price = (p: number) => formatPrice(p, symbol);
  const targetLines = plan.targets.map((t, i) => {
    const rr = rewardRiskText(t, opts.fromEntry);
    return `TP${i + 1} ${price(t.price)} (${signed(t.distancePct)} from price, before a ${t.zoneUsd > 0 ? `~${formatUsd(t.zoneUsd)} ` : ''}cluster${rr ? `, ${rr}` : ''})`;
  });
  const floorText = `${(plan.minClusterShare * 100).toFixed(0)} %`;
  const fields: ReplyField[] = [
    { name: 'Unrealized PnL', value: `${price(plan.price)} now: ${pnlText(plan)}`, inline: false },
    { name: 'Liquidation price', value: `${price(plan.liquidationPrice)} (${signed(liqDistPct)} from entry; MMR ${formatPercent(plan.bracket.maintMarginRatio * 100)}, max ${plan.bracket.maxLeverage}x up to ${formatUsd(plan.bracket.notionalCap)})`, inline: false },
    {
      name: 'Targets',
      value: targetLines.length
        ? targetLines.join('\n')
        : `No estimated ${long ? 'short' : 'long'}-liquidation cluster of at least ${floorText} of that side's total ahead in the profit direction.`,
      inline: false,
    },
    { name: 'Stop', value: plan.stop ? `${price(plan.stop.price)} — ${plan.stop.reason}` : `None: ${plan.noStop ?? 'no price outside the clusters before liquidation'}.`, inline: false },
  ];
  if (plan.warnings.length) fields.push({ name: 'Warnings', value: plan.warnings.map((w) => `⚠ ${w}`).join('\n'), inline: false });

  // Numbers live in the fields (every renderer shows them); the text is the narrative around them.
  const text = [
    `${symbol} ${side} ${price(entry)} at ${leverage}x, ${formatUsd(sizeUsd)} on ${venueName} (price now ${price(plan.price)}); isolated margin, ${venueName} brackets.`,
    `Targets (clusters of at least ${floorText} of their side) and stops rest on estimated zones, not real orders. R:R from here is measured from the current price. Not financial advice.`,
  ].join('\n');

  return {
    ok: true,
    title: `${symbol} ${side} exit plan (estimated)`,
    text,
    fields,
    image: charts?.exitChart(snap, plan),
    tone: plan.warnings.length ? 'warning' : long ? 'up' : 'down',
    buttons: [{ action: `/zones ${symbol}`, label: `Zones ${symbol}` }],
    data: {
      symbol,
      side,
      entry,
      leverage,
      sizeUsd,
      venue,
      price: plan.price,
      liquidationPrice: plan.liquidationPrice,
      liquidationDistancePct: liqDistPct,
      bracket: plan.bracket,
      targets: plan.targets,
      stop: plan.stop,
      ...(plan.noStop ? { noStop: plan.noStop } : {}),
      pnl: plan.pnl,
      minClusterShare: plan.minClusterShare,
      warnings: plan.warnings,
      snapshotT: plan.snapshotT,
    },
  };
}
