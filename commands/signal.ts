import type { CommandDef } from '../src/bot/command.ts';
import { errorReply, unavailableReply, type Reply, type ReplyField } from '../src/bot/reply.ts';
import { resolveSymbol } from '../src/bot/registry.ts';
import { cardLabel } from '../src/engine/signals/cards/index.ts';
import {
  SIGNAL_MODES,
  TIMEFRAMES,
  type CardReading,
  type SignalEvent,
  type SignalMode,
  type SignalSnapshot,
  type TimeframeAccuracy,
  type TimeframeSignal,
} from '../src/engine/types.ts';
import { symbolOption } from './options.ts';
import { formatFraction, formatNumber, formatScore } from '../src/format/numbers.ts';
import { wilson } from '../src/engine/signals/accuracy.ts';
import { ACCURACY_WINDOW_DAYS, MIN_SCORED_CALLS } from '../src/engine/signals/live-accuracy.ts';

const TOP_CARDS = 4;
const DEFAULT_MODE: SignalMode = 'day';
const MODE_EMPHASIS: Record<SignalMode, string> = { scalp: '1m-weighted', day: '5m-weighted', swing: '1h-weighted' };
/** Older than this, the reply says the read is stale. */
const STALE_MS = 5 * 60_000;

export const signal: CommandDef = {
  name: 'signal',
  description: 'Directional read on 1m / 5m / 1h with a conflict flag',
  usage: '/signal SYMBOL [scalp|day|swing]',
  examples: ['/signal ETH', '/signal BTC swing'],
  options: [
    symbolOption(),
    { name: 'mode', description: 'scalp, day (default) or swing', type: 'string', choices: ['scalp', 'day', 'swing'] },
  ],
  run: ({ services, args }) => {
    if (!services.signals) return unavailableReply('/signal');
    const resolved = resolveSymbol(services, typeof args.symbol === 'string' ? args.symbol : '');
    if ('error' in resolved) return errorReply(resolved.error, signal.usage);
    const symbol = resolved.symbol;
    const mode: SignalMode = SIGNAL_MODES.find((m) => m === args.mode) ?? DEFAULT_MODE;
    const snap = services.signals.snapshot(symbol, mode);
    if (!snap || snap.timeframes.every((t) => t.confidence === 0 && t.score === 0)) {
      return {
        ok: false,
        text: `No ${mode} signal for ${symbol} yet: warming up (the cards need a few minutes of market data). Try again shortly.`,
        tone: 'warning',
        ephemeral: true,
        ...(snap ? { data: snap } : {}),
      };
    }
    return signalReply(snap, services.now());
  },
};

function arrow(score: number): string {
  return score > 0.05 ? '▲' : score < -0.05 ? '▼' : '•';
}

const signed = formatScore;
const percent = formatFraction;


function timeframeLine(t: TimeframeSignal): string {
  // once measured, the confidence shown is how often such reads were right (the raw figure beside it)
  const confidence = t.measuredConfidence === undefined ? `confidence ${percent(t.confidence)}` : `confidence ${percent(t.measuredConfidence)} measured (raw ${percent(t.confidence)})`;
  return `${t.tf.padEnd(3)} ${arrow(t.score)} ${signed(t.score)}  strength ${percent(t.strength)}  ${confidence}`;
}

function accuracyText(c: Pick<CardReading, 'accuracy' | 'samples'>): string {
  return c.accuracy === undefined ? '' : ` · hit rate ${percent(c.accuracy)} over ${formatNumber(c.samples)}`;
}

/**
 * One timeframe's measured line: the read's hit rate over the last 7 days against momentum on the
 * same calls — said plainly when it is no better — or how far it is from enough history.
 */
export function measuredLine(a: TimeframeAccuracy): string {
  if (!a.enough) return `${a.tf.padEnd(3)} not enough history yet (${formatNumber(a.n)} of ${formatNumber(MIN_SCORED_CALLS)} scored calls)`;
  const w = wilson(a.hits, a.n);
  const hit = a.hits / a.n;
  const momentum = a.momentum / a.n;
  const span = a.days >= ACCURACY_WINDOW_DAYS ? `the last ${ACCURACY_WINDOW_DAYS} days` : `the last ${a.days} day${a.days === 1 ? '' : 's'}`;
  const verdict =
    hit <= momentum
      ? ' — no better than momentum'
      : w.low <= 0.5
        ? ' — not yet distinguishable from a coin flip'
        : '';
  return `${a.tf.padEnd(3)} calls right ${percent(hit)} of ${formatNumber(a.n)} over ${span} (95 % CI ${percent(w.low)}–${percent(w.high)}); momentum ${percent(momentum)}${verdict}`;
}

/** The disagreeing pair behind the conflict flag: the strongest up and strongest down timeframe. */
function conflictText(snap: SignalSnapshot): string {
  const up = [...snap.timeframes].filter((t) => t.score > 0).sort((a, b) => b.strength - a.strength)[0];
  const down = [...snap.timeframes].filter((t) => t.score < 0).sort((a, b) => b.strength - a.strength)[0];
  const pair = up && down ? `: ${down.tf} ▼ ${signed(down.score)} vs ${up.tf} ▲ ${signed(up.score)}` : '';
  return `⚠ Timeframes conflict${pair} — conviction lowered`;
}

function headline(snap: SignalSnapshot): string {
  const c = snap.composite;
  const dir = c.direction === 'up' ? '▲ UP' : c.direction === 'down' ? '▼ DOWN' : '• NEUTRAL';
  return `${snap.symbol} ${snap.mode} read: ${dir} ${signed(c.score)} · confidence ${percent(c.confidence)}`;
}

/** The /signal reply for a snapshot (exported for the notifier and tests). */
export function signalReply(snap: SignalSnapshot, now?: number): Reply {
  const { symbol, mode } = snap;
  const lines: string[] = [headline(snap)];
  if (snap.conflicted) lines.push(conflictText(snap));
  if (snap.decelerating) lines.push('Momentum fading: still directional, but weaker over consecutive updates.');
  if (now !== undefined && now - snap.t > STALE_MS) lines.push(`Stale: the market data behind this read is ${Math.round((now - snap.t) / 60_000)} min old.`);

  lines.push('', 'Timeframes:');
  for (const tf of TIMEFRAMES) {
    const t = snap.timeframes.find((x) => x.tf === tf);
    lines.push(`  ${t ? timeframeLine(t) : `${tf.padEnd(3)} no reading`}`);
  }

  const top = snap.cards.filter((c) => c.score !== 0 && c.confidence > 0).slice(0, TOP_CARDS);
  lines.push('', 'Top contributing cards:');
  if (top.length === 0) lines.push('  none: every card is flat right now');
  for (const c of top) {
    lines.push(`  • ${c.tf} ${cardLabel(c.card)} ${arrow(c.score)} ${signed(c.score)} — ${c.reason}${accuracyText(c)}`);
  }

  lines.push('', 'Measured (each read vs the next move over its timeframe; flat moves not scored):');
  if (!snap.accuracy) lines.push('  not available from this market process');
  else for (const a of snap.accuracy) lines.push(`  ${measuredLine(a)}`);

  // cards with measured hits only: rows of "—/0" say nothing
  const measured = [...new Set(snap.cards.filter((c) => c.accuracy !== undefined).map((c) => c.card))];
  if (measured.length === 0) lines.push('Card hit rates: not enough history yet (each card is scored as its horizons pass).');
  else {
    lines.push('Card hit rates (sign vs forward return, over samples):');
    for (const id of measured) {
      const perTf = TIMEFRAMES.flatMap((tf) => {
        const c = snap.cards.find((x) => x.card === id && x.tf === tf);
        return c?.accuracy === undefined ? [] : [`${tf} ${percent(c.accuracy)}/${formatNumber(c.samples)}`];
      });
      lines.push(`  ${cardLabel(id)}: ${perTf.join(' · ')}`);
    }
  }

  lines.push('', `Sizing: ${snap.sizing}`);
  lines.push('Risk guidance, not financial advice. Liquidation zones behind some cards are estimates.');

  // The timeframe rows and the sizing line are in the text already: a field repeating them printed
  // every row twice (the console prints fields under the text; Discord under the description).
  const fields: ReplyField[] = [{ name: 'Conflict', value: snap.conflicted ? 'yes — timeframes disagree' : 'no', inline: true }];

  const tone = snap.conflicted ? 'warning' : snap.composite.direction === 'up' ? 'up' : snap.composite.direction === 'down' ? 'down' : 'neutral';
  return {
    ok: true,
    title: `${symbol} signal · ${mode} (${MODE_EMPHASIS[mode]})`,
    text: lines.join('\n'),
    fields,
    buttons: [
      { action: `/signal ${symbol} ${mode}`, label: 'Refresh' },
      ...SIGNAL_MODES.filter((m) => m !== mode).map((m) => ({ action: `/signal ${symbol} ${m}`, label: m })),
    ],
    tone,
    data: snap,
  };
}

/** One line for a signal event, for the notifier. */
export function signalEventText(ev: SignalEvent): string {
  const s = ev.snapshot;
  switch (ev.kind) {
    case 'conflict-start':
      return `${ev.symbol} ${ev.mode}: ${conflictText(s).replace(/^⚠ /, '')}.`;
    case 'conflict-end':
      return `${ev.symbol} ${ev.mode}: timeframes agree again (${headline(s)}).`;
    case 'transition':
      return `${ev.symbol} ${ev.mode}: read turned ${ev.from} → ${ev.to} (${signed(s.composite.score)}, confidence ${percent(s.composite.confidence)}).`;
    case 'fading':
      return `${ev.symbol} ${ev.mode}: ${s.composite.direction} momentum fading (${signed(s.composite.score)}).`;
  }
}
