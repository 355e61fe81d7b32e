import type Keyv from 'keyv';
import { z } from 'zod';
import type { WeightState, WeightStats, WeightStore } from '../engine/ports.ts';

/**
 * Persistence for the signal engine's learned card weights. The engine keeps, per card, symbol
 * and timeframe, how often the card's sign matched the forward return; weights are derived from
 * these counts, so the counts are what survives a restart.
 */

export type { WeightState, WeightStats, WeightStore } from '../engine/ports.ts';

const statsSchema = z.object({
  hits: z.number().finite().nonnegative(),
  n: z.number().finite().nonnegative(),
  total: z.number().finite().nonnegative(),
  weight: z.number().finite().optional(),
});

const count = z.number().finite().nonnegative();
const dayTallySchema = z.object({
  day: z.number().int(),
  n: count,
  hits: count,
  up: count,
  down: count,
  momentum: count,
  byConfidence: z.object({ n: z.array(count).length(10), hits: z.array(count).length(10) }).optional(),
});
const dayVolSchema = z.object({ day: z.number().int(), conflicts: count, conflictVol: count, hours: count, hourVol: count });
const sign = z.union([z.literal(-1), z.literal(0), z.literal(1)]);
const accuracySchema = z.object({
  version: z.literal(1),
  calls: z.record(z.string(), z.array(dayTallySchema)),
  vol: z.record(z.string(), z.array(dayVolSchema)),
  pending: z.array(
    z.object({ symbol: z.string(), tf: z.enum(['1m', '5m', '1h']), t: z.number().finite(), call: sign, previous: sign, p0: z.number().finite().positive(), confidence: z.number().finite().optional() }),
  ),
});

const stateSchema = z.object({
  version: z.literal(1),
  savedAt: z.number().finite(),
  stats: z.record(z.string(), statsSchema),
  // added later: a state saved before it simply has none; a malformed one is dropped alone
  accuracy: z.unknown().optional(),
});

/** Validates a stored value; anything malformed (another version, hand-edited) reads as nothing stored. */
export function parseWeightState(value: unknown): WeightState | undefined {
  const r = stateSchema.safeParse(value);
  if (!r.success) return undefined;
  const stats: Record<string, WeightStats> = {};
  for (const [k, s] of Object.entries(r.data.stats)) stats[k] = { ...s, hits: Math.min(s.hits, s.n) };
  const accuracy = accuracySchema.safeParse(r.data.accuracy);
  // hits never above n, whatever was stored
  const clean = accuracy.success
    ? { ...accuracy.data, calls: Object.fromEntries(Object.entries(accuracy.data.calls).map(([k, days]) => [k, days.map((d) => ({
            ...d,
            hits: Math.min(d.hits, d.n),
            momentum: Math.min(d.momentum, d.n),
            ...(d.byConfidence ? { byConfidence: { n: d.byConfidence.n, hits: d.byConfidence.hits.map((h, i) => Math.min(h, d.byConfidence!.n[i]!)) } } : {}),
          }))])) }
    : undefined;
  return { version: 1, savedAt: r.data.savedAt, stats, ...(clean ? { accuracy: clean } : {}) };
}

/** Keeps the state in memory (tests, demo without a store). Stores a copy so callers cannot mutate it. */
export function memoryWeightStore(initial?: WeightState): WeightStore {
  let saved: WeightState | undefined = initial ? structuredClone(initial) : undefined;
  return {
    async load() {
      return saved ? structuredClone(saved) : undefined;
    },
    async save(s) {
      saved = structuredClone(s);
    },
  };
}

export const WEIGHTS_KEY = 'signals:weights';

/** Stores the state under one key of a keyv 5 instance (SQLite, Redis or memory, as configured by the caller). */
export function keyvWeightStore(keyv: Keyv, key = WEIGHTS_KEY): WeightStore {
  return {
    async load() {
      return parseWeightState(await keyv.get(key));
    },
    async save(s) {
      await keyv.set(key, s);
    },
  };
}
