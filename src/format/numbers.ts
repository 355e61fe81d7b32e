/**
 * The one number formatter: every price, USD amount, percent, score and confidence the bot says
 * (replies, alerts, chart labels) goes through here, so the same value reads the same everywhere.
 *
 * - Prices use the symbol's tick size (the venue's minimum price step, in coin units) when known,
 *   otherwise five significant digits. Prices below 0.0001 use subscript-zero notation
 *   (`0.0₅996` = 0.00000996) so PEPE-scale prices stay readable.
 * - USD amounts are compact with three significant digits: `$12.5M`, `$892k`, `$1.25B`, `$120`.
 * - Signed values use a true minus sign (U+2212): `−0.50`, `−1.25%`.
 *
 * Intl.NumberFormat instances are cached: formatting is on the alert hot path.
 */

/** U+2212, the typographic minus: `−0.50`, never `-0.50`. */
export const MINUS = '−';

const cache = new Map<string, Intl.NumberFormat>();

function nf(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', options);
    cache.set(key, f);
  }
  return f;
}

/** Fixed decimals with thousands grouping; negative zero prints as zero. */
// 'negative' (ES2023: no sign on negative zero) is in Node 20's Intl but not yet in the TS lib.
function fixed(x: number, decimals: number, grouping = true): string {
  const d = Math.max(0, Math.min(20, decimals));
  return nf(`fixed|${d}|${grouping}`, {
    minimumFractionDigits: d,
    maximumFractionDigits: d,
    useGrouping: grouping,
    signDisplay: 'negative' as Intl.NumberFormatOptions['signDisplay'],
  })
    .format(x)
    .replace('-', MINUS);
}

// ---------------------------------------------------------------------------------------------
// Tick sizes

const ticks = new Map<string, number>();

/**
 * Records the price tick (coin units) of a symbol, e.g. from the symbol registry at start.
 * Several venues: the finest tick wins, so every venue's prices print exactly.
 */
export function setPriceTick(symbol: string, tick: number): void {
  if (!(tick > 0) || !Number.isFinite(tick)) return;
  const key = symbol.toUpperCase();
  const had = ticks.get(key);
  ticks.set(key, had === undefined ? tick : Math.min(had, tick));
}

/** Every recorded tick, symbol → tick (coin units): what a market process publishes to bot processes. */
export function priceTicks(): Record<string, number> {
  return Object.fromEntries(ticks);
}

/** Forgets every recorded tick (tests). */
export function clearPriceTicks(): void {
  ticks.clear();
}

export function priceTick(symbol: string): number | undefined {
  return ticks.get(symbol.toUpperCase());
}

/** Decimals a tick implies: 0.01 → 2, 0.5 → 1, 1e-10 → 10, 5 → 0. */
export function tickDecimals(tick: number): number {
  if (!(tick > 0) || !Number.isFinite(tick)) return 0;
  for (let d = 0; d <= 20; d++) {
    const scaled = tick * 10 ** d;
    if (scaled >= 0.5 && Math.abs(scaled - Math.round(scaled)) < 1e-6 * scaled) return d;
  }
  return 20;
}

/** A symbol name (looked up in the tick table) or a tick size. */
export type PriceContext = string | number | undefined;

function resolveTick(ctx: PriceContext): number | undefined {
  if (typeof ctx === 'number') return ctx > 0 && Number.isFinite(ctx) ? ctx : undefined;
  if (typeof ctx === 'string') return priceTick(ctx);
  return undefined;
}

const SIGNIFICANT_DIGITS = 5;
const MAX_SIGNIFICANT_WITH_TICK = 6;
/** Below this, prices print with subscript zeros. */
const SUBSCRIPT_BELOW = 1e-4;
const SUBSCRIPT_DIGITS = '₀₁₂₃₄₅₆₇₈₉';

function subscript(n: number): string {
  return String(n)
    .split('')
    .map((c) => SUBSCRIPT_DIGITS[Number(c)] ?? c)
    .join('');
}

/** Zeros between the decimal point and the first significant digit: 0.00000996 → 5. */
export function leadingZeros(p: number): number {
  const a = Math.abs(p);
  if (!(a > 0) || a >= 1) return 0;
  return -Math.floor(Math.log10(a)) - 1;
}

/** Decimals for a price: the tick's when known, else enough for five significant digits. */
export function priceDecimals(p: number, ctx?: PriceContext): number {
  const tick = resolveTick(ctx);
  const a = Math.abs(p);
  const magnitude = a > 0 && Number.isFinite(a) ? Math.floor(Math.log10(a)) : undefined;
  if (tick !== undefined) {
    // Never more than six significant digits, whatever a venue reports: real ticks give 5–6
    // (BTC 0.1, ETH 0.01, PEPE 1e-10), and a placeholder tick (1e-6 on ETH) must not print noise.
    return magnitude === undefined ? tickDecimals(tick) : Math.min(tickDecimals(tick), Math.max(0, MAX_SIGNIFICANT_WITH_TICK - 1 - magnitude));
  }
  if (magnitude === undefined) return 2;
  return Math.max(0, SIGNIFICANT_DIGITS - 1 - magnitude);
}

/**
 * A price: `97,120.5` (BTC, tick 0.1), `3,120.45` (ETH, tick 0.01), `0.0₅9960` (PEPE).
 * `ctx` is the symbol (tick looked up) or the tick itself.
 */
export function formatPrice(p: number, ctx?: PriceContext): string {
  if (!Number.isFinite(p)) return String(p);
  if (p === 0) return '0';
  const decimals = priceDecimals(p, ctx);
  const a = Math.abs(p);
  if (a < SUBSCRIPT_BELOW) {
    const zeros = leadingZeros(a);
    // Significant digits the tick allows, at most four: more is noise to a reader.
    const digits = Math.max(2, Math.min(4, decimals - zeros));
    const text = fixed(a, zeros + digits, false);
    // (subscript form keeps its digits: they are significant, not padding)
    const rounded = text.slice(2 + zeros); // after "0." and the zeros
    // Rounding up can carry into a new digit (0.0000099999 → 0.0000100): reformat then.
    if (rounded.length > digits || !text.startsWith(`0.${'0'.repeat(zeros)}`)) return formatPrice(Number(text) * Math.sign(p), ctx);
    return `${p < 0 ? MINUS : ''}0.0${subscript(zeros)}${rounded}`;
  }
  // A tick gives exchange-style fixed decimals; the fallback drops trailing zeros (3,000 not 3,000.0).
  return resolveTick(ctx) === undefined ? trimZeros(fixed(p, decimals)) : fixed(p, decimals);
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * A price band, both ends at the same precision: `3,080.50–3,120.00` with a tick; without one,
 * five significant digits of the larger end, trailing zeros dropped from both ends alike
 * (`3,100–3,120`, `998.2–1,001.3`).
 */
export function formatPriceRange(low: number, high: number, ctx?: PriceContext): string {
  if (resolveTick(ctx) !== undefined) return `${formatPrice(low, ctx)}–${formatPrice(high, ctx)}`;
  const step = priceStepFor(Math.max(Math.abs(low), Math.abs(high)));
  let a = formatPrice(low, step);
  let b = formatPrice(high, step);
  while (a.includes('.') && b.includes('.') && a.endsWith('0') && b.endsWith('0')) {
    a = a.slice(0, -1);
    b = b.slice(0, -1);
  }
  if (a.endsWith('.') && b.endsWith('.')) {
    a = a.slice(0, -1);
    b = b.slice(0, -1);
  }
  return `${a}–${b}`;
}

/** The implied step of the five-significant-digit fallback at a magnitude. */
function priceStepFor(magnitude: number): number | undefined {
  if (!(magnitude > 0) || !Number.isFinite(magnitude)) return undefined;
  return 10 ** (Math.floor(Math.log10(magnitude)) - (SIGNIFICANT_DIGITS - 1));
}

// ---------------------------------------------------------------------------------------------
// Price scale for small prices (chart axes)

export interface PriceScale {
  /** Multiply a price by this for display: 1e6 for PEPE. */
  factor: number;
  /** Exponent of the unit: 6 → values are in 10⁻⁶ USD. */
  exponent: number;
  /** How the unit is stated on an axis title, e.g. `USD × 10⁻⁶`; `USD` when unscaled. */
  unit: string;
}

const SUPERSCRIPT_DIGITS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

function superscript(n: number): string {
  return String(n)
    .split('')
    .map((c) => (c === '-' ? '⁻' : (SUPERSCRIPT_DIGITS[Number(c)] ?? c)))
    .join('');
}

/**
 * A readable display scale for a price level: unscaled at 0.01 and above; below that a power of
 * ten in steps of three (10⁻³, 10⁻⁶, 10⁻⁹) that brings the price to between 1 and 1000.
 */
export function priceScaleFor(price: number): PriceScale {
  const a = Math.abs(price);
  if (!(a > 0) || !Number.isFinite(a) || a >= 0.01) return { factor: 1, exponent: 0, unit: 'USD' };
  const exponent = 3 * Math.ceil(-Math.log10(a) / 3);
  return { factor: 10 ** exponent, exponent, unit: `USD × 10${superscript(-exponent)}` };
}

/**
 * An axis tick label for a price on an axis whose ticks are `interval` apart (both in real
 * prices): as many decimals as the interval needs, in the given scale.
 */
export function formatAxisPrice(p: number, interval: number, scale: PriceScale = priceScaleFor(p)): string {
  const v = p * scale.factor;
  const step = Math.abs(interval * scale.factor);
  // As many decimals as the step itself has (a 0.25 step needs two): labels never round a tick.
  const decimals = step > 0 && Number.isFinite(step) ? tickDecimals(Number(step.toPrecision(12))) : 2;
  return fixed(Math.abs(v) < step * 1e-6 ? 0 : v, decimals);
}

// ---------------------------------------------------------------------------------------------
// USD, percents, scores

/** Compact USD, three significant digits: `$12.5M`, `$892k`, `$1.25B`, `$120`, `−$3.4M`. */
export function formatUsd(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const text = nf('usd', { style: 'currency', currency: 'USD', notation: 'compact', maximumSignificantDigits: 3, signDisplay: 'negative' as Intl.NumberFormatOptions['signDisplay'] }).format(n);
  return text.replace('K', 'k').replace('-', MINUS);
}

/** A percent given in percent units, unsigned: `1.25%`. Distances are signed by words, not by this. */
export function formatPercent(pct: number, digits = 2): string {
  if (!Number.isFinite(pct)) return String(pct);
  return `${fixed(pct, digits)}%`;
}

/** A signed percent (percent units): `+1.25%`, `−0.40%`, `0.00%`. */
export function formatSignedPercent(pct: number, digits = 2): string {
  if (!Number.isFinite(pct)) return String(pct);
  return `${signed(pct, digits)}%`;
}

/** A fraction (0..1) as a whole percent: 0.79 → `79%`. Shares, confidence, hit rates. */
export function formatFraction(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '–';
  return `${fixed(x * 100, digits)}%`;
}

/** Confidence (0..1) as a percent: `79%`. */
export function formatConfidence(c: number): string {
  return formatFraction(c, 0);
}

/** A signed score with a true minus: `+0.50`, `−0.50`, `0.00`. */
export function formatScore(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  return signed(x, digits);
}

function signed(x: number, digits: number): string {
  return nf(`signed|${digits}`, { minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: 'exceptZero' })
    .format(x)
    .replace('-', MINUS);
}

/** A share (0..1) as a whole percent, where a share that rounds to 0 but is not 0 reads `<1%`: `12%`, `<1%`, `0%`. */
export function formatShare(x: number): string {
  return x > 0 && x < 0.005 ? '<1%' : formatFraction(x);
}

/** A count with its noun, singular for one: `1 position`, `1,204 positions`. */
export function formatCount(n: number, noun: string, plural = `${noun}s`): string {
  return `${fixed(n, 0)} ${n === 1 ? noun : plural}`;
}

/** A plain number with grouping and fixed decimals: `1,234.5`. */
export function formatNumber(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return String(x);
  return fixed(x, digits);
}
