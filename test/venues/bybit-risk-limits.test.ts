/**
 * Bybit risk-limit tiers through the venue's REST client: parsed per symbol, inside the weight
 * budget, recorded like every REST response (and read back from a recording), failures as values.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bybitTiersToBrackets } from '../../src/engine/brackets.ts';
import { bybitLiquidationPrice } from '../../src/engine/liquidation.ts';
import type { BybitRiskTier } from '../../src/market/risk-tiers.ts';
import type { VenueInstrument } from '../../src/market/symbols.ts';
import { loadBybitRiskTiers, parseBybitRiskLimits, recordedBybitRiskTiers } from '../../src/venues/bybit/risk-limits.ts';
import type { FrameRecord } from '../../src/venues/records.ts';
import { RestClient } from '../../src/venues/rest-client.ts';

const inst = (symbol: string, venueSymbol = `${symbol}USDT`): VenueInstrument => ({ venue: 'bybit', symbol, venueSymbol, multiplier: 1 }) as VenueInstrument;

let server: Server;
let base = '';
const seen: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const u = new URL(req.url ?? '/', 'http://x');
    const symbol = u.searchParams.get('symbol');
    if (symbol === 'BADUSDT') {
      res.writeHead(500).end('nope');
      return;
    }
    if (symbol === 'SLOWUSDT') return; // never answers
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        retCode: 0,
        retMsg: 'OK',
        result: {
          category: 'linear',
          list: [
            { id: 1, symbol, riskLimitValue: '2000000', maintenanceMargin: '0.005', initialMargin: '0.01', isLowestRisk: 1, maxLeverage: '100.00', mmDeduction: '' },
            { id: 2, symbol, riskLimitValue: '4000000', maintenanceMargin: '0.01', initialMargin: '0.0175', isLowestRisk: 0, maxLeverage: '57.14', mmDeduction: '10000' },
            { id: 9, symbol: 'OTHERUSDT', riskLimitValue: '1', maintenanceMargin: '0.5', initialMargin: '1', isLowestRisk: 0, maxLeverage: '1', mmDeduction: '0' },
          ],
        },
        time: 1,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('Bybit risk-limit tiers via the REST client', () => {
  it('fetches each symbol through the client, parses its rows and records the responses', async () => {
    const records: FrameRecord[] = [];
    const client = new RestClient({ venue: 'bybit', baseUrl: `${base}/`, onRecord: (r) => records.push(r) });
    const got = new Map<string, BybitRiskTier[]>();
    const r = await loadBybitRiskTiers(client, [inst('BTC'), inst('ETH')], (s, t) => got.set(s, t));
    expect(r).toEqual({ loaded: 2, failed: [] });
    expect(seen).toContain('/v5/market/risk-limit?category=linear&symbol=BTCUSDT');
    const btc = got.get('BTC')!;
    expect(btc.map((t) => [t.riskLimitValue, t.maintenanceMargin, t.maxLeverage, t.mmDeduction])).toEqual([
      [2_000_000, 0.005, 100, undefined],
      [4_000_000, 0.01, 57.14, 10_000],
    ]);
    const liq = bybitLiquidationPrice(bybitTiersToBrackets(btc), { side: 'long', entry: 20_000, leverage: 50, notionalUsd: 20_000 });
    expect(liq.ok && liq.price).toBeCloseTo(19_700, 6);
    // counted against the client's budget, and recorded: a replay installs the same tables
    expect(client.weightUsed()).toBe(2);
    expect(records.map((x) => x.c).sort()).toEqual(['rest:/v5/market/risk-limit?category=linear&symbol=BTCUSDT', 'rest:/v5/market/risk-limit?category=linear&symbol=ETHUSDT']);
    expect(recordedBybitRiskTiers(records).get('ETHUSDT')).toEqual(got.get('ETH'));
  });

  it('waits for room in the budget instead of overrunning it', async () => {
    const client = new RestClient({ venue: 'bybit', baseUrl: base, weightLimit: 1, weightWindowMs: 200 });
    const t0 = Date.now();
    const r = await loadBybitRiskTiers(client, [inst('BTC'), inst('ETH'), inst('SOL')], () => undefined, { concurrency: 3 });
    expect(r.loaded).toBe(3);
    // three requests at one per 200 ms window: at least two window boundaries passed
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
  });

  it('reports HTTP errors, timeouts and bad bodies as values; those symbols keep the generic table', async () => {
    const logs: string[] = [];
    const client = new RestClient({ venue: 'bybit', baseUrl: base, timeoutMs: 1500 });
    const r = await loadBybitRiskTiers(client, [inst('BAD'), inst('SLOW'), inst('BTC')], () => undefined, { log: (level, msg) => logs.push(`${level} ${msg}`) });
    expect(r.loaded).toBe(1);
    expect(r.failed.map((f) => f.symbol).sort()).toEqual(['BAD', 'SLOW']);
    expect(r.failed.every((f) => f.error.startsWith('risk-limit: '))).toBe(true);
    expect(logs.at(-1)).toMatch(/^warn bybit risk-limit tiers: 1 symbols loaded, 2 kept the generic table/);
    expect(parseBybitRiskLimits({ retCode: 10001, retMsg: 'params error' }, 'X')).toEqual({ ok: false, error: 'risk-limit: retCode 10001 params error' });
    expect(parseBybitRiskLimits({ retCode: 0, result: { list: [] } }, 'X').ok).toBe(false);
  });
});
