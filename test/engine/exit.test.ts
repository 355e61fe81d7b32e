import { describe, expect, it } from 'vitest';
import { exitPlanReply } from '../../commands/exit.ts';
import { BracketBook } from '../../src/engine/brackets.ts';
import { planExit } from '../../src/engine/exit.ts';
import { binanceLiquidationPrice, bybitLiquidationPrice } from '../../src/engine/liquidation.ts';
import type { ExitPlan, ExitRequest } from '../../src/engine/types.ts';
import { exampleSources, snapshotOf, source } from './synthetic.ts';

const book = new BracketBook();
const eth = book.get('binance', 'ETH');

function plan(req: Partial<ExitRequest>, atr = 5): ExitPlan {
  const full: ExitRequest = { symbol: 'ETH', side: 'long', entry: 1000, leverage: 20, sizeUsd: 10_000, venue: 'binance', ...req };
  const p = planExit(snapshotOf(exampleSources(), undefined, 1000, atr), full, book.get(full.venue, 'ETH'));
  if ('error' in p) throw new Error(p.error);
  return p;
}

describe('exit planner', () => {
  it('uses the venue bracket math for the liquidation price', () => {
    const p = plan({});
    const exact = binanceLiquidationPrice(eth.brackets, { side: 'long', entry: 1000, leverage: 20, notionalUsd: 10_000 });
    expect(exact.ok && p.liquidationPrice).toBe(exact.ok && exact.price);
    expect(p.liquidationPrice).toBeCloseTo((1000 * 0.95) / 0.996, 9);
    expect(p.bracket).toEqual({ maintMarginRatio: 0.004, maxLeverage: 125, notionalCap: 50_000 });
    expect(p.warnings).toContain('Binance brackets for ETH are a dated table (as of 2024-10-24); the live ones may differ.');
    const bybit = plan({ venue: 'bybit' });
    const generic = book.get('bybit', 'ETH');
    const expected = bybitLiquidationPrice(generic.brackets, { side: 'long', entry: 1000, leverage: 20, notionalUsd: 10_000 });
    expect(expected.ok && bybit.liquidationPrice).toBeCloseTo(957.5, 9);
    expect(bybit.warnings.some((w) => /generic bracket table/.test(w))).toBe(true);
  });

  it('puts targets just before the near edge of the next clusters, with reward/risk from price and from entry', () => {
    const p = plan({});
    // 1020–1021.5 and 1021.5–1023 touch: a target "before" the second would sit inside the first, so there is none.
    expect(p.targets.map((t) => t.price)).toEqual([1009.875, 1019.875]);
    expect(p.targets[0]!.distancePct).toBeCloseTo(0.9875, 9);
    expect(p.targets[0]!.zoneUsd).toBe(4e6);
    expect(p.stop).toEqual({ price: 989.875, reason: expect.stringMatching(/below the long-liquidation cluster 990–991.5/), zoneId: expect.any(String) });
    expect(p.targets[0]!.rewardRisk).toBeCloseTo(9.875 / 10.125, 9);
    expect(p.targets[0]!.rewardRiskFromEntry).toBeCloseTo(9.875 / 10.125, 9);
    const short = plan({ side: 'short', leverage: 10 });
    expect(short.targets.map((t) => t.price)).toEqual([991.625, 980.625]);
    expect(short.targets.every((t) => t.price < 1000)).toBe(true);
  });

  it('measures reward/risk from the current price (an open position re-planned) and from entry separately', () => {
    // A short entered at 995 with price at 1000 is underwater; the stop sits above the short cluster 1010–1011.
    const p = plan({ side: 'short', entry: 995, leverage: 10 });
    const t = p.targets[0]!;
    expect(p.stop!.price).toBe(1011.125);
    expect(t.rewardRisk).toBeCloseTo((1000 - t.price) / (1011.125 - 1000), 9);
    expect(t.rewardRiskFromEntry).toBeCloseTo((995 - t.price) / (1011.125 - 995), 9);
    expect(p.pnl.movePct).toBeCloseTo(-0.5025, 3);
    expect(p.pnl.onMarginPct).toBeCloseTo(-5.025, 2);
  });

  it('aims only at clusters above the size floor (share of the side total), configurable', () => {
    const snap = snapshotOf(exampleSources(), undefined, 1000, 5);
    const req: ExitRequest = { symbol: 'ETH', side: 'short', entry: 1000, leverage: 10, sizeUsd: 10_000, venue: 'binance' };
    // the long cluster at 980 holds 1/12 of the long side: a target at 5 %, not at 10 %
    const at5 = planExit(snap, req, eth, { minClusterShare: 0.05 });
    const at10 = planExit(snap, req, eth, { minClusterShare: 0.1 });
    if ('error' in at5 || 'error' in at10) throw new Error('plan failed');
    expect(at5.targets.map((t) => t.zoneId)).toHaveLength(2);
    expect(at10.targets.map((t) => t.price)).toEqual([991.625]);
    expect(at10.minClusterShare).toBe(0.1);
    const none = planExit(snap, req, eth, { minClusterShare: 0.95 });
    if ('error' in none) throw new Error(none.error);
    expect(none.targets).toEqual([]);
    expect(none.warnings.some((w) => /at least 95 % of that side's total.*not worth aiming at/.test(w))).toBe(true);
  });

  it('skips clusters that are not beyond the entry', () => {
    // a long entered at 1015 has nothing to take at 1010
    const p = plan({ entry: 1015 });
    expect(p.targets.every((t) => t.price > 1015)).toBe(true);
    expect(p.targets[0]!.price).toBe(1019.875);
  });

  it('moves the stop out of a cluster on the losing side (stop-hunt risk), before the liquidation price', () => {
    const long = plan({}, 9); // bins of 1: long cluster 990–992; a 1-ATR stop would sit at 991
    expect(long.stop!.price).toBe(989.75);
    expect(long.stop!.reason).toMatch(/below the long-liquidation cluster 990–992/);
    expect(long.stop!.price).toBeGreaterThan(long.liquidationPrice);
    const short = plan({ side: 'short', leverage: 10 }, 12); // bins of 2: short cluster 1010–1012
    expect(short.stop!.price).toBe(1012.5);
    expect(short.stop!.reason).toMatch(/stop-hunt/);
    expect(short.stop!.price).toBeLessThan(short.liquidationPrice);
  });

  it('gives no stop when the nearest stop-hunt cluster cannot be passed before liquidation, and says why', () => {
    const p = plan({ leverage: 70 }, 9);
    expect(p.liquidationPrice).toBeCloseTo((1000 * (1 - 1 / 70)) / 0.996, 9);
    expect(p.stop).toBeNull();
    expect(p.noStop).toMatch(/long-liquidation cluster 990–992 .* lies between price and your liquidation price/);
    expect(p.warnings.some((w) => /^No stop is possible .*Consider lower leverage/.test(w))).toBe(true);
    // said once: the reason is the Stop line's, not repeated in the warning
    expect(p.warnings.some((w) => w.includes(p.noStop!))).toBe(false);
    expect(p.targets.every((t) => t.rewardRisk === undefined)).toBe(true);
  });

  it('never places the stop inside a cluster, even with no room on either side', () => {
    const wide = source('binance', Array.from({ length: 21 }, (_, i) => ['long', 0, 985 + i * 0.5, 1e6] as ['long', number, number, number]));
    const snap = snapshotOf([wide], undefined, 1000, 20); // bins of 2: one long cluster 984–996
    const p = planExit(snap, { symbol: 'ETH', side: 'long', entry: 996, leverage: 100, sizeUsd: 10_000, venue: 'binance' }, eth);
    if ('error' in p) throw new Error(p.error);
    expect(p.stop).toBeNull();
    // the narrow zones of that run are named as the one band a sweep would run through; it holds the
    // liquidation price (990), so it "reaches" it rather than lying "between price and" it
    expect(p.liquidationPrice).toBeGreaterThan(984);
    expect(p.liquidationPrice).toBeLessThan(996);
    expect(p.noStop).toMatch(/^the long-liquidation clusters 984–996 \(~\$21M in \d touching zones\) reach your liquidation price 990, with no room outside them/);
    expect(p.noStopBand).toEqual({ low: 984, high: 996 });
    expect(p.liquidationCluster?.inside).toBe(true);
    expect(p.warnings.find((w) => w.startsWith('Your liquidation price'))).toMatch(/^Your liquidation price 990 sits inside the estimated long-liquidation cluster/);
  });

  it('steps past touching clusters as one band, not into the next one', () => {
    const touching = source('binance', [
      ['long', 0, 980.2, 4e6],
      ['long', 0, 980.7, 4e6],
      ['long', 0, 981.2, 0.2e6],
      ['long', 0, 981.7, 0.2e6],
      ['long', 0, 982.2, 4e6],
      ['long', 0, 982.7, 4e6],
    ]);
    const snap = snapshotOf([touching], undefined, 1000, 5);
    const zones = snap.zones.filter((z) => z.side === 'long');
    expect(zones.map((z) => [z.low, z.high]).sort((a, b) => a[0]! - b[0]!)).toEqual([
      [980, 981.5],
      [981.5, 983],
    ]);
    const p = planExit(snap, { symbol: 'ETH', side: 'long', entry: 1000, leverage: 10, sizeUsd: 10_000, venue: 'binance' }, eth);
    if ('error' in p) throw new Error(p.error);
    const lowest = Math.min(...zones.map((z) => z.low));
    expect(p.stop!.price).toBe(lowest - 0.125);
    expect(p.stop!.reason).toBe('below the long-liquidation clusters 980–983 (~$16.4M in 2 touching zones), outside every cluster (a stop-hunt sweep into them would not reach you)');
    for (const z of snap.zones) expect(p.stop!.price < z.low || p.stop!.price > z.high).toBe(true);
  });

  it('warns when the own liquidation price sits in or near a cluster (cascade risk)', () => {
    const inside = plan({ entry: 997, leverage: 100 });
    expect(inside.liquidationPrice).toBeGreaterThan(990);
    expect(inside.liquidationPrice).toBeLessThan(991.5);
    expect(inside.warnings.some((w) => /sits inside the estimated long-liquidation cluster/.test(w))).toBe(true);
    const near = plan({ leverage: 70 }, 9);
    expect(near.warnings.some((w) => /sits next to the estimated long-liquidation cluster/.test(w))).toBe(true);
    const clear = plan({});
    expect(clear.warnings.some((w) => /cascade/.test(w))).toBe(false);
  });

  it('says when the position is already past its liquidation price', () => {
    const p = plan({ entry: 1100, leverage: 50 });
    expect(p.stop).toBeNull();
    expect(p.warnings[0]).toMatch(/would already be liquidated/);
    // no take-profits for a position that is gone, and its loss stops at the whole margin
    expect(p.targets).toEqual([]);
    expect(p.pnl.movePct).toBeLessThan(-9);
    expect(p.pnl.onMarginPct).toBe(-100);
    // and the reply says why there are no targets, not that no cluster lies ahead
    const reply = exitPlanReply(p, snapshotOf(exampleSources(), undefined, 1000, 5), undefined);
    const field = (name: string) => reply.fields?.find((f) => f.name === name)?.value;
    expect(field('Targets')).toBe('None: at the current price this position would already be liquidated.');
    expect(field('Unrealized PnL')).toMatch(/−100\.0% on margin/);
  });

  it('refuses leverage above the cap for that size, and bad numbers, as values', () => {
    const snap = snapshotOf(exampleSources());
    const r = planExit(snap, { symbol: 'ETH', side: 'long', entry: 1000, leverage: 125, sizeUsd: 100_000, venue: 'binance' }, eth);
    expect(r).toEqual({ error: 'Leverage 125x is above the maximum of 100x for a $100k position on Binance ETH: use at most 100x, or a smaller size.' });
    expect('error' in planExit(snap, { symbol: 'ETH', side: 'long', entry: 0, leverage: 5, sizeUsd: 1, venue: 'binance' }, eth)).toBe(true);
    expect('error' in planExit(snap, { symbol: 'ETH', side: 'long', entry: 10, leverage: 5, sizeUsd: -1, venue: 'binance' }, eth)).toBe(true);
  });
});
