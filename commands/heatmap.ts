import type { CommandDef } from '../src/bot/command.ts';
import { errorReply, unavailableReply, type Reply } from '../src/bot/reply.ts';
import { resolveSymbol } from '../src/bot/registry.ts';
import type { Services } from '../src/bot/services.ts';
import { DEFAULT_HEATMAP_WINDOW, HEATMAP_ROW_RATIO, HEATMAP_WINDOW_NAMES, sweptBands, type HeatmapView, type HeatmapWindow } from '../src/engine/heatmap.ts';
import { formatPercent, formatPrice, formatPriceRange, formatUsd } from '../src/format/numbers.ts';
import { symbolOption } from './options.ts';

export const heatmap: CommandDef = {
  name: 'heatmap',
  description: 'Estimated liquidation heatmap: candles over 6h–3d with liquidation intensity behind them',
  usage: '/heatmap SYMBOL [6h|12h|24h|3d]',
  examples: ['/heatmap ETH', '/heatmap BTC 3d'],
  options: [
    symbolOption(),
    { name: 'window', description: 'Time window: 6h, 12h, 24h (default) or 3d', type: 'string', choices: HEATMAP_WINDOW_NAMES, expects: '6h, 12h, 24h or 3d' },
  ],
  slow: true,
  run: ({ services, args }) => {
    const resolved = resolveSymbol(services, typeof args.symbol === 'string' ? args.symbol : '');
    if ('error' in resolved) return errorReply(resolved.error, heatmap.usage);
    const window = HEATMAP_WINDOW_NAMES.find((w) => w === args.window) ?? DEFAULT_HEATMAP_WINDOW;
    return heatmapReply(services, resolved.symbol, window);
  },
};

/** The /heatmap reply (also `/zones SYMBOL heatmap`). */
export async function heatmapReply(services: Services, symbol: string, window: HeatmapWindow): Promise<Reply> {
  if (!services.heatmaps || !services.charts?.heatmapChart) return unavailableReply('/heatmap');
  let view: HeatmapView | undefined;
  try {
    view = await services.heatmaps.heatmap(symbol, window);
  } catch (err) {
    // a bot process asks the market process; no answer is said plainly, never an empty picture
    return { ok: false, text: `The heatmap is drawn by the market process and it is not answering right now (${(err as Error).message}). Try again shortly; /status shows the feeds.`, tone: 'error', ephemeral: true };
  }
  if (!view) return { ok: false, text: `No data yet for ${symbol}, warming up. Try again in a few seconds.`, tone: 'warning', ephemeral: true };
  return {
    ok: true,
    title: `${symbol} liquidation heatmap, last ${window} (estimated)`,
    text: heatmapText(view, services.now()),
    image: services.charts.heatmapChart(view),
    buttons: [
      { action: `/heatmap ${symbol} ${window}`, label: 'Refresh' },
      ...HEATMAP_WINDOW_NAMES.filter((w) => w !== window).map((w) => ({ action: `/heatmap ${symbol} ${w}`, label: w })),
    ],
    tone: 'neutral',
    data: heatmapData(view),
  };
}

function hours(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  return ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

function heatmapText(view: HeatmapView, now: number): string {
  const filled = view.filled.reduce((a, b) => a + b, 0);
  const venues = view.venues.length ? view.venues.join(' + ') : 'no venue yet';
  const age = view.dataAgeMs + Math.max(0, now - view.t);
  const hot = hottestNow(view);
  const lines = [
    `${view.symbol} ${formatPrice(view.price, view.symbol)} · estimated liquidation intensity over the last ${view.window} (${venues}; data ${Number.isFinite(age) ? hours(age) : 'unknown'} old)`,
    filled < view.columns ? `History so far: ${hours(filled * view.sliceMs)} of ${view.window} (5-minute slices; it fills as the bot runs).` : `5-minute slices; rows ${formatPercent((HEATMAP_ROW_RATIO - 1) * 100, 1)} of price tall.`,
  ];
  const swept = sweptBands(view).slice(0, 2);
  if (swept.length) {
    const when = (t: number) => new Date(t).toISOString().slice(11, 16);
    lines.push(`Swept in the last ${view.window}: ${swept.map((b) => `${formatPriceRange(b.low, b.high, view.symbol)} (~${formatUsd(b.usd)}, ${when(b.t)} UTC)`).join('; ')}.`);
  }
  if (hot) lines.push(`Brightest band now: ${formatPrice(hot.price, view.symbol)} (~${formatUsd(hot.usd)} in its row, ${hot.price > view.price ? 'shorts above' : 'longs below'} price).`);
  lines.push('Estimated, not observed: colour is the level book\'s estimate of where leveraged positions would be liquidated; a band ends where price traded through it.');
  return lines.join('\n');
}

/** The brightest row of the newest filled slice. */
function hottestNow(view: HeatmapView): { price: number; usd: number } | undefined {
  for (let c = view.columns - 1; c >= 0; c--) {
    if (!view.filled[c]) continue;
    let best = -1;
    let usd = 0;
    for (let r = 0; r < view.rows; r++) {
      const v = view.cells[c * view.rows + r]!;
      if (v > usd) {
        usd = v;
        best = r;
      }
    }
    if (best < 0) return undefined;
    const g = view.baseRow + best;
    return { price: Math.sqrt(HEATMAP_ROW_RATIO ** g * HEATMAP_ROW_RATIO ** (g + 1)), usd };
  }
  return undefined;
}

function heatmapData(view: HeatmapView): Record<string, unknown> {
  return {
    symbol: view.symbol,
    window: view.window,
    price: view.price,
    t: view.t,
    from: view.from,
    to: view.to,
    sliceMs: view.sliceMs,
    filledSlices: view.filled.reduce((a, b) => a + b, 0),
    slices: view.columns,
    maxUsd: view.maxUsd,
    candles: view.candles.length,
    swept: sweptBands(view).map((b) => ({ low: b.low, high: b.high, usd: b.usd, t: b.t })),
    venues: [...view.venues],
    dataAgeMs: view.dataAgeMs,
    estimated: true,
  };
}
