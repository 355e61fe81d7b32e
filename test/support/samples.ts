import { readFileSync } from 'node:fs';

/** One line of test/fixtures/venue-samples.jsonl (copied from the shared reference fixtures). */
export interface Sample {
  label: string;
  payload: unknown;
}

export const samples: Sample[] = readFileSync(new URL('../fixtures/venue-samples.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Sample);

/** A fresh copy of the payload of the first sample whose label starts with `label`. */
export function sample<T = unknown>(label: string): T {
  const s = samples.find((x) => x.label.startsWith(label));
  if (!s) throw new Error(`no sample ${label}`);
  return structuredClone(s.payload) as T;
}
