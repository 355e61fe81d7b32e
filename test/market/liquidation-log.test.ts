import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiquidationLog } from '../../src/market/liquidation-log.ts';
import { MarketState } from '../../src/market/state.ts';
import type { LiquidationEvent } from '../../src/market/types.ts';

const ev = (exchTime: number, side: 'long' | 'short', price: number, qty: number): LiquidationEvent => ({
  kind: 'liquidation',
  venue: 'bybit',
  symbol: 'ETH',
  exchTime,
  recvTime: exchTime + 7,
  side,
  price,
  qty,
  notionalUsd: price * qty,
});

describe('LiquidationLog', () => {
  it('holds what an array of events would, through pushes, pruning, growth and shrinking (model test)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), dt: fc.integer({ min: 0, max: 50 }), long: fc.boolean(), price: fc.double({ min: 1, max: 1e5, noNaN: true }), qty: fc.double({ min: 1e-3, max: 1e3, noNaN: true }), times: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant('prune' as const), back: fc.integer({ min: 0, max: 3000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const log = new LiquidationLog('bybit', 'ETH');
        const model: LiquidationEvent[] = [];
        let dropped = 0;
        let t = 1_000_000;
        for (const o of ops) {
          if (o.kind === 'push') {
            for (let k = 0; k < o.times; k++) {
              t += o.dt;
              const e = ev(t, o.long ? 'long' : 'short', o.price + k, o.qty);
              log.push(e);
              model.push(e);
            }
          } else {
            const cutoff = t - o.back;
            log.pruneBefore(cutoff);
            while (model.length > 0 && model[0]!.exchTime < cutoff) {
              model.shift();
              dropped++;
            }
          }
          expect(log.length).toBe(model.length);
          expect(log.firstSeq).toBe(dropped);
          expect(log.endSeq).toBe(dropped + model.length);
          // capacity stays within 2× of what is held (shrinks after pruning), never below the minimum
          expect(log.bytes / 41).toBeLessThanOrEqual(Math.max(64, 2 * model.length));
        }
        expect(log.toArray()).toEqual(model);
        model.forEach((e, i) => {
          expect(log.time(i)).toBe(e.exchTime);
          expect(log.side(i)).toBe(e.side);
          expect(log.isLong(i)).toBe(e.side === 'long');
          expect(log.price(i)).toBe(e.price);
          expect(log.usd(i)).toBe(e.notionalUsd);
        });
        expect(log.last()).toEqual(model.at(-1));
        if (model.length > 0) {
          const from = model[Math.floor(model.length / 3)]!.exchTime;
          const until = model[Math.floor((2 * model.length) / 3)]!.exchTime;
          expect(log.between(from, until)).toEqual(model.filter((e) => e.exchTime >= from && e.exchTime <= until));
        }
        expect(log.get(-1)).toBeUndefined();
        expect(log.get(model.length)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('is what MarketState keeps: the trailing 24 h of liquidations per venue and symbol', () => {
    const s = new MarketState();
    const H = 3_600_000;
    for (let h = 0; h <= 30; h++) s.apply(ev(h * H, h % 2 ? 'long' : 'short', 2000 + h, 1));
    const log = s.venues('ETH')[0]!.liquidations;
    expect(log.length).toBe(25); // hours 6..30
    expect(log.time(0)).toBe(6 * H);
    expect(log.firstSeq).toBe(6);
    expect(log.last()).toEqual(ev(30 * H, 'short', 2030, 1));
  });
});
