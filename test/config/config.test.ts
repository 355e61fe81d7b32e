import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_DEFAULTS, loadConfig } from '../../src/config.ts';

describe('config', () => {
  it('defaults to the 21 symbols on all four venues', () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.SYMBOLS).toHaveLength(21);
    expect(r.config.VENUES).toEqual(['binance', 'bybit', 'okx', 'hyperliquid']);
    expect(r.config.LEVERAGE_MIX.reduce((a, x) => a + x.weight, 0)).toBeCloseTo(1);
  });

  it('names the key and what is allowed on a bad value', () => {
    const r = loadConfig({ VENUES: 'binance,kraken', METRICS_PORT: 'abc' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toMatch(/VENUES="binance,kraken" is invalid: expected a comma-separated list of binance, bybit/);
    expect(r.errors.join('\n')).toMatch(/METRICS_PORT/);
  });

  it('reports malformed symbols and keeps the rest', () => {
    const r = loadConfig({ SYMBOLS: 'eth, btc, $$$' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.SYMBOLS).toEqual(['ETH', 'BTC']);
    expect(r.config.symbolWarnings[0]).toMatch(/\$\$\$/);
  });

  it('EXIT_MIN_CLUSTER_SHARE is a share from 0 to 1', () => {
    const ok = loadConfig({ EXIT_MIN_CLUSTER_SHARE: '0.1' });
    expect(ok.ok && ok.config.EXIT_MIN_CLUSTER_SHARE).toBe(0.1);
    const dflt = loadConfig({});
    expect(dflt.ok && dflt.config.EXIT_MIN_CLUSTER_SHARE).toBe(0.03);
    for (const bad of ['1.5', 'five', '-0.1', '5%']) {
      const r = loadConfig({ EXIT_MIN_CLUSTER_SHARE: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.join('\n')).toMatch(/EXIT_MIN_CLUSTER_SHARE=.* is invalid: expected a share from 0 to 1/);
    }
  });

  it('.env.example lists every key with its default', () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    for (const [key, value] of Object.entries(ENV_DEFAULTS)) {
      expect(text).toMatch(new RegExp(`^#?\\s*${key}=${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    }
  });
});

describe('config: NOTIFY_CRON, the demo store, shard children', () => {
  it('rejects a NOTIFY_CRON node-cron cannot run, accepts seconds-resolution expressions', () => {
    const bad = loadConfig({ NOTIFY_CRON: '*/10 * * *  * * *' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.join('\n')).toMatch(/^NOTIFY_CRON=.* is invalid: expected a node-cron expression/m);
    expect(loadConfig({ NOTIFY_CRON: '99 * * * * *' }).ok).toBe(false);
    expect(loadConfig({ NOTIFY_CRON: '*/30 * * * * *' }).ok).toBe(true);
  });
  it('the demo has its own store key, defaulting apart from the live store', () => {
    const r = loadConfig({});
    expect(r.ok && r.config.DEMO_STORE_URL).toBe('sqlite://./data/demo.sqlite');
    expect(r.ok && r.config.STORE_URL).toBe('sqlite://./data/liqzone.sqlite');
    expect(loadConfig({ DEMO_STORE_URL: 'ftp://x' }).ok).toBe(false);
  });
  it('SHARDING_MANAGER (set by discord.js for shard children) is read here, nowhere else', () => {
    const child = loadConfig({ SHARDING_MANAGER: 'true' });
    expect(child.ok && child.config.shardChild).toBe(true);
    const plain = loadConfig({});
    expect(plain.ok && plain.config.shardChild).toBe(false);
  });
});
