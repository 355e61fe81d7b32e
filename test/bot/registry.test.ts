import { describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import type { Caller } from '../../src/bot/command.ts';
import { CommandRegistry, parseNumber } from '../../src/bot/registry.ts';
import type { Services } from '../../src/bot/services.ts';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';

const caller: Caller = { platform: 'console', userId: 'u1', chatId: 'console', isPrivate: true, canManage: true };
const services: Services = {
  now: () => 0,
  status: () => ({ mode: 'demo', startedAt: 0, now: 0, venues: [] }),
  symbols: {
    tracked: () => [...DEFAULT_SYMBOLS],
    instruments: () => [],
    instrument: () => undefined,
    byVenueSymbol: () => undefined,
    skipped: () => [],
    venuesOf: () => ['binance', 'bybit'],
  },
};
const registry = new CommandRegistry(allCommands());

describe('command registry', () => {
  it('parses typed arguments against option definitions', () => {
    const p = registry.parseLine('/exit@liqzone_bot eth LONG 3,120 20x 10k bybit');
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.command.name).toBe('exit');
    expect(p.args).toEqual({ symbol: 'ETH', side: 'long', entry: 3120, leverage: 20, size: 10_000, venue: 'bybit' });
  });

  it('explains missing arguments with usage, never throws', async () => {
    const r = await registry.dispatchLine('/exit ETH long', caller, services);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/Missing entry/);
    expect(r.text).toMatch(/Usage: \/exit SYMBOL/);
  });

  it('rejects garbage numbers and unknown commands', async () => {
    expect((await registry.dispatchLine('/exit ETH long abc 20', caller, services)).text).toMatch(/^Entry must be a price, e.g. 3120 \(got "abc"\)\./);
    expect((await registry.dispatchLine('/zonez ETH', caller, services)).text).toMatch(/Did you mean \/zones/);
    // /help echoes what was asked for without control, escape or bidi characters
    const help = await registry.dispatchLine('/help a\u001b[2J\u001b[31mRED\u0007\u202eevil\u202c', caller, services);
    expect(help.ok).toBe(false);
    expect(help.text).not.toMatch(/[\u0000-\u001f\u202a-\u202e]/);
    expect(help.text).toMatch(/^No command \/a\[2j\[31mredevil\. Try \/help\.$/);
    expect((await registry.dispatchLine('/alerts fly', caller, services)).text).toMatch(/Unknown \/alerts action/);
  });

  it('answers honestly when a feature is absent', async () => {
    const r = await registry.dispatchLine('/subscribe ETH', caller, services);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/not available/);
  });

  it('parses numbers with suffixes only where allowed', () => {
    expect(parseNumber('20x', { leverageSuffix: true })).toBe(20);
    expect(parseNumber('20x')).toBeUndefined();
    expect(parseNumber('1.5m', { magnitude: true })).toBe(1_500_000);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('NaN')).toBeUndefined();
  });

  it('lists every command in /help', async () => {
    const r = await registry.dispatchLine('/help', caller, services);
    for (const c of allCommands()) expect(r.text).toContain(`/${c.name}`);
  });

  it('completes symbols by prefix', () => {
    expect(CommandRegistry.completeSymbol(services, 'et')).toEqual(['ETH']);
  });
});
