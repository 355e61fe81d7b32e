import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/market/types.ts';
import { createOkxMapper, okxHourlyFunding } from '../../src/venues/okx/mapper.ts';
import { mapOkxCandles, mapOkxInstruments, mapOkxOpenInterestHistory, mapOkxPositionTiers } from '../../src/venues/okx/rest-mappers.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { sample } from '../support/samples.ts';

const RECV = 1_760_325_053_000;
const instruments = () => sample('okx.v5/rest GET /api/v5/public/instruments?instType=SWAP linear+inverse+USDC');
const reg = buildRegistry({ symbols: ['BTC', 'ETH', 'PEPE', 'DOGE', 'SOL', 'LUNA'], venues: ['okx'], okxInstruments: instruments() });

describe('OKX instruments → registry', () => {
  it('keeps live linear USDT swaps with ctVal from the listing; USDC, inverse and suspended are skipped', () => {
    expect(reg.instrument('okx', 'ETH')).toMatchObject({ venueSymbol: 'ETH-USDT-SWAP', multiplier: 1, contractValue: 0.1, tickSize: 0.01 });
    expect(reg.instrument('okx', 'PEPE')).toMatchObject({ venueSymbol: 'PEPE-USDT-SWAP', multiplier: 1, contractValue: 10_000_000 });
    expect(reg.instrument('okx', 'DOGE')!.contractValue).toBe(1000);
    expect(reg.instrument('okx', 'SOL')).toBeUndefined(); // only SOL-USDC-SWAP in the listing
    expect(reg.skipped().map((s) => s.symbol)).toEqual(['SOL', 'LUNA']);
    expect(reg.skipped()[1]!.reason).toContain('suspend');
    expect(reg.byVenueSymbol('okx', 'eth-usdt-swap')!.symbol).toBe('ETH');
    expect(mapOkxInstruments(instruments())!.some((l) => l.venueSymbol === 'BTC-USD-SWAP')).toBe(false);
  });

  it('without the listing: default names, no contract value, and the registry says sizes are unknown', () => {
    const bare = buildRegistry({ symbols: ['ETH'], venues: ['okx'] });
    expect(bare.instrument('okx', 'ETH')).toEqual({ venue: 'okx', symbol: 'ETH', venueSymbol: 'ETH-USDT-SWAP', multiplier: 1 });
    expect(bare.notes().join('\n')).toContain('contract sizes unknown');
    const m = createOkxMapper(bare);
    expect(m.map(sample('okx.v5/ws trades push SWAP'), RECV)).toEqual([]);
    // OI still maps from oiCcy (coins), marks need no size
    expect(m.map(sample('okx.v5/ws open-interest push SWAP ETH'), RECV)).toMatchObject([{ kind: 'oi', oiBase: 250_000 }]);
  });
});

describe('OKX stream mapper', () => {
  it('trades: contracts × ctVal, taker side', () => {
    const m = createOkxMapper(reg);
    const [ev] = m.map(sample('okx.v5/ws trades push SWAP'), RECV)!;
    expect(ev).toEqual({ kind: 'trade', venue: 'okx', symbol: 'ETH', exchTime: 1760325052630, recvTime: RECV, price: 3012.45, qty: 2.5, side: 'sell', id: '1842736501' });
    // the docs sample is a spot instId: untracked, no events
    expect(m.map(sample('okx.v5/ws trades push [docs]'), RECV)).toEqual([]);
  });

  it('books5: best levels in coins, imbalance from contracts', () => {
    const [ev] = createOkxMapper(reg).map(sample('okx.v5/ws books5 push SWAP'), RECV)!;
    expect(ev).toMatchObject({ kind: 'book', symbol: 'ETH', bid: 3012.45, ask: 3012.46, bidSize: 36, askSize: 12, imbalance: 0.5 });
  });

  it('mark-price then funding-rate: funding normalized to hourly from nextFundingTime − fundingTime (4 h)', () => {
    const m = createOkxMapper(reg);
    const mark = { arg: { channel: 'mark-price', instId: 'ETH-USDT-SWAP' }, data: [{ instType: 'SWAP', instId: 'ETH-USDT-SWAP', markPx: '3012.2', ts: '1760325052000' }] };
    expect(m.map(mark, RECV)).toEqual([{ kind: 'mark', venue: 'okx', symbol: 'ETH', exchTime: 1760325052000, recvTime: RECV, mark: 3012.2 }]);
    const [f] = m.map(sample('okx.v5/ws funding-rate push SWAP 4h'), RECV)! as Extract<MarketEvent, { kind: 'mark' }>[];
    expect(f!.mark).toBe(3012.2);
    expect(f!.fundingRateHourly).toBeCloseTo(0.0002 / 4, 12);
    expect(f!.nextFundingTime).toBe(1760328000000);
    // later marks carry the funding along
    const [again] = m.map(mark, RECV + 1)! as Extract<MarketEvent, { kind: 'mark' }>[];
    expect(again!.fundingRateHourly).toBeCloseTo(0.00005, 12);
  });

  it('funding before any mark is held until the next mark push', () => {
    const m = createOkxMapper(reg);
    expect(m.map(sample('okx.v5/ws funding-rate push SWAP 4h'), RECV)).toEqual([]);
    const [ev] = m.map(sample('okx.v5/ws mark-price push SWAP'), RECV)!; // BTC: no funding seen for it
    expect(ev).not.toHaveProperty('fundingRateHourly');
  });

  it('okxHourlyFunding: 1/2/4/8 h intervals; nonsense gaps fall back to the instrument interval', () => {
    const t = 1_700_000_000_000;
    for (const h of [1, 2, 4, 6, 8]) expect(okxHourlyFunding(0.0008, t, t + h * 3_600_000).hourly).toBeCloseTo(0.0008 / h, 12);
    expect(okxHourlyFunding(0.0008, t, t).intervalHours).toBe(8);
    expect(okxHourlyFunding(0.0008, t, Number.NaN, 4).intervalHours).toBe(4);
  });

  it('open-interest: contracts × ctVal (agrees with oiCcy), USD as sent', () => {
    const [ev] = createOkxMapper(reg).map(sample('okx.v5/ws open-interest push SWAP ETH'), RECV)!;
    expect(ev).toMatchObject({ kind: 'oi', venue: 'okx', symbol: 'ETH', oiBase: 250_000, oiUsd: 753_112_500 });
  });

  it('liquidation-orders: only tracked USDT swaps; side sell = a long liquidated; sizes × ctVal at the bankruptcy price', () => {
    const out = createOkxMapper(reg).map(sample('okx.v5/ws liquidation-orders push mixed instIds'), RECV)!;
    expect(out).toEqual([
      { kind: 'liquidation', venue: 'okx', symbol: 'ETH', exchTime: 1760325051000, recvTime: RECV, side: 'long', price: 2990.5, qty: 10, notionalUsd: 29905 },
      { kind: 'liquidation', venue: 'okx', symbol: 'ETH', exchTime: 1760325051500, recvTime: RECV, side: 'short', price: 3050, qty: 0.7000000000000001, notionalUsd: 0.7000000000000001 * 3050 },
      { kind: 'liquidation', venue: 'okx', symbol: 'PEPE', exchTime: 1760325052000, recvTime: RECV, side: 'short', price: 0.00001001, qty: 30_000_000, notionalUsd: 30_000_000 * 0.00001001 },
    ]);
    // the docs sample (IOST, untracked) maps to nothing
    expect(createOkxMapper(reg).map(sample('okx.v5/ws liquidation-orders push [docs]'), RECV)).toEqual([]);
  });

  it('acks and errors are control replies; shapes that are not OKX frames are malformed', () => {
    const m = createOkxMapper(reg);
    expect(m.map(sample('okx.v5/ws subscribe ack'), RECV)).toEqual([]);
    expect(m.map(sample('okx.v5/ws subscribe error'), RECV)).toEqual([]);
    expect(m.map({ arg: { channel: 'books', instId: 'ETH-USDT-SWAP' }, data: [] }, RECV)).toEqual([]);
    expect(m.map({ data: [] }, RECV)).toBeNull();
    expect(m.map({ arg: { channel: 'trades' }, data: [{ instId: 'ETH-USDT-SWAP', px: 'x', sz: '1', side: 'buy', ts: '1' }] }, RECV)).toBeNull();
    expect(m.map('pong', RECV)).toBeNull();
  });
});

describe('OKX REST mappers', () => {
  const eth = reg.instrument('okx', 'ETH')!;

  it('open-interest history: oldest first, contracts × ctVal', () => {
    const out = mapOkxOpenInterestHistory(sample('okx.v5/rest GET /api/v5/rubik/stat/contracts/open-interest-history'), eth, RECV)!;
    expect(out.map((e) => [e.exchTime, e.oiBase, e.oiUsd])).toEqual([
      [1760324700000, 248_000, 745_000_000],
      [1760325000000, 250_000, 753_112_500],
    ]);
  });

  it('candles: closed bars only, oldest first, volume in coins', () => {
    const out = mapOkxCandles(sample('okx.v5/rest GET /api/v5/market/candles bar=1m'), eth, RECV)!;
    expect(out.map((b) => [b.openTime, b.close, b.volume])).toEqual([
      [1760324940000, 3010, 200],
      [1760325000000, 3012, 400],
    ]);
  });

  it('position tiers: sizes in contracts, lowest first', () => {
    const tiers = mapOkxPositionTiers(sample('okx.v5/rest GET /api/v5/public/position-tiers SWAP ETH-USDT isolated'))!;
    expect(tiers.map((t) => [t.tier, t.minSz, t.maxSz, t.mmr, t.maxLever])).toEqual([
      [1, 0, 50_000, 0.004, 100],
      [2, 50_001, 100_000, 0.006, 75],
      [3, 100_001, 200_000, 0.01, 50],
      [4, 200_001, 400_000, 0.015, 20],
    ]);
    expect(mapOkxPositionTiers({ code: '51001', msg: 'Instrument ID does not exist', data: [] })).toBeNull();
  });
});
