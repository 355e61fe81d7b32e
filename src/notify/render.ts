/**
 * Alert payloads → platform-neutral Replies. One alert gets the full wording; several alerts for
 * one destination in one tick become a digest. Every alert says zones are estimates.
 */
import { ACCURACY_WINDOW_DAYS, MIN_CONFLICTS } from '../engine/signals/live-accuracy.ts';
import type { Reply, ReplyField, ReplyImage } from '../bot/reply.ts';
import { formatFraction, formatPercent, formatPrice, formatPriceRange, formatUsd } from '../format/numbers.ts';
import { alertTag, type AlertPayload } from './rules.ts';

export const ESTIMATE_NOTE = 'Zones are estimates from public liquidation and open-interest data, not guarantees; not financial advice.';

export interface RenderOptions {
  silent?: boolean;
  /** The message was held during a mute and is delivered late. */
  heldSince?: number;
  /** The destination reached its daily cap with this message. */
  lastOfDay?: boolean;
  image?: ReplyImage;
}

const pct = (x: number) => formatPercent(Math.abs(x));
const band = (z: { low: number; high: number }, symbol: string) => formatPriceRange(z.low, z.high, symbol);
/** `12:00:05 UTC`: when something an alert reports happened (market time). */
export const alertClock = (t: number): string => `${new Date(t).toISOString().slice(11, 19)} UTC`;
const clock = alertClock;
const sideWord = (side: 'long' | 'short') => (side === 'long' ? 'long-liquidation zone (below price)' : 'short-liquidation zone (above price)');

/** Title of one alert. */
export function alertTitle(a: AlertPayload): string {
  switch (a.kind) {
    case 'proximity':
      return `${a.symbol}: near a ${a.zone.side}-liquidation zone`;
    case 'conflict':
      return a.phase === 'start' ? `${a.symbol}: timeframes conflict` : `${a.symbol}: timeframes agree again`;
    case 'sweep':
      return `${a.symbol}: ${a.zone.side} zone swept`;
    case 'fading':
      return `${a.symbol}: momentum fading`;
    case 'notice':
    case 'position':
      return a.title;
  }
}

/** One line per alert (digest form). */
export function alertLine(a: AlertPayload): string {
  switch (a.kind) {
    case 'proximity':
      return `${a.symbol} proximity: ${formatPrice(a.price, a.symbol)} is ${pct(a.distancePct)} ${a.distancePct === 0 ? 'inside' : a.distancePct > 0 ? 'below' : 'above'} the ${a.zone.side} zone ${band(a.zone, a.symbol)} (~${formatUsd(a.zone.notionalUsd)} est.)`;
    case 'conflict':
      return a.phase === 'start'
        ? `${a.symbol} conflict: timeframes disagree (${a.mode})${a.context ? ` — ${a.context}` : ''}`
        : `${a.symbol} conflict resolved: timeframes agree again (${a.mode})${a.context ? ` — ${a.context}` : ''}`;
    case 'sweep':
      return a.phase === 'crossed'
        ? `${a.symbol} sweep: ${a.zone.side} zone ${band(a.zone, a.symbol)} traded through at ${clock(a.t)} — modeled ~${formatUsd(a.modeledUsd)}`
        : `${a.symbol} sweep: ${a.zone.side} zone ${band(a.zone, a.symbol)} traded through — modeled ~${formatUsd(a.modeledUsd)}, realized ≥ ${formatUsd(a.realizedUsd)}`;
    case 'fading':
      return `${a.symbol} fading ${a.direction} momentum${a.toward ? ` toward the ${a.toward.side} zone ${band(a.toward, a.symbol)} (${pct(a.toward.distancePct)} away)` : ''}`;
    case 'notice':
      return a.text;
    case 'position':
      return a.line;
  }
}

/**
 * What earlier conflict flags on the symbol were followed by, as measured — or that it is not
 * measurable yet. Never a claim the data do not carry.
 */
export function conflictFollowUpText(symbol: string, f: { n: number; volRatio: number; days: number; enough: boolean }): string {
  if (!f.enough) return `What follows ${symbol}'s conflict flags is not measured yet (${f.n} of ${MIN_CONFLICTS} with their next hour seen).`;
  const span = f.days >= ACCURACY_WINDOW_DAYS ? `the last ${ACCURACY_WINDOW_DAYS} days` : `the last ${f.days} day${f.days === 1 ? '' : 's'}`;
  const ratio = f.volRatio.toFixed(1);
  const how = f.volRatio >= 1.15 ? 'above' : f.volRatio <= 0.87 ? 'below' : 'about';
  return `After ${f.n} past conflicts on ${symbol} over ${span}, 1 h volatility was ${ratio}× usual (${how} normal).`;
}

/** Full wording and fields of one alert. */
function alertBody(a: AlertPayload): { text: string; fields: ReplyField[] } {
  switch (a.kind) {
    case 'proximity': {
      const where = a.distancePct === 0 ? 'is inside' : `is ${pct(a.distancePct)} ${a.distancePct > 0 ? 'below' : 'above'}`;
      const meaning =
        a.zone.side === 'short'
          ? 'Shorts liquidated there would be forced buys: an exit area for longs, squeeze risk for shorts.'
          : 'Longs liquidated there would be forced sells: an exit area for shorts, flush risk for longs.';
      return {
        text: [`${a.symbol} ${formatPrice(a.price, a.symbol)} ${where} the ${sideWord(a.zone.side)} ${band(a.zone, a.symbol)}, about ${formatUsd(a.zone.notionalUsd)} estimated (rank ${a.zone.rank} on its side).`, meaning, a.context ? `Timeframes: ${a.context}.` : undefined, `Data: ${a.venues.join(', ') || 'no venue'}, ${Math.round(a.dataAgeMs / 1000)}s old. ${ESTIMATE_NOTE}`]
          .filter(Boolean)
          .join('\n'),
        fields: [
          { name: 'Zone', value: `${a.zone.side} ${band(a.zone, a.symbol)} (peak ${formatPrice(a.zone.peak, a.symbol)})`, inline: true },
          { name: 'Size (est.)', value: formatUsd(a.zone.notionalUsd), inline: true },
          { name: 'Distance', value: a.distancePct === 0 ? 'inside' : pct(a.distancePct), inline: true },
          ...(a.context ? [{ name: 'Timeframes', value: a.context }] : []),
        ],
      };
    }
    case 'conflict': {
      const near = a.nearest ? `Nearest zone: ${a.nearest.side} ${band(a.nearest, a.symbol)}, ~${formatUsd(a.nearest.notionalUsd)} est., ${pct(a.nearest.distancePct)} away.` : undefined;
      const text =
        a.phase === 'start'
          ? [
              `${a.symbol}: the 1m, 5m and 1h signals now disagree (${a.mode} mode). Conflicting timeframes mean lower confidence: smaller size or patience.`,
              a.context ? `Timeframes: ${a.context}.` : undefined,
              a.followUp ? conflictFollowUpText(a.symbol, a.followUp) : undefined,
              near,
              ESTIMATE_NOTE,
            ]
          : [`${a.symbol}: the timeframe conflict has resolved (${a.mode} mode).`, a.context ? `Timeframes: ${a.context}.` : undefined, near, ESTIMATE_NOTE];
      return {
        text: text.filter(Boolean).join('\n'),
        fields: [...(a.context ? [{ name: 'Timeframes', value: a.context }] : []), ...(a.nearest ? [{ name: 'Nearest zone', value: `${a.nearest.side} ${band(a.nearest, a.symbol)} (${pct(a.nearest.distancePct)})` }] : [])],
      };
    }
    case 'sweep': {
      if (a.phase === 'crossed') {
        return {
          text: [
            `${a.symbol} traded through the ${sideWord(a.zone.side)} ${band(a.zone, a.symbol)} at ${clock(a.t)}${a.price !== undefined ? `; price now ${formatPrice(a.price, a.symbol)}` : ''}.`,
            `Modeled ~${formatUsd(a.modeledUsd)} of ${a.zone.side} liquidations there: that liquidity is now largely consumed.`,
            a.context ? `Timeframes: ${a.context}.` : undefined,
            ESTIMATE_NOTE,
          ]
            .filter(Boolean)
            .join('\n'),
          fields: [
            { name: 'Zone', value: `${a.zone.side} ${band(a.zone, a.symbol)}`, inline: true },
            { name: 'Modeled', value: formatUsd(a.modeledUsd), inline: true },
            { name: 'Crossed', value: clock(a.t), inline: true },
          ],
        };
      }
      const ratio = a.modeledUsd > 0 ? formatFraction(a.realizedUsd / a.modeledUsd) : undefined;
      return {
        text: [
          `${a.symbol} traded through the ${sideWord(a.zone.side)} ${band(a.zone, a.symbol)}.`,
          `Modeled ~${formatUsd(a.modeledUsd)}; realized at least ${formatUsd(a.realizedUsd)} within ${Math.round(a.windowMs / 60_000)} min${ratio !== undefined ? ` (${ratio} of the model)` : ''}. Realized is a lower bound: Binance publishes only a sample of liquidations.`,
          a.context ? `Timeframes: ${a.context}.` : undefined,
          ESTIMATE_NOTE,
        ]
          .filter(Boolean)
          .join('\n'),
        fields: [
          { name: 'Zone', value: `${a.zone.side} ${band(a.zone, a.symbol)}`, inline: true },
          { name: 'Modeled', value: formatUsd(a.modeledUsd), inline: true },
          { name: 'Realized (≥)', value: formatUsd(a.realizedUsd), inline: true },
        ],
      };
    }
    case 'fading':
      return {
        text: [
          `${a.symbol}: ${a.direction} momentum is fading (${a.mode} mode)${a.toward ? ` ${pct(a.toward.distancePct)} from the ${sideWord(a.toward.side)} ${band(a.toward, a.symbol)}, ~${formatUsd(a.toward.notionalUsd)} est.` : '.'}`,
          a.context ? `Timeframes: ${a.context}.` : undefined,
          ESTIMATE_NOTE,
        ]
          .filter(Boolean)
          .join('\n'),
        fields: a.context ? [{ name: 'Timeframes', value: a.context }] : [],
      };
    case 'notice':
      return { text: a.text, fields: [] };
    case 'position':
      return { text: a.text, fields: a.fields ?? [] };
  }
}

function toneOf(a: AlertPayload): Reply['tone'] {
  if (a.kind === 'position') return 'warning';
  if (a.kind === 'notice' || a.kind === 'conflict') return a.kind === 'conflict' && a.phase === 'end' ? 'neutral' : 'warning';
  if (a.kind === 'proximity') return a.zone.side === 'short' ? 'up' : 'down';
  return 'neutral';
}

/** The Reply for one outbox message (one alert, or a digest of several). */
export function renderAlerts(alerts: AlertPayload[], opts: RenderOptions = {}): Reply {
  const notes: string[] = [];
  if (opts.heldSince !== undefined) notes.push(`Held while muted since ${new Date(opts.heldSince).toISOString().slice(0, 16).replace('T', ' ')} UTC; prices may have moved.`);
  if (opts.lastOfDay) notes.push('Daily alert limit reached: no more alerts here today (see /alerts).');
  // `kind`: the alert's kind (console tag `[alert · kind]`, JSON); a digest of several kinds is `digest`.
  const kinds = [...new Set(alerts.map(alertTag))];
  const data = { kind: kinds.length === 1 ? kinds[0]! : 'digest', kinds, alerts, digest: alerts.length > 1, silent: opts.silent ?? false, held: opts.heldSince !== undefined };
  if (alerts.length === 1) {
    const a = alerts[0]!;
    const body = alertBody(a);
    return {
      ok: true,
      title: alertTitle(a),
      text: [body.text, ...notes].join('\n'),
      fields: body.fields,
      tone: toneOf(a),
      ...(opts.image ? { image: opts.image } : {}),
      ...(a.kind === 'position' ? { buttons: a.buttons } : a.kind !== 'notice' ? { buttons: [{ action: `/zones ${a.symbol}`, label: `Zones ${a.symbol}` }] } : {}),
      data,
    };
  }
  const symbols = [...new Set(alerts.map((a) => a.symbol))];
  // A digest of position alerts opens the positions' plans; market alerts open the zones.
  const planButtons = [...new Map(alerts.flatMap((a) => (a.kind === 'position' ? [[a.positionId, { action: `/position plan ${a.positionId}`, label: `Plan #${a.positionId}` }] as const] : []))).values()];
  return {
    ok: true,
    title: alerts.some((a) => a.kind === 'position' && a.urgent) ? `URGENT · liqzone: ${alerts.length} alerts (${symbols.join(', ')})` : `liqzone: ${alerts.length} alerts (${symbols.join(', ')})`,
    text: [...alerts.map((a) => `• ${alertLine(a)}`), ESTIMATE_NOTE, ...notes].join('\n'),
    tone: 'warning',
    buttons: planButtons.length ? planButtons.slice(0, 3) : symbols.slice(0, 3).map((s) => ({ action: `/zones ${s}`, label: `Zones ${s}` })),
    data,
  };
}
