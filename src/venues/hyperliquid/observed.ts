/**
 * The observed-position poller for Hyperliquid: addresses seen in `trades` (`users: [buyer, seller]`)
 * go into a bounded set ranked by traded notional (decaying, so the set follows who is active);
 * the highest-ranked address not polled recently is asked for its `clearinghouseState` over
 * `POST /info` (weight 2) while the venue's 1200-weight-per-minute budget keeps a reserve for
 * everything else on that IP; a 429 pauses the client (and so the poller). Positions land in the
 * market-layer ObservedBook under opaque keys: addresses never leave this file.
 *
 * A position that disappears while the mark is at or past its liquidation price was liquidated:
 * that is the only source of realized liquidations on Hyperliquid (it has no public stream).
 */
import type { ObservedBook } from '../../market/observed.ts';
import type { SymbolRegistry } from '../../market/symbols.ts';
import type { LiquidationEvent, MarketEvent, PositionSide } from '../../market/types.ts';
import { delay } from '../backoff.ts';
import type { LogFn } from '../connection.ts';
import { REST_PATHS, type FrameRecord } from '../records.ts';
import type { RestClient } from '../rest-client.ts';
import { tradeParticipants } from './mapper.ts';
import { mapClearinghouseState } from './rest-mappers.ts';

/** clearinghouseState costs 2 of the 1200 weight per minute. */
export const CLEARINGHOUSE_WEIGHT = 2;
/** A position counts as liquidated when it vanished with the mark within this fraction of its liquidation price (or past it). */
const LIQUIDATED_TOLERANCE = 0.002;
const HOUR = 3_600_000;

export interface ObservedPollerOptions {
  registry: SymbolRegistry;
  rest: RestClient;
  book: ObservedBook;
  now?: () => number;
  log?: LogFn;
  /** Realized liquidations inferred from vanished positions. */
  onEvent?(ev: MarketEvent): void;
  /** Current mark (coin price) per symbol, to tell a liquidation from a close. */
  markOf?(symbol: string): number | undefined;
  /** Addresses kept (memory bound). Default 1000. */
  maxAddresses?: number;
  /** An address is re-polled at most this often. Default 2 min. */
  refreshMs?: number;
  /** Poll attempts are made every this many ms. Default 250 (at most 240 polls, 480 weight, a minute). */
  tickMs?: number;
  /** Share of the venue budget left for everything else (the feed's candles, other tools on the IP). Default 0.4. */
  reserveShare?: number;
  /** Ranking half-life of traded notional. Default 1 h. */
  halfLifeMs?: number;
}

interface Held {
  side: PositionSide;
  liquidationPx: number;
  qty: number;
}

interface Tracked {
  address: string;
  score: number;
  scoredAt: number;
  lastPolledAt?: number;
}

export interface ObservedPollerStatus {
  addresses: number;
  maxAddresses: number;
  polls: number;
  failures: number;
  rateLimited: number;
  inferredLiquidations: number;
  lastError?: string;
  /** Time of the last successful poll, ms. */
  lastPollAt?: number;
}

/**
 * Turns `clearinghouseState` answers into the ObservedBook, per address (an opaque key in the book),
 * and infers realized liquidations from positions that vanished at their liquidation price. Shared
 * by the live poller and replay (which feeds it the recorded answers).
 */
export class ObservedAccounts {
  private readonly accounts = new Map<string, { key: number; held: Map<string, Held> }>();
  private nextKey = 1;
  inferred = 0;

  constructor(private readonly opts: Pick<ObservedPollerOptions, 'registry' | 'book' | 'onEvent' | 'markOf'>) {}

  /** Applies one answer for `address` received at `now`; false when the body is not a clearinghouseState. */
  apply(address: string, body: unknown, now: number): boolean {
    const positions = mapClearinghouseState(body);
    if (!positions) return false;
    let acc = this.accounts.get(address);
    if (!acc) this.accounts.set(address, (acc = { key: this.nextKey++, held: new Map() }));
    const reg = this.opts.registry;
    const book: Array<{ symbol: string; side: PositionSide; liquidationPx: number; notionalUsd: number; leverage: number; seenAt: number }> = [];
    const held = new Map<string, Held>();
    for (const p of positions) {
      const inst = reg.byVenueSymbol('hyperliquid', p.coin);
      if (!inst || p.liquidationPx === undefined) continue;
      const liq = p.liquidationPx / inst.multiplier;
      held.set(inst.symbol, { side: p.side, liquidationPx: liq, qty: p.size * inst.multiplier });
      book.push({ symbol: inst.symbol, side: p.side, liquidationPx: liq, notionalUsd: p.notionalUsd, leverage: p.leverage, seenAt: now });
    }
    this.inferLiquidations(acc.held, held, now);
    acc.held = held;
    this.opts.book.setAccount(acc.key, book);
    return true;
  }

  /** Forgets an address (evicted from the bounded set). */
  forget(address: string): void {
    const acc = this.accounts.get(address);
    if (!acc) return;
    this.accounts.delete(address);
    this.opts.book.dropAccount(acc.key);
  }

  private inferLiquidations(before: Map<string, Held>, after: Map<string, Held>, now: number): void {
    for (const [symbol, prev] of before) {
      const cur = after.get(symbol);
      if (cur && cur.side === prev.side) continue;
      const mark = this.opts.markOf?.(symbol);
      if (mark === undefined) continue;
      const reached = prev.side === 'long' ? mark <= prev.liquidationPx * (1 + LIQUIDATED_TOLERANCE) : mark >= prev.liquidationPx * (1 - LIQUIDATED_TOLERANCE);
      if (!reached) continue;
      this.inferred++;
      const ev: LiquidationEvent = { kind: 'liquidation', venue: 'hyperliquid', symbol, exchTime: now, recvTime: now, side: prev.side, price: prev.liquidationPx, qty: prev.qty, notionalUsd: prev.qty * prev.liquidationPx };
      this.opts.onEvent?.(ev);
    }
  }
}

export class ObservedPoller {
  private readonly opts: ObservedPollerOptions;
  private readonly now: () => number;
  private readonly log: LogFn;
  private readonly maxAddresses: number;
  private readonly refreshMs: number;
  private readonly halfLifeMs: number;
  private readonly tracked = new Map<string, Tracked>();
  private readonly abort = new AbortController();
  private readonly accounts: ObservedAccounts;
  private loop?: Promise<void>;
  private readonly counters = { polls: 0, failures: 0, rateLimited: 0 };
  private lastError?: string;
  private lastPollAt?: number;

  constructor(opts: ObservedPollerOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.maxAddresses = opts.maxAddresses ?? 1000;
    this.refreshMs = opts.refreshMs ?? 120_000;
    this.halfLifeMs = opts.halfLifeMs ?? HOUR;
    this.accounts = new ObservedAccounts(opts);
  }

  /** Address discovery: every participant of a trades frame, ranked by the notional it traded. */
  noteTrades(payload: unknown): void {
    const now = this.now();
    for (const { user, notional } of tradeParticipants(payload)) {
      const t = this.tracked.get(user);
      if (t) {
        t.score = this.scoreAt(t, now) + notional;
        t.scoredAt = now;
        continue;
      }
      if (this.tracked.size >= this.maxAddresses && !this.evictBelow(notional, now)) continue;
      this.tracked.set(user, { address: user, score: notional, scoredAt: now });
    }
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  status(): ObservedPollerStatus {
    return {
      addresses: this.tracked.size,
      maxAddresses: this.maxAddresses,
      polls: this.counters.polls,
      failures: this.counters.failures,
      rateLimited: this.counters.rateLimited,
      inferredLiquidations: this.accounts.inferred,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastPollAt !== undefined ? { lastPollAt: this.lastPollAt } : {}),
    };
  }

  /** One poll of the best address that is due, if the budget allows; false when nothing was sent. */
  async pollOnce(): Promise<boolean> {
    const rest = this.opts.rest;
    const reserve = Math.floor(rest.status().weightLimit * (this.opts.reserveShare ?? 0.4));
    if (!rest.canSend(CLEARINGHOUSE_WEIGHT, reserve)) return false;
    const t = this.nextDue(this.now());
    if (!t) return false;
    t.lastPolledAt = this.now();
    const res = await rest.post(REST_PATHS.hyperliquidInfo, { type: 'clearinghouseState', user: t.address }, { weight: CLEARINGHOUSE_WEIGHT, signal: this.abort.signal });
    if (!res.ok) {
      this.counters.failures++;
      if (res.error.kind === 'rate-limited') this.counters.rateLimited++;
      if (this.lastError !== res.error.message) this.log('warn', `hyperliquid observed positions: ${res.error.message}`);
      this.lastError = res.error.message;
      return true;
    }
    if (!this.accounts.apply(t.address, res.body, res.recvTime)) {
      this.counters.failures++;
      this.lastError = 'clearinghouseState: unexpected response shape';
      return true;
    }
    this.counters.polls++;
    this.lastError = undefined;
    this.lastPollAt = res.recvTime;
    return true;
  }

  private scoreAt(t: Tracked, now: number): number {
    return t.score * 2 ** (-(now - t.scoredAt) / this.halfLifeMs);
  }

  /** Makes room for a newcomer worth `score` by evicting the weakest address, if it is weaker. */
  private evictBelow(score: number, now: number): boolean {
    let weakest: Tracked | undefined;
    let weakestScore = Infinity;
    for (const t of this.tracked.values()) {
      const s = this.scoreAt(t, now);
      if (s < weakestScore) {
        weakestScore = s;
        weakest = t;
      }
    }
    if (!weakest || weakestScore >= score) return false;
    this.tracked.delete(weakest.address);
    this.accounts.forget(weakest.address);
    return true;
  }

  /** The highest-ranked address never polled, or not polled for `refreshMs`. */
  private nextDue(now: number): Tracked | undefined {
    let best: Tracked | undefined;
    let bestScore = -Infinity;
    for (const t of this.tracked.values()) {
      if (t.lastPolledAt !== undefined && now - t.lastPolledAt < this.refreshMs) continue;
      const s = this.scoreAt(t, now);
      if (s > bestScore) {
        bestScore = s;
        best = t;
      }
    }
    return best;
  }

  private async run(): Promise<void> {
    const tick = this.opts.tickMs ?? 250;
    while (!this.abort.signal.aborted) {
      try {
        await this.pollOnce();
      } catch (err) {
        this.lastError = String(err);
      }
      if (!(await delay(tick, this.abort.signal))) break;
    }
  }
}

/** A recorded `clearinghouseState` answer: the address it was for and the parsed body; undefined for any other record. */
export function recordedClearinghouseState(rec: FrameRecord): { user: string; body: unknown } | undefined {
  if (rec.v !== 'hyperliquid' || !rec.c.startsWith(`rest:${REST_PATHS.hyperliquidInfo}?`)) return undefined;
  const params = new URLSearchParams(rec.c.slice(rec.c.indexOf('?') + 1));
  const user = params.get('user');
  if (params.get('type') !== 'clearinghouseState' || !user) return undefined;
  try {
    return { user: user.toLowerCase(), body: JSON.parse(rec.raw) as unknown };
  } catch {
    return undefined;
  }
}
