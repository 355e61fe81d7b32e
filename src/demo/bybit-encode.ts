/**
 * Inverse of the Bybit mappers, for the fake server and the simulator: MarketEvents (coin units) →
 * Bybit v5 linear topic messages (venue units, numbers as strings) and REST bodies.
 */
import type { VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent, MarkEvent, OpenInterestEvent } from '../market/types.ts';
import { decimal, type BarLike, type OiPointLike } from './binance-encode.ts';
import { BYBIT_TIERS } from './sim/liquidation.ts';

export interface BybitEncoded {
  topic: string;
  message: Record<string, unknown>;
}

const MINUTE = 60_000;
const DEFAULT_FUNDING_HOURS = 8;
let nextTradeSeq = 1;
let nextBookUpdateId = 2; // u=1 means "service restart" to a client, so never send it by accident

/**
 * Per-symbol ticker memory: the first mark/OI push for a symbol is a `snapshot` with every field
 * known so far, later pushes are `delta`s carrying only the fields that changed, as Bybit does.
 */
export class BybitTickerEncoder {
  private readonly sent = new Map<string, Record<string, string>>();
  private crossSeq = 1;

  encode(ev: MarkEvent | OpenInterestEvent, inst: VenueInstrument): BybitEncoded {
    const name = inst.venueSymbol.toUpperCase();
    const fields = tickerFields(ev, inst);
    const prev = this.sent.get(name);
    let type: 'snapshot' | 'delta';
    let data: Record<string, string>;
    if (!prev) {
      type = 'snapshot';
      data = { symbol: name, ...fields };
      this.sent.set(name, { ...fields });
    } else {
      type = 'delta';
      data = { symbol: name };
      for (const [k, v] of Object.entries(fields)) {
        if (prev[k] !== v) {
          data[k] = v;
          prev[k] = v;
        }
      }
    }
    const topic = `tickers.${name}`;
    return { topic, message: { topic, type, data, cs: this.crossSeq++, ts: ev.exchTime } };
  }

  /** Forget a symbol (or all): the next push is a snapshot again, as after a resubscribe. */
  forget(venueSymbol?: string): void {
    if (venueSymbol === undefined) this.sent.clear();
    else this.sent.delete(venueSymbol.toUpperCase());
  }
}

function tickerFields(ev: MarkEvent | OpenInterestEvent, inst: VenueInstrument): Record<string, string> {
  const m = inst.multiplier;
  if (ev.kind === 'oi') {
    const single = ev.oiBase / m;
    // openInterest counts both sides since 2026-06
    return {
      openInterest: decimal(single * 2),
      openInterestValue: decimal(ev.oiUsd * 2),
      singleOpenInterest: decimal(single),
      singleOpenInterestValue: decimal(ev.oiUsd),
    };
  }
  const hours = inst.fundingIntervalHours ?? DEFAULT_FUNDING_HOURS;
  const out: Record<string, string> = { markPrice: decimal(ev.mark * m) };
  if (ev.index !== undefined) out.indexPrice = decimal(ev.index * m);
  if (ev.fundingRateHourly !== undefined) {
    out.fundingRate = decimal(ev.fundingRateHourly * hours);
    out.fundingIntervalHour = String(hours);
  }
  if (ev.nextFundingTime !== undefined) out.nextFundingTime = String(ev.nextFundingTime);
  return out;
}

/**
 * One MarketEvent as a Bybit topic message. Mark and OI events become `tickers` pushes: pass the
 * same `prev` encoder for a symbol's whole session to get a snapshot followed by partial deltas
 * (without it every push is a snapshot).
 */
export function encodeBybitEvent(ev: MarketEvent, inst: VenueInstrument, prev?: BybitTickerEncoder): BybitEncoded | null {
  const name = inst.venueSymbol.toUpperCase();
  const m = inst.multiplier;
  switch (ev.kind) {
    case 'trade': {
      const topic = `publicTrade.${name}`;
      const seq = nextTradeSeq++;
      const trade = { T: ev.exchTime, s: name, S: ev.side === 'buy' ? 'Buy' : 'Sell', v: decimal(ev.qty / m), p: decimal(ev.price * m), L: 'ZeroPlusTick', i: ev.id !== undefined ? String(ev.id) : `fake-${seq}`, BT: false, RPI: false, seq };
      return { topic, message: { topic, type: 'snapshot', ts: ev.exchTime, data: [trade] } };
    }
    case 'mark':
    case 'oi':
      return (prev ?? new BybitTickerEncoder()).encode(ev, inst);
    case 'liquidation': {
      const topic = `allLiquidation.${name}`;
      // S is the position side: a long that died is Buy (the opposite of Binance)
      const liq = { T: ev.exchTime, s: name, S: ev.side === 'long' ? 'Buy' : 'Sell', v: decimal(ev.qty / m), p: decimal(ev.price * m) };
      return { topic, message: { topic, type: 'snapshot', ts: ev.exchTime, data: [liq] } };
    }
    case 'book': {
      const topic = `orderbook.1.${name}`;
      const u = nextBookUpdateId++;
      return {
        topic,
        message: {
          topic,
          type: 'snapshot',
          ts: ev.exchTime,
          data: { s: name, b: [[decimal(ev.bid * m), decimal(ev.bidSize / m)]], a: [[decimal(ev.ask * m), decimal(ev.askSize / m)]], u, seq: u },
          cts: ev.exchTime,
        },
      };
    }
    case 'bar': {
      const topic = `kline.1.${name}`;
      const k = bybitKlineRow(ev, m);
      const bar = { start: ev.openTime, end: ev.openTime + MINUTE - 1, interval: '1', open: k[1], close: k[4], high: k[2], low: k[3], volume: k[5], turnover: k[6], confirm: true, timestamp: ev.exchTime };
      return { topic, message: { topic, data: [bar], ts: ev.exchTime, type: 'snapshot' } };
    }
  }
}

/** [start, open, high, low, close, volume, turnover] as strings. */
function bybitKlineRow(b: BarLike, m: number): string[] {
  const openTime = 'openTime' in b ? b.openTime : b.t;
  const typical = (b.high + b.low + b.close) / 3;
  return [String(openTime), decimal(b.open * m), decimal(b.high * m), decimal(b.low * m), decimal(b.close * m), decimal(b.volume / m), decimal(b.volume * typical)];
}

function envelope(result: Record<string, unknown>, time: number): Record<string, unknown> {
  return { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time };
}

/** `GET /v5/market/instruments-info?category=linear`, listing the instruments as trading USDT perpetuals. */
export function bybitInstrumentsBody(instruments: VenueInstrument[], time = 0): Record<string, unknown> {
  const list = instruments
    .filter((i) => i.venue === 'bybit')
    .map((i) => ({
      symbol: i.venueSymbol,
      contractType: 'LinearPerpetual',
      status: 'Trading',
      baseCoin: i.venueSymbol.replace(/USDT$/, ''),
      quoteCoin: 'USDT',
      settleCoin: 'USDT',
      launchTime: '1585526400000',
      deliveryTime: '0',
      priceScale: '6',
      leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
      priceFilter: { minPrice: '0.000001', maxPrice: '1999999.8', tickSize: decimal(i.tickSize ?? 0.000001) },
      lotSizeFilter: { maxOrderQty: '1190.000', minOrderQty: '0.001', qtyStep: '0.001' },
      unifiedMarginTrade: true,
      fundingInterval: (i.fundingIntervalHours ?? DEFAULT_FUNDING_HOURS) * 60,
      settleCoinType: 'USDT',
    }));
  return envelope({ category: 'linear', list, nextPageCursor: '' }, time);
}

/** `GET /v5/market/open-interest?category=linear`, newest first, base coin; openInterest is both sides. */
export function bybitOpenInterestBody(points: OiPointLike[], inst?: VenueInstrument, time = 0): Record<string, unknown> {
  const m = inst?.multiplier ?? 1;
  const timeOf = (p: OiPointLike) => ('exchTime' in p ? p.exchTime : p.t);
  const list = [...points]
    .sort((a, b) => timeOf(b) - timeOf(a))
    .map((p) => ({ openInterest: decimal((p.oiBase / m) * 2), singleOpenInterest: decimal(p.oiBase / m), timestamp: String(timeOf(p)) }));
  const symbol = inst?.venueSymbol ?? (points[0] && 'symbol' in points[0] ? `${points[0].symbol}USDT` : '');
  return envelope({ symbol, category: 'linear', list, nextPageCursor: '' }, time);
}

/** `GET /v5/market/kline?category=linear&interval=1`, newest first. */
export function bybitKlinesBody(bars: BarLike[], inst?: VenueInstrument, time = 0): Record<string, unknown> {
  const m = inst?.multiplier ?? 1;
  const list = bars.map((b) => bybitKlineRow(b, m)).sort((a, b) => Number(b[0]) - Number(a[0]));
  const symbol = inst?.venueSymbol ?? (bars[0] && 'symbol' in bars[0] ? `${bars[0].symbol}USDT` : '');
  return envelope({ symbol, category: 'linear', list }, time);
}

/**
 * `GET /v5/market/risk-limit` for one instrument: the tiers the simulator liquidates with
 * (sim/liquidation.ts BYBIT_TIERS), so exit plans on the demo use the same table as its market.
 */
export function bybitRiskLimitBody(inst: VenueInstrument, time = 0): Record<string, unknown> {
  const list = BYBIT_TIERS.map((t, i) => ({
    id: i + 1,
    symbol: inst.venueSymbol,
    riskLimitValue: String(Number.isFinite(t.cap) ? t.cap : 1e12),
    maintenanceMargin: String(t.mmr),
    initialMargin: String(1 / t.maxLeverage),
    isLowestRisk: i === 0 ? 1 : 0,
    maxLeverage: t.maxLeverage.toFixed(2),
    mmDeduction: i === 0 ? '' : String(t.maintAmount),
  }));
  return { retCode: 0, retMsg: 'OK', result: { category: 'linear', list }, retExtInfo: {}, time };
}
