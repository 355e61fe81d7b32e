/**
 * Input sanity for /exit and /position add, typed as a user types them: every bad input gets a
 * one-line error with a hint and never an internal variable name; venue tickers and cashtags
 * resolve to the canonical symbol; 1000PEPE quotes prices per 1,000 coins.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import { demoCommand, type DemoControl } from '../../commands/demo.ts';
import { createPositionService } from '../../commands/services/positions.ts';
import type { Caller } from '../../src/bot/command.ts';
import { parseExitRequest } from '../../src/bot/exit-request.ts';
import { CommandRegistry, resolveSymbol } from '../../src/bot/registry.ts';
import type { Reply } from '../../src/bot/reply.ts';
import type { Services } from '../../src/bot/services.ts';
import { resolveSymbolAlias } from '../../src/market/aliases.ts';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import { openStore } from '../../src/store/store.ts';
import { buildRegistry } from '../../src/venues/registry.ts';
import { PlanningZones } from '../positions/support.ts';

const caller: Caller = { platform: 'console', userId: 'console', chatId: 'console', isPrivate: true, canManage: true };
const symbols = buildRegistry({ symbols: [...DEFAULT_SYMBOLS], venues: ['binance', 'bybit'] });

const ETH = 3159.7;
const PEPE = 0.0000102;

class FakeDemo implements DemoControl {
  readonly drives: [string, number][] = [];
  setRegime(): undefined {
    return undefined;
  }
  driveToward(symbol: string, price: number): void {
    this.drives.push([symbol, price]);
  }
  price(symbol: string): number | undefined {
    return symbol === 'ETH' ? ETH : symbol === 'PEPE' ? PEPE : undefined;
  }
}

let services: Services;
let zones: PlanningZones;
let demo: FakeDemo;
let registry: CommandRegistry;

beforeEach(async () => {
  zones = new PlanningZones();
  zones.set('ETH', ETH, [
    { id: 'ETH:S:3195', side: 'short', low: 3195, high: 3245, usd: 40e6 },
    { id: 'ETH:L:3050', side: 'long', low: 3050, high: 3075, usd: 30e6 },
  ]);
  zones.set('PEPE', PEPE, [
    { id: 'PEPE:S', side: 'short', low: 0.0000105, high: 0.0000107, usd: 5e6 },
    { id: 'PEPE:L', side: 'long', low: 0.0000097, high: 0.0000099, usd: 5e6 },
  ]);
  const store = await openStore('memory:');
  services = {
    now: () => 0,
    status: () => ({ mode: 'demo', startedAt: 0, now: 0, venues: [] }),
    symbols,
    zones,
    positions: createPositionService({ store, zones, symbols, now: () => Date.UTC(2026, 11, 4) }),
  };
  demo = new FakeDemo();
  registry = new CommandRegistry([...allCommands(), demoCommand(demo)]);
});

const ask = (line: string): Promise<Reply> => registry.dispatchLine(line, caller, services);

/** Internal option names that must never be echoed as the subject of an error. */
const VARIABLE_NAMES = /\b(usd|sizeUsd|entry must be a number|args?\.|undefined|NaN|Infinity)\b/;

function expectOneLineRefusal(r: Reply, message: RegExp): void {
  expect(r.ok).toBe(false);
  const [first, ...rest] = r.text.split('\n');
  expect(first).toMatch(message);
  expect(first!.length).toBeLessThan(220);
  // a hint: an example, a fix or a range, after the reason
  expect(first).toMatch(/e\.g\.|write |divide|multiply|check |between|within|at most|at least|Did you mean|See \//);
  expect(first).not.toMatch(VARIABLE_NAMES);
  for (const line of rest) expect(line).toMatch(/^Usage: /);
}

describe('bad input: one line with a hint, never a variable name', () => {
  it.each([
    ['/exit ETH long 1e308 20x', /^Entry 1\.00e\+308 is far more than 10,000 % above the ETH price 3,159\.7; .*check the digits and the decimal point\.$/],
    ['/exit ETH long 0.0000001 20x', /^Entry 1e-7 is under 1 % of the ETH price 3,159\.7; entries within 50 % of the price are planned/],
    ['/exit ETH long 31200 20x', /^Entry 31,200 is 887 % above the ETH price 3,159\.7/],
    ['/exit ETH long 1000 20x', /^Entry 1,000 is 68 % below the ETH price/],
    ['/exit ETH long 0 20x', /^Entry must be a price above 0, e\.g\. \/exit ETH long 3120 20x\./],
    ['/exit ETH long -3000 20x', /^Entry must be a price above 0/],
    ['/exit ETH long 3120 0.5x', /^Leverage must be at least 1x, e\.g\. 20 or 20x\./],
    ['/exit ETH long 3120 1e9x', /^Leverage 1000000000x is above the maximum of 125x/],
    ['/exit ETH long 3120 500x', /^Leverage 500x is above the maximum of 125x for a \$10k position on Binance ETH/],
    ['/exit ETH long 3120 20x 0.5', /^Size must be a number of USD of at least 1, e\.g\. 10000 or 10k\./],
    ['/exit ETH long 3120 20x 1e15', /^Size 1\.00e\+15 USD is beyond any venue's largest position; write it in USD, e\.g\. 10000 or 10k\./],
    ['/exit ETH long 3120 20x lots', /^Size must be a number of USD, e\.g\. 10000 or 10k \(got "lots"\)\./],
    ['/exit ETH long 3120 twenty', /^Leverage must be a number, e\.g\. 20 or 20x \(got "twenty"\)\./],
    ['/exit ETH long abc 20x', /^Entry must be a price, e\.g\. 3120 \(got "abc"\)\./],
    ['/exit ETH sideways 3120 20x', /^Side must be one of long, short \(got "sideways"\), e\.g\. long\./],
    ['/exit ETH long', /^Missing entry for \/exit: a price, e\.g\. 3120\./],
    ['/exit PEPE long 0.0102 10x', /^PEPE prices are per coin \(now 0\.0₄1020\); on the exchange 1000PEPE trades at 0\.0102 — divide by 1,000, or write \/exit 1000PEPE …$/],
    ['/exit PEPE long 0.01 10x', /^PEPE prices are per coin \(now 0\.0₄1020\); on the exchange 1000PEPE trades at 0\.0102 — divide by 1,000, or write \/exit 1000PEPE …$/],
    ['/exit 1000PEPE long 0.0000102 10x', /^1000PEPE prices are per 1,000 coins \(now 0\.0102\); 0\.0000102 looks like a per-coin price — multiply by 1,000, or write \/exit PEPE …$/],
    ['/exit ETHH long 3120 20x', /^Unknown symbol "ETHH"\. Did you mean ETH\? See \/symbols\./],
    ['/exit 1000ETH long 3120 20x', /^Unknown symbol "1000ETH"\. Did you mean ETH/],
    ['/position add ETH long 1e300 10x', /^Entry 1\.00e\+300 is far more than 10,000 % above the ETH price 3,159\.7/],
    ['/position add PEPE long 0.01 10x', /^PEPE prices are per coin .* write \/position add 1000PEPE …$/],
    ['/position add ETH long 3120 20x lots', /^Size must be a number of USD, e\.g\. 10000 or 10k/],
    ['/alerts minsize lots', /^Size must be a number of USD, e\.g\. 10000 or 10k \(got "lots"\)\./],
    ['/position plan x', /^Position number must be a whole number, e\.g\. 1 \(see \/position list\) \(got "x"\)\./],
    ['/demo drive ETH 1e9 1m', /^Target 1,000,000,000 is more than 50 % away from the simulated ETH price 3,159\.7; drive between 1,579\.9 and 4,739\.5\./],
    ['/demo drive ETH 100 1m', /^Target 100 is more than 50 % away/],
  ])('%s', async (line, message) => {
    const r = await ask(line);
    expectOneLineRefusal(r, message);
  });

  it('refuses without storing anything or driving anything', async () => {
    await ask('/position add ETH long 1e300 10x');
    expect(await services.positions!.handle('position', caller, {}, 'list')).toMatchObject({ text: expect.stringMatching(/no watched positions/) });
    await ask('/demo drive ETH 1e9 1m');
    expect(demo.drives).toEqual([]);
    expect((await ask('/demo drive ETH 3050 1m')).ok).toBe(true);
    expect(demo.drives).toEqual([['ETH', 3050]]);
  });
});

describe('symbol aliases resolve to the canonical symbol in every command', () => {
  it.each([
    ['ETH', 'ETH', 1],
    ['$ETH', 'ETH', 1],
    ['eth', 'ETH', 1],
    ['ETHUSDT', 'ETH', 1],
    ['ETH-USDT-SWAP', 'ETH', 1],
    ['ETH-PERP', 'ETH', 1],
    ['ETH/USDT', 'ETH', 1],
    ['1000PEPE', 'PEPE', 1000],
    ['1000PEPEUSDT', 'PEPE', 1000],
    ['$PEPE', 'PEPE', 1],
    ['PEPEUSDT', 'PEPE', 1],
  ])('%s → %s (unit %d)', (text, symbol, unit) => {
    expect(resolveSymbolAlias(symbols, text)).toMatchObject({ symbol, unit });
  });

  it('does not invent multipliers or symbols', () => {
    expect(resolveSymbolAlias(symbols, '1000ETH')).toBeUndefined();
    expect(resolveSymbolAlias(symbols, 'FOO')).toBeUndefined();
    expect(resolveSymbol(services, 'FOOUSDT')).toEqual({ error: 'Unknown symbol "FOOUSDT". Did you mean DOT, SOL, TON? See /symbols.' });
  });

  it.each(['/zones $ETH', '/zones ETHUSDT', '/zones ETH-USDT-SWAP', '/zones 1000PEPE', '/signal $ETH', '/exit $ETH long 3120 20x', '/exit ETHUSDT short 3200 10x'])(
    '%s is understood',
    async (line) => {
      const r = await ask(line);
      expect(r.text).not.toMatch(/Unknown symbol|is not a symbol name/);
    },
  );

  it('/exit 1000PEPE quotes the plan per 1,000 coins, the same plan as per coin', async () => {
    const per1000 = await ask('/exit 1000PEPE long 0.0102 10x');
    const perCoin = await ask('/exit PEPE long 0.0000102 10x');
    expect(per1000.ok).toBe(true);
    expect(perCoin.ok).toBe(true);
    expect(per1000.title).toBe('1000PEPE long exit plan (estimated)');
    expect(per1000.text).toMatch(/^1000PEPE long 0\.0102 at 10x/);
    expect(per1000.text).toMatch(/Prices are per 1,000 PEPE \(1000PEPE\), as on the exchange\./);
    const a = per1000.data as { liquidationPrice: number; price: number; stop: { price: number } | null; targets: { price: number }[]; priceUnit: number };
    const b = perCoin.data as typeof a;
    expect(a.priceUnit).toBe(1000);
    expect(a.price).toBeCloseTo(b.price * 1000, 12);
    expect(a.liquidationPrice).toBeCloseTo(b.liquidationPrice * 1000, 10);
    expect(a.stop?.price ?? null).toBeCloseTo((b.stop?.price ?? 0) * 1000, 10);
    expect(a.targets.map((t) => t.price / 1000)).toEqual(b.targets.map((t) => expect.closeTo(t.price, 12)));
  });

  it('/zones 1000PEPE quotes the zones per 1,000 coins', async () => {
    const r = await ask('/zones 1000PEPE');
    const perCoin = await ask('/zones PEPE');
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/^1000PEPE 0\.0102 · estimated liquidation zones/);
    const a = r.data as { symbol: string; zones: { low: number; high: number }[] };
    const b = perCoin.data as typeof a;
    expect(a.symbol).toBe('1000PEPE');
    expect(b.symbol).toBe('PEPE');
    expect(a.zones.map((z) => z.low)).toEqual(b.zones.map((z) => expect.closeTo(z.low * 1000, 12)));
  });

  it('/position add 1000PEPE stores per coin and says so', async () => {
    const r = await ask('/position add 1000PEPE long 0.0102 10x');
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/1000PEPE 0\.0102 is stored per coin as PEPE 0\.0₄1020 \(÷ 1000\)/);
    const list = await services.positions!.handle('position', caller, {}, 'list');
    expect(list.data).toMatchObject({ positions: [{ symbol: 'PEPE', entry: expect.closeTo(0.0000102, 15), plan: { liquidationPrice: expect.closeTo(0.0000102 * 0.9, 6) } }] });
  });
});

describe('an entry too far from the price: the refusal says which way and how far, truly', () => {
  it('for any entry beyond 50 %: "above" iff it is above, the percentage within rounding of the real one', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), (entry) => {
        const ratio = entry / ETH;
        fc.pre(ratio > 1.51 || ratio < 0.49);
        const r = parseExitRequest({ symbol: 'ETH', side: 'long', entry, leverage: 10 }, { symbols, zones, command: '/exit' });
        expect(r.ok).toBe(false);
        const error = r.ok ? '' : r.error;
        const m = /^Entry \S+ is (?:(far more than 10,000|[\d,]+) % (above|below)|under 1 % of) the ETH price 3,159\.7;/.exec(error);
        expect(m, error).not.toBeNull();
        if (ratio < 0.01) expect(m![2] ?? 'under', error).toBe('under');
        else if (ratio < 1) expect(Math.abs(Number(m![1]!.replace(/,/g, '')) - (1 - ratio) * 100), error).toBeLessThanOrEqual(0.5);
        else if (ratio - 1 <= 100) expect(Math.abs(Number(m![1]!.replace(/,/g, '')) - (ratio - 1) * 100), error).toBeLessThanOrEqual(0.5);
        else expect(m![1], error).toBe('far more than 10,000');
        expect(m![2] === 'above').toBe(ratio > 1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the shared parse', () => {
  it('types the args from one schema: same request for /exit and /position add', () => {
    const args = { symbol: '$ETH', side: 'short', entry: 3200, leverage: 10, size: 25_000, venue: 'bybit' };
    const a = parseExitRequest(args, { symbols, zones, command: '/exit' });
    const b = parseExitRequest(args, { symbols, zones, command: '/position add' });
    expect(a.ok && a.value.canonical).toEqual({ symbol: 'ETH', side: 'short', entry: 3200, leverage: 10, sizeUsd: 25_000, venue: 'bybit' });
    expect(b.ok && b.value.canonical).toEqual(a.ok && a.value.canonical);
    const bad = parseExitRequest({ ...args, side: 'up' }, { symbols, zones, command: '/exit' });
    expect(bad).toEqual({ ok: false, error: 'Side must be long or short, e.g. /exit ETH long 3120 20x.' });
    const missing = parseExitRequest({ side: 'long', entry: 1, leverage: 2 }, { symbols, zones, command: '/exit' });
    expect(missing).toEqual({ ok: false, error: 'Which symbol? e.g. ETH, $ETH, ETHUSDT or 1000PEPE.' });
  });
});

describe('/exit targets name the band a move runs through', () => {
  it('a target before touching clusters says how many and their notional together; a lone one does not', async () => {
    zones.set('ETH', ETH, [
      { id: 'ETH:S:3195', side: 'short', low: 3195, high: 3215, usd: 10e6 },
      { id: 'ETH:S:3215', side: 'short', low: 3215, high: 3240, usd: 25e6 },
      { id: 'ETH:S:3300', side: 'short', low: 3300, high: 3320, usd: 15e6 },
      { id: 'ETH:L:3050', side: 'long', low: 3050, high: 3075, usd: 30e6 },
    ]);
    const r = await ask('/exit ETH long 3150 10x');
    expect(r.ok).toBe(true);
    const targets = r.fields!.find((f) => f.name === 'Targets')!.value.split('\n');
    expect(targets[0]).toMatch(/^TP1 3,19\d\.\d \(\+1\.\d\d% from price, before a ~\$10M cluster, the first of 2 touching clusters 3,195–3,240, ~\$35M together/);
    // the next target is past that band, before the lone cluster at 3,300
    expect(targets[1]).toMatch(/^TP2 3,29\d\.\d \(.*before a ~\$15M cluster(, R:R [^,]*)?\)$/);
    expect(targets[1]).not.toMatch(/touching/);
  });
});

describe('/exit sizes a band of touching clusters as one', () => {
  it('three touching clusters, each under the 3 % floor but over it together, are a target', async () => {
    zones.set('ETH', ETH, [
      { id: 'ETH:S:3195', side: 'short', low: 3195, high: 3215, usd: 1e6, share: 0.019 },
      { id: 'ETH:S:3215', side: 'short', low: 3215, high: 3240, usd: 1e6, share: 0.019 },
      { id: 'ETH:S:3240', side: 'short', low: 3240, high: 3260, usd: 1e6, share: 0.019 },
      { id: 'ETH:S:3400', side: 'short', low: 3400, high: 3420, usd: 50e6, share: 0.943 },
      { id: 'ETH:L:3050', side: 'long', low: 3050, high: 3075, usd: 30e6 },
    ]);
    const r = await ask('/exit ETH long 3150 10x');
    const targets = r.fields!.find((f) => f.name === 'Targets')!.value.split('\n');
    expect(targets[0]).toMatch(/^TP1 3,19\d\.\d \(.*before a ~\$1M cluster, the first of 3 touching clusters 3,195–3,260, ~\$3M together/);
    expect(targets[1]).toMatch(/^TP2 3,39\d\.\d \(.*before a ~\$50M cluster/);
  });
});
