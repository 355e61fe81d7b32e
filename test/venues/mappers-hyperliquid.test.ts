import { describe, expect, it } from 'vitest';
import { createHyperliquidMapper, HYPERLIQUID_OI_SIDES, tradeParticipants } from '../../src/venues/hyperliquid/mapper.ts';
import { mapClearinghouseState, mapHyperliquidAssetCtxs, mapHyperliquidCandles, mapHyperliquidMeta } from '../../src/venues/hyperliquid/rest-mappers.ts';
import { buildRegistry, canonicalOf } from '../../src/venues/registry.ts';
import { sample } from '../support/samples.ts';

const RECV = 1_787_195_068_000;
const reg = buildRegistry({ symbols: ['BTC', 'ETH', 'PEPE', 'KAITO', 'LUNA', 'SOL'], venues: ['hyperliquid'], hyperliquidMeta: sample('hyperliquid/rest POST /info {type:meta}') });

describe('Hyperliquid names', () => {
  it.each([
    ['kPEPE', 'PEPE', 1000],
    ['kBONK', 'BONK', 1000],
    ['KAITO', 'KAITO', 1],
    ['kNEIRO', 'NEIRO', 1000],
    ['BTC', 'BTC', 1],
  ] as const)('%s → %s × %d', (name, symbol, multiplier) => {
    expect(canonicalOf('hyperliquid', name)).toEqual({ symbol, multiplier });
  });

  it('spot ids and HIP-3 names are not perps', () => {
    expect(canonicalOf('hyperliquid', '@107')).toBeNull();
    expect(canonicalOf('hyperliquid', 'xyz:TSLA')).toBeNull();
  });

  it('meta → registry: kPEPE for PEPE, delisted and missing coins skipped, hourly funding', () => {
    expect(reg.instrument('hyperliquid', 'PEPE')).toMatchObject({ venueSymbol: 'kPEPE', multiplier: 1000, fundingIntervalHours: 1 });
    expect(reg.instrument('hyperliquid', 'KAITO')).toMatchObject({ venueSymbol: 'KAITO', multiplier: 1 });
    expect(reg.skipped().map((s) => s.symbol)).toEqual(['LUNA', 'SOL']);
    expect(mapHyperliquidMeta(sample('hyperliquid/rest POST /info {type:metaAndAssetCtxs}'))!.map((l) => l.venueSymbol)).toEqual(['BTC']);
    const bare = buildRegistry({ symbols: ['PEPE', 'ETH'], venues: ['hyperliquid'] });
    expect(bare.instrument('hyperliquid', 'PEPE')!.venueSymbol).toBe('kPEPE');
    expect(bare.instrument('hyperliquid', 'ETH')!.venueSymbol).toBe('ETH');
  });
});

describe('Hyperliquid stream mapper', () => {
  it('trades: B/A aggressor, kPEPE price ÷ 1000 and size × 1000', () => {
    const out = createHyperliquidMapper(reg).map(sample('hyperliquid/ws trades backfill burst'), RECV)!;
    expect(out).toEqual([
      { kind: 'trade', venue: 'hyperliquid', symbol: 'ETH', exchTime: 1787195046105, recvTime: RECV, price: 3010.5, qty: 1.5, side: 'buy' },
      { kind: 'trade', venue: 'hyperliquid', symbol: 'ETH', exchTime: 1787195046105, recvTime: RECV, price: 3010, qty: 0.5, side: 'sell' },
      { kind: 'trade', venue: 'hyperliquid', symbol: 'PEPE', exchTime: 1787195046200, recvTime: RECV, price: 0.01012 / 1000, qty: 150_000_000, side: 'sell' },
    ]);
  });

  it('the ~30 trades replayed on (re)subscribe are dropped; same tid at another time is a new trade', () => {
    const m = createHyperliquidMapper(reg);
    const burst = sample<{ channel: string; data: Array<Record<string, unknown>> }>('hyperliquid/ws trades backfill burst');
    expect(m.map(burst, RECV)!.length).toBe(3);
    expect(m.map(burst, RECV + 1000)).toEqual([]);
    expect(m.duplicates()).toBe(3);
    const later = structuredClone(burst);
    later.data = [{ ...burst.data[0]!, time: 1787195050000 }];
    expect(m.map(later, RECV + 2000)!.length).toBe(1);
  });

  it('activeAssetCtx: mark, oracle as index, hourly funding as sent, OI halved (two-sided) in coins; unchanged pushes emit nothing', () => {
    const m = createHyperliquidMapper(reg);
    const out = m.map(sample('hyperliquid/ws activeAssetCtx'), RECV)!;
    expect(out).toEqual([
      { kind: 'mark', venue: 'hyperliquid', symbol: 'BTC', exchTime: RECV, recvTime: RECV, mark: 69172, index: 69182.2, fundingRateHourly: 0.0000125 },
      { kind: 'oi', venue: 'hyperliquid', symbol: 'BTC', exchTime: RECV, recvTime: RECV, oiBase: 34524.51236 / HYPERLIQUID_OI_SIDES, oiUsd: (34524.51236 / HYPERLIQUID_OI_SIDES) * 69172 },
    ]);
    expect(m.map(sample('hyperliquid/ws activeAssetCtx'), RECV + 1000)).toEqual([]);
  });

  it('l2Book: best bid and ask of the full snapshot', () => {
    const [ev] = createHyperliquidMapper(reg).map(sample('hyperliquid/ws l2Book'), RECV)!;
    expect(ev).toMatchObject({ kind: 'book', symbol: 'BTC', exchTime: 1787195067883, bid: 69172, bidSize: 1.21098, ask: 69173, askSize: 8.45682 });
  });

  it('control frames are not data; a non-channel shape is malformed', () => {
    const m = createHyperliquidMapper(reg);
    for (const label of ['hyperliquid/ws subscriptionResponse [docs', 'hyperliquid/ws pong', 'hyperliquid/ws duplicate-subscribe error', 'hyperliquid/ws bbo', 'hyperliquid/ws candle']) {
      expect(m.map(sample(label), RECV), label).toEqual([]);
    }
    expect(m.map({ method: 'ping' }, RECV)).toBeNull();
    expect(m.map({ channel: 'trades', data: {} }, RECV)).toBeNull();
  });

  it('trade participants: both users with the trade notional, lower-cased', () => {
    const users = tradeParticipants(sample('hyperliquid/ws trades backfill burst'));
    expect(users).toHaveLength(6);
    expect(users[0]).toEqual({ coin: 'ETH', user: '0x1111111111111111111111111111111111111111', notional: 3010.5 * 1.5 });
    expect(tradeParticipants(sample('hyperliquid/ws l2Book'))).toEqual([]);
  });
});

describe('Hyperliquid info mappers', () => {
  it('metaAndAssetCtxs: the start-up mark and OI per tracked coin', () => {
    const out = mapHyperliquidAssetCtxs(sample('hyperliquid/rest POST /info {type:metaAndAssetCtxs}'), (n) => reg.byVenueSymbol('hyperliquid', n), RECV)!;
    expect(out.map((e) => e.kind)).toEqual(['mark', 'oi']);
    expect(out[1]).toMatchObject({ symbol: 'BTC', oiBase: 688.11 / 2 });
  });

  it('candleSnapshot: closed 1m bars only', () => {
    const c = sample<{ data: Record<string, unknown> }>('hyperliquid/ws candle').data;
    const out = mapHyperliquidCandles([c, { ...c, t: 1787195100000, T: 1787195159999 }], reg.instrument('hyperliquid', 'BTC')!, 1787195130000)!;
    expect(out.map((b) => [b.openTime, b.close, b.volume])).toEqual([[1787195040000, 69172, 0.80052]]);
  });

  it('clearinghouseState: side from the sign of szi, the venue liquidation price, leverage; null liquidationPx kept absent', () => {
    const out = mapClearinghouseState(sample('hyperliquid/rest POST /info {type:clearinghouseState}'))!;
    expect(out).toEqual([
      { coin: 'ETH', side: 'long', size: 12.5, notionalUsd: 37656.25, entryPx: 2950.1, liquidationPx: 2710.4, leverage: 20, marginType: 'cross' },
      { coin: 'kPEPE', side: 'short', size: 2_000_000, notionalUsd: 20000, entryPx: 0.0102, liquidationPx: 0.0125, leverage: 5, marginType: 'isolated' },
      { coin: 'BTC', side: 'long', size: 0.5, notionalUsd: 31000, entryPx: 60000, leverage: 2, marginType: 'cross' },
    ]);
    expect(mapClearinghouseState({ error: 'bad user' })).toBeNull();
  });
});

describe('Hyperliquid margin tiers', () => {
  it('from marginTables by marginTableId, else one tier at the coin’s maxLeverage; MMR is half the initial margin at max leverage', async () => {
    const { mapHyperliquidMarginTiers } = await import('../../src/venues/hyperliquid/rest-mappers.ts');
    const { hyperliquidTiersToBrackets } = await import('../../src/engine/brackets.ts');
    const { liquidationPrice } = await import('../../src/engine/liquidation.ts');
    const meta = {
      universe: [
        { name: 'BTC', szDecimals: 5, maxLeverage: 40, marginTableId: 56 },
        { name: 'kPEPE', szDecimals: 0, maxLeverage: 10, marginTableId: 10 },
        { name: 'ETH', szDecimals: 4, maxLeverage: 25 },
      ],
      marginTables: [
        [56, { description: 'tiered 40x', marginTiers: [{ lowerBound: '0.0', maxLeverage: 40 }, { lowerBound: '150000000.0', maxLeverage: 20 }] }],
        [10, { description: '', marginTiers: [{ lowerBound: '0.0', maxLeverage: 10 }] }],
      ],
    };
    const tiers = mapHyperliquidMarginTiers(meta)!;
    expect(tiers.get('BTC')).toEqual([{ lowerBound: 0, maxLeverage: 40 }, { lowerBound: 150_000_000, maxLeverage: 20 }]);
    expect(tiers.get('kPEPE')).toEqual([{ lowerBound: 0, maxLeverage: 10 }]);
    expect(tiers.get('ETH')).toEqual([{ lowerBound: 0, maxLeverage: 25 }]);
    expect(mapHyperliquidMarginTiers({ nope: 1 })).toBeNull();
    const btc = hyperliquidTiersToBrackets(tiers.get('BTC')!);
    expect(btc.map((b) => [b.notionalFloor, b.notionalCap, b.maxLeverage, b.maintMarginRatio])).toEqual([
      [0, 150_000_000, 40, 1 / 80],
      [150_000_000, Number.POSITIVE_INFINITY, 20, 1 / 40],
    ]);
    const r = liquidationPrice('hyperliquid', btc, { side: 'long', entry: 60_000, leverage: 20, notionalUsd: 50_000 });
    expect(r.ok && r.price).toBeCloseTo((60_000 * (1 - 1 / 20)) / (1 - 1 / 80), 6);
    // above the first tier's leverage cap: refused with the cap
    const over = liquidationPrice('hyperliquid', btc, { side: 'long', entry: 60_000, leverage: 30, notionalUsd: 200_000_000 });
    expect(over).toMatchObject({ ok: false, maxLeverage: 20 });
  });
});
