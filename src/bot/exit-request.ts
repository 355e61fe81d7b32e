/**
 * One parse and validation of an exit request, shared by `/exit` and `/position add`: typed from a
 * zod schema (no casts of args), symbols resolved with their aliases (cashtags, venue tickers, the
 * 1000PEPE unit), and the sanity checks a trader's typo needs — every refusal one line with a hint,
 * never an internal variable name.
 */
import { z } from 'zod';
import { DEFAULT_EXIT_SIZE_USD } from '../engine/exit.ts';
import type { ZoneService } from '../engine/ports.ts';
import type { ExitRequest, ZoneSnapshot } from '../engine/types.ts';
import { formatNumber, formatPrice } from '../format/numbers.ts';
import { venueMultiplier } from '../market/aliases.ts';
import type { SymbolRegistry } from '../market/symbols.ts';
import { VENUES } from '../market/types.ts';
import { typedArgs } from './args.ts';
import type { Args } from './command.ts';
import { resolveSymbol } from './registry.ts';

/** An entry further than this from the current price (as a fraction) is refused as a likely typo. */
export const MAX_ENTRY_DISTANCE = 0.5;
/** Smallest and largest position sizes that make sense to plan, USD. */
export const MIN_SIZE_USD = 1;
export const MAX_SIZE_USD = 1e10;

/** The exit request's options as the registry hands them over, typed. */
export const exitArgsSchema = z.object({
  symbol: z.string({ message: 'Which symbol? e.g. ETH, $ETH, ETHUSDT or 1000PEPE.' }).trim().min(1, 'Which symbol? e.g. ETH, $ETH, ETHUSDT or 1000PEPE.'),
  side: z.enum(['long', 'short'], { message: 'Side must be long or short, e.g. /exit ETH long 3120 20x.' }),
  entry: z.number({ message: 'Entry must be a price, e.g. 3120.' }),
  leverage: z.number({ message: 'Leverage must be a number like 20 or 20x.' }),
  size: z.number({ message: 'Size must be a number of USD, e.g. 10000 or 10k.' }).optional(),
  venue: z.enum(VENUES, { message: 'Venue must be binance, bybit, okx or hyperliquid.' }).optional(),
});
export type ExitArgs = z.output<typeof exitArgsSchema>;

export interface ParsedExitRequest {
  /** Canonical: symbol as tracked, prices per coin (what is stored and what alerts watch). */
  canonical: ExitRequest;
  /** As the user quoted it: entry per `priceUnit` coins (1000PEPE → per 1,000), for the reply. */
  quoted: ExitRequest;
  /** The symbol as written (1000PEPE), for replies. */
  written: string;
  snapshot: ZoneSnapshot;
}

export type ExitRequestResult = { ok: true; value: ParsedExitRequest } | { ok: false; error: string; warming?: boolean };

export interface ExitRequestDeps {
  /** Tracked symbols; without them the symbol is taken as written (tests of the planner alone). */
  symbols?: SymbolRegistry;
  zones: ZoneService;
  /** How the command is written in hints: `/exit` or `/position add`. */
  command: string;
}

/** A number as typed back to the user: readable even when absurd (1e308, 1e-7). */
export function echoNumber(x: number): string {
  const a = Math.abs(x);
  // as written, not as a price: a mistyped 0.0000001 echoes as 1e-7, not a subscript-zero price
  if (a > 0 && a < 1e-4) return String(Number(x.toPrecision(6)));
  return a >= 1e9 ? x.toPrecision(3) : formatPrice(x);
}

/** Parses and validates; the plan itself (bracket math, leverage cap) is the planner's. */
export function parseExitRequest(args: Args, deps: ExitRequestDeps): ExitRequestResult {
  const parsed = typedArgs(exitArgsSchema, args);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const a = parsed.value;
  const resolved = deps.symbols ? resolveSymbol({ symbols: deps.symbols }, a.symbol) : { symbol: a.symbol.toUpperCase(), unit: 1, written: a.symbol.toUpperCase() };
  if ('error' in resolved) return { ok: false, error: resolved.error };
  const { symbol, unit, written } = resolved;
  const sizeUsd = a.size ?? DEFAULT_EXIT_SIZE_USD;
  const venue = a.venue ?? 'binance';
  const example = `${deps.command} ${written} ${a.side}`;

  if (!Number.isFinite(a.entry) || !(a.entry > 0)) return { ok: false, error: `Entry must be a price above 0, e.g. ${example} 3120 20x.` };
  if (!Number.isFinite(a.leverage) || a.leverage < 1) return { ok: false, error: `Leverage must be at least 1x, e.g. 20 or 20x.` };
  if (!Number.isFinite(sizeUsd) || sizeUsd < MIN_SIZE_USD) return { ok: false, error: `Size must be a number of USD of at least ${MIN_SIZE_USD}, e.g. 10000 or 10k.` };
  if (sizeUsd > MAX_SIZE_USD) return { ok: false, error: `Size ${echoNumber(sizeUsd)} USD is beyond any venue's largest position; write it in USD, e.g. 10000 or 10k.` };

  const snapshot = deps.zones.snapshot(symbol);
  if (!snapshot) return { ok: false, error: `No data yet for ${symbol}, warming up. Try again in a few seconds.`, warming: true };
  const quotedPrice = snapshot.price * unit;
  const away = Math.abs(a.entry - quotedPrice) / quotedPrice;
  if (away > MAX_ENTRY_DISTANCE) return { ok: false, error: entryTooFar(a.entry, quotedPrice, { symbol, unit, written, example, deps, perCoin: snapshot.price }) };

  const canonical: ExitRequest = { symbol, side: a.side, entry: a.entry / unit, leverage: a.leverage, sizeUsd, venue };
  const quoted: ExitRequest = unit === 1 ? canonical : { ...canonical, entry: a.entry, priceUnit: unit };
  return { ok: true, value: { canonical, quoted, written, snapshot } };
}

interface TooFarContext {
  symbol: string;
  unit: number;
  written: string;
  example: string;
  deps: ExitRequestDeps;
  perCoin: number;
}

/** One line: why the entry is refused, and the likely fix (units for multiplier symbols). */
function entryTooFar(entry: number, price: number, c: TooFarContext): string {
  const mult = c.deps.symbols ? venueMultiplier(c.deps.symbols, c.symbol) : undefined;
  const ratio = entry / price;
  if (mult && c.unit === 1 && ratio > mult.unit / 3 && ratio < mult.unit * 3) {
    // Per-coin symbol with the exchange's per-1000 price: PEPE 0.0102 where PEPE trades at 0.0000102.
    const venuePrice = c.perCoin * mult.unit;
    return `${c.symbol} prices are per coin (now ${formatPrice(c.perCoin, c.symbol)}); on the exchange ${mult.ticker} trades at ${formatPrice(venuePrice)} — divide by ${formatNumber(mult.unit)}, or write ${c.deps.command} ${mult.ticker} …`;
  }
  if (c.unit > 1 && ratio > 1 / (c.unit * 3) && ratio < 3 / c.unit) {
    // 1000PEPE with the per-coin price.
    return `${c.written} prices are per ${formatNumber(c.unit)} coins (now ${formatPrice(price)}); ${echoNumber(entry)} looks like a per-coin price — multiply by ${formatNumber(c.unit)}, or write ${c.deps.command} ${c.symbol} …`;
  }
  const where =
    ratio >= 1
      ? `${ratio - 1 > 100 ? 'far more than 10,000' : formatNumber(Math.round((ratio - 1) * 100))} % above`
      : ratio < 0.01
        ? 'under 1 % of' // "100 % below" would read as zero
        : `${formatNumber(Math.round((1 - ratio) * 100))} % below`;
  return `Entry ${echoNumber(entry)} is ${where} the ${c.written} price ${formatPrice(price)}; entries within ${MAX_ENTRY_DISTANCE * 100} % of the price are planned — check the digits and the decimal point.`;
}
