/**
 * Heap growth between two V8 heap snapshots, grouped so a person can tell what grew and what holds
 * it: every node is keyed by what it is (objects by constructor, plain objects and arrays by their
 * first property names — `Object{kind,venue,symbol,side}` is a liquidation event) and by its
 * retainer path, the last `depth` steps of its shortest path from the GC roots (breadth-first, so
 * the same holder gets the same path in both snapshots), e.g.
 * `VenueLevels.short > Array{}.[element] > Ladder.raw > Array{}.elements > (array)`.
 * Used by the soak bench when SOAK_HEAPSNAPSHOT is set.
 */
import { readFileSync } from 'node:fs';

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Self size and count per group (what the node is, under its retainer path). */
export function heapGroups(file: string, depth = 3): Map<string, { bytes: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const m = snap.snapshot.meta;
  const [nf, ef] = [m.node_fields, m.edge_fields];
  const [types, etypes] = [m.node_types[0], m.edge_types[0]];
  const [step, estep] = [nf.length, ef.length];
  const [iT, iN, iS, iE] = [nf.indexOf('type'), nf.indexOf('name'), nf.indexOf('self_size'), nf.indexOf('edge_count')];
  const [eT, eN, eTo] = [ef.indexOf('type'), ef.indexOf('name_or_index'), ef.indexOf('to_node')];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / step;
  const firstEdge = new Int32Array(count + 1);
  const keys = new Array<string>(count);
  for (let n = 0, e = 0; n < count; n++) {
    firstEdge[n] = e;
    const i = n * step;
    const type = types[nodes[i + iT]!]!;
    const name = strings[nodes[i + iN]!]!;
    const ec = nodes[i + iE]!;
    let key = type === 'object' ? name : type === 'native' ? `native ${name}` : type === 'closure' ? `closure ${name}` : `(${type})`;
    if (type === 'object' && (name === 'Object' || name === 'Array')) {
      const props: string[] = [];
      for (let j = 0; j < ec && props.length < 4; j++) {
        const at = (e + j) * estep;
        if (etypes[edges[at + eT]!] === 'property') {
          const p = strings[edges[at + eN]!]!;
          if (p !== '__proto__') props.push(p);
        }
      }
      key = `${name}{${props.join(',')}}`;
    }
    keys[n] = key;
    e += ec;
    firstEdge[n + 1] = e;
  }
  // breadth-first from the root (node 0), skipping weak edges: each node's parent and the edge's name
  const parent = new Int32Array(count).fill(-1);
  const via = new Array<string>(count);
  const queue = new Int32Array(count);
  const seen = new Uint8Array(count);
  let [head, tail] = [0, 0];
  queue[tail++] = 0;
  seen[0] = 1;
  while (head < tail) {
    const n = queue[head++]!;
    for (let j = firstEdge[n]!; j < firstEdge[n + 1]!; j++) {
      const at = j * estep;
      const et = etypes[edges[at + eT]!]!;
      if (et === 'weak' || et === 'shortcut') continue;
      const to = edges[at + eTo]! / step;
      if (seen[to]) continue;
      seen[to] = 1;
      parent[to] = n;
      const name = et === 'element' || et === 'hidden' ? `[${et}]` : String(strings[edges[at + eN]!] ?? edges[at + eN]);
      via[to] = /^\d+$/.test(name) ? '#' : name;
      queue[tail++] = to;
    }
  }
  const out = new Map<string, { bytes: number; count: number }>();
  for (let n = 0; n < count; n++) {
    let key = keys[n]!;
    for (let p = n, d = 0; d < depth && parent[p]! >= 0; d++, p = parent[p]!) key = `${keys[parent[p]!]}.${via[p]} > ${key}`;
    const g = out.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += nodes[n * step + iS]!;
    g.count++;
    out.set(key, g);
  }
  return out;
}

/** The `top` groups that grew most from `before` to `after`: [group with its retainer path, bytes grown, count grown]. */
export function heapGrowth(before: string, after: string, top = 8): [string, number, number][] {
  const a = heapGroups(before);
  const b = heapGroups(after);
  const rows: [string, number, number][] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    rows.push([key, (b.get(key)?.bytes ?? 0) - (a.get(key)?.bytes ?? 0), (b.get(key)?.count ?? 0) - (a.get(key)?.count ?? 0)]);
  }
  return rows.sort((x, y) => y[1] - x[1]).slice(0, top);
}
