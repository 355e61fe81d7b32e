import { defaultDeserialize, defaultSerialize } from '@keyv/serialize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyvSerialize } from '../../src/store/backend.ts';

/** The store's serializer writes exactly what keyv's default one writes, so stored data reads back the same. */
const colonish = fc.oneof(fc.string(), fc.string().map((s) => `:${s}`), fc.string().map((s) => `::${s}`), fc.constant(':base64:abc'));
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(colonish, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined)),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(colonish, tie('node'), { maxKeys: 5 })),
})).node;

describe('keyvSerialize', () => {
  it('equals @keyv/serialize on any JSON-like value with colon-prefixed strings (3 000 cases)', () => {
    fc.assert(
      fc.property(fc.record({ value, expires: fc.option(fc.integer(), { nil: undefined }) }), (data) => {
        expect(keyvSerialize(data)).toBe(defaultSerialize(data));
      }),
      { numRuns: 3_000 },
    );
  });

  it('Buffers, Dates, top-level strings and nested undefined agree too, and read back', () => {
    const cases: unknown[] = [
      { value: Buffer.from('héllo'), expires: 5 },
      { value: { at: new Date(0), b: [Buffer.from([1, 2, 3])] } },
      ':top',
      'plain',
      { value: [undefined, 1], x: undefined },
      null,
      undefined,
    ];
    for (const c of cases) expect(keyvSerialize(c)).toBe(defaultSerialize(c));
    expect(defaultDeserialize(keyvSerialize({ value: ':x', b: Buffer.from('hi') }))).toEqual({ value: ':x', b: Buffer.from('hi') });
  });
});
