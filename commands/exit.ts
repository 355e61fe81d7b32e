import type { CommandDef } from '../src/bot/command.ts';
import { errorReply, unavailableReply, type Reply, type ReplyField } from '../src/bot/reply.ts';
import { parseExitRequest } from '../src/bot/exit-request.ts';
import { scaleSnapshot } from '../src/engine/exit.ts';
import { formatNumber, formatPercent, formatPrice, formatSignedPercent, formatUsd } from '../src/format/numbers.ts';
import type { ChartService } from '../src/bot/services.ts';
import type { ExitPlan, ExitTarget, ZoneSnapshot } from '../src/engine/types.ts';
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
    const parsed = parseExitRequest(args, { symbols: services.symbols, zones: services.zones, command: '/exit' });
    if (!parsed.ok) return parsed.warming ? { ok: false, text: parsed.error, tone: 'warning', ephemeral: true } : errorReply(parsed.error);
    const { quoted, snapshot, written } = parsed.value;
    // Planned in the unit the user wrote (per 1,000 coins for 1000PEPE): exact, the math is linear in price.
    const plan = services.zones.planExit(quoted);
    if ('error' in plan) return errorReply(plan.error, exit.usage);
    const unit = quoted.priceUnit ?? 1;
    const chartSnap = unit === 1 ? snapshot : { ...scaleSnapshot(snapshot, unit), symbol: written };
    return exitPlanReply(plan, chartSnap, services.charts, { written });
  },
};

export interface ExitPlanReplyOptions {
  /** The position view: reward/risk from entry as well as from the current price. */
  fromEntry?: boolean;
  /** The symbol as the user wrote it (1000PEPE), when prices are quoted in its unit. */
  written?: string;
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
  const unit = plan.request.priceUnit ?? 1;
  // 1000PEPE: prices per 1,000 coins, shown under the name the user wrote, with significant digits.
  const shown = unit === 1 ? symbol : (opts.written ?? `${formatNumber(unit)}${symbol}`);
  const price = (p: number) => formatPrice(p, unit === 1 ? symbol : undefined);
  const targetLines = plan.targets.map((t, i) => {
    const rr = rewardRiskText(t, opts.fromEntry);
    const run = t.run ? `, the first of ${t.run.zones} touching clusters ${price(t.run.low)}–${price(t.run.high)}, ~${formatUsd(t.run.usd)} together` : '';
    return `TP${i + 1} ${price(t.price)} (${signed(t.distancePct)} from price, before a ${t.zoneUsd > 0 ? `~${formatUsd(t.zoneUsd)} ` : ''}cluster${run}${rr ? `, ${rr}` : ''})`;
  });
  const floorText = `${(plan.minClusterShare * 100).toFixed(0)} %`;
  const fields: ReplyField[] = [
    { name: 'Unrealized PnL', value: `${price(plan.price)} now: ${pnlText(plan)}`, inline: false },
    { name: 'Liquidation price', value: `${price(plan.liquidationPrice)} (${signed(liqDistPct)} from entry; MMR ${formatPercent(plan.bracket.maintMarginRatio * 100)}, max ${plan.bracket.maxLeverage}x${Number.isFinite(plan.bracket.notionalCap) ? ` up to ${formatUsd(plan.bracket.notionalCap)}` : ''})`, inline: false },
    {
      name: 'Targets',
      value: targetLines.length
        ? targetLines.join('\n')
        : plan.alreadyLiquidated
          ? 'None: at the current price this position would already be liquidated.'
          : plan.crowded
            ? 'None: no take-profit fits before the nearest sizeable clusters (see Warnings).'
            : `No estimated ${long ? 'short' : 'long'}-liquidation cluster (or band of touching clusters) of at least ${floorText} of that side's total ahead in the profit direction.`,
      inline: false,
    },
    { name: 'Stop', value: plan.stop ? `${price(plan.stop.price)} — ${plan.stop.reason}` : `None: ${plan.noStop ?? 'no price outside the clusters before liquidation'}.`, inline: false },
  ];
  if (plan.warnings.length) fields.push({ name: 'Warnings', value: plan.warnings.map((w) => `⚠ ${w}`).join('\n'), inline: false });

  // Numbers live in the fields (every renderer shows them); the text is the narrative around them.
  const text = [
    `${shown} ${side} ${price(entry)} at ${leverage}x, ${formatUsd(sizeUsd)} on ${venueName} (price now ${price(plan.price)}); isolated margin, ${venueName} brackets.`,
    ...(unit === 1 ? [] : [`Prices are per ${formatNumber(unit)} ${symbol} (${shown}), as on the exchange.`]),
    `Targets (clusters, or bands of touching clusters, of at least ${floorText} of their side) and stops rest on estimated zones, not real orders. R:R from here is measured from the current price. Not financial advice.`,
  ].join('\n');

  return {
    ok: true,
    title: `${shown} ${side} exit plan (estimated)`,
    text,
    fields,
    image: charts?.exitChart(snap, plan),
    tone: plan.warnings.length ? 'warning' : long ? 'up' : 'down',
    buttons: [{ action: `/zones ${symbol}`, label: `Zones ${symbol}` }],
    data: {
      symbol,
      ...(unit === 1 ? {} : { priceUnit: unit, quotedAs: shown }),
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
