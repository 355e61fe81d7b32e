import type { BracketTable } from './brackets.ts';
import { liquidationPrice } from './liquidation.ts';
import type { ExitPlan, ExitRequest, ExitTarget, Zone, ZoneSnapshot } from './types.ts';
import { formatPrice, formatUsd } from '../format/numbers.ts';

/**
 * The exit planner: the position's own liquidation price (the venue's bracket math), take-profit
 * targets just before the near edge of the next sizeable clusters in the profit direction, a stop on
 * the far side of the nearest stop-hunt cluster and outside every estimated cluster, never beyond the
 * liquidation price, and warnings when the liquidation price sits in or near a cluster (cascade risk).
 *
 * Guarantees (test/engine/exit.property.test.ts checks them over random zone maps):
 *  - the stop, when there is one, lies strictly outside the full band [low, high] of every zone (both
 *    sides; touching zones are one forbidden run, so the planner never steps from one into the next),
 *    strictly between the liquidation price and min(entry, price) for a long (max for a short), and
 *    beyond the nearest stop-hunt cluster (the nearest same-side cluster above the size floor — alone or
 *    with the clusters it touches — that starts before the liquidation price). When no such price exists, `stop` is null and `noStop` says why;
 *  - every target lies strictly between the price and the near edge of the cluster it names, outside
 *    every zone's band, beyond the entry, in the order price would reach them.
 */

export const DEFAULT_EXIT_SIZE_USD = 10_000;
/** A cluster counts as a target (or a stop-hunt magnet) from this share of its side's estimated total. */
export const DEFAULT_MIN_CLUSTER_SHARE = 0.03;
const MAX_TARGETS = 3;

export interface PlannerOptions {
  /** Share of its side's total (0…1) from which a cluster is a target or a stop-hunt cluster. */
  minClusterShare?: number;
}

const venueName = (v: ExitRequest['venue']) => ({ binance: 'Binance', bybit: 'Bybit', okx: 'OKX', hyperliquid: 'Hyperliquid' } as const)[v];

/**
 * Price move since entry in %, and the same on margin (× leverage), in the position's favour. An
 * isolated position cannot lose more than its margin: the loss on margin stops at −100 %.
 */
export function unrealizedPnl(p: Pick<ExitRequest, 'side' | 'entry' | 'leverage'>, price: number): { movePct: number; onMarginPct: number } {
  const movePct = ((price - p.entry) / p.entry) * 100 * (p.side === 'long' ? 1 : -1);
  return { movePct, onMarginPct: Math.max(-100, movePct * p.leverage) };
}

/** Bands a stop or target must stay out of: every zone widened by `buffer`, touching/overlapping ones merged. */
export function forbiddenRuns(zones: readonly Pick<Zone, 'low' | 'high'>[], buffer: number): [number, number][] {
  const sorted = zones.map((z) => [z.low - buffer, z.high + buffer] as [number, number]).sort((a, b) => a[0] - b[0]);
  const runs: [number, number][] = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else runs.push([r[0], r[1]]);
  }
  return runs;
}

/** The nearest price at or beyond `x` (downwards for `down`, else upwards) outside every run's interior. */
function clearOf(runs: readonly [number, number][], x: number, down: boolean): number {
  for (const [lo, hi] of runs) if (x > lo && x < hi) return down ? lo : hi;
  return x;
}

/** A snapshot with every price multiplied by `unit` (a plan quoted per 1,000 coins for 1000PEPE). */
export function scaleSnapshot(snap: ZoneSnapshot, unit: number): ZoneSnapshot {
  if (unit === 1) return snap;
  const k = unit;
  const scaleZone = (z: Zone): Zone => ({
    ...z,
    low: z.low * k,
    high: z.high * k,
    peak: z.peak * k,
    ...(z.core ? { core: { low: z.core.low * k, high: z.core.high * k } } : {}),
  });
  return {
    ...snap,
    price: snap.price * k,
    atr: snap.atr * k,
    binSize: snap.binSize * k,
    bins: snap.bins.map((b) => ({ ...b, price: b.price * k })),
    zones: snap.zones.map(scaleZone),
    // the observed zones' own snapshot is engine bookkeeping (id continuity): not carried into a plan
    ...(snap.observed ? { observed: { ...snap.observed, zones: snap.observed.zones.map(scaleZone) } } : {}),
  };
}

export function planExit(snapshotPerCoin: ZoneSnapshot, req: ExitRequest, table: BracketTable, opts: PlannerOptions = {}): ExitPlan | { error: string } {
  const unit = req.priceUnit !== undefined && req.priceUnit > 0 && Number.isFinite(req.priceUnit) ? req.priceUnit : 1;
  // Liquidation math is linear in the entry for a fixed USD size: planning in the user's unit is exact.
  const snapshot = scaleSnapshot(snapshotPerCoin, unit);
  if (!(req.entry > 0) || !Number.isFinite(req.entry)) return { error: 'Entry price must be a number above 0.' };
  if (!(req.sizeUsd > 0) || !Number.isFinite(req.sizeUsd)) return { error: 'Size must be a number of USD above 0.' };
  const liq = liquidationPrice(req.venue, table.brackets, { side: req.side, entry: req.entry, leverage: req.leverage, notionalUsd: req.sizeUsd });
  if (!liq.ok) {
    const where = `${venueName(req.venue)} ${req.symbol}`;
    return { error: liq.maxLeverage !== undefined ? `${liq.error.replace(/\.$/, '')} on ${where}: use at most ${liq.maxLeverage}x, or a smaller size.` : liq.error };
  }
  const floor = opts.minClusterShare ?? DEFAULT_MIN_CLUSTER_SHARE;
  const long = req.side === 'long';
  const dir = long ? 1 : -1; // profit direction
  const price = snapshot.price;
  const liqPrice = liq.price;
  const buffer = Math.max(snapshot.binSize * 0.25, price * 0.0001);
  const runs = forbiddenRuns(snapshot.zones, buffer);
  const warnings: string[] = [];
  // Per-coin prices use the symbol's tick; prices per 1,000 coins use significant digits.
  const fmt = (p: number) => formatPrice(p, unit === 1 ? snapshot.symbol : undefined);
  const band = (z: Zone) => `${fmt(z.low)}–${fmt(z.high)}`;
  // A cluster named as a stop-hunt risk is the whole run of same-side zones touching it: a sweep into one
  // runs through its neighbours, and the stop is placed past all of them.
  const runMembers = (z: Zone): Zone[] => {
    const run = runs.find(([lo, hi]) => z.low - buffer >= lo && z.high + buffer <= hi);
    return run ? snapshot.zones.filter((o) => o.side === z.side && o.low - buffer >= run[0] && o.high + buffer <= run[1]) : [z];
  };
  // Sizeable: the cluster, or the band of touching same-side clusters it belongs to, holds at least the
  // floor's share of its side (zones are cut to 1 % of price, so one smear can be several small zones).
  const sizeable = (z: Zone) => z.share >= floor || runMembers(z).reduce((a, o) => a + o.share, 0) >= floor;
  /** The band of touching same-side zones `z` belongs to; undefined when it stands alone. */
  const runBand = (z: Zone): NonNullable<ExitTarget['run']> | undefined => {
    const members = runMembers(z);
    if (members.length <= 1) return undefined;
    return { zones: members.length, usd: members.reduce((a, o) => a + o.notionalUsd, 0), low: Math.min(...members.map((o) => o.low)), high: Math.max(...members.map((o) => o.high)) };
  };
  const clusterText = (z: Zone) => {
    const r = runBand(z);
    if (!r) return { text: `the ${z.side}-liquidation cluster ${band(z)} (~${formatUsd(z.notionalUsd)})`, plural: false, low: z.low, high: z.high };
    return { text: `the ${z.side}-liquidation clusters ${fmt(r.low)}–${fmt(r.high)} (~${formatUsd(r.usd)} in ${r.zones} touching zones)`, plural: true, low: r.low, high: r.high };
  };

  // Targets: sizeable clusters of the other side in the profit direction, beyond both price and entry,
  // each just before its near edge and moved out of any smaller cluster in front of it.
  const beyond = long ? Math.max(price, req.entry) : Math.min(price, req.entry);
  const targetSide = long ? 'short' : 'long';
  const candidates = snapshot.zones
    .filter((z) => z.side === targetSide && sizeable(z))
    .map((z) => ({ z, edge: long ? z.low : z.high }))
    .filter((c) => (c.edge - beyond) * dir > 0)
    .sort((a, b) => (a.edge - b.edge) * dir);
  const targets: ExitTarget[] = [];
  for (const { z, edge } of candidates) {
    if (targets.length >= MAX_TARGETS) break;
    const t = clearOf(runs, edge - dir * buffer, long);
    const last = targets[targets.length - 1];
    if ((t - beyond) * dir <= 0 || (t - edge) * dir >= 0) continue; // no room before this cluster
    if (last && (t - last.price) * dir <= 0) continue; // same gap as the previous target
    // a target names its cluster; when that cluster touches others of its side, the band they make together too
    const run = runBand(z);
    targets.push({ price: t, zoneId: z.id, zoneUsd: z.notionalUsd, zoneShare: z.share, ...(run ? { run } : {}), distancePct: ((t - price) / price) * 100 });
  }
  // Sizeable clusters nearer than TP1 (or with no target at all) that got none: price or the entry already
  // sits inside or right at their band, so no take-profit fits before them. Said, never silently skipped.
  const firstTarget = targets[0]?.price;
  const crowded = snapshot.zones.filter(
    (z) =>
      z.side === targetSide &&
      sizeable(z) &&
      (long ? z.high > beyond : z.low < beyond) &&
      !targets.some((t) => t.zoneId === z.id) &&
      (firstTarget === undefined || (long ? z.low < firstTarget : z.high > firstTarget)),
  );
  const smallSkipped = snapshot.zones.some((z) => z.side === targetSide && !sizeable(z) && ((long ? z.low : z.high) - beyond) * dir > 0);

  // Stop: on the losing side, between the reference price and the liquidation price.
  const ownZones = snapshot.zones.filter((z) => z.side === req.side);
  let stop: ExitPlan['stop'] = null;
  let noStop: string | undefined;
  let noStopBand: { low: number; high: number } | undefined;
  const ref = long ? Math.min(req.entry, price) : Math.max(req.entry, price);
  const liqGap = (ref - liqPrice) * dir;
  const liquidatedNow = (price - liqPrice) * dir <= 0;
  if (liquidatedNow) {
    // nothing to plan for a position the price has already liquidated: no stop, and no targets
    targets.length = 0;
    noStop = `at the current price ${fmt(price)} this position would already be liquidated (liquidation ${fmt(liqPrice)})`;
    warnings.push(`At the current price ${fmt(price)} this position would already be liquidated (liquidation ${fmt(liqPrice)}).`);
  } else if (liqGap > 0) {
    // The stop must trigger before the liquidation engine does (mark vs last, slippage): keep 10 % of the gap.
    const limit = liqPrice + dir * 0.1 * liqGap;
    const dist = Math.min(Math.max(snapshot.atr, 2 * buffer), 0.8 * liqGap);
    const preferred = ref - dir * dist;
    // The nearest stop-hunt cluster: a sizeable same-side cluster reaching into (liquidation, reference).
    // A sweep into it takes every stop in front of it, so the stop goes past it — or there is none.
    const hunt = ownZones
      .filter((z) => sizeable(z) && z.low < Math.max(ref, liqPrice) && z.high > Math.min(ref, liqPrice))
      .sort((a, b) => ((b.high + b.low) / 2 - (a.high + a.low) / 2) * dir)[0];
    const past = hunt ? (long ? hunt.low : hunt.high) - dir * buffer : undefined;
    const start = past !== undefined && (past - preferred) * dir < 0 ? past : preferred;
    // Where `start` falls inside a cluster band: its far edge first (further from price); if that is past
    // the limit, its near edge (towards price) when that is still past the stop-hunt cluster and behind
    // the reference — a free gap there is a valid stop, and "no stop" would be wrong advice.
    const movedFrom = runs.find(([lo, hi]) => start > lo && start < hi);
    const within = (c: number) => (c - limit) * dir > 0 && (c - ref) * dir < 0;
    let candidate = clearOf(runs, start, long);
    let towardsPrice = false;
    if (!within(candidate) && movedFrom) {
      const near = clearOf(runs, start, !long);
      if (within(near) && (past === undefined || (past - near) * dir >= 0)) {
        candidate = near;
        towardsPrice = true;
      }
    }
    if (within(candidate)) {
      let reason: string;
      if (towardsPrice && movedFrom) {
        const c = hunt && clusterText(hunt);
        reason = `${long ? 'above' : 'below'} the clusters at ${fmt(movedFrom[0] + buffer)}–${fmt(movedFrom[1] - buffer)}, in the gap before them, outside every cluster${c ? ` and ${long ? 'below' : 'above'} ${c.text} (a stop-hunt sweep into ${c.plural ? 'them' : 'it'} would not reach you)` : ''}`;
      } else if (hunt && past === start) {
        const c = clusterText(hunt);
        reason = `${long ? 'below' : 'above'} ${c.text}, outside every cluster (a stop-hunt sweep into ${c.plural ? 'them' : 'it'} would not reach you)`;
      } else if (movedFrom) reason = `${dist < snapshot.atr ? 'about 80 % of the way to the liquidation price' : 'about 1 ATR(1h) beyond the entry side of price'}, moved ${long ? 'below' : 'above'} the clusters at ${fmt(movedFrom[0] + buffer)}–${fmt(movedFrom[1] - buffer)}, not inside them`;
      else reason = dist < snapshot.atr ? '80 % of the way to the liquidation price, outside every cluster' : '1 ATR(1h) beyond the entry side of price, outside every cluster';
      stop = { price: candidate, reason, ...(hunt ? { zoneId: hunt.id } : {}) };
    } else {
      const c = hunt && clusterText(hunt);
      const them = c && c.plural ? 'them' : 'it';
      if (c) noStopBand = { low: c.low, high: c.high };
      noStop = !c
        ? `no price between ${fmt(ref)} and your liquidation price ${fmt(liqPrice)} lies outside the estimated clusters with room before liquidation`
        : liqPrice >= c.low && liqPrice <= c.high
          ? // the band reaches the liquidation price itself: "between" would misplace it
            `${c.text} ${c.plural ? 'reach' : 'reaches'} your liquidation price ${fmt(liqPrice)}, with no room outside ${them} before liquidation; a stop in front of ${them} would be taken by a sweep into ${them}`
          : `${c.text} ${c.plural ? 'lie' : 'lies'} between price and your liquidation price ${fmt(liqPrice)}, with no room outside the clusters past ${them} before liquidation; a stop in front of ${them} would be taken by a sweep into ${them}`;
      // the reason is the plan's `noStop` (the Stop line says it); the warning only adds what to do
      warnings.push('No stop is possible outside the estimated clusters before liquidation (see Stop). Consider lower leverage or a smaller position.');
    }
  }

  // Cascade risk: own liquidation price in or near a cluster of the same side.
  // The cluster that holds the liquidation price, else the nearest one within reach (never a neighbour
  // when a cluster holds it).
  const near = Math.max(0.25 * snapshot.atr, snapshot.binSize);
  const gapTo = (z: Zone) => (liqPrice < z.low ? z.low - liqPrice : liqPrice > z.high ? liqPrice - z.high : 0);
  const cascade = ownZones.filter((z) => gapTo(z) <= near).sort((a, b) => gapTo(a) - gapTo(b))[0];
  if (cascade) {
    warnings.push(
      `Your liquidation price ${fmt(liqPrice)} sits ${gapTo(cascade) === 0 ? 'inside' : 'next to'} the estimated ${cascade.side}-liquidation cluster ${band(cascade)} (~${formatUsd(cascade.notionalUsd)}): a cascade through that band would likely reach it.`,
    );
  }
  if (Math.abs(req.entry - liqPrice) < snapshot.atr) {
    warnings.push(`The liquidation price is less than 1 ATR(1h) (${fmt(snapshot.atr)}) from entry: ordinary hourly noise can reach it.`);
  }
  if (table.source === 'exchange' && req.venue === 'okx') {
    warnings.push(`OKX tiers are set in contracts: the USD bounds used here are converted at the price when they loaded (${table.asOf ?? 'at start'}).`);
  }
  if (table.source === 'dated-default') {
    warnings.push(`${venueName(req.venue)} brackets for ${req.symbol} are a dated table (as of ${table.asOf}); the live ones may differ.`);
  } else if (table.source === 'generic') {
    warnings.push(`No ${venueName(req.venue)} tiers loaded for ${req.symbol}: used a generic bracket table (an assumption); the exchange's own may differ.`);
  }
  const crowdedBand =
    crowded.length > 0 && !liquidatedNow
      ? { low: Math.min(...crowded.map((z) => z.low)), high: Math.max(...crowded.map((z) => z.high)), usd: crowded.reduce((a, z) => a + z.notionalUsd, 0), zones: crowded.length }
      : undefined;
  if (crowdedBand) {
    const { low: lo, high: hi, usd } = crowdedBand;
    const who = (req.entry - price) * dir > 0 ? 'your entry' : 'the price';
    warnings.push(
      `No take-profit fits before the ${targetSide}-liquidation cluster${crowded.length > 1 ? 's' : ''} ${fmt(lo)}–${fmt(hi)} (~${formatUsd(usd)}${crowded.length > 1 ? ` in ${crowded.length} zones` : ''}): ${who} already sits inside or right at ${crowded.length > 1 ? 'them' : 'it'}${targets.length ? '; TP1 is the next cluster with room before it' : ''}.`,
    );
  }
  if (targets.length === 0 && !crowdedBand && !liquidatedNow) {
    warnings.push(
      `No estimated ${targetSide}-liquidation cluster (or band of touching clusters) of at least ${(floor * 100).toFixed(0)} % of that side's total lies beyond ${fmt(beyond)} in the profit direction${smallSkipped ? ' (smaller ones are not worth aiming at)' : ''}.`,
    );
  }

  // Reward/risk the way a trader re-plans an open position: from the current price; and from entry.
  for (const t of targets) {
    if (!stop) continue;
    const riskNow = (price - stop.price) * dir;
    const riskEntry = (req.entry - stop.price) * dir;
    if (riskNow > 0) t.rewardRisk = ((t.price - price) * dir) / riskNow;
    if (riskEntry > 0) t.rewardRiskFromEntry = ((t.price - req.entry) * dir) / riskEntry;
  }

  return {
    request: { ...req },
    price,
    liquidationPrice: liqPrice,
    bracket: { maintMarginRatio: liq.bracket.maintMarginRatio, maxLeverage: liq.bracket.maxLeverage, notionalCap: liq.bracket.notionalCap },
    targets,
    stop,
    ...(noStop ? { noStop } : {}),
    ...(liquidatedNow ? { alreadyLiquidated: true as const } : {}),
    ...(crowdedBand ? { crowded: crowdedBand } : {}),
    ...(noStopBand ? { noStopBand } : {}),
    ...(cascade ? { liquidationCluster: { zoneId: cascade.id, inside: gapTo(cascade) === 0 } } : {}),
    pnl: unrealizedPnl(req, price),
    minClusterShare: floor,
    warnings,
    snapshotT: snapshot.t,
  };
}

/** Is a zone's band around a price? (for callers reasoning about a single zone). */
export function zoneContains(z: Zone, p: number): boolean {
  return p >= z.low && p <= z.high;
}

