/**
 * The exchange tiers a live run recorded are what a replay and `liqzone evaluate` compute
 * liquidation prices with: Bybit's risk-limit answers and Hyperliquid's margin tables.
 */
import { describe, expect, it } from 'vitest';
import { bybitRiskLimitBody } from '../../src/demo/bybit-encode.ts';
import { BracketBook, GENERIC_BRACKETS } from '../../src/engine/brackets.ts';
import { liquidationPrice } from '../../src/engine/liquidation.ts';
import { tiersLine } from '../../src/ops/evaluate-file.ts';
import { REST_PATHS, restChannel, type FrameRecord } from '../../src/venues/records.ts';
import { installRecordedTiers } from '../../src/venues/recorded-tiers.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { installOkxTiers } from '../../src/ops/evaluate-file.ts';
import { recordedOkxTiers } from '../../src/venues/recorded-tiers.ts';
import type { MarketEvent } from '../../src/market/types.ts';
import { sample } from '../support/samples.ts';

const reg = buildRegistry({ symbols: ['BTC', 'ETH', 'SOL'], venues: ['binance', 'bybit', 'hyperliquid'] });
const riskRecord = (venueSymbol: string, body: unknown = bybitRiskLimitBody({ venue: 'bybit', symbol: venueSymbol.replace('USDT', ''), venueSymbol, multiplier: 1 })): FrameRecord => ({
  t: 1,
  v: 'bybit',
  c: `${restChannel(REST_PATHS.bybitRiskLimit)}?category=linear&symbol=${venueSymbol}`,
  raw: JSON.stringify(body),
});
const hlMeta = (maxLeverage: number): FrameRecord => ({
  t: 2,
  v: 'hyperliquid',
  c: 'rest:/info?type=meta',
  raw: JSON.stringify({
    universe: [
      { name: 'ETH', szDecimals: 4, maxLeverage, marginTableId: 7 },
      { name: 'SOL', szDecimals: 2, maxLeverage: 20 },
    ],
    marginTables: [[7, { description: 'tiered', marginTiers: [{ lowerBound: '0', maxLeverage }, { lowerBound: '100000000', maxLeverage: 10 }] }]],
  }),
});

describe('installRecordedTiers', () => {
  it("installs each recorded Bybit table and Hyperliquid's margin tables from the newest meta", () => {
    const book = new BracketBook();
    const got = installRecordedTiers([riskRecord('ETHUSDT'), riskRecord('SOLUSDT'), hlMeta(40), hlMeta(25)], reg, book);
    expect(got).toEqual({ bybit: 2, hyperliquid: 2 });
    const eth = book.get('bybit', 'ETH');
    expect(eth.source).toBe('exchange');
    // the simulated Bybit's first tier: 100x at 0.5 % maintenance, where the generic table caps at 75x / 50x
    expect(eth.brackets[0]).toMatchObject({ maxLeverage: 100, maintMarginRatio: 0.005 });
    expect(book.get('bybit', 'BTC').brackets).toBe(GENERIC_BRACKETS); // not recorded: the generic table
    // the newest meta wins (25x), and it changes the liquidation price a 25x long is given
    expect(book.get('hyperliquid', 'ETH').brackets[0]!.maxLeverage).toBe(25);
    expect(book.get('hyperliquid', 'SOL').brackets[0]!.maxLeverage).toBe(20);
    // 100x is allowed at $10k by the recorded table and refused by the generic one; at 40x the maintenance differs
    expect(liquidationPrice('bybit', eth.brackets, { side: 'long', entry: 100, leverage: 100, notionalUsd: 10_000 }).ok).toBe(true);
    expect(liquidationPrice('bybit', GENERIC_BRACKETS, { side: 'long', entry: 100, leverage: 100, notionalUsd: 10_000 }).ok).toBe(false);
    const withTable = liquidationPrice('bybit', eth.brackets, { side: 'long', entry: 100, leverage: 40, notionalUsd: 10_000 });
    const generic = liquidationPrice('bybit', GENERIC_BRACKETS, { side: 'long', entry: 100, leverage: 40, notionalUsd: 10_000 });
    expect(withTable.ok && withTable.price).toBeCloseTo(100 * (1 - 1 / 40 + 0.005), 6);
    // the generic second tier (1 %), less its maintenance deduction 5 000 × (1 % − 0.5 %) over 100 coins
    expect(generic.ok && generic.price).toBeCloseTo(100 * (1 - 1 / 40 + 0.01) - 25 / 100, 6);
  });

  it('skips what it cannot read: unknown symbols, bad bodies, other venues', () => {
    const book = new BracketBook();
    const bad: FrameRecord = { ...riskRecord('ETHUSDT'), raw: '{not json' };
    const refused = riskRecord('BTCUSDT', { retCode: 10001, retMsg: 'params error' });
    const unknown = riskRecord('DOGEUSDT');
    const notHl: FrameRecord = { ...hlMeta(40), v: 'binance' };
    expect(installRecordedTiers([bad, refused, unknown, notHl, { ...hlMeta(40), raw: '[' }], reg, book)).toEqual({ bybit: 0, hyperliquid: 0 });
    expect(book.installed()).toEqual([]);
  });

  it("evaluate says which tables it used", () => {
    expect(tiersLine({ bybit: 3, hyperliquid: 1 })).toBe("the recording's exchange tables (bybit risk-limit tiers for 3 symbols, hyperliquid margin tiers for 1 symbol); binance dated defaults, the generic table for the rest");
    expect(tiersLine({ bybit: 0, okx: 2, hyperliquid: 0 })).toMatch(/\(okx position tiers for 2 symbols\)/);
    expect(tiersLine({ bybit: 0, hyperliquid: 0 })).toMatch(/^no exchange tables in the recording/);
  });
});

describe('recorded OKX position tiers', () => {
  const okxReg = buildRegistry({ symbols: ['ETH', 'BTC'], venues: ['okx'], okxInstruments: sample('okx.v5/rest GET /api/v5/public/instruments?instType=SWAP linear+inverse+USDC') });
  const tierRecord = (t: number, family = 'ETH-USDT'): FrameRecord => ({
    t,
    v: 'okx',
    c: `${restChannel(REST_PATHS.okxPositionTiers)}?instType=SWAP&tdMode=isolated&instFamily=${family}`,
    raw: JSON.stringify(sample('okx.v5/rest GET /api/v5/public/position-tiers SWAP ETH-USDT isolated')),
  });
  const mark = (venue: 'okx' | 'binance', recvTime: number, price: number): MarketEvent => ({ kind: 'mark', venue, symbol: 'ETH', exchTime: recvTime, recvTime, mark: price }) as MarketEvent;

  it('reads the answer of a known family with its contract value; ignores the rest', () => {
    const got = recordedOkxTiers(tierRecord(5), okxReg)!;
    expect(got.symbol).toBe('ETH');
    expect(got.coinsPerContract).toBe(0.1);
    expect(got.tiers[0]).toMatchObject({ maxSz: 50_000, mmr: 0.004, maxLever: 100 });
    expect(recordedOkxTiers(tierRecord(5, 'DOGE-USDT'), okxReg)).toBeUndefined(); // not in this registry
    expect(recordedOkxTiers({ ...tierRecord(5), raw: '{' }, okxReg)).toBeUndefined();
    expect(recordedOkxTiers({ ...tierRecord(5), v: 'bybit' }, okxReg)).toBeUndefined();
  });

  it('sizes them at the OKX mark when the answer arrived (else the first after, else another venue)', () => {
    // tier 1 holds 50 000 contracts × 0.1 ETH: $10M at a 2 000 mark, $15M at 3 000
    const capAt = (events: MarketEvent[]) => {
      const book = new BracketBook();
      expect(installOkxTiers([tierRecord(100)], okxReg, events, book)).toBe(1);
      expect(book.get('okx', 'ETH').source).toBe('exchange');
      return book.get('okx', 'ETH').brackets[0]!.notionalCap;
    };
    expect(capAt([mark('okx', 50, 2_000), mark('okx', 150, 3_000)])).toBeCloseTo(10_000_000, -3);
    expect(capAt([mark('okx', 150, 3_000), mark('okx', 250, 2_000)])).toBeCloseTo(15_000_000, -3);
    expect(capAt([mark('binance', 50, 2_000)])).toBeCloseTo(10_000_000, -3);
    const none = new BracketBook();
    expect(installOkxTiers([tierRecord(100)], okxReg, [], none)).toBe(0); // no price at all: left generic
    expect(none.get('okx', 'ETH').brackets).toBe(GENERIC_BRACKETS);
  });
});
