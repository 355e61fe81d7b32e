import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clearPriceTicks,
  formatAxisPrice,
  formatCount,
  formatShare,
  formatConfidence,
  formatPercent,
  formatPrice,
  formatPriceRange,
  formatScore,
  formatSignedPercent,
  formatUsd,
  priceScaleFor,
  setPriceTick,
  tickDecimals,
} from '../../src/format/numbers.ts';

/** Reads a formatted price back (grouping, true minus, subscript zeros). */
function parsePrice(text: string): number {
  const sub = '₀₁₂₃₄₅₆₇₈₉';
  const m = /^(−?)0\.0([₀-₉]+)(\d+)$/.exec(text);
  if (m) {
    const zeros = Number([...m[2]!].map((c) => sub.indexOf(c)).join(''));
    return (m[1] ? -1 : 1) * Number(`0.${'0'.repeat(zeros)}${m[3]}`);
  }
  return Number(text.replace(/,/g, '').replace('−', '-'));
}

function parseUsd(text: string): number {
  const m = /^(−?)\$([\d.]+)([kMBT]?)$/.exec(text);
  if (!m) throw new Error(`not compact USD: ${text}`);
  const unit = { '': 1, k: 1e3, M: 1e6, B: 1e9, T: 1e12 }[m[3] as '' | 'k' | 'M' | 'B' | 'T'];
  return (m[1] ? -1 : 1) * Number(m[2]) * unit;
}

afterEach(() => clearPriceTicks());

describe('formatPrice', () => {
  it('uses the tick size of the symbol', () => {
    setPriceTick('BTC', 0.1);
    setPriceTick('ETH', 0.01);
    setPriceTick('SOL', 0.01);
    expect(formatPrice(97_120.5, 'BTC')).toBe('97,120.5');
    expect(formatPrice(3120.4, 'ETH')).toBe('3,120.40');
    expect(formatPrice(142.345, 'SOL')).toBe('142.35');
    expect(formatPrice(142.345, 0.001)).toBe('142.345');
  });

  it('a tick never yields more than six significant digits (placeholder ticks print no noise)', () => {
    setPriceTick('ETH', 0.000001);
    expect(formatPrice(3072.735, 'ETH')).toBe('3,072.74');
    expect(formatPrice(97_120.55, 0.000001)).toBe('97,120.6');
  });

  it('the finest tick across venues wins', () => {
    setPriceTick('SOL', 0.01);
    setPriceTick('SOL', 0.001);
    expect(formatPrice(142.3456, 'sol')).toBe('142.346');
  });

  it('falls back to five significant digits without a tick', () => {
    expect(formatPrice(97_120.5)).toBe('97,121');
    expect(formatPrice(3120.45)).toBe('3,120.5');
    expect(formatPrice(0.35)).toBe('0.35');
    expect(formatPrice(3000)).toBe('3,000');
    expect(formatPrice(0.123456)).toBe('0.12346');
    expect(formatPrice(0)).toBe('0');
  });

  it('writes PEPE-scale prices with subscript zeros', () => {
    expect(formatPrice(0.00000996)).toBe('0.0₅9960');
    setPriceTick('PEPE', 1e-8);
    expect(formatPrice(0.00000996, 'PEPE')).toBe('0.0₅996');
    expect(formatPrice(0.0000099999, 'PEPE')).toBe('0.0₄1000');
    expect(formatPrice(-0.00000996, 'PEPE')).toBe('−0.0₅996');
    expect(formatPrice(0.000123)).toBe('0.000123');
  });

  it('a range prints both ends at the same precision', () => {
    expect(formatPriceRange(998.2, 1001.3)).toBe('998.2–1,001.3');
    expect(formatPriceRange(3100, 3120)).toBe('3,100–3,120');
    expect(formatPriceRange(3100.5, 3120, 'ETH')).toBe('3,100.5–3,120.0');
    expect(formatPriceRange(0.0000099, 0.00001)).toBe('0.0₅99–0.0₄10');
    setPriceTick('ETH', 0.01);
    expect(formatPriceRange(3080.5, 3120, 'ETH')).toBe('3,080.50–3,120.00');
  });

  it('property: reads back within half a tick', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 2e5, noNaN: true }), fc.constantFrom(undefined, 1e-10, 1e-6, 0.001, 0.01, 0.1), (p, tick) => {
        const back = parsePrice(formatPrice(p, tick));
        const mag = Math.floor(Math.log10(p));
        // the tick, but never finer than six significant digits; five without a tick
        const step = tick !== undefined ? Math.max(tick, 10 ** (mag - 5)) : 10 ** (mag - 4);
        // subscript form keeps at most four significant digits
        const sub = p < 1e-4 ? 10 ** (Math.floor(Math.log10(p)) - 3) : 0;
        expect(Math.abs(back - p)).toBeLessThanOrEqual(Math.max(step, sub) * 0.5 * (1 + 1e-6) + p * 1e-12);
      }),
    );
  });

  it('property: monotone for one tick', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e5, noNaN: true }), fc.double({ min: 1, max: 1e5, noNaN: true }), (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        expect(parsePrice(formatPrice(lo, 0.01))).toBeLessThanOrEqual(parsePrice(formatPrice(hi, 0.01)));
      }),
    );
  });
});

describe('tickDecimals', () => {
  it('counts the decimals a tick implies', () => {
    expect([1, 0.5, 0.1, 0.01, 0.0001, 1e-7, 1e-10, 5, 0.25].map(tickDecimals)).toEqual([0, 1, 1, 2, 4, 7, 10, 0, 2]);
  });
});

describe('formatUsd', () => {
  it('is compact with three significant digits', () => {
    expect(formatUsd(12_500_000)).toBe('$12.5M');
    expect(formatUsd(12_540_000)).toBe('$12.5M');
    expect(formatUsd(892_345)).toBe('$892k');
    expect(formatUsd(1_250_000_000)).toBe('$1.25B');
    expect(formatUsd(120)).toBe('$120');
    expect(formatUsd(4_200_000)).toBe('$4.2M');
    expect(formatUsd(-3_400_000)).toBe('−$3.4M');
  });

  it('property: within half a unit of the third significant digit', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 9e11, noNaN: true }), (x) => {
        const back = parseUsd(formatUsd(x));
        expect(Math.abs(back - x) / x).toBeLessThanOrEqual(0.005 + 1e-9);
      }),
    );
  });
});

describe('formatShare', () => {
  it('never says 0% of something that is there', () => {
    expect(formatShare(0.004)).toBe('<1%');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(0.005)).toBe('1%');
    expect(formatShare(0.12)).toBe('12%');
    fc.assert(fc.property(fc.double({ min: 1e-12, max: 1, noNaN: true }), (x) => formatShare(x) !== '0%'));
  });
});

describe('formatCount', () => {
  it('says one thing in the singular and every other count in the plural, grouped', () => {
    expect(formatCount(1, 'position')).toBe('1 position');
    expect(formatCount(0, 'position')).toBe('0 positions');
    expect(formatCount(1204, 'polled account')).toBe('1,204 polled accounts');
    expect(formatCount(2, 'entry', 'entries')).toBe('2 entries');
  });
});

describe('percents, scores, confidence', () => {
  it('signs with a true minus', () => {
    expect(formatScore(-0.5)).toBe('−0.50');
    expect(formatScore(0.5)).toBe('+0.50');
    expect(formatScore(-0.001)).toBe('0.00');
    expect(formatSignedPercent(-1.254)).toBe('−1.25%');
    expect(formatSignedPercent(2)).toBe('+2.00%');
    expect(formatPercent(-0.004)).toBe('0.00%');
  });

  it('confidence is a whole percent', () => {
    expect(formatConfidence(0.49)).toBe('49%');
    expect(formatConfidence(0.794)).toBe('79%');
  });

  it('property: no hyphen-minus ever reaches text', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
        for (const s of [formatScore(x), formatSignedPercent(x), formatPercent(x), formatUsd(x), formatPrice(x)]) expect(s).not.toContain('-');
      }),
    );
  });
});

describe('price scale (chart axes)', () => {
  it('leaves normal prices alone and scales PEPE to millionths', () => {
    expect(priceScaleFor(3120)).toEqual({ factor: 1, exponent: 0, unit: 'USD' });
    expect(priceScaleFor(0.35).factor).toBe(1);
    expect(priceScaleFor(0.00000996)).toEqual({ factor: 1e6, exponent: 6, unit: 'USD × 10⁻⁶' });
    expect(priceScaleFor(0.0025)).toEqual({ factor: 1e3, exponent: 3, unit: 'USD × 10⁻³' });
  });

  it('axis labels carry the decimals their interval needs', () => {
    const s = priceScaleFor(0.00001);
    expect([0.0000099, 0.00001, 0.0000101].map((p) => formatAxisPrice(p, 0.0000001, s))).toEqual(['9.9', '10.0', '10.1']);
    expect(formatAxisPrice(3100, 50)).toBe('3,100');
    expect(formatAxisPrice(3100.5, 0.5)).toBe('3,100.5');
  });
});
