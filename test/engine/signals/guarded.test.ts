import { describe, expect, it } from 'vitest';
import { SignalEngine } from '../../../src/engine/signals/engine.ts';
import { SyntheticMarket, TREND_UP } from './synthetic.ts';

describe('signal engine: one symbol failing', () => {
  it('logs and skips it; the cycle, the other symbols and the process go on', () => {
    const market = new SyntheticMarket({ symbols: ['ETH', 'BTC'], seed: 3 });
    market.seedHistory(60, TREND_UP);
    const logs: { level: string; msg: string; extra?: object }[] = [];
    let broken = true;
    const engine = new SignalEngine({
      state: market.state,
      // The input builder reads the zones first: a throw there is a throw inside buildCardInput's call.
      zones: {
        snapshot: (s) => {
          if (s === 'BTC' && broken) throw new TypeError("Cannot read properties of undefined (reading 'peak')");
          return undefined;
        },
      },
      symbols: () => market.symbols(),
      now: market.now,
      log: (level, msg, extra) => logs.push({ level, msg, extra }),
    });
    for (let i = 0; i < 12; i++) {
      market.step(TREND_UP);
      expect(() => engine.cycle()).not.toThrow();
    }
    expect(engine.snapshot('ETH', 'day')).toBeDefined();
    expect(engine.snapshot('BTC', 'day')).toBeUndefined();
    expect(logs.filter((l) => l.level === 'error' && /signal inputs failed/.test(l.msg))).toHaveLength(12);
    broken = false;
    market.step(TREND_UP);
    engine.cycle();
    expect(engine.snapshot('BTC', 'day')).toBeDefined();
  });
});
