import { VENUES, type PositionSide, type Venue } from '../market/types.ts';
import type { CalibrationSummary } from './calibration.ts';
import { binSizeFor, type LevelSource } from './levels.ts';
import type { LiquidationBin, SnapshotValidation, Zone, ZoneSnapshot } from './types.ts';

/**
 * Levels → bins → zones. Below price: long-liquidation zones; above: short-liquidation zones.
 * Snapshots are frozen; ids survive across snapshots while a zone overlaps its predecessor.
 */

export interface SnapshotInput {
  symbol: string;
  t: number;
  price: number;
  /** Hourly ATR in price units. */
  atr: number;
  dataAgeMs: number;
  seq: number;
  sources: readonly LevelSource[];
  /** Leverage of each leverage index the sources report. */
  leverages: readonly number[];
  /** Venues with market data, used when no venue has levels yet. */
  dataVenues?: readonly Venue[];
  previous?: ZoneSnapshot;
  /** Half-width of the mapped range as a fraction of price (default 0.25: reaches 5x levels). */
  range?: number;
  /** Zones kept per side (largest first), default 12; the NEAREST_KEPT nearest are kept as well. */
  maxZonesPerSide?: number;
  /** Leverage-mix calibration per venue, carried on the snapshot for /zones and /calibration. */
  calibration?: readonly CalibrationSummary[];
  /** The validated market view the price comes from. */
  validation?: SnapshotValidation;
}

const DEFAULT_RANGE = 0.25;
/** The nearest clusters per side kept whatever their size (what /zones lists). */
export const NEAREST_KEPT = 3;
/**
 * A zone is at most this share of price wide (and at most 1.5 hourly ATR): wider runs are cut at
 * their densest windows. 1 % is a band a trader can put one order in; at 1.5 ATR a volatile market
 * gave 3–7 % zones, mostly empty (issue 14). Narrower zones gave the top-3 peak bands 7–17 points
 * more of the true liquidation notional on the calibration bench's markets.
 */
export const MAX_ZONE_WIDTH = 0.01;
/** Share of a zone's notional its core holds. */
export const CORE_SHARE = 0.5;
/** 3-tap smoothing kernel (pcdogyu's, reference §2.3). */
const SMOOTH = [0.274, 0.452, 0.274] as const;

interface Grid {
  start: number;
  n: number;
  binSize: number;
  long: Float64Array;
  short: Float64Array;
  longLev: Float64Array;
  shortLev: Float64Array;
  longVenue: Float64Array;
  shortVenue: Float64Array;
  nLev: number;
}

const NV = VENUES.length;

export function buildZoneSnapshot(input: SnapshotInput): ZoneSnapshot {
  const { price, symbol } = input;
  const atr = input.atr > 0 ? input.atr : price * 0.005;
  const binSize = binSizeFor(price, atr);
  const range = input.range ?? DEFAULT_RANGE;
  const lo = price * (1 - range);
  const hi = price * (1 + range);
  const start = Math.floor(lo / binSize);
  const n = Math.max(1, Math.floor(hi / binSize) - start + 1);
  const nLev = input.leverages.length;
  const g: Grid = {
    start,
    n,
    binSize,
    nLev,
    long: new Float64Array(n),
    short: new Float64Array(n),
    longLev: new Float64Array(n * nLev),
    shortLev: new Float64Array(n * nLev),
    longVenue: new Float64Array(n * NV),
    shortVenue: new Float64Array(n * NV),
  };
  const contributing = new Set<Venue>();
  for (const src of input.sources) {
    const v = VENUES.indexOf(src.venue);
    src.forEachLevel(lo, hi, (side, j, p, usd) => {
      const i = Math.floor(p / binSize) - start;
      if (i < 0 || i >= n || !(usd > 0)) return;
      const center = (start + i + 0.5) * binSize;
      // A long level at or above price (or short below) is about to be consumed: not a zone.
      if (side === 'long') {
        if (center >= price) return;
        g.long[i]! += usd;
        g.longLev[i * nLev + j]! += usd;
        g.longVenue[i * NV + v]! += usd;
      } else {
        if (center <= price) return;
        g.short[i]! += usd;
        g.shortLev[i * nLev + j]! += usd;
        g.shortVenue[i * NV + v]! += usd;
      }
      contributing.add(src.venue);
    });
  }

  const longZones = clusterSide(g, 'long', input, atr);
  const shortZones = clusterSide(g, 'short', input, atr);
  const zones = assignIds([...longZones, ...shortZones], input.previous, symbol).sort(
    (a, b) => Math.abs(a.distancePct) - Math.abs(b.distancePct) || b.notionalUsd - a.notionalUsd,
  );

  const bins: LiquidationBin[] = [];
  let first = -1;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (g.long[i]! > 0 || g.short[i]! > 0) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first >= 0) for (let i = first; i <= last; i++) bins.push(Object.freeze({ price: (start + i + 0.5) * binSize, longUsd: g.long[i]!, shortUsd: g.short[i]! }));

  const venues = contributing.size > 0 ? VENUES.filter((v) => contributing.has(v)) : VENUES.filter((v) => input.dataVenues?.includes(v));
  return Object.freeze({
    symbol,
    t: input.t,
    price,
    atr,
    binSize,
    bins: Object.freeze(bins) as LiquidationBin[],
    zones: Object.freeze(zones.map((z) => Object.freeze(z))) as Zone[],
    venues: Object.freeze(venues) as Venue[],
    dataAgeMs: input.dataAgeMs,
    seq: input.seq,
    ...(input.validation
      ? {
          validation: Object.freeze({
            ...input.validation,
            venues: Object.freeze([...input.validation.venues]) as Venue[],
            quarantined: Object.freeze(input.validation.quarantined.map((q) => Object.freeze({ ...q }))) as SnapshotValidation['quarantined'],
          }),
        }
      : {}),
    ...(input.calibration ? { calibration: Object.freeze(input.calibration.map((c) => Object.freeze({ ...c, mix: Object.freeze(c.mix.map((m) => Object.freeze({ ...m }))) }))) as CalibrationSummary[] } : {}),
  });
}

type DraftZone = Omit<Zone, 'id'> & { idHint: string };

/**
 * Clusters one side: on the smoothed profile, bins above a dust threshold form runs of adjacent
 * bins; a run splits at a valley that is less than half of the peaks on both of its sides (the
 * valley bin goes left), and a piece wider than MAX_ZONE_WIDTH of price (or 1.5 ATR, if less) is
 * cut at its densest windows.
 */
function clusterSide(g: Grid, side: PositionSide, input: SnapshotInput, atr: number): DraftZone[] {
  const v = side === 'long' ? g.long : g.short;
  let total = 0;
  for (let i = 0; i < g.n; i++) total += v[i]!;
  if (total <= 0) return [];
  // Shapes are judged on a 3-tap smoothed profile (reference §6.5) so single noisy bins neither
  // start zones nor cut them; notionals stay the raw sums.
  const sv = new Float64Array(g.n);
  let nonEmpty = 0;
  let sum = 0;
  let max = 0;
  for (let i = 0; i < g.n; i++) {
    const x = SMOOTH[0] * (v[i - 1] ?? 0) + SMOOTH[1] * v[i]! + SMOOTH[2] * (v[i + 1] ?? 0);
    sv[i] = x;
    if (x > 0) {
      nonEmpty++;
      sum += x;
      if (x > max) max = x;
    }
  }
  // Low enough to keep small isolated clusters, high enough to drop decayed dust between them.
  const threshold = Math.min((0.5 * sum) / nonEmpty, 0.05 * max);
  // Wider runs are a smear of several entries, not one target.
  const maxBins = Math.max(1, Math.floor(Math.min(1.5 * atr, MAX_ZONE_WIDTH * input.price) / g.binSize));
  const segments: [number, number][] = [];
  let i = 0;
  while (i < g.n) {
    if (sv[i]! < threshold) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < g.n && sv[j + 1]! >= threshold) j++;
    const valleys: [number, number][] = [];
    splitAtValleys(sv, i, j, valleys);
    for (const [s, e] of valleys) splitRun(v, s, e, maxBins, segments);
    i = j + 1;
  }
  // Smoothing leaks into empty neighbours: a zone's band starts and ends at bins holding levels.
  for (const seg of segments) {
    while (seg[0] < seg[1] && v[seg[0]] === 0) seg[0]++;
    while (seg[1] > seg[0] && v[seg[1]] === 0) seg[1]--;
  }
  const nonEmptySegments = segments.filter(([s, e]) => {
    for (let k = s; k <= e; k++) if (v[k]! > 0) return true;
    return false;
  });
  const drafts: DraftZone[] = nonEmptySegments.map(([s, e]) => draftZone(g, side, s, e, total, input, atr));
  const maxZones = input.maxZonesPerSide ?? 12;
  // Ranked by size among every cluster found; kept: the largest, and always the nearest few, so "the
  // nearest clusters" a reply lists are the nearest there are, not the nearest of the largest.
  const bySize = drafts.sort((a, b) => b.notionalUsd - a.notionalUsd);
  bySize.forEach((z, k) => (z.rank = k + 1));
  const nearest = new Set([...bySize].sort((a, b) => Math.abs(a.distancePct) - Math.abs(b.distancePct)).slice(0, NEAREST_KEPT));
  return bySize.filter((z, k) => k < maxZones || nearest.has(z));
}

function splitAtValleys(v: Float64Array, s: number, e: number, out: [number, number][]): void {
  let segStart = s;
  let peak = v[s]!;
  let valleyIdx = -1;
  let valley = Number.POSITIVE_INFINITY;
  for (let i = s + 1; i <= e; i++) {
    const x = v[i]!;
    if (valleyIdx < 0) {
      if (x >= peak) peak = x;
      else {
        valleyIdx = i;
        valley = x;
      }
      continue;
    }
    if (x < valley) {
      valley = x;
      valleyIdx = i;
    } else if (x >= 2 * valley && peak >= 2 * valley) {
      out.push([segStart, valleyIdx]);
      segStart = valleyIdx + 1;
      // every bin since the valley is below 2 × valley ≤ x, so x is the new segment's peak so far
      peak = x;
      valleyIdx = -1;
      valley = Number.POSITIVE_INFINITY;
    } else if (x > peak) {
      peak = x;
      valleyIdx = -1;
      valley = Number.POSITIVE_INFINITY;
    }
  }
  out.push([segStart, e]);
}

/**
 * Cuts a run into zones of at most `maxBins` bins (splitDensest), then folds each sliver the cutting
 * left — a piece under a third of the width, between or beside full windows — into its shorter
 * neighbour: kept whole if the two fit in `maxBins`, else re-cut at their weakest bin so both halves
 * are at least the sliver floor wide. A listed zone is then a cluster, not the crumb of one.
 */
function splitRun(v: ArrayLike<number>, s: number, e: number, maxBins: number, out: [number, number][]): void {
  // the smoothed run reaches into empty neighbours: measure pieces on the bins that hold levels
  while (s < e && v[s] === 0) s++;
  while (e > s && v[e] === 0) e--;
  const pieces: [number, number][] = [];
  splitDensest(v, s, e, maxBins, pieces);
  if (pieces.length === 1) {
    out.push(pieces[0]!);
    return;
  }
  pieces.sort((a, b) => a[0] - b[0]);
  const minPiece = Math.ceil(maxBins / 3);
  const len = (p: [number, number]) => p[1] - p[0] + 1;
  for (let i = 0; i < pieces.length && pieces.length > 1; i++) {
    if (len(pieces[i]!) >= minPiece) continue;
    const left = pieces[i - 1];
    const right = pieces[i + 1];
    const nb = !left ? i + 1 : !right ? i - 1 : len(left) <= len(right) ? i - 1 : i + 1;
    const from = Math.min(i, nb);
    const lo = pieces[from]![0];
    const hi = pieces[from + 1]![1];
    pieces.splice(from, 2, ...recut(v, lo, hi, pieces[from]![1], maxBins, minPiece));
    i = from - 1; // the merged piece may itself still be a sliver
  }
  for (const p of pieces) out.push(p);
}

/**
 * [lo, hi] as one piece if it fits in maxBins, else two, cut after the weakest bin pair that leaves
 * both within [minPiece, maxBins] (ties: nearest the old cut after `was`, so a dense window keeps most of itself).
 */
function recut(v: ArrayLike<number>, lo: number, hi: number, was: number, maxBins: number, minPiece: number): [number, number][] {
  if (hi - lo + 1 <= maxBins) return [[lo, hi]];
  let cut = -1;
  let weakest = Number.POSITIVE_INFINITY;
  // cut after bin c: [lo, c] and [c + 1, hi]
  for (let c = Math.max(lo + minPiece - 1, hi - maxBins); c <= Math.min(lo + maxBins - 1, hi - minPiece); c++) {
    const x = v[c]! + v[c + 1]!;
    if (x < weakest || (x === weakest && Math.abs(c - was) < Math.abs(cut - was))) {
      weakest = x;
      cut = c;
    }
  }
  if (cut < 0) cut = lo + maxBins - 1; // not reached: a sliver and a full window always leave room
  return [
    [lo, cut],
    [cut + 1, hi],
  ];
}

/**
 * Cuts a run wider than `maxBins` into zones of at most `maxBins` bins: the densest window first
 * (most raw notional; ties: the one nearest the start), then what is left on each side of it,
 * recursively. A wide smear becomes zones centred on where its notional sits, not halves cut at a
 * weak bin. O(len) per zone cut.
 */
function splitDensest(v: ArrayLike<number>, s: number, e: number, maxBins: number, out: [number, number][]): void {
  if (e < s) return;
  if (e - s + 1 <= maxBins) {
    out.push([s, e]);
    return;
  }
  let sum = 0;
  for (let i = s; i < s + maxBins; i++) sum += v[i]!;
  let best = sum;
  let a = s;
  for (let i = s + maxBins; i <= e; i++) {
    sum += v[i]! - v[i - maxBins]!;
    if (sum > best) {
      best = sum;
      a = i - maxBins + 1;
    }
  }
  out.push([a, a + maxBins - 1]);
  splitDensest(v, s, a - 1, maxBins, out);
  splitDensest(v, a + maxBins, e, maxBins, out);
}

function draftZone(g: Grid, side: PositionSide, s: number, e: number, sideTotal: number, input: SnapshotInput, atr: number): DraftZone {
  const v = side === 'long' ? g.long : g.short;
  const levArr = side === 'long' ? g.longLev : g.shortLev;
  const venArr = side === 'long' ? g.longVenue : g.shortVenue;
  let notional = 0;
  let peakI = s;
  const lev = new Float64Array(g.nLev);
  const ven = new Float64Array(NV);
  for (let i = s; i <= e; i++) {
    notional += v[i]!;
    if (v[i]! > v[peakI]!) peakI = i;
    for (let j = 0; j < g.nLev; j++) lev[j]! += levArr[i * g.nLev + j]!;
    for (let k = 0; k < NV; k++) ven[k]! += venArr[i * NV + k]!;
  }
  const low = (g.start + s) * g.binSize;
  const high = (g.start + e + 1) * g.binSize;
  const peak = (g.start + peakI + 0.5) * g.binSize;
  const [cs, ce] = coreBins(v, s, e, peakI, CORE_SHARE);
  const core = cs > s || ce < e ? { low: (g.start + cs) * g.binSize, high: (g.start + ce + 1) * g.binSize } : undefined;
  const price = input.price;
  const near = side === 'long' ? Math.min(high, price) : Math.max(low, price);
  const leverage: Record<string, number> = {};
  input.leverages.forEach((l, j) => {
    if (lev[j]! > 0) leverage[String(l)] = lev[j]!;
  });
  const venues: Partial<Record<Venue, number>> = {};
  VENUES.forEach((name, k) => {
    if (ven[k]! > 0) venues[name] = ven[k]!;
  });
  return {
    idHint: `${input.symbol}:${side === 'long' ? 'L' : 'S'}:${priceKey(peak)}`,
    side,
    low,
    high,
    peak,
    ...(core ? { core } : {}),
    notionalUsd: notional,
    share: notional / sideTotal,
    distancePct: ((near - price) / price) * 100,
    distanceAtr: Math.abs(near - price) / atr,
    rank: 0,
    leverage,
    venues,
  };
}

/**
 * The narrowest run of bins [a, b] within [s, e] that contains the peak bin and holds at least
 * `share` of the run's total (ties: the heavier run, then the one nearer the start). Two pointers:
 * for each start a ≤ peak the shortest sufficient end is non-decreasing in a. O(e − s).
 */
export function coreBins(v: ArrayLike<number>, s: number, e: number, peak: number, share: number): [number, number] {
  let total = 0;
  for (let i = s; i <= e; i++) total += v[i]!;
  if (!(total > 0)) return [s, e];
  const need = total * share * (1 - 1e-12);
  let best: [number, number] = [s, e];
  let bestSum = total;
  let b = peak;
  let sum = 0;
  for (let i = s; i <= peak; i++) sum += v[i]!;
  // sum = Σ v[a..b]
  for (let a = s; a <= peak; a++) {
    while (sum < need && b < e) sum += v[++b]!;
    if (sum < need) break;
    const width = b - a;
    const bestWidth = best[1] - best[0];
    if (width < bestWidth || (width === bestWidth && sum > bestSum)) {
      best = [a, b];
      bestSum = sum;
    }
    // b ≥ peak ≥ a throughout, so every window considered contains the peak
    sum -= v[a]!;
  }
  return best;
}

/** Compact price text for ids: 5 significant digits, no exponent. */
function priceKey(p: number): string {
  const s = Number(p.toPrecision(5));
  return s >= 1 ? String(s) : s.toFixed(Math.min(20, 4 - Math.floor(Math.log10(s))));
}

/** Reuses the id of the previous snapshot's zone it overlaps most (same side), greedily. */
function assignIds(drafts: DraftZone[], previous: ZoneSnapshot | undefined, symbol: string): Zone[] {
  const ids = new Map<DraftZone, string>();
  const taken = new Set<string>();
  if (previous && previous.symbol === symbol) {
    const pairs: { d: DraftZone; id: string; overlap: number }[] = [];
    for (const d of drafts) {
      for (const z of previous.zones) {
        if (z.side !== d.side) continue;
        const overlap = Math.min(d.high, z.high) - Math.max(d.low, z.low);
        if (overlap > 0) pairs.push({ d, id: z.id, overlap });
      }
    }
    pairs.sort((a, b) => b.overlap - a.overlap);
    for (const p of pairs) {
      if (ids.has(p.d) || taken.has(p.id)) continue;
      ids.set(p.d, p.id);
      taken.add(p.id);
    }
  }
  return drafts.map((d) => {
    let id = ids.get(d);
    if (!id) {
      id = d.idHint;
      for (let k = 2; taken.has(id); k++) id = `${d.idHint}-${k}`;
      taken.add(id);
    }
    const { idHint: _hint, ...rest } = d;
    return { id, ...rest };
  });
}

/**
 * The strongest "magnet": the zone scoring highest on notional / (distance in ATR + 0.25) among
 * zones 0.25–2.5 ATR away (reference §6.5); falls back to all zones when none is in that window.
 */
export function strongestMagnet(snapshot: ZoneSnapshot): Zone | undefined {
  const score = (z: Zone) => z.notionalUsd / (z.distanceAtr + 0.25);
  const inWindow = snapshot.zones.filter((z) => z.distanceAtr >= 0.25 && z.distanceAtr <= 2.5);
  const pool = inWindow.length > 0 ? inWindow : snapshot.zones;
  let best: Zone | undefined;
  for (const z of pool) if (!best || score(z) > score(best)) best = z;
  return best;
}

/** Zones of one side, nearest first. */
export function zonesOnSide(snapshot: ZoneSnapshot, side: PositionSide): Zone[] {
  return snapshot.zones.filter((z) => z.side === side);
}

/** Total estimated notional of one side (all bins, not only zones). */
export function sideTotalUsd(snapshot: ZoneSnapshot, side: PositionSide): number {
  let s = 0;
  for (const b of snapshot.bins) s += side === 'long' ? b.longUsd : b.shortUsd;
  return s;
}
