import { describe, expect, it } from 'vitest';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import { buildRegistry, canonicalOf } from '../../src/venues/registry.ts';
import { sample } from '../support/samples.ts';

const exchangeInfoSample = () => sample<{ symbols: Record<string, unknown>[] }>('binance.usdm/rest GET /fapi/v1/exchangeInfo');

/** The docs exchangeInfo sample with extra symbols cloned from its one row. */
function exchangeInfoWith(rows: Array<Record<string, unknown>>) {
  const body = exchangeInfoSample();
  const template = body.symbols[0]!;
  for (const r of rows) body.symbols.push({ ...template, ...r });
  return body;
}

function bybitInstruments(rows: Array<Record<string, unknown>>) {
  return {
    retCode: 0,
    retMsg: 'OK',
    result: { category: 'linear', list: rows.map((r) => ({ contractType: 'LinearPerpetual', status: 'Trading', quoteCoin: 'USDT', settleCoin: 'USDT', fundingInterval: 480, ...r })), nextPageCursor: '' },
  };
}

describe('canonicalOf', () => {
  it.each([
    ['binance', 'BTCUSDT', 'BTC', 1],
    ['binance', '1000PEPEUSDT', 'PEPE', 1000],
    ['binance', '1000SHIBUSDT', 'SHIB', 1000],
    ['binance', '1MBABYDOGEUSDT', 'BABYDOGE', 1_000_000],
    ['binance', '1INCHUSDT', '1INCH', 1],
    ['bybit', 'SHIB1000USDT', 'SHIB', 1000],
    ['bybit', '10000SATSUSDT', 'SATS', 10_000],
    ['bybit', '1000000CHEEMSUSDT', 'CHEEMS', 1_000_000],
    ['bybit', '1000BONKUSDT', 'BONK', 1000],
    ['bybit', '1000000PONKEUSDT', 'PONKE', 1_000_000],
    ['bybit', 'FOO1000USDT', 'FOO', 1000],
    ['bybit', 'ethusdt', 'ETH', 1],
  ] as const)('%s %s → %s × %d', (venue, name, symbol, multiplier) => {
    expect(canonicalOf(venue, name)).toEqual({ symbol, multiplier });
  });

  it('names in another quote are not USDT perpetuals', () => {
    expect(canonicalOf('binance', 'BTCUSD_PERP')).toBeNull();
    expect(canonicalOf('bybit', 'BTCPERP')).toBeNull();
  });
});

describe('buildRegistry', () => {
  it('from the exchangeInfo sample: BLZ is listed, a symbol it lacks is skipped with a reason', () => {
    const reg = buildRegistry({ symbols: ['BLZ', 'BTC'], venues: ['binance'], binanceExchangeInfo: exchangeInfoSample() });
    expect(reg.tracked()).toEqual(['BLZ']);
    expect(reg.instrument('binance', 'BLZ')).toEqual({ venue: 'binance', symbol: 'BLZ', venueSymbol: 'BLZUSDT', multiplier: 1, tickSize: 0.0001 });
    expect(reg.skipped()).toEqual([{ venue: 'binance', symbol: 'BTC', reason: 'not listed on binance USD-M (no BTC USDT perpetual)' }]);
    expect(reg.source('binance')).toBe('listing');
    expect(reg.notes().join('\n')).toContain('BTC: listed on none of binance');
  });

  it('applies the override map on both venues and keeps the configured order', () => {
    const reg = buildRegistry({
      symbols: ['PEPE', 'BTC', 'SHIB', 'SATS'],
      venues: ['binance', 'bybit'],
      binanceExchangeInfo: exchangeInfoWith([
        { symbol: 'BTCUSDT', baseAsset: 'BTC' },
        { symbol: '1000PEPEUSDT', baseAsset: '1000PEPE' },
        { symbol: '1000SHIBUSDT', baseAsset: '1000SHIB' },
      ]),
      bybitInstruments: bybitInstruments([{ symbol: 'BTCUSDT' }, { symbol: '1000PEPEUSDT' }, { symbol: 'SHIB1000USDT' }, { symbol: '10000SATSUSDT', fundingInterval: 240 }]),
    });
    expect(reg.tracked()).toEqual(['PEPE', 'BTC', 'SHIB', 'SATS']);
    expect(reg.instrument('binance', 'PEPE')).toMatchObject({ venueSymbol: '1000PEPEUSDT', multiplier: 1000 });
    expect(reg.instrument('bybit', 'PEPE')).toMatchObject({ venueSymbol: '1000PEPEUSDT', multiplier: 1000 });
    expect(reg.instrument('bybit', 'SHIB')).toMatchObject({ venueSymbol: 'SHIB1000USDT', multiplier: 1000 });
    expect(reg.instrument('bybit', 'SATS')).toMatchObject({ venueSymbol: '10000SATSUSDT', multiplier: 10_000, fundingIntervalHours: 4 });
    expect(reg.instruments('bybit').map((i) => i.symbol)).toEqual(['PEPE', 'BTC', 'SHIB', 'SATS']);
    expect(reg.byVenueSymbol('binance', '1000pepeusdt')?.symbol).toBe('PEPE');
    expect(reg.byVenueSymbol('bybit', 'SHIB1000USDT')?.symbol).toBe('SHIB');
    expect(reg.venuesOf('SATS')).toEqual(['bybit']);
    expect(reg.venuesOf('BTC')).toEqual(['binance', 'bybit']);
    expect(reg.skipped()).toEqual([{ venue: 'binance', symbol: 'SATS', reason: 'not listed on binance USD-M (no SATS USDT perpetual)' }]);
  });

  it('a listed but non-trading contract is skipped with its status', () => {
    const reg = buildRegistry({ symbols: ['BTC', 'TON'], venues: ['bybit'], bybitInstruments: bybitInstruments([{ symbol: 'BTCUSDT' }, { symbol: 'TONUSDT', status: 'Settling' }]) });
    expect(reg.skipped()).toEqual([{ venue: 'bybit', symbol: 'TON', reason: 'TONUSDT on bybit linear is Settling, not trading' }]);
    expect(reg.tracked()).toEqual(['BTC']);
  });

  it('a symbol no venue lists is reported for every venue and not tracked', () => {
    const reg = buildRegistry({
      symbols: ['BTC', 'NOPE'],
      venues: ['binance', 'bybit'],
      binanceExchangeInfo: exchangeInfoWith([{ symbol: 'BTCUSDT' }]),
      bybitInstruments: bybitInstruments([{ symbol: 'BTCUSDT' }]),
    });
    expect(reg.tracked()).toEqual(['BTC']);
    expect(reg.skipped().filter((s) => s.symbol === 'NOPE').map((s) => s.venue)).toEqual(['binance', 'bybit']);
    expect(reg.venuesOf('NOPE')).toEqual([]);
  });

  it('without listings: built-in defaults (SYMBOL+USDT, 1000PEPEUSDT) and a note saying so', () => {
    const reg = buildRegistry({ symbols: [...DEFAULT_SYMBOLS], venues: ['binance', 'bybit'] });
    expect(reg.tracked()).toEqual([...DEFAULT_SYMBOLS]);
    expect(reg.instrument('binance', 'PEPE')).toEqual({ venue: 'binance', symbol: 'PEPE', venueSymbol: '1000PEPEUSDT', multiplier: 1000 });
    expect(reg.instrument('bybit', 'ETH')).toEqual({ venue: 'bybit', symbol: 'ETH', venueSymbol: 'ETHUSDT', multiplier: 1 });
    expect(reg.skipped()).toEqual([]);
    expect(reg.source('bybit')).toBe('defaults');
    expect(reg.notes()).toEqual([
      'binance: no exchangeInfo; using built-in names (SYMBOLUSDT, 1000PEPEUSDT for PEPE), unverified',
      'bybit: no instruments-info; using built-in names (SYMBOLUSDT, 1000PEPEUSDT for PEPE), unverified',
    ]);
  });

  it('an unreadable listing falls back to defaults and says it was unreadable', () => {
    const reg = buildRegistry({ symbols: ['SHIB'], venues: ['bybit'], bybitInstruments: { retCode: 10006, retMsg: 'Too many visits!' } });
    expect(reg.instrument('bybit', 'SHIB')).toMatchObject({ venueSymbol: 'SHIB1000USDT', multiplier: 1000 });
    expect(reg.notes()[0]).toContain('instruments-info unreadable');
  });

  it('only configured venues get instruments; symbols are upper-cased and de-duplicated', () => {
    const reg = buildRegistry({ symbols: ['btc', 'BTC', ' eth '], venues: ['bybit'] });
    expect(reg.tracked()).toEqual(['BTC', 'ETH']);
    expect(reg.instruments('binance')).toEqual([]);
    expect(reg.byVenueSymbol('binance', 'BTCUSDT')).toBeUndefined();
  });

  it('fundingInfo sets non-8 h intervals on Binance instruments', () => {
    const reg = buildRegistry({ symbols: ['BTC', 'ETH'], venues: ['binance'], binanceExchangeInfo: exchangeInfoWith([{ symbol: 'BTCUSDT' }, { symbol: 'ETHUSDT' }]), binanceFundingInfo: [{ symbol: 'ETHUSDT', fundingIntervalHours: 4 }] });
    expect(reg.instrument('binance', 'BTC')?.fundingIntervalHours).toBeUndefined();
    expect(reg.instrument('binance', 'ETH')?.fundingIntervalHours).toBe(4);
  });
});
