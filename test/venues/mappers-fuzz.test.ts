/**
 * Fuzz: random values and mutated venue samples through every mapper. No input may throw, and
 * whatever comes out is either null or well-formed events with finite numbers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VenueInstrument } from '../../src/market/symbols.ts';
import type { MarketEvent } from '../../src/market/types.ts';
import { createBinanceMapper } from '../../src/venues/binance/mapper.ts';
import * as binanceRest from '../../src/venues/binance/rest-mappers.ts';
import { createBybitMapper } from '../../src/venues/bybit/mapper.ts';
import * as bybitRest from '../../src/venues/bybit/rest-mappers.ts';
import { createHyperliquidMapper, tradeParticipants } from '../../src/venues/hyperliquid/mapper.ts';
import * as hlRest from '../../src/venues/hyperliquid/rest-mappers.ts';
import { createOkxMapper } from '../../src/venues/okx/mapper.ts';
import * as okxRest from '../../src/venues/okx/rest-mappers.ts';
import { createRecordMapper, registryFromRecords } from '../../src/venues/records.ts';
import { buildRegistry, canonicalOf } from '../../src/venues/registry.ts';
import { samples } from '../support/samples.ts';

const binanceSamples = samples.filter((s) => s.label.startsWith('binance.')).map((s) => s.payload);
const bybitSamples = samples.filter((s) => s.label.startsWith('bybit.')).map((s) => s.payload);
const okxSamples = samples.filter((s) => s.label.startsWith('okx.')).map((s) => s.payload);
const hlSamples = samples.filter((s) => s.label.startsWith('hyperliquid/')).map((s) => s.payload);
const okxListing = samples.find((s) => s.label.startsWith('okx.v5/rest GET /api/v5/public/instruments?instType=SWAP linear'))!.payload;
const hlMeta = samples.find((s) => s.label.startsWith('hyperliquid/rest POST /info {type:meta}'))!.payload;
const reg4 = buildRegistry({ symbols: ['BTC', 'ETH', 'PEPE', 'DOGE'], venues: ['okx', 'hyperliquid'], okxInstruments: okxListing, hyperliquidMeta: hlMeta });

const reg = buildRegistry({ symbols: ['BTC', 'ETH', 'BNB', 'ROSE', 'PEPE', 'BLZ'], venues: ['binance', 'bybit'] });
const btcB: VenueInstrument = reg.instrument('binance', 'BTC')!;
const btcY: VenueInstrument = reg.instrument('bybit', 'BTC')!;
const RECV = 1_700_000_000_000;

const NUMERIC: Record<MarketEvent['kind'], string[]> = {
  trade: ['price', 'qty'],
  mark: ['mark'],
  oi: ['oiBase', 'oiUsd'],
  liquidation: ['price', 'qty', 'notionalUsd'],
  book: ['bid', 'bidSize', 'ask', 'askSize', 'imbalance'],
  bar: ['openTime', 'open', 'high', 'low', 'close', 'volume'],
};
const OPTIONAL_NUMERIC = ['index', 'fundingRateHourly', 'nextFundingTime', 'takerBuyVolume'];

/** null, or an array of events whose every number is finite. */
function assertWellFormed(out: MarketEvent[] | null): void {
  if (out === null) return;
  expect(Array.isArray(out)).toBe(true);
  for (const ev of out) {
    expect(['binance', 'bybit', 'okx', 'hyperliquid']).toContain(ev.venue);
    expect(typeof ev.symbol).toBe('string');
    expect(Number.isFinite(ev.exchTime) && Number.isFinite(ev.recvTime)).toBe(true);
    const rec = ev as unknown as Record<string, unknown>;
    for (const k of NUMERIC[ev.kind]) expect(Number.isFinite(rec[k]), `${ev.kind}.${k}`).toBe(true);
    for (const k of OPTIONAL_NUMERIC) if (rec[k] !== undefined) expect(Number.isFinite(rec[k]), `${ev.kind}.${k}`).toBe(true);
  }
}

/** Every (container, key) slot in a JSON value, for mutation. */
function slots(value: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []): typeof out {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([value, i]), slots(v, out)));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) (out.push([value as Record<string, unknown>, k]), slots(v, out));
  return out;
}

const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'delete', 'stringify', 'negate', 'empty'), value: fc.jsonValue({ maxDepth: 2 }) });

function mutate(payload: unknown, ops: Array<{ at: number; op: string; value: unknown }>): unknown {
  const copy = structuredClone(payload);
  for (const { at, op, value } of ops) {
    const all = slots(copy);
    if (all.length === 0) return value;
    const [container, key] = all[at % all.length]!;
    const c = container as Record<string | number, unknown>;
    const cur = c[key];
    if (op === 'replace') c[key] = structuredClone(value);
    else if (op === 'delete') {
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete c[key];
    } else if (op === 'stringify') c[key] = typeof cur === 'string' ? Number(cur) : String(cur);
    else if (op === 'negate') c[key] = typeof cur === 'string' ? `-${cur}` : typeof cur === 'number' ? -cur : cur;
    else c[key] = '';
  }
  return copy;
}

describe('mapper fuzz: zero exceptions', () => {
  it('stream mappers on arbitrary values', () => {
    const binance = createBinanceMapper(reg);
    const bybit = createBybitMapper(reg);
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true }), (x) => {
        assertWellFormed(binance.map(x, RECV));
        assertWellFormed(bybit.map(x, RECV));
        assertWellFormed(binance.map({ stream: 'btcusdt@aggTrade', data: x }, RECV));
        assertWellFormed(bybit.map({ topic: 'tickers.BTCUSDT', type: 'delta', ts: 1, data: x }, RECV));
        assertWellFormed(bybit.map({ topic: 'orderbook.1.BTCUSDT', type: 'snapshot', ts: 1, data: x }, RECV));
      }),
      { numRuns: 1500 },
    );
  });

  it('stream mappers on mutated Binance and Bybit samples', () => {
    const binance = createBinanceMapper(reg);
    const bybit = createBybitMapper(reg);
    fc.assert(
      fc.property(fc.constantFrom(...binanceSamples), fc.constantFrom(...bybitSamples), fc.array(mutation, { minLength: 1, maxLength: 4 }), (b, y, ops) => {
        assertWellFormed(binance.map(mutate(b, ops), RECV));
        assertWellFormed(binance.map({ stream: 'x', data: mutate(b, ops) }, RECV));
        assertWellFormed(bybit.map(mutate(y, ops), RECV));
      }),
      { numRuns: 3000 },
    );
  });

  it('stream mappers on truncated and corrupted frame text', () => {
    const binance = createBinanceMapper(reg);
    const bybit = createBybitMapper(reg);
    const texts = [...binanceSamples, ...bybitSamples].map((p) => JSON.stringify(p));
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.nat(), fc.string({ maxLength: 3 }), (text, cut, junk) => {
        const at = cut % (text.length + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text.slice(0, at) + junk + text.slice(at + junk.length));
        } catch {
          return; // not JSON: the transport counts it before any mapper sees it
        }
        assertWellFormed(binance.map(parsed, RECV));
        assertWellFormed(bybit.map(parsed, RECV));
      }),
      { numRuns: 2000 },
    );
  });

  it('REST mappers, registry building and the record mapper on arbitrary and mutated bodies', () => {
    const restSamples = samples.filter((s) => s.label.includes('/rest')).map((s) => s.payload);
    const body = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.tuple(fc.constantFrom(...restSamples), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([p, ops]) => mutate(p, ops)));
    fc.assert(
      fc.property(body, fc.option(fc.double(), { nil: undefined }), (json, mark) => {
        assertWellFormed(binanceRest.mapOpenInterest(json, btcB, RECV, mark));
        assertWellFormed(binanceRest.mapOpenInterestHist(json, btcB, RECV));
        assertWellFormed(binanceRest.mapKlines(json, btcB, RECV));
        assertWellFormed(bybitRest.mapOpenInterest(json, btcY, RECV, mark));
        assertWellFormed(bybitRest.mapKlines(json, btcY, RECV));
        binanceRest.mapFundingInfo(json);
        const built = buildRegistry({ symbols: ['BTC', 'BLZ'], venues: ['binance', 'bybit'], binanceExchangeInfo: json, bybitInstruments: json, binanceFundingInfo: json });
        for (const inst of [...built.instruments('binance'), ...built.instruments('bybit')]) {
          expect(inst.multiplier > 0 && Number.isFinite(inst.multiplier)).toBe(true);
        }
        const raw = JSON.stringify(json) ?? 'null';
        const records = [
          { t: RECV, v: 'binance' as const, c: 'rest:/fapi/v1/exchangeInfo', raw },
          { t: RECV, v: 'binance' as const, c: 'rest:/fapi/v1/openInterest?symbol=BTCUSDT', raw },
          { t: RECV, v: 'bybit' as const, c: 'rest:/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1', raw },
          { t: RECV, v: 'bybit' as const, c: 'tickers.BTCUSDT', raw },
        ];
        const rm = createRecordMapper(registryFromRecords(records, ['BTC'], ['binance', 'bybit']));
        for (const r of records) assertWellFormed(rm.map(r));
      }),
      { numRuns: 1500 },
    );
  });

  it('OKX and Hyperliquid stream mappers on arbitrary values and mutated samples', () => {
    const okx = createOkxMapper(reg4);
    const hl = createHyperliquidMapper(reg4);
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSparseArray: true }), (x) => {
        assertWellFormed(okx.map(x, RECV));
        assertWellFormed(hl.map(x, RECV));
        for (const channel of ['trades', 'mark-price', 'funding-rate', 'open-interest', 'books5', 'liquidation-orders']) {
          assertWellFormed(okx.map({ arg: { channel, instId: 'ETH-USDT-SWAP' }, data: [x] }, RECV));
        }
        for (const channel of ['trades', 'activeAssetCtx', 'l2Book']) assertWellFormed(hl.map({ channel, data: x }, RECV));
        tradeParticipants({ channel: 'trades', data: x });
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...okxSamples), fc.constantFrom(...hlSamples), fc.array(mutation, { minLength: 1, maxLength: 4 }), (o, h, ops) => {
        assertWellFormed(okx.map(mutate(o, ops), RECV));
        assertWellFormed(hl.map(mutate(h, ops), RECV));
        tradeParticipants(mutate(h, ops));
      }),
      { numRuns: 3000 },
    );
  });

  it('OKX and Hyperliquid REST mappers and registry building on arbitrary and mutated bodies', () => {
    const rest = samples.filter((s) => s.label.startsWith('okx.v5/rest') || s.label.startsWith('hyperliquid/rest')).map((s) => s.payload);
    const body = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.tuple(fc.constantFrom(...rest), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([p, ops]) => mutate(p, ops)));
    const eth = reg4.instrument('okx', 'ETH')!;
    const ethHl = reg4.instrument('hyperliquid', 'ETH')!;
    fc.assert(
      fc.property(body, (json) => {
        assertWellFormed(okxRest.mapOkxOpenInterestHistory(json, eth, RECV));
        assertWellFormed(okxRest.mapOkxCandles(json, eth, RECV));
        assertWellFormed(hlRest.mapHyperliquidCandles(json, ethHl, RECV));
        assertWellFormed(hlRest.mapHyperliquidAssetCtxs(json, (n) => reg4.byVenueSymbol('hyperliquid', n), RECV));
        for (const t of okxRest.mapOkxPositionTiers(json) ?? []) expect(t.maxSz > t.minSz && t.mmr > 0 && t.mmr < 1).toBe(true);
        for (const p of hlRest.mapClearinghouseState(json) ?? []) {
          expect(p.size > 0 && Number.isFinite(p.notionalUsd) && p.leverage >= 1 && Number.isFinite(p.leverage)).toBe(true);
          if (p.liquidationPx !== undefined) expect(p.liquidationPx > 0 && Number.isFinite(p.liquidationPx)).toBe(true);
        }
        const built = buildRegistry({ symbols: ['BTC', 'ETH', 'PEPE'], venues: ['okx', 'hyperliquid'], okxInstruments: json, hyperliquidMeta: json });
        for (const inst of [...built.instruments('okx'), ...built.instruments('hyperliquid')]) {
          expect(inst.multiplier > 0 && Number.isFinite(inst.multiplier)).toBe(true);
          if (inst.contractValue !== undefined) expect(inst.contractValue > 0 && Number.isFinite(inst.contractValue)).toBe(true);
        }
        const raw = JSON.stringify(json) ?? 'null';
        const records = [
          { t: RECV, v: 'okx' as const, c: 'rest:/api/v5/public/instruments?instType=SWAP', raw },
          { t: RECV, v: 'okx' as const, c: 'rest:/api/v5/market/candles?instId=ETH-USDT-SWAP&bar=1m', raw },
          { t: RECV, v: 'hyperliquid' as const, c: 'rest:/info?type=metaAndAssetCtxs', raw },
          { t: RECV, v: 'hyperliquid' as const, c: 'rest:/info?type=candleSnapshot&coin=ETH&interval=1m', raw },
          { t: RECV, v: 'okx' as const, c: 'trades', raw },
          { t: RECV, v: 'hyperliquid' as const, c: 'trades', raw },
        ];
        const rm = createRecordMapper(registryFromRecords(records, ['ETH'], ['okx', 'hyperliquid']));
        for (const r of records) assertWellFormed(rm.map(r));
      }),
      { numRuns: 1500 },
    );
  });

  it('canonicalOf on arbitrary names', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), fc.constantFrom('binance' as const, 'bybit' as const, 'okx' as const, 'hyperliquid' as const), (name, venue) => {
        const c = canonicalOf(venue, name);
        if (c) expect(c.multiplier >= 1 && c.symbol.length > 0).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
