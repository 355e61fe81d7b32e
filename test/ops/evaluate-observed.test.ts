import { describe, expect, it } from 'vitest';
import { compareWithObserved, formatObservedComparison } from '../../src/ops/evaluate-observed.ts';
import type { FrameRecord } from '../../src/venues/records.ts';
import { buildRegistry } from '../../src/venues/registry.ts';

const T0 = 1_790_000_000_000;
const MIN = 60_000;
const reg = buildRegistry({ symbols: ['ETH'], venues: ['hyperliquid'] });

/** 40 minutes of Hyperliquid ETH: OI building under a gently swinging price, buyers then sellers. */
function market(): FrameRecord[] {
  const out: FrameRecord[] = [];
  let tid = 1;
  for (let m = 0; m < 40; m++) {
    const price = 3000 + 15 * Math.sin(m / 4);
    for (let s = 0; s < 60; s += 5) {
      const t = T0 + m * MIN + s * 1000;
      const ctx = { funding: '0.00001', openInterest: String(2 * (10_000 + 40 * m + s)), oraclePx: String(price), markPx: String(price), midPx: String(price), premium: '0', prevDayPx: String(price), dayNtlVlm: '0', impactPxs: [String(price), String(price)], dayBaseVlm: '0' };
      out.push({ t, v: 'hyperliquid', c: 'activeAssetCtx:ETH', raw: JSON.stringify({ channel: 'activeAssetCtx', data: { coin: 'ETH', ctx } }) });
      const trade = { coin: 'ETH', side: m % 3 === 0 ? 'A' : 'B', px: String(price), sz: '5', time: t, hash: '0x0', tid: tid++, users: [`0x${'1'.repeat(40)}`, `0x${'2'.repeat(40)}`] };
      out.push({ t, v: 'hyperliquid', c: 'trades:ETH', raw: JSON.stringify({ channel: 'trades', data: [trade] }) });
    }
  }
  return out;
}

function answer(t: number, user: number, liquidationPx: number, side: 'long' | 'short'): FrameRecord {
  const address = `0x${user.toString(16).padStart(40, '0')}`;
  const body = { assetPositions: [{ type: 'oneWay', position: { coin: 'ETH', szi: side === 'long' ? '10' : '-10', entryPx: '3000', positionValue: '30000', liquidationPx: String(liquidationPx), leverage: { type: 'cross', value: 10 }, marginUsed: '3000', maxLeverage: 25 } }] };
  return { t, v: 'hyperliquid', c: `rest:/info?type=clearinghouseState&user=${address}&dex=`, raw: JSON.stringify(body) };
}

describe('evaluate: the CEX method on Hyperliquid vs its observed liquidation prices', () => {
  it('scores observed notional against the estimate’s peak bands and a distance-only baseline', () => {
    const records = market();
    const at = T0 + 30 * MIN;
    for (let i = 0; i < 20; i++) records.push(answer(at + i, i + 1, 2800 + 5 * i, 'long'), answer(at + i, 100 + i, 3100 + 5 * i, 'short'));
    records.sort((a, b) => a.t - b.t);
    const c = compareWithObserved(records, reg, { snapshotIntervalMs: MIN });
    expect(c.snapshots).toBeGreaterThan(0);
    expect(c.maxPositions).toBe(40);
    expect(c.observedUsd).toBeGreaterThan(0);
    for (const x of [c.coverage.model, c.coverage.distanceOnly]) expect(x >= 0 && x <= 1).toBe(true);
    expect(formatObservedComparison(c)).toMatch(/^Hyperliquid, estimate vs observed: the CEX method .* \d+ % of the observed liquidation notional/);
  });

  it('says so when the recording has no observed positions within reach', () => {
    const records = market();
    records.push(answer(T0 + 30 * MIN, 1, 1000, 'long')); // 67 % below price: out of reach
    records.sort((a, b) => a.t - b.t);
    const c = compareWithObserved(records, reg, { snapshotIntervalMs: MIN });
    expect(c.snapshots).toBe(0);
    expect(formatObservedComparison(c)).toContain('no recorded observed positions');
  });
});
