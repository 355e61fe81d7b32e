/**
 * The price process of one simulated symbol: a regime-driven fundamental (log) price plus the
 * impact of taker flow. Impact is split into a permanent part and a transient part that decays,
 * so a liquidation cascade leaves a wick that partly recovers. Regimes can be pinned by the
 * operator or scheduled automatically (calm, chop, trends, the odd reversal and burst).
 */
import type { Rng } from './rng.ts';
import type { SymbolSpec } from './specs.ts';

export const REGIMES = ['calm', 'trend-up', 'trend-down', 'chop', 'reversal', 'burst'] as const;
export type Regime = (typeof REGIMES)[number];
/** A pinned regime, or `auto` (the default): the simulator schedules regimes itself. */
export type RegimeSetting = Regime | 'auto';

export interface RegimeOptions {
  /** First leg of a trend-like regime ('reversal', 'burst'); random when omitted. */
  direction?: 'up' | 'down';
  /** Length of the first leg of a 'reversal', ms (default 15 min). */
  legMs?: number;
  /** Drift of a 'reversal''s first leg, as a multiple of the usual reversal drift (default 1). */
  legDrift?: number;
  /** Drift at the start of a 'reversal''s second leg, as a multiple of the usual reversal drift (default 1.2, the usual second leg). */
  turnDrift?: number;
  /** How long the second leg keeps `turnDrift` before easing to the usual 1.2, ms (default: for the whole leg). */
  turnMs?: number;
  /** Volatility during a 'reversal', as a multiple of the regime's usual level (default 1); below 1 lets the legs stand out of the noise. */
  noise?: number;
}

/** BTC-like diffusion: about 0.54 % per hour in log terms. */
const BASE_VOL_PER_SQRT_SEC = 0.9e-4;
/** Trend drift, log per second for vol 1: about 1.8 % per hour (reversal legs 2.5 %). */
const TREND_DRIFT = 5e-6;
const REVERSAL_DRIFT = 7e-6;
/** The second leg of a reversal runs a little faster than the first (multiple of REVERSAL_DRIFT). */
const SECOND_LEG_DRIFT = 1.2;
/** Burst impulse: total log move for vol 1, spread over the impulse window. */
const BURST_IMPULSE = 0.01;
const BURST_IMPULSE_MS = 20_000;
const BURST_IMPULSE_EVERY_MS = 75_000;
/** USD of net taker flow that moves price 1 %, as a multiple of the symbol's typical position. */
export const DEPTH_FACTOR = 600;
const PERMANENT_IMPACT_SHARE = 0.4;
const TRANSIENT_IMPACT_HALF_LIFE_S = 600;
/** In auto mode price drifts back toward its base level over hours, so long demos stay realistic. */
const HOME_REVERSION_S = 6 * 3600;
const CHOP_REVERSION_S = 240;

const VOL_MULTIPLIER: Record<Regime, number> = {
  calm: 0.6,
  'trend-up': 0.5,
  'trend-down': 0.5,
  chop: 1,
  reversal: 0.5,
  burst: 3.5,
};

/** Auto scheduling: relative odds of the next regime and its duration range in minutes. */
export const AUTO_SCHEDULE: Record<Regime, { weight: number; minutes: [number, number] }> = {
  calm: { weight: 45, minutes: [15, 45] },
  chop: { weight: 25, minutes: [10, 30] },
  'trend-up': { weight: 10, minutes: [10, 30] },
  'trend-down': { weight: 10, minutes: [10, 30] },
  reversal: { weight: 4, minutes: [20, 40] },
  burst: { weight: 6, minutes: [1.5, 3] },
};

/** How a varied market departs from the default schedule: per-regime odds and duration multipliers, and a volatility multiplier. */
export interface RegimeProfile {
  weights: Record<Regime, number>;
  durationScale: number;
  volScale: number;
}

export class PriceProcess {
  private logF: number;
  private logI = 0;
  private readonly homeLog: number;
  private readonly depthUsd: number;
  setting: RegimeSetting = 'auto';
  active: Regime = 'calm';
  private activeUntil: number;
  /** +1 up, −1 down: the way of the current trend, reversal leg or burst impulse. */
  private dir = 1;
  private flipAt = Infinity;
  private flipped = false;
  /** Shape of a reversal (see RegimeOptions). */
  private legDrift = 1;
  private turnDrift = SECOND_LEG_DRIFT;
  private turnMs = Infinity;
  private turnUntil = Infinity;
  private noise = 1;
  private anchor = 0;
  private impulseUntil = -Infinity;
  private nextImpulseAt = Infinity;
  private impulsing = false;
  private drive: { target: number; endAt: number } | undefined;

  constructor(
    private readonly spec: SymbolSpec,
    private readonly rng: Rng,
    now: number,
    private readonly profile?: RegimeProfile,
  ) {
    this.logF = this.homeLog = Math.log(spec.basePrice);
    this.depthUsd = spec.scale * DEPTH_FACTOR;
    this.activeUntil = now + this.rng.uniform(5, 20) * 60_000;
  }

  get price(): number {
    return Math.exp(this.logF + this.logI);
  }

  get driving(): boolean {
    return this.drive !== undefined;
  }

  /** Volatility multiplier of the current regime (bursts widen spreads and speed up trading). */
  get volMultiplier(): number {
    return VOL_MULTIPLIER[this.active] * (this.profile?.volScale ?? 1);
  }

  /**
   * Which way traders lean, −1…+1: trend followers open with the trend, with the burst impulse,
   * and with a drive.
   */
  get lean(): number {
    if (this.drive) return Math.sign(this.drive.target - this.logF - this.logI) * 0.5;
    switch (this.active) {
      case 'trend-up':
      case 'trend-down':
      case 'reversal':
        return this.dir;
      case 'burst':
        return this.impulsing ? this.dir * 0.6 : 0;
      default:
        return 0;
    }
  }

  setRegime(setting: RegimeSetting, now: number, opts: RegimeOptions = {}): void {
    this.setting = setting;
    if (setting === 'auto') {
      this.activeUntil = now;
      return;
    }
    this.enter(setting, now, opts);
  }

  driveToward(price: number, now: number, overMs: number): void {
    this.drive = { target: Math.log(price), endAt: now + Math.max(1, overMs) };
  }

  private enter(regime: Regime, now: number, opts: RegimeOptions = {}): void {
    this.active = regime;
    const chosenDir = opts.direction ? (opts.direction === 'up' ? 1 : -1) : this.rng.chance(0.5) ? 1 : -1;
    this.flipAt = Infinity;
    this.flipped = false;
    this.legDrift = opts.legDrift ?? 1;
    this.turnDrift = opts.turnDrift ?? SECOND_LEG_DRIFT;
    this.turnMs = opts.turnMs ?? Infinity;
    this.turnUntil = Infinity;
    this.noise = opts.noise ?? 1;
    this.impulseUntil = -Infinity;
    this.nextImpulseAt = Infinity;
    switch (regime) {
      case 'trend-up':
        this.dir = 1;
        break;
      case 'trend-down':
        this.dir = -1;
        break;
      case 'chop':
        this.anchor = this.logF + this.logI;
        break;
      case 'reversal':
        this.dir = chosenDir;
        this.flipAt = now + (opts.legMs ?? 15 * 60_000);
        break;
      case 'burst':
        this.dir = chosenDir;
        this.impulseUntil = now + BURST_IMPULSE_MS;
        this.nextImpulseAt = now + this.rng.exponential(BURST_IMPULSE_EVERY_MS);
        break;
      case 'calm':
        break;
    }
  }

  private scheduleNext(now: number): void {
    const regimes = REGIMES.filter((r) => r !== this.active);
    const weights = this.profile?.weights;
    const next = regimes[this.rng.weighted(regimes.map((r) => weights?.[r] ?? AUTO_SCHEDULE[r].weight))]!;
    const [lo, hi] = AUTO_SCHEDULE[next].minutes;
    const minutes = this.rng.uniform(lo, hi) * (this.profile?.durationScale ?? 1);
    this.enter(next, now, next === 'reversal' ? { legMs: (minutes * 60_000) / 2 } : {});
    this.activeUntil = now + minutes * 60_000;
  }

  /** Advances the price from t0 to t1 (ms), applying the net signed taker flow (USD) of the interval. */
  step(t0: number, t1: number, netFlowUsd: number): void {
    const s = (t1 - t0) / 1000;
    if (s <= 0) return;
    if (this.setting === 'auto' && t0 >= this.activeUntil) this.scheduleNext(t0);
    if (this.active === 'reversal' && !this.flipped && t0 >= this.flipAt) {
      this.dir = -this.dir;
      this.flipped = true;
      this.turnUntil = t0 + this.turnMs;
    }
    if (this.active === 'burst' && t0 >= this.nextImpulseAt) {
      this.dir = this.rng.chance(0.6) ? this.dir : -this.dir;
      this.impulseUntil = t0 + BURST_IMPULSE_MS;
      this.nextImpulseAt = t0 + BURST_IMPULSE_MS + this.rng.exponential(BURST_IMPULSE_EVERY_MS);
    }

    this.impulsing = this.active === 'burst' && t0 < this.impulseUntil;

    const impact = (netFlowUsd / this.depthUsd) * 0.01;
    this.logF += impact * PERMANENT_IMPACT_SHARE;
    this.logI = (this.logI + impact * (1 - PERMANENT_IMPACT_SHARE)) * Math.pow(0.5, s / TRANSIENT_IMPACT_HALF_LIFE_S);

    const sigma = BASE_VOL_PER_SQRT_SEC * this.spec.vol;
    if (this.drive) {
      const total = this.logF + this.logI;
      if (t1 >= this.drive.endAt) {
        this.logF = this.drive.target - this.logI;
        this.drive = undefined;
        if (this.active === 'chop') this.anchor = this.logF + this.logI;
      } else {
        const share = (t1 - t0) / (this.drive.endAt - t0);
        this.logF += (this.drive.target - total) * share + 0.3 * sigma * Math.sqrt(s) * this.rng.normal();
      }
      return;
    }

    let drift = 0;
    switch (this.active) {
      case 'trend-up':
      case 'trend-down':
        drift = this.dir * TREND_DRIFT * this.spec.vol;
        break;
      case 'reversal':
        drift = this.dir * REVERSAL_DRIFT * this.spec.vol * (this.flipped ? (t0 < this.turnUntil ? this.turnDrift : SECOND_LEG_DRIFT) : this.legDrift);
        break;
      case 'chop':
        drift = (this.anchor - this.logF - this.logI) / CHOP_REVERSION_S;
        break;
      case 'burst':
        if (this.impulsing) drift = (this.dir * BURST_IMPULSE * this.spec.vol) / (BURST_IMPULSE_MS / 1000);
        break;
      case 'calm':
        break;
    }
    if (this.setting === 'auto') drift += (this.homeLog - this.logF) / HOME_REVERSION_S;
    const noise = this.active === 'reversal' ? this.noise : 1;
    this.logF += drift * s + sigma * this.volMultiplier * noise * Math.sqrt(s) * this.rng.normal();
  }
}
