/**
 * The normalized market model. Every venue mapper turns raw frames into these events;
 * nothing downstream of the mappers knows a venue's wire format.
 */

export const VENUES = ['binance', 'bybit', 'okx', 'hyperliquid'] as const;
export type Venue = (typeof VENUES)[number];

/** Whose position: for a liquidation, the side of the position that was force-closed. */
export type PositionSide = 'long' | 'short';
/** The aggressor of a trade. */
export type TakerSide = 'buy' | 'sell';

interface EventBase {
  venue: Venue;
  /** Canonical base asset, e.g. `ETH`, `PEPE` (never `1000PEPE`). */
  symbol: string;
  /** Exchange timestamp, ms since epoch. */
  exchTime: number;
  /** Local receive timestamp, ms since epoch (recorded clock in replay). */
  recvTime: number;
}

export interface TradeEvent extends EventBase {
  kind: 'trade';
  /** Price per one coin (venue multipliers already removed). */
  price: number;
  /** Quantity in coins. */
  qty: number;
  side: TakerSide;
  /** The venue's trade id (aggregate trade id on Binance), when it has one: duplicates are dropped by it. */
  id?: string | number;
}

export interface MarkEvent extends EventBase {
  kind: 'mark';
  mark: number;
  /** Missing in a partial update means "unchanged", never zero. */
  index?: number;
  /** Funding normalized to an hourly rate (fraction, 0.0001 = 0.01 %/h). */
  fundingRateHourly?: number;
  nextFundingTime?: number;
}

export interface OpenInterestEvent extends EventBase {
  kind: 'oi';
  /** Single-side open interest in coins. */
  oiBase: number;
  oiUsd: number;
}

export interface LiquidationEvent extends EventBase {
  kind: 'liquidation';
  /** The side of the position that died (Binance S=SELL and Bybit S=Buy are both `long`). */
  side: PositionSide;
  price: number;
  qty: number;
  notionalUsd: number;
}

export interface BookTopEvent extends EventBase {
  kind: 'book';
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
  /** (bidSize − askSize) / (bidSize + askSize), in −1…+1. */
  imbalance: number;
}

/** A closed 1-minute bar, from REST history bootstrap (live bars are built from trades). */
export interface BarEvent extends EventBase {
  kind: 'bar';
  /** Bar open time, ms. */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume. */
  volume: number;
  /** Taker-buy base volume, when the venue provides it. */
  takerBuyVolume?: number;
}

export type MarketEvent =
  | TradeEvent
  | MarkEvent
  | OpenInterestEvent
  | LiquidationEvent
  | BookTopEvent
  | BarEvent;

export type MarketEventKind = MarketEvent['kind'];
