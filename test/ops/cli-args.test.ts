import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli-args.ts';

describe('cli args', () => {
  it('parses verbs and flags', () => {
    expect(parseCli(['console', '--json'])).toMatchObject({ verb: 'console', json: true });
    expect(parseCli(['replay', 'rec.jsonl', '--json'])).toMatchObject({ verb: 'replay', file: 'rec.jsonl', json: true });
    expect(parseCli(['record', '--out=x.jsonl', '--minutes', '5', '--demo'])).toMatchObject({ out: 'x.jsonl', minutes: 5, demo: true });
    expect(parseCli([])).toMatchObject({ verb: 'run' });
  });
  it('returns errors as values', () => {
    expect(parseCli(['fly'])).toHaveProperty('error');
    expect(parseCli(['record'])).toHaveProperty('error');
    expect(parseCli(['replay'])).toHaveProperty('error');
    expect(parseCli(['deploy-commands', '--guild', 'abc'])).toHaveProperty('error');
    expect(parseCli(['run', '--bogus'])).toHaveProperty('error');
  });
});
