/**
 * Inverse of the OKX mappers, for the fake server and the simulator: MarketEvents (coin units) →
 * OKX v5 public channel pushes (contracts, numbers as strings) and REST bodies.
 */
import type { VenueInstrument } from '../market/symbols.ts';
import type { MarketEvent } from '../market/types.ts';
import { decimal, type BarLike, type OiPointLike } from './binance-encode.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * The fake venue's own contract values (what its instruments listing says), as the real listing
 * shows them for these coins; 1 coin per contract for the rest. Clients must read them from the
 * listing: this table is the venue's data, not a client assumption.
 */
const FAKE_CT_VAL: Readonly<Record<string, number>> = { BTC: 0.01, ETH: 0.1, DOGE: 1000, PEPE: 10_000_000, XRP: 100, ADA: 100, TRX: 1000, WIF: 1, SOL: 1, BNB: 0.01, LTC: 1, BCH: 0.1 };

/** The fake's contract value for an instrument: its own `contractValue` when set, else the table. */
export function okxContractValue(inst: VenueInstrument): number {
  return inst.contractValue ?? FAKE_CT_VAL[inst.symbol] ?? 1;
}

/** The OKX instruments a fake lists by default for canonical symbols. */
export function okxFakeInstruments(symbols: readonly string[]): VenueInstrument[] {
  return symbols.map((symbol) => ({ venue: 'okx', symbol, venueSymbol: `${symbol}-USDT-SWAP`, multiplier: 1, contractValue: FAKE_CT_VAL[symbol] ?? 1, fundingIntervalHours: 8 }));
}

let nextTradeId = 1;
let nextSeq = 1;

export interface OkxEncoded {
  /** `channel:instId`, as liqzone names streams. */
  stream: string;
  message: Record<string, unknown>;
}

/** The next funding settlement after `t` on an `hours` grid. */
function nextSettlement(t: number, hours: number): number {
  const period = hours * HOUR;
  return Math.floor(t / period) * period + period;
}

/**
 * One MarketEvent as OKX pushes. A mark with funding gives two frames (mark-price and
 * funding-rate), as OKX sends them on separate channels; a bar gives none (candles are REST here).
 */
export function encodeOkxEvent(ev: MarketEvent, inst: VenueInstrument): OkxEncoded[] {
  const instId = inst.venueSymbol;
  const ct = okxContractValue(inst);
  const ts = String(ev.exchTime);
  switch (ev.kind) {
    case 'trade':
      return [
        {
          stream: `trades:${instId}`,
          message: { arg: { channel: 'trades', instId }, data: [{ instId, tradeId: String(nextTradeId++), px: decimal(ev.price), sz: decimal(ev.qty / ct), side: ev.side, ts, count: '1', source: '0', seqId: nextSeq++ }] },
        },
      ];
    case 'mark': {
      const out: OkxEncoded[] = [{ stream: `mark-price:${instId}`, message: { arg: { channel: 'mark-price', instId }, data: [{ instType: 'SWAP', instId, markPx: decimal(ev.mark), ts }] } }];
      if (ev.fundingRateHourly !== undefined) {
        const hours = inst.fundingIntervalHours ?? 8;
        const fundingTime = ev.nextFundingTime ?? nextSettlement(ev.exchTime, hours);
        out.push({
          stream: `funding-rate:${instId}`,
          message: {
            arg: { channel: 'funding-rate', instId },
            data: [{
              formulaType: 'withRate', fundingRate: decimal(ev.fundingRateHourly * hours), fundingTime: String(fundingTime), impactValue: '', instId, instType: 'SWAP', interestRate: '',
              method: 'current_period', maxFundingRate: '0.0075', minFundingRate: '-0.0075', nextFundingRate: '', nextFundingTime: String(fundingTime + hours * HOUR),
              premium: '0', settFundingRate: '0', settState: 'settled', ts,
            }],
          },
        });
      }
      return out;
    }
    case 'oi':
      return [{ stream: `open-interest:${instId}`, message: { arg: { channel: 'open-interest', instId }, data: [{ instId, instType: 'SWAP', oi: decimal(ev.oiBase / ct), oiCcy: decimal(ev.oiBase), oiUsd: decimal(ev.oiUsd), ts }] } }];
    case 'book':
      return [
        {
          stream: `books5:${instId}`,
          message: {
            arg: { channel: 'books5', instId },
            data: [{ asks: [[decimal(ev.ask), decimal(ev.askSize / ct), '0', '1']], bids: [[decimal(ev.bid), decimal(ev.bidSize / ct), '0', '1']], instId, ts, seqId: nextSeq++ }],
          },
        },
      ];
    case 'liquidation': {
      // sell = a long liquidated; OKX mixes every SWAP into this one channel (an inverse twin here)
      const detail = { bkLoss: '0', bkPx: decimal(ev.price), ccy: '', posSide: 'net', side: ev.side === 'long' ? 'sell' : 'buy', sz: decimal(ev.qty / ct), ts };
      const family = instId.replace(/-SWAP$/, '');
      const inverse = `${inst.symbol}-USD-SWAP`;
      return [
        {
          stream: 'liquidation-orders:SWAP',
          message: {
            arg: { channel: 'liquidation-orders', instType: 'SWAP' },
            data: [
              { details: [detail], instFamily: family, instId, instType: 'SWAP', uly: family },
              { details: [{ ...detail, sz: '1' }], instFamily: `${inst.symbol}-USD`, instId: inverse, instType: 'SWAP', uly: `${inst.symbol}-USD` },
            ],
          },
        },
      ];
    }
    case 'bar':
      return [];
  }
}

function envelope(data: unknown[]): Record<string, unknown> {
  return { code: '0', msg: '', data };
}

/** `GET /api/v5/public/instruments?instType=SWAP`: the instruments as live linear USDT swaps, plus an inverse and a USDC swap. */
export function okxInstrumentsBody(instruments: VenueInstrument[]): Record<string, unknown> {
  const rows = instruments.map((i) => ({
    instId: i.venueSymbol, instType: 'SWAP', uly: i.venueSymbol.replace(/-SWAP$/, ''), instFamily: i.venueSymbol.replace(/-SWAP$/, ''),
    ctType: 'linear', ctVal: decimal(okxContractValue(i)), ctMult: '1', ctValCcy: i.symbol, settleCcy: 'USDT',
    tickSz: decimal(i.tickSize ?? 0.0001), lotSz: '0.01', minSz: '0.01', state: 'live',
  }));
  rows.push({ instId: 'BTC-USD-SWAP', instType: 'SWAP', uly: 'BTC-USD', instFamily: 'BTC-USD', ctType: 'inverse', ctVal: '100', ctMult: '1', ctValCcy: 'USD', settleCcy: 'BTC', tickSz: '0.1', lotSz: '1', minSz: '1', state: 'live' });
  rows.push({ instId: 'SOL-USDC-SWAP', instType: 'SWAP', uly: 'SOL-USDC', instFamily: 'SOL-USDC', ctType: 'linear', ctVal: '1', ctMult: '1', ctValCcy: 'SOL', settleCcy: 'USDC', tickSz: '0.01', lotSz: '0.01', minSz: '0.01', state: 'live' });
  return envelope(rows);
}

/** `GET /api/v5/market/candles?bar=1m`: newest first, `confirm` "1" for closed bars. */
export function okxCandlesBody(bars: BarLike[], inst: VenueInstrument, now: number): Record<string, unknown> {
  const ct = okxContractValue(inst);
  const rows = bars
    .map((b) => {
      const t = 'openTime' in b ? b.openTime : b.t;
      const typical = (b.high + b.low + b.close) / 3;
      return [String(t), decimal(b.open), decimal(b.high), decimal(b.low), decimal(b.close), decimal(b.volume / ct), decimal(b.volume), decimal(b.volume * typical), t + MINUTE <= now ? '1' : '0'];
    })
    .sort((a, b) => Number(b[0]) - Number(a[0]));
  return envelope(rows);
}

/** `GET /api/v5/rubik/stat/contracts/open-interest-history?period=5m`: `[ts, oi, oiCcy, oiUsd]`, newest first. */
export function okxOpenInterestHistoryBody(points: OiPointLike[], inst: VenueInstrument): Record<string, unknown> {
  const ct = okxContractValue(inst);
  const timeOf = (p: OiPointLike) => ('exchTime' in p ? p.exchTime : p.t);
  const rows = [...points].sort((a, b) => timeOf(b) - timeOf(a)).map((p) => [String(timeOf(p)), decimal(p.oiBase / ct), decimal(p.oiBase), decimal(p.oiUsd)]);
  return envelope(rows);
}

/**
 * `GET /api/v5/public/position-tiers?instType=SWAP&tdMode=isolated&instFamily=…`: a tier ladder in
 * contracts, shaped like OKX's (maintenance ratio per tier for the whole position).
 */
export function okxPositionTiersBody(inst: VenueInstrument, markPrice: number): Record<string, unknown> {
  const ct = okxContractValue(inst);
  const family = inst.venueSymbol.replace(/-SWAP$/, '');
  // notional caps in USD → contracts at the current price
  const ladder: Array<[number, number, number]> = [
    [500_000, 0.004, 100],
    [2_000_000, 0.006, 75],
    [8_000_000, 0.01, 50],
    [20_000_000, 0.02, 20],
    [50_000_000, 0.05, 10],
  ];
  let min = 0;
  const rows = ladder.map(([capUsd, mmr, lever], i) => {
    const max = Math.max(min + 1, Math.round(capUsd / Math.max(markPrice * ct, 1e-12)));
    const row = { uly: family, instFamily: family, instId: '', tier: String(i + 1), minSz: String(min), maxSz: String(max), mmr: decimal(mmr), imr: decimal(1 / lever), maxLever: String(lever), optMgnFactor: '0', quoteMaxLoan: '', baseMaxLoan: '' };
    min = max + 1;
    return row;
  });
  return envelope(rows);
}
