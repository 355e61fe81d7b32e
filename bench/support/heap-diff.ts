/**
 * Heap growth between two V8 heap snapshots, grouped so a person can tell what grew: objects by
 * constructor, plain objects and arrays by their first property names (`Object{kind,venue,symbol,side}`
 * is a liquidation event), and numbers and element stores by the object that first holds them.
 * Used by the soak bench when SOAK_HEAPSNAPSHOT is set.
 */
import { readFileSync } from 'node:fs';

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Self size and count per group. */
export function heapGroups(file: string): Map<string, { bytes: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const m = snap.snapshot.meta;
  const [nf, ef] = [m.node_fields, m.edge_fields];
  const [types, etypes] = [m.node_types[0], m.edge_types[0]];
  const [step, estep] = [nf.length, ef.length];
  const [iT, iN, iS, iE] = [nf.indexOf('type'), nf.indexOf('name'), nf.indexOf('self_size'), nf.indexOf('edge_count')];
  const [eT, eN, eTo] = [ef.indexOf('type'), ef.indexOf('name_or_index'), ef.indexOf('to_node')];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / step;
  const keys = new Array<string>(count);
  const owner = new Int32Array(count).fill(-1);
  let e = 0;
  for (let n = 0; n < count; n++) {
    const i = n * step;
    const type = types[nodes[i + iT]!]!;
    const name = strings[nodes[i + iN]!]!;
    const ec = nodes[i + iE]!;
    let key = type === 'object' ? name : type === 'native' ? `native ${name}` : `(${type})`;
    if (type === 'object' && (name === 'Object' || name === 'Array')) {
      const props: string[] = [];
      for (let j = 0; j < ec && props.length < 5; j++) {
        const at = (e + j) * estep;
        if (etypes[edges[at + eT]!] === 'property') {
          const p = strings[edges[at + eN]!]!;
          if (p !== '__proto__') props.push(p);
        }
      }
      key = `${name}{${props.join(',')}}`;
    }
    keys[n] = key;
    for (let j = 0; j < ec; j++) {
      const to = edges[(e + j) * estep + eTo]! / step;
      if (owner[to] === -1) owner[to] = n;
    }
    e += ec;
  }
  const out = new Map<string, { bytes: number; count: number }>();
  for (let n = 0; n < count; n++) {
    let key = keys[n]!;
    if ((key === '(number)' || key === '(array)') && owner[n]! >= 0) key = `${key} of ${keys[owner[n]!]}`;
    const g = out.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += nodes[n * step + iS]!;
    g.count++;
    out.set(key, g);
  }
  return out;
}

/** The `top` groups that grew most from `before` to `after`: [group, bytes grown, count grown]. */
export function heapGrowth(before: string, after: string, top = 8): [string, number, number][] {
  const a = heapGroups(before);
  const b = heapGroups(after);
  const rows: [string, number, number][] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    rows.push([key, (b.get(key)?.bytes ?? 0) - (a.get(key)?.bytes ?? 0), (b.get(key)?.count ?? 0) - (a.get(key)?.count ?? 0)]);
  }
  return rows.sort((x, y) => y[1] - x[1]).slice(0, top);
}
