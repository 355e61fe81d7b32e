import { parseCalibrationRecord, type CalibrationRecord } from '../engine/calibration.ts';
import type { CalibrationStore } from '../engine/ports.ts';
import type { Kv } from './kv.ts';

export type { CalibrationStore } from '../engine/ports.ts';

/**
 * Persistence of the leverage-mix calibration: one record per venue and symbol under the
 * `calibration` namespace (key `venue:symbol`), versioned (`version: 1`). A record that does not
 * validate (another version, hand-edited) is skipped and counted, never fatal.
 */
export function kvCalibrationStore(kv: Kv<unknown>): CalibrationStore {
  return {
    async load() {
      const records: CalibrationRecord[] = [];
      let skipped = 0;
      for (const [, value] of await kv.entries()) {
        const r = parseCalibrationRecord(value);
        if (r) records.push(r);
        else skipped++;
      }
      return { records, skipped };
    },
    async save(records) {
      for (const r of records) await kv.set(`${r.venue}:${r.symbol}`, r);
    },
  };
}

/** In memory (tests; replay). Stores copies. */
export function memoryCalibrationStore(): CalibrationStore & { raw: Map<string, unknown> } {
  const raw = new Map<string, unknown>();
  return {
    raw,
    async load() {
      const records: CalibrationRecord[] = [];
      let skipped = 0;
      for (const v of raw.values()) {
        const r = parseCalibrationRecord(structuredClone(v));
        if (r) records.push(r);
        else skipped++;
      }
      return { records, skipped };
    },
    async save(records) {
      for (const r of records) raw.set(`${r.venue}:${r.symbol}`, structuredClone(r));
    },
  };
}
