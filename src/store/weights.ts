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

const stateSchema = z.object({
  version: z.literal(1),
  savedAt: z.number().finite(),
  stats: z.record(z.string(), statsSchema),
});

/** Validates a stored value; anything malformed (another version, hand-edited) reads as nothing stored. */
export function parseWeightState(value: unknown): WeightState | undefined {
  const r = stateSchema.safeParse(value);
  if (!r.success) return undefined;
  const stats: Record<string, WeightStats> = {};
  for (const [k, s] of Object.entries(r.data.stats)) stats[k] = { ...s, hits: Math.min(s.hits, s.n) };
  return { version: 1, savedAt: r.data.savedAt, stats };
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
