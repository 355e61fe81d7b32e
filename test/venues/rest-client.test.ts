import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FrameRecord } from '../../src/venues/records.ts';
import { RestClient } from '../../src/venues/rest-client.ts';
import { FakeBinance } from '../../src/demo/binance.ts';
import { FakeBybit } from '../../src/demo/bybit.ts';
import { closedPort } from '../../src/demo/ws-server.ts';

const T0 = 1_760_000_000_000;

describe('RestClient against the fake Binance', () => {
  let fake: FakeBinance;
  let restUrl: string;
  let clock: number;
  const now = () => clock;

  beforeEach(async () => {
    fake = new FakeBinance();
    ({ restUrl } = await fake.start());
    clock = T0;
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('honours Retry-After on 429: no request reaches the venue before it', async () => {
    const client = new RestClient({ venue: 'binance', baseUrl: restUrl, now });
    fake.fail429(5, 1);
    const first = await client.get('/fapi/v1/exchangeInfo');
    expect(first.ok).toBe(false);
    if (first.ok) return;
    expect(first.error.kind).toBe('rate-limited');
    expect(first.error.until).toBe(T0 + 5_000);
    expect(fake.counters.requests).toBe(1);

    clock = T0 + 4_999;
    const early = await client.get('/fapi/v1/exchangeInfo');
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.error.kind).toBe('paused');
    expect(fake.counters.requests).toBe(1);
    expect(client.canSend()).toBe(false);
    expect(client.status().bannedUntil).toBe(T0 + 5_000);
    expect(client.status().note).toMatch(/429/);

    clock = T0 + 5_000;
    const after = await client.get('/fapi/v1/exchangeInfo');
    expect(after.ok).toBe(true);
    expect(fake.counters.requests).toBe(2);
  });

  it('stops all REST on 418 until the ban ends, and says so', async () => {
    const client = new RestClient({ venue: 'binance', baseUrl: restUrl, now });
    fake.fail418(120);
    const res = await client.get('/fapi/v1/openInterest', { symbol: 'BTCUSDT' });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.kind).toBe('banned');
    const st = client.status();
    expect(st.bannedUntil).toBe(T0 + 120_000);
    expect(st.note).toMatch(/banned.*418/);
    for (let i = 0; i < 5; i++) {
      clock += 20_000;
      const r = await client.get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 5 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('banned');
    }
    expect(fake.counters.requests).toBe(1);
    fake.clearRestFaults();
    clock = T0 + 120_000;
    expect((await client.get('/fapi/v1/exchangeInfo')).ok).toBe(true);
    expect(fake.counters.requests).toBe(2);
    expect(client.status().bannedUntil).toBeUndefined();
  });

  it('tracks used weight from X-MBX-USED-WEIGHT-1M and refuses past the local budget', async () => {
    const client = new RestClient({ venue: 'binance', baseUrl: restUrl, now, weightLimit: 12 });
    expect((await client.get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 500 }, { weight: 5 })).ok).toBe(true);
    expect(client.status()).toMatchObject({ weightUsed: 5, weightLimit: 12 });
    expect((await client.get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 500 }, { weight: 5 })).ok).toBe(true);
    expect(client.weightUsed()).toBe(10);
    const refused = await client.get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 500 }, { weight: 5 });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.kind).toBe('budget');
    expect(fake.counters.requests).toBe(2);
    expect(client.canSend(2)).toBe(true);
    expect(client.canSend(2, 1)).toBe(false);
    clock = T0 + 60_000; // next minute window
    expect(client.weightUsed()).toBe(0);
  });

  it('reports geo (451) and WAF (403) blocks clearly and pauses', async () => {
    const client = new RestClient({ venue: 'binance', baseUrl: restUrl, now });
    fake.failRest(451, 1);
    const geo = await client.get('/fapi/v1/exchangeInfo');
    expect(geo.ok).toBe(false);
    if (!geo.ok) {
      expect(geo.error.kind).toBe('blocked');
      expect(geo.error.message).toMatch(/451.*geo/);
    }
    expect(client.status().note).toMatch(/451/);
    clock += 10 * 60_000;
    fake.failRest(403, 1);
    const waf = await client.get('/fapi/v1/exchangeInfo');
    if (!waf.ok) expect(waf.error.message).toMatch(/403.*WAF/);
    else expect.fail('403 should fail');
  });

  it('hands every used response to onRecord as rest:<path>?<query>, exactly as received', async () => {
    const records: FrameRecord[] = [];
    const client = new RestClient({ venue: 'binance', baseUrl: restUrl, now, onRecord: (r) => records.push(r) });
    const res = await client.get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 5 });
    expect(res.ok).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ t: T0, v: 'binance', c: 'rest:/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=5' });
    if (res.ok) expect(records[0]!.raw).toBe(res.text);
    fake.failRest(500, 1);
    await client.get('/fapi/v1/klines', { symbol: 'BTCUSDT', interval: '1m', limit: 5 });
    expect(records).toHaveLength(1);
  });
});

describe('RestClient against the fake Bybit', () => {
  it('pauses at least 10 minutes after 403 "access too frequent"', async () => {
    const fake = new FakeBybit();
    const { restUrl } = await fake.start();
    let clock = T0;
    const client = new RestClient({ venue: 'bybit', baseUrl: restUrl, now: () => clock });
    try {
      fake.failRest(403, 1);
      const res = await client.get('/v5/market/instruments-info', { category: 'linear' });
      expect(res.ok).toBe(false);
      if (!res.ok) {
        expect(res.error.kind).toBe('rate-limited');
        expect(res.error.until! - T0).toBeGreaterThanOrEqual(10 * 60_000);
      }
      clock = T0 + 9 * 60_000;
      expect((await client.get('/v5/market/instruments-info', { category: 'linear' })).ok).toBe(false);
      expect(fake.counters.requests).toBe(1);
      clock = T0 + 10 * 60_000;
      expect((await client.get('/v5/market/instruments-info', { category: 'linear' })).ok).toBe(true);
    } finally {
      await fake.stop();
    }
  });

  it('treats a non-zero retCode as an error value', async () => {
    const fake = new FakeBybit();
    const { restUrl } = await fake.start();
    const client = new RestClient({ venue: 'bybit', baseUrl: restUrl });
    try {
      const res = await client.get('/v5/market/kline', { category: 'linear', symbol: 'NOPEUSDT', interval: '1' });
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error).toMatchObject({ kind: 'api' });
    } finally {
      await fake.stop();
    }
  });
});

describe('RestClient failures are values', () => {
  it('an unreachable venue gives a network error naming the host', async () => {
    const port = await closedPort();
    const client = new RestClient({ venue: 'binance', baseUrl: `http://127.0.0.1:${port}` });
    const res = await client.get('/fapi/v1/exchangeInfo');
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.kind).toBe('network');
      expect(res.error.message).toContain(`127.0.0.1:${port}`);
    }
  });

  it('a slow venue times out', async () => {
    const slowFetch: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const client = new RestClient({ venue: 'bybit', baseUrl: 'http://127.0.0.1:9', fetch: slowFetch, timeoutMs: 20 });
    const res = await client.get('/v5/market/kline');
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.kind).toBe('timeout');
  });
});
