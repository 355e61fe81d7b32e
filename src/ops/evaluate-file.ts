import { BracketBook } from '../engine/brackets.ts';
import { installRecordedTiers, recordedOkxTiers } from '../venues/recorded-tiers.ts';
import type { SymbolRegistry } from '../market/symbols.ts';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Config } from '../config.ts';
import { compareCalibration, evaluate, formatCalibrationComparison, formatEvaluationTable } from '../engine/evaluation.ts';
import type { MarketEvent, Venue } from '../market/types.ts';
import { createRecordMapper, parseFrameRecord, registryFromRecords, type FrameRecord } from '../venues/records.ts';
import { evaluateSignals, formatSignalEvaluation } from '../engine/signal-evaluation.ts';
import { compareWithObserved, formatObservedComparison } from './evaluate-observed.ts';

/** Reads a recording (record format) into frames; malformed lines are counted, not fatal. */
export async function readRecording(path: string): Promise<{ records: FrameRecord[]; malformed: number }> {
  const records: FrameRecord[] = [];
  let malformed = 0;
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const r = parseFrameRecord(line);
    if (r) records.push(r);
    else malformed++;
  }
  return { records, malformed };
}

/** The symbol registry a recording's own listings give (falling back to these venues when it names none). */
function registryOf(records: FrameRecord[], symbols: string[], fallbackVenues: Venue[]): SymbolRegistry {
  const venues = [...new Set(records.map((r) => r.v))];
  return registryFromRecords(records, symbols, venues.length ? venues : fallbackVenues);
}

/** Events a recording replays to, through the same mappers as the live run. */
export function eventsOf(records: FrameRecord[], symbols: string[], fallbackVenues: Venue[], reg = registryOf(records, symbols, fallbackVenues)): MarketEvent[] {
  const mapper = createRecordMapper(reg);
  const out: MarketEvent[] = [];
  for (const r of records) {
    const evs = mapper.map(r);
    if (evs) for (const ev of evs) out.push(ev);
  }
  return out;
}

/** `liqzone evaluate FILE`: zone accuracy on a recording, as a printed table. */
export async function evaluateRecording(path: string, config: Config, horizonMinutes = 60, signalsOnly = false): Promise<string> {
  const { records, malformed } = await readRecording(path);
  if (records.length === 0) throw new Error('no frames in the recording');
  const reg = registryOf(records, config.SYMBOLS, config.VENUES);
  const events = eventsOf(records, config.SYMBOLS, config.VENUES, reg);
  const signalSection = formatSignalEvaluation(evaluateSignals(events));
  const header = `Recording: ${path} — ${records.length} frames, ${events.length} events${malformed ? `, ${malformed} malformed lines skipped` : ''}`;
  if (signalsOnly) return [header, '', signalSection].join('\n');
  // liquidation prices with the exchange tiers the live run fetched (recorded), as a replay of it would
  const brackets = new BracketBook();
  const installed = { ...installRecordedTiers(records, reg, brackets), okx: installOkxTiers(records, reg, events, brackets) };
  const horizonMs = horizonMinutes * 60_000;
  const opts = { leverageMix: config.LEVERAGE_MIX, brackets, horizonMs, snapshotIntervalMs: Math.max(5_000, Math.round(horizonMs / 6)) };
  const report = evaluate(events, opts);
  const comparison = compareCalibration(events, opts);
  const span = (records.at(-1)!.t - records[0]!.t) / 60_000;
  const hlRecords = records.filter((r) => r.v === 'hyperliquid');
  const observedLine = hlRecords.length
    ? formatObservedComparison(
        compareWithObserved(hlRecords, registryFromRecords(hlRecords, config.SYMBOLS, ['hyperliquid']), {
          leverageMix: config.LEVERAGE_MIX,
          brackets,
          snapshotIntervalMs: opts.snapshotIntervalMs,
        }),
      )
    : undefined;
  return [
    `Recording: ${path} — ${records.length} frames over ${span.toFixed(1)} min of wall clock, ${events.length} events${malformed ? `, ${malformed} malformed lines skipped` : ''}`,
    `Liquidation math: ${tiersLine(installed)}`,
    '',
    formatEvaluationTable(report),
    '',
    formatCalibrationComparison(comparison),
    ...(observedLine ? ['', observedLine] : []),
    '',
    signalSection,
  ].join('\n');
}

/**
 * Installs the recording's OKX position tiers sized at the price when each answer arrived (as the live
 * run did): the OKX mark at or before the answer's time, else the first after it, else any venue's.
 * Returns how many symbols got a table.
 */
export function installOkxTiers(records: readonly FrameRecord[], reg: SymbolRegistry, events: readonly MarketEvent[], brackets: BracketBook): number {
  const answers = records.map((r) => (r.v === 'okx' ? recordedOkxTiers(r, reg) : undefined));
  if (!answers.some(Boolean)) return 0;
  const marks = new Map<string, { t: number; price: number; okx: boolean }[]>();
  for (const e of events) {
    if (e.kind !== 'mark' || !(e.mark > 0)) continue;
    let list = marks.get(e.symbol);
    if (!list) marks.set(e.symbol, (list = []));
    list.push({ t: e.recvTime, price: e.mark, okx: e.venue === 'okx' });
  }
  const priceAt = (symbol: string, t: number): number | undefined => {
    const list = marks.get(symbol) ?? [];
    for (const okxOnly of [true, false]) {
      let before: number | undefined;
      let after: number | undefined;
      for (const m of list) {
        if (okxOnly && !m.okx) continue;
        if (m.t <= t) before = m.price;
        else if (after === undefined) after = m.price;
      }
      const p = before ?? after;
      if (p !== undefined) return p;
    }
    return undefined;
  };
  const done = new Set<string>();
  records.forEach((rec, i) => {
    const a = answers[i];
    if (!a) return;
    const price = priceAt(a.symbol, rec.t);
    if (price === undefined) return;
    brackets.setOkxTiers(a.symbol, a.tiers, a.coinsPerContract, price);
    done.add(a.symbol);
  });
  return done.size;
}

/** Which exchange tables the evaluation computed liquidation prices with. */
export function tiersLine(installed: { bybit: number; okx?: number; hyperliquid: number }): string {
  const n = (k: number) => `${k} symbol${k === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (installed.bybit > 0) parts.push(`bybit risk-limit tiers for ${n(installed.bybit)}`);
  if (installed.okx) parts.push(`okx position tiers for ${n(installed.okx)}`);
  if (installed.hyperliquid > 0) parts.push(`hyperliquid margin tiers for ${n(installed.hyperliquid)}`);
  return parts.length > 0
    ? `the recording's exchange tables (${parts.join(', ')}); binance dated defaults, the generic table for the rest`
    : 'no exchange tables in the recording: binance dated defaults, the generic table elsewhere';
}
