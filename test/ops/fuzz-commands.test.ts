import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Caller, CommandDef, OptionDef } from '../../src/bot/command.ts';
import { CommandRegistry } from '../../src/bot/registry.ts';
import type { Reply } from '../../src/bot/reply.ts';
import type { Services } from '../../src/bot/services.ts';
import type { SignalSnapshot, ZoneSnapshot } from '../../src/engine/types.ts';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';

/**
 * Property-based fuzzing of the command parser and dispatcher with the real command set:
 * random text, mutated valid lines, unicode, huge numbers and markup. Every input must yield a
 * reply with a boolean `ok` and non-empty text, and no command may throw (the registry's
 * safety net logs a throw as an error, which counts as a failure here).
 */

const TRACKED = [...DEFAULT_SYMBOLS];
const warnings: string[] = [];
// A command that throws is caught by the registry and logged as an error: collect those lines.
const registry = new CommandRegistry(allCommands(), {
  log: (level, msg, extra) => {
    if (level === 'error') warnings.push(`${msg}: ${String((extra as { err?: unknown } | undefined)?.err)}`);
  },
});
const commands = registry.list();

function minimalServices(): Services {
  return {
    now: () => Date.UTC(2026, 0, 5, 12),
    symbols: {
      tracked: () => TRACKED,
      instruments: () => [],
      instrument: () => undefined,
      byVenueSymbol: () => undefined,
      skipped: () => [{ venue: 'bybit', symbol: 'TON', reason: 'not listed' }],
      venuesOf: (s) => (TRACKED.includes(s as (typeof TRACKED)[number]) ? ['binance', 'bybit'] : []),
    },
    status: () => ({ mode: 'demo', startedAt: 0, now: 60_000, venues: [] }),
  };
}

function zoneSnapshot(symbol: string): ZoneSnapshot {
  const price = 100;
  return {
    symbol,
    t: Date.UTC(2026, 0, 5, 12),
    price,
    atr: 1.5,
    binSize: 0.1,
    bins: [
      { price: 97, longUsd: 2e6, shortUsd: 0 },
      { price: 103, longUsd: 0, shortUsd: 3e6 },
    ],
    zones: [
      { id: `${symbol}:L:97`, side: 'long', low: 96.8, high: 97.2, peak: 97, notionalUsd: 2e6, share: 1, distancePct: -2.8, distanceAtr: 1.9, rank: 1, leverage: { '25': 2e6 }, venues: { binance: 2e6 } },
      { id: `${symbol}:S:103`, side: 'short', low: 102.8, high: 103.2, peak: 103, notionalUsd: 3e6, share: 1, distancePct: 2.8, distanceAtr: 1.9, rank: 1, leverage: { '50': 3e6 }, venues: { bybit: 3e6 } },
    ],
    venues: ['binance', 'bybit'],
    dataAgeMs: 1500,
    seq: 1,
  };
}

function signalSnapshot(symbol: string, mode: SignalSnapshot['mode']): SignalSnapshot {
  return {
    symbol,
    mode,
    t: Date.UTC(2026, 0, 5, 12),
    composite: { score: -0.3, confidence: 0.5, direction: 'down' },
    timeframes: [
      { tf: '1m', score: -0.5, strength: 0.6, confidence: 0.5 },
      { tf: '5m', score: 0.2, strength: 0.3, confidence: 0.4 },
      { tf: '1h', score: -0.1, strength: 0.2, confidence: 0.3 },
    ],
    conflicted: true,
    decelerating: false,
    cards: [{ card: 'momentum', tf: '1m', score: -0.5, strength: 0.6, confidence: 0.5, reason: 'lower closes', weight: 1, samples: 0 }],
    sizing: 'reduced size: timeframes conflict',
  };
}

/** Minimal services plus snapshots for the majors and store services that answer plainly. */
function richServices(): Services {
  const echo = async (command: string, _caller: Caller, args: Record<string, string | number | undefined>): Promise<Reply> => ({
    ok: true,
    text: `${command} ${JSON.stringify(args)}`,
  });
  return {
    ...minimalServices(),
    zones: {
      snapshot: (s) => (s === 'ETH' || s === 'BTC' ? zoneSnapshot(s) : undefined),
      planExit: (req) => (req.symbol === 'ETH' ? { error: 'planner not wired in this fuzz' } : { error: `No zone snapshot for ${req.symbol} yet.` }),
    },
    signals: { snapshot: (s, mode) => (s === 'ETH' ? signalSnapshot(s, mode) : undefined) },
    subscriptions: { handle: (command, caller, args) => echo(command, caller, args) },
    positions: { handle: (command, caller, args) => echo(command, caller, args) },
  };
}

const SERVICES = [minimalServices(), richServices()];

const callerArb: fc.Arbitrary<Caller> = fc.record({
  platform: fc.constantFrom('discord', 'telegram', 'console'),
  userId: fc.constantFrom('1', '42', '9007199254740993', ''),
  chatId: fc.constantFrom('c1', '-100123', 'console'),
  isPrivate: fc.boolean(),
  canManage: fc.boolean(),
});

const MARKUP = ['<b>', '</i>', '<script>alert(1)</script>', '**', '__', '`', '```', '~~', '||', '[x](http://127.0.0.1/)', '@everyone', '<@123>', '&amp;', '\\', '%s', '${x}', '{{x}}'];
const WEIRD = ['\u200b', '\u202e', '\ufeff', '\u0000', '\ud800', '🚀', 'Ｅ\uff34\uff28', 'ΕΤΗ', 'İ', 'ß', '\t', '\r\n', '\u00a0', '　'];
const NUMBERS = [
  '0', '-0', '1e308', '1e309', '-1e400', '9'.repeat(400), '0.' + '0'.repeat(300) + '1', 'NaN', 'Infinity', '-Infinity',
  '0x10', '1_000', '1,000,000', '$5k', '5m', '20x', '125x', '1e3k', '.5', '5.', '+3', '--3', '3e', 'e3', '1/2', '½', '٣',
];

const tokenArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...TRACKED),
  fc.constantFrom(...TRACKED).map((s) => `${s.toLowerCase()}usdt`),
  fc.constantFrom('long', 'short', 'LONG', 'binance', 'bybit', 'okx', 'scalp', 'day', 'swing', 'here', 'me', 'on', 'off', 'add', 'list', 'remove'),
  fc.constantFrom(...NUMBERS),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.constantFrom(...MARKUP),
  fc.constantFrom(...WEIRD),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** A well-formed line for a command: right option count, plausible values. */
function validLineArb(cmd: CommandDef): fc.Arbitrary<string> {
  const optionArb = (o: OptionDef): fc.Arbitrary<string> => {
    if (o.autocomplete === 'symbol') return fc.constantFrom(...TRACKED);
    if (o.choices) return fc.constantFrom(...o.choices);
    if (o.type === 'string') return fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }).filter((s) => !/\s/.test(s));
    const lo = o.min ?? 0.01;
    const hi = o.max ?? 1e6;
    return fc.double({ min: lo, max: hi, noNaN: true }).map((n) => (o.type === 'integer' ? String(Math.round(n)) : String(n)));
  };
  const forOptions = (head: string[], options: OptionDef[]) =>
    fc.tuple(...options.map((o) => fc.option(optionArb(o), { nil: undefined, freq: o.required ? 100 : 2 }))).map((vals) => {
      const out = [...head];
      for (const v of vals) {
        if (v === undefined) break; // positional: stop at the first omitted optional
        out.push(v);
      }
      return out.join(' ');
    });
  if (cmd.subcommands?.length) {
    return fc.constantFrom(...cmd.subcommands).chain((sub) => forOptions([`/${cmd.name}`, sub.name], sub.options));
  }
  return forOptions([`/${cmd.name}`], cmd.options ?? []);
}

const validArb: fc.Arbitrary<string> = fc.oneof(
  ...commands.map((c) => validLineArb(c)),
  fc.constantFrom(...commands.flatMap((c) => c.examples ?? [])),
);

type Mutation = (tokens: string[], t: string, i: number) => string[];
const MUTATIONS: Mutation[] = [
  (ts, _t, i) => ts.filter((_, j) => j !== i % Math.max(1, ts.length)), // drop a token
  (ts, t, i) => [...ts.slice(0, i % (ts.length + 1)), t, ...ts.slice(i % (ts.length + 1))], // insert
  (ts, t, i) => ts.map((x, j) => (j === i % ts.length ? t : x)), // replace
  (ts, _t, i) => ts.map((x, j) => (j === i % ts.length ? x + x : x)), // double a token
  (ts, t, i) => ts.map((x, j) => (j === i % ts.length ? `${x.slice(0, i % (x.length + 1))}${t}${x.slice(i % (x.length + 1))}` : x)), // splice into a token
  (ts) => [...ts].reverse(),
  (ts, t) => [...ts, ...Array.from({ length: 40 }, () => t)], // too many args
  (ts) => ts.map((x) => x.toUpperCase()),
  (ts) => [ts[0] ?? '', ...ts.slice(1).map((x) => `"${x}"`)],
  (ts) => [`${ts[0] ?? ''}@liqzone_bot`, ...ts.slice(1)],
  (ts) => [(ts[0] ?? '').replace(/^\//, ''), ...ts.slice(1)],
  (ts, t) => [`/${t}`, ...ts.slice(1)],
];

const mutatedArb: fc.Arbitrary<string> = fc
  .tuple(validArb, fc.array(fc.tuple(fc.nat(MUTATIONS.length - 1), tokenArb, fc.nat(50)), { minLength: 1, maxLength: 4 }), fc.constantFrom(' ', '  ', '\t', '\u00a0', '\n'))
  .map(([line, muts, sep]) => {
    let ts = line.split(' ');
    for (const [m, t, i] of muts) ts = MUTATIONS[m]!(ts, t, i);
    return ts.join(sep);
  });

const randomArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.array(tokenArb, { maxLength: 8 }).map((ts) => ts.join(' ')),
  fc.array(tokenArb, { maxLength: 7 }).chain((ts) => fc.constantFrom(...commands.map((c) => c.name)).map((n) => [`/${n}`, ...ts].join(' '))),
  fc.string({ unit: 'grapheme-ascii', minLength: 490, maxLength: 520 }).map((s) => `/zones ${s}`),
);

/** Discord path: structured option values, typed or not. */
const structuredArb = fc.record({
  name: fc.oneof(fc.constantFrom(...commands.map((c) => c.name)), fc.string({ maxLength: 8 })),
  subcommand: fc.option(fc.oneof(fc.constantFrom(...commands.flatMap((c) => (c.subcommands ?? []).map((s) => s.name))), fc.string({ maxLength: 6 })), { nil: undefined }),
  values: fc.dictionary(
    fc.constantFrom('symbol', 'side', 'entry', 'leverage', 'size', 'venue', 'mode', 'where', 'kind', 'value', 'x'),
    fc.oneof(tokenArb, fc.double(), fc.integer(), fc.constant(undefined)) as fc.Arbitrary<string | number | undefined>,
    { maxKeys: 6 },
  ),
});

let tried = 0;

function checkReply(reply: unknown, input: string): void {
  const r = reply as Reply;
  if (typeof r !== 'object' || r === null) throw new Error(`no reply object for ${JSON.stringify(input)}`);
  if (typeof r.ok !== 'boolean') throw new Error(`reply.ok is not boolean for ${JSON.stringify(input)}`);
  if (typeof r.text !== 'string' || r.text.trim() === '') throw new Error(`empty reply text for ${JSON.stringify(input)}`);
  if (warnings.length) throw new Error(`a command threw for ${JSON.stringify(input)}: ${warnings[0]}`);
}

async function fuzzLines(arb: fc.Arbitrary<string>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, callerArb, fc.nat(SERVICES.length - 1), async (line, caller, s) => {
      tried++;
      checkReply(await registry.dispatchLine(line, caller, SERVICES[s]!), line);
    }),
    { numRuns, seed: 0x11e2, endOnFailure: true },
  );
}

describe('command parser and dispatcher under fuzzing', () => {
  it('answers random text with a well-formed reply', async () => {
    await fuzzLines(randomArb, 6_000);
  });

  it('answers mutated valid command lines with a well-formed reply', async () => {
    await fuzzLines(mutatedArb, 8_000);
  });

  it('answers valid command lines (every command, every subcommand) with a well-formed reply', async () => {
    // the generator must really produce lines that parse, or the fuzzing above is shallow
    const sample = fc.sample(validArb, { numRuns: 300, seed: 7 });
    const parsed = sample.filter((l) => registry.parseLine(l).ok).length;
    expect(parsed / sample.length).toBeGreaterThan(0.9);
    const reached = new Set(sample.map((l) => registry.parseLine(l)).flatMap((r) => (r.ok ? [r.command.name] : [])));
    expect([...reached].sort()).toEqual(commands.map((c) => c.name).sort());
    await fuzzLines(validArb, 3_000);
  });

  it('answers structured (Discord) option values with a well-formed reply', async () => {
    await fc.assert(
      fc.asyncProperty(structuredArb, callerArb, fc.nat(SERVICES.length - 1), async (input, caller, s) => {
        tried++;
        const reply = await registry.dispatchStructured(input.name, input.subcommand, input.values, caller, SERVICES[s]!);
        checkReply(reply, JSON.stringify(input));
      }),
      { numRuns: 3_000, seed: 0x11e3, endOnFailure: true },
    );
  });

  it('tried 20 000 inputs in total', () => {
    expect(tried).toBe(20_000);
  });
});
