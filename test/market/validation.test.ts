import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarketState } from '../../src/market/state.ts';
import type { MarketEvent, Venue } from '../../src/market/types.ts';

const T0 = 1_780_000_000_000;
const VENUES: Venue[] = ['binance', 'bybit', 'okx', 'hyperliquid'];

const mark = (venue: Venue, t: number, price: number, symbol = 'ETH'): MarketEvent => ({ kind: 'mark', venue, symbol, exchTime: t, recvTime: t, mark: price });
const trade = (venue: Venue, t: number, price: number, id?: string | number, symbol = 'ETH'): MarketEvent => ({
  kind: 'trade',
  venue,
  symbol,
  exchTime: t,
  recvTime: t,
  price,
  qty: 1,
  side: 'buy',
  ...(id !== undefined ? { id } : {}),
});
/** The same trade delivered again later (a venue re-send or a replay after a reconnect): same payload, later receive time. */
const resent = (ev: MarketEvent, afterMs: number): MarketEvent => ({ ...ev, recvTime: ev.recvTime + afterMs });
const book = (venue: Venue, t: number, mid: number, symbol = 'ETH'): MarketEvent => ({ kind: 'book', venue, symbol, exchTime: t, recvTime: t, bid: mid * 0.9999, bidSize: 1, ask: mid * 1.0001, askSize: 1, imbalance: 0 });
const oi = (venue: Venue, t: number, usd: number): MarketEvent => ({ kind: 'oi', venue, symbol: 'ETH', exchTime: t, recvTime: t, oiBase: usd / 3000, oiUsd: usd });

/** Two venues agreeing around 3,000 for a minute, one sample of each kind per second. */
function agreeing(state: MarketState, venues: Venue[] = ['binance', 'bybit'], from = T0, seconds = 60): number {
  let t = from;
  for (let i = 0; i < seconds; i++) {
    t = from + i * 1000;
    const p = 3000 + Math.sin(i / 7) * 3;
    for (const v of venues) {
      state.apply(mark(v, t, p));
      state.apply(trade(v, t + 1, p + 0.5));
      state.apply(book(v, t + 2, p - 0.2));
    }
  }
  return t + 3;
}

describe('reference price', () => {
  it('is the median of fresh marks, last trades and book mids of the venues in good standing', () => {
    const s = new MarketState();
    s.apply(mark('binance', T0, 100));
    s.apply(trade('binance', T0 + 1, 101));
    s.apply(book('bybit', T0 + 2, 100.5));
    s.apply(mark('bybit', T0 + 3, 100.2));
    expect(s.price('ETH')).toBeCloseTo((100.2 + 100.5) / 2, 9);
    // 30 s later only the newest samples are fresh
    s.apply(mark('bybit', T0 + 40_000, 100.4));
    expect(s.price('ETH')).toBeCloseTo(100.4, 9);
  });

  it('a single venue ×10 (or ÷10) never moves it beyond the range of the others', () => {
    const scenario = fc.record({
      venues: fc.integer({ min: 2, max: 4 }),
      bad: fc.nat(),
      factor: fc.constantFrom(10, 0.1, 1.5, 0.6),
      kinds: fc.subarray(['mark', 'trade', 'book'] as const, { minLength: 1 }),
      base: fc.double({ min: 0.0001, max: 100_000, noNaN: true }),
      steps: fc.array(fc.record({ drift: fc.double({ min: -0.002, max: 0.002, noNaN: true }), spread: fc.double({ min: 0, max: 0.002, noNaN: true }) }), { minLength: 5, maxLength: 40 }),
    });
    fc.assert(
      fc.property(scenario, ({ venues, bad, factor, kinds, base, steps }) => {
        const names = VENUES.slice(0, venues);
        const badVenue = names[bad % venues]!;
        const s = new MarketState();
        let p = base;
        let t = T0;
        // a calm start where everyone agrees
        for (let i = 0; i < 10; i++, t += 1000) for (const v of names) s.apply(mark(v, t, p));
        for (const step of steps) {
          t += 1000;
          p *= 1 + step.drift;
          const goodSamples: number[] = [];
          for (const [j, v] of names.entries()) {
            const own = p * (1 + (j - 1) * step.spread * 0.5);
            if (v === badVenue) {
              s.apply(kinds.includes('mark') ? mark(v, t, own * factor) : mark(v, t, own));
              s.apply(kinds.includes('trade') ? trade(v, t, own * factor) : trade(v, t, own));
              s.apply(kinds.includes('book') ? book(v, t, own * factor) : book(v, t, own));
            } else {
              s.apply(mark(v, t, own));
              s.apply(trade(v, t, own));
              s.apply(book(v, t, own));
              goodSamples.push(own, own * 0.9999, own * 1.0001);
            }
          }
          const ref = s.price('ETH')!;
          const lo = Math.min(...goodSamples);
          const hi = Math.max(...goodSamples);
          expect(ref).toBeGreaterThanOrEqual(lo * (1 - 1e-12));
          expect(ref).toBeLessThanOrEqual(hi * (1 + 1e-12));
        }
        if (factor === 10 || factor === 0.1) expect(s.validation('ETH').quarantined.map((q) => q.venue)).toEqual([badVenue]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('venue order', () => {
  it('lists venues in the house order (binance, bybit, okx, hyperliquid), whichever feed arrived first', () => {
    const s = new MarketState();
    agreeing(s, ['hyperliquid', 'okx', 'bybit', 'binance']);
    expect(s.validation('ETH').venues).toEqual(VENUES);
  });
});

describe('quarantine', () => {
  it('holds a venue whose mark departs ×10 out of the state, says why, and lets it rejoin once it agrees', () => {
    const s = new MarketState();
    let t = agreeing(s);
    const binanceBefore = s.get('ETH', 'binance')!.mark;
    expect(s.apply(mark('binance', t, 30_000))).toBe(false);
    const v = s.validation('ETH');
    expect(v.quarantined).toHaveLength(1);
    expect(v.quarantined[0]).toMatchObject({ venue: 'binance', symbol: 'ETH', kind: 'departs', price: 30_000 });
    expect(v.quarantined[0]!.reason).toMatch(/^binance ETH mark 30,000 is \+\d{3}% from the other venues \(3,00\d(\.\d+)?; bound 3\.0%\)$/);
    expect(v.venues).toEqual(['bybit']);
    // nothing of binance moves the state while it is out: not its good trades, not its OI
    expect(s.apply(trade('binance', t + 1, 3000))).toBe(false);
    expect(s.apply(oi('binance', t + 2, 1e9))).toBe(false);
    expect(s.get('ETH', 'binance')!.mark).toBe(binanceBefore);
    expect(s.venues('ETH').map((x) => x.venue)).toEqual(['bybit']);
    expect(s.price('ETH')).toBeGreaterThan(2990);
    expect(s.price('ETH')).toBeLessThan(3010);
    // bybit keeps going; binance's bad mark repeats, then turns right again
    for (let i = 0; i < 5; i++) {
      t += 1000;
      s.apply(mark('bybit', t, 3001));
      expect(s.apply(mark('binance', t, 30_010))).toBe(false);
    }
    t += 1000;
    s.apply(mark('bybit', t, 3001));
    expect(s.apply(mark('binance', t, 3000.5))).toBe(true);
    expect(s.validation('ETH').quarantined).toEqual([]);
    expect(s.venues('ETH').map((x) => x.venue).sort()).toEqual(['binance', 'bybit']);
    expect(s.get('ETH', 'binance')!.mark).toBe(3000.5);
  });

  it('does not rejoin while any fresh price of the venue still departs', () => {
    const s = new MarketState();
    let t = agreeing(s);
    s.apply(mark('binance', t, 30_000));
    t += 100;
    // a right trade, but the wrong mark is still fresh
    expect(s.apply(trade('binance', t, 3000))).toBe(false);
    expect(s.validation('ETH').quarantined).toHaveLength(1);
  });

  it('follows a move every venue makes together (no quarantine), and widens the bound with the 1-minute ATR', () => {
    const s = new MarketState();
    let t = T0;
    let p = 3000;
    // a volatile hour: 1-minute true ranges of ~1 %
    for (let m = 0; m < 60; m++) {
      for (let i = 0; i < 6; i++) {
        t = T0 + m * 60_000 + i * 10_000;
        const q = p * (1 + (i % 2 === 0 ? 0.005 : -0.005));
        for (const v of ['binance', 'bybit'] as const) s.apply(trade(v, t, q));
      }
      p *= 1.002;
    }
    const v = s.validation('ETH');
    expect(v.quarantined).toEqual([]);
    expect(v.bound).toBeGreaterThan(0.05); // 8 × ~1 % ATR
    // a 4 % step by both venues together is followed
    t += 1000;
    const step = s.price('ETH')! * 1.04;
    expect(s.apply(mark('binance', t, step))).toBe(true);
    expect(s.apply(mark('bybit', t, step * 1.0005))).toBe(true);
    expect(s.validation('ETH').quarantined).toEqual([]);
  });
});

describe('a lone venue', () => {
  it('needs trades on that venue to confirm a jump beyond the bound before it counts', () => {
    const s = new MarketState();
    let t = agreeing(s, ['bybit']);
    const before = s.price('ETH')!;
    // the mark jumps 10 %: held, reference unchanged, status says it is unconfirmed
    expect(s.apply(mark('bybit', t, before * 1.1))).toBe(false);
    expect(s.price('ETH')).toBeCloseTo(before, 6);
    expect(s.validation('ETH').quarantined[0]).toMatchObject({ venue: 'bybit', kind: 'unconfirmed' });
    expect(s.validation('ETH').quarantined[0]!.reason).toMatch(/bybit ETH mark jumped to 3,3\d\d(\.\d+)? \(\+10% from 3,00\d(\.\d+)?; bound 3\.0%\), not yet confirmed by bybit trades/);
    // its OI waits too (valued at that mark); prices that agree with the reference still count
    expect(s.apply(oi('bybit', t + 1, 5e8))).toBe(false);
    // two trades at the new level are not enough…
    expect(s.apply(trade('bybit', t + 2, before * 1.1, 'a'))).toBe(false);
    expect(s.apply(trade('bybit', t + 3, before * 1.101, 'b'))).toBe(false);
    expect(s.price('ETH')).toBeCloseTo(before, 6);
    // …the third confirms: it counts, and the reference moves
    expect(s.apply(trade('bybit', t + 4, before * 1.1, 'c'))).toBe(true);
    expect(s.validation('ETH').quarantined).toEqual([]);
    expect(s.price('ETH')! / before).toBeCloseTo(1.1, 2);
    t += 1000;
    expect(s.apply(mark('bybit', t, before * 1.1))).toBe(true);
  });

  it('never lets a wrong mark count while its trades stay at the old level', () => {
    const s = new MarketState();
    let t = agreeing(s, ['bybit']);
    const before = s.price('ETH')!;
    for (let i = 0; i < 20; i++) {
      t += 500;
      expect(s.apply(mark('bybit', t, before * 10))).toBe(false);
      expect(s.apply(trade('bybit', t + 1, before, `x${i}`))).toBe(true);
    }
    expect(s.price('ETH')).toBeCloseTo(before, 0);
    expect(s.get('ETH', 'bybit')!.mark).toBeLessThan(before * 1.01);
  });
});

describe('ingest hygiene', () => {
  it('drops a trade whose id was seen recently, per venue and symbol, and counts it', () => {
    const s = new MarketState();
    expect(s.apply(trade('bybit', T0, 100, 'abc'))).toBe(true);
    expect(s.apply(resent(trade('bybit', T0, 100, 'abc'), 5))).toBe(false);
    expect(s.apply(trade('binance', T0 + 6, 100, 'abc'))).toBe(true); // another venue
    expect(s.apply(trade('bybit', T0 + 7, 100, 'abc', 'BTC'))).toBe(true); // another symbol
    expect(s.apply(trade('bybit', T0 + 8, 100))).toBe(true); // no id: nothing to dedupe by
    expect(s.counts.trade).toBe(4);
    expect(s.validator.counts.duplicateTrades).toBe(1);
    expect(s.validator.byVenue.get('bybit')?.duplicateTrades).toBe(1);
  });

  it('clamps exchange times in the future to the receive time and counts them; small skew passes', () => {
    const s = new MarketState();
    const ev = mark('binance', T0, 100);
    ev.exchTime = T0 + 3_600_000;
    s.apply(ev);
    expect(ev.exchTime).toBe(T0);
    expect(s.get('ETH', 'binance')!.lastExchTime).toBe(T0);
    const skew = mark('binance', T0 + 10, 100);
    skew.exchTime = T0 + 500;
    s.apply(skew);
    expect(skew.exchTime).toBe(T0 + 500);
    expect(s.validator.counts.futureTimestamps).toBe(1);
    expect(s.validator.byVenue.get('binance')?.futureTimestamps).toBe(1);
  });
});

describe('trade id memory', () => {
  it('catches a late duplicate of a growing numeric id and of a string id, within the memory', () => {
    const s = new MarketState({}, { tradeIdMemory: 8 });
    for (let id = 1; id <= 6; id++) expect(s.apply(trade('binance', T0 + id, 100, id))).toBe(true);
    expect(s.apply(resent(trade('binance', T0 + 3, 100, 3), 2_000))).toBe(false); // re-sent after newer ones
    expect(s.apply(trade('binance', T0 + 1, 100, 0))).toBe(true); // older but never seen
    // a burst within one millisecond: same time, different ids
    for (let i = 0; i < 6; i++) expect(s.apply(trade('bybit', T0 + 50, 100, `b${i}`))).toBe(true);
    for (let i = 0; i < 6; i++) expect(s.apply(trade('bybit', T0 + 60 + i, 100, `u${i}`))).toBe(true);
    expect(s.apply(resent(trade('bybit', T0 + 65, 100, 'u5'), 10))).toBe(false);
    expect(s.apply(resent(trade('bybit', T0 + 50, 100, 'b4'), 10))).toBe(false);
    // beyond the memory (8 trades): forgotten, so it counts again
    expect(s.apply(resent(trade('bybit', T0 + 50, 100, 'b0'), 10))).toBe(true);
    expect(s.validator.counts.duplicateTrades).toBe(3);
  });
});
