import type { CommandDef } from '../src/bot/command.ts';
import { errorReply, unavailableReply, type Reply, type ReplyField } from '../src/bot/reply.ts';
import { resolveSymbol } from '../src/bot/registry.ts';
import { formatCount, formatNumber, formatShare, formatPrice, formatPriceRange, formatSignedPercent, formatUsd } from '../src/format/numbers.ts';
import { calibrationLine } from '../src/engine/calibration.ts';
import { scaleSnapshot } from '../src/engine/exit.ts';
import type { Zone, ZoneSnapshot } from '../src/engine/types.ts';
import { NEAREST_KEPT, strongestMagnet } from '../src/engine/zones.ts';
import { symbolOption } from './options.ts';
import { heatmapReply } from './heatmap.ts';
import { DEFAULT_HEATMAP_WINDOW } from '../src/engine/heatmap.ts';


export const zones: CommandDef = {
  name: 'zones',
  description: 'Estimated liquidation zones around the price, with a chart',
  usage: '/zones SYMBOL [map|heatmap]',
  examples: ['/zones ETH', '/zones ETH heatmap'],
  options: [symbolOption(), { name: 'view', description: 'map (default) or heatmap (the last 24h)', type: 'string', choices: ['map', 'heatmap'] }],
  slow: true,
  run: ({ services, args }) => {
    if (!services.zones) return unavailableReply('/zones');
    const resolved = resolveSymbol(services, typeof args.symbol === 'string' ? args.symbol : '');
    if ('error' in resolved) return errorReply(resolved.error, zones.usage);
    const symbol = resolved.symbol;
    if (args.view === 'heatmap') return heatmapReply(services, symbol, DEFAULT_HEATMAP_WINDOW);
    const perCoin = services.zones.snapshot(symbol);
    if (!perCoin) return { ok: false, text: `No data yet for ${symbol}, warming up. Try again in a few seconds.`, tone: 'warning', ephemeral: true };
    // `/zones 1000PEPE` quotes prices per 1,000 coins, as the exchange lists them.
    const snap = resolved.unit === 1 ? perCoin : { ...scaleSnapshot(perCoin, resolved.unit), symbol: resolved.written };
    const reply = zonesReply(snap, services.zones.trackRecord?.(symbol), services.charts?.zonesChart(snap), services.now());
    // Where a heatmap can be drawn (locally, or asked of the market process on ROLE=bot), the map offers it too.
    return services.heatmaps && services.charts?.heatmapChart ? { ...reply, buttons: [...(reply.buttons ?? []), { action: `/heatmap ${symbol}`, label: 'Heatmap' }] } : reply;
  },
};

function zoneLine(z: Zone, symbol: string): string {
  const core = z.core ? `  core ${formatPriceRange(z.core.low, z.core.high, symbol)}` : '';
  return `${formatPriceRange(z.low, z.high, symbol)}${core}  ~${formatUsd(z.notionalUsd)}  ${formatSignedPercent(z.distancePct)}  ${formatShare(z.share)} of side  (#${z.rank} on its side)`;
}

function ageText(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 1000) return 'under 1 s';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** The /zones reply for a snapshot (exported for the notifier and tests). */
export function zonesReply(snap: ZoneSnapshot, trackRecord: string | undefined, image: Reply['image'], now?: number): Reply {
  const { symbol } = snap;
  const above = snap.zones.filter((z) => z.side === 'short').slice(0, NEAREST_KEPT);
  const below = snap.zones.filter((z) => z.side === 'long').slice(0, NEAREST_KEPT);
  const magnet = strongestMagnet(snap);
  const age = snap.dataAgeMs + (now !== undefined && now > snap.t ? now - snap.t : 0);
  const venues = snap.venues.length ? snap.venues.join(' + ') : 'no venue yet';

  const lines = [
    `${symbol} ${formatPrice(snap.price, symbol)} · estimated liquidation zones (${venues}; data ${ageText(age)} old)`,
    '',
    'Above price (shorts would be liquidated):',
    ...(above.length ? above.map((z) => `  ${zoneLine(z, symbol)}`) : ['  none estimated yet']),
    'Below price (longs would be liquidated):',
    ...(below.length ? below.map((z) => `  ${zoneLine(z, symbol)}`) : ['  none estimated yet']),
  ];
  // A venue held out of the validated view: say which and why, right under the price it affects.
  const held = snap.validation?.quarantined ?? [];
  if (held.length > 0) {
    const using = snap.validation!.venues.length ? snap.validation!.venues.join(' + ') : 'the last confirmed price';
    lines.splice(
      1,
      0,
      ...held.map((q) =>
        q.kind === 'departs'
          ? `⚠ ${q.venue} quarantined for ${symbol}: ${q.reason}. Price and zones use ${using} until it agrees again.`
          : `⚠ ${q.reason}: the price stays at the last confirmed level until ${q.venue} trades confirm it.`,
      ),
    );
  }
  const fields: ReplyField[] = [];
  if (magnet) {
    const where = magnet.side === 'short' ? 'above' : 'below';
    const magnetText = `${formatPriceRange(magnet.low, magnet.high, symbol)} ${where} (~${formatUsd(magnet.notionalUsd)}, ${formatSignedPercent(magnet.distancePct)}, ${formatNumber(magnet.distanceAtr, 1)} ATR)`;
    fields.push({ name: 'Strongest magnet', value: magnetText, inline: false });
  }
  const mixLine = calibrationLine(snap.calibration);
  if (mixLine) lines.push(mixLine);
  if (trackRecord) lines.push(trackRecord);
  lines.push(
    'All sizes are estimated from open-interest changes, taker flow and an assumed leverage mix: relative intensity, not real orders.',
  );
  const obs = snap.observed;
  if (obs) {
    const refreshed = obs.refreshedAt !== undefined ? ageText(Math.max(0, (now ?? snap.t) - obs.refreshedAt)) : 'unknown';
    const share = obs.coverage !== undefined ? formatShare(Math.min(1, obs.coverage)) : undefined;
    const coverage = share === undefined ? '' : `, ${share.startsWith('<') ? '' : '~'}${share} of its open interest`;
    lines.push(
      '',
      `Observed on Hyperliquid: ${formatCount(obs.positions, 'position')}, ~${formatUsd(obs.usd)}, refreshed ${refreshed} ago (actual liquidation prices of ${formatCount(obs.accounts, 'polled account')}${coverage}; a sample, not the whole venue):`,
    );
    const oAbove = obs.zones.filter((z) => z.side === 'short').slice(0, 2);
    const oBelow = obs.zones.filter((z) => z.side === 'long').slice(0, 2);
    for (const z of [...oAbove, ...oBelow]) lines.push(`  ${z.side === 'short' ? 'shorts' : 'longs'} ${zoneLine(z, symbol)}`);
    if (oAbove.length + oBelow.length === 0) lines.push('  no cluster within range of the price');
  }

  return {
    ok: true,
    title: `${symbol} liquidation zones (estimated)`,
    text: lines.join('\n'),
    fields,
    image,
    buttons: [
      { action: `/zones ${symbol}`, label: 'Refresh' },
      { action: `/subscribe ${symbol}`, label: `Subscribe ${symbol}` },
    ],
    tone: held.length > 0 ? 'warning' : 'neutral',
    data: {
      symbol,
      price: snap.price,
      t: snap.t,
      dataAgeMs: snap.dataAgeMs,
      venues: [...snap.venues],
      ...(snap.validation
        ? {
            validation: {
              venues: [...snap.validation.venues],
              bound: snap.validation.bound,
              confirmed: snap.validation.confirmed,
              quarantined: snap.validation.quarantined.map((q) => ({ venue: q.venue, kind: q.kind, since: q.since, price: q.price, reference: q.reference, reason: q.reason })),
            },
          }
        : {}),
      estimated: true,
      magnet: magnet?.id ?? null,
      zones: snap.zones.map((z) => ({
        id: z.id,
        side: z.side,
        low: z.low,
        high: z.high,
        peak: z.peak,
        ...(z.core ? { core: { low: z.core.low, high: z.core.high } } : {}),
        notionalUsd: z.notionalUsd,
        share: z.share,
        distancePct: z.distancePct,
        rank: z.rank,
      })),
      // built only from positions observed on Hyperliquid, never mixed into `zones`
      observed: (obs?.zones ?? []).map((z) => ({
        id: z.id,
        side: z.side,
        low: z.low,
        high: z.high,
        peak: z.peak,
        ...(z.core ? { core: { low: z.core.low, high: z.core.high } } : {}),
        notionalUsd: z.notionalUsd,
        share: z.share,
        distancePct: z.distancePct,
        rank: z.rank,
      })),
      observedPositions: obs?.positions ?? 0,
      observedUsd: obs?.usd ?? 0,
      ...(obs?.refreshedAt !== undefined ? { observedRefreshedAt: obs.refreshedAt } : {}),
      ...(obs?.coverage !== undefined ? { observedCoverage: obs.coverage } : {}),
      ...(obs ? { observedLeverage: obs.leverageMix } : {}),
    },
  };
}
