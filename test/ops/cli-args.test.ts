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

describe('cli args via node:util parseArgs', () => {
  it('--help and -h anywhere mean help', () => {
    expect(parseCli(['--help'])).toMatchObject({ verb: 'help' });
    expect(parseCli(['-h'])).toMatchObject({ verb: 'help' });
    expect(parseCli(['record', '-h'])).toMatchObject({ verb: 'help' });
  });
  it('options take values both ways and are validated', () => {
    expect(parseCli(['demo', '--speed=20'])).toMatchObject({ verb: 'demo', speed: 20 });
    expect(parseCli(['evaluate', 'r.jsonl', '--horizon', '30'])).toMatchObject({ verb: 'evaluate', file: 'r.jsonl', horizon: 30 });
    expect(parseCli(['run', '--shards', '2'])).toMatchObject({ shards: 2 });
    expect(parseCli(['demo', '--speed', '0'])).toEqual({ error: '--speed needs a number from 1 to 1000' });
  });
  it('says what is wrong in the CLI words, not parseArgs internals', () => {
    expect(parseCli(['record', '--out'])).toEqual({ error: '--out needs a value' });
    expect(parseCli(['console', '--json=yes'])).toEqual({ error: '--json takes no value' });
    expect(parseCli(['run', '-x'])).toEqual({ error: 'Unknown option -x' });
    expect(parseCli(['replay', 'a.jsonl', 'b.jsonl'])).toEqual({ error: 'Unexpected argument "b.jsonl"' });
  });
});

describe('evaluate --signals', () => {
  it('parses the flag', () => {
    const a = parseCli(['evaluate', 'rec.jsonl', '--signals']);
    expect('error' in a).toBe(false);
    expect((a as { signals?: boolean }).signals).toBe(true);
  });
});
