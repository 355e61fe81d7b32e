import type { CommandDef } from '../src/bot/command.ts';
import { errorReply, unavailableReply } from '../src/bot/reply.ts';
import { resolveSymbol } from '../src/bot/registry.ts';
import { describeCalibration } from '../src/engine/calibration.ts';
import { symbolOption } from './options.ts';
import { formatFraction } from '../src/format/numbers.ts';

const pct = (x: number) => formatFraction(x, 1);

/** /calibration SYMBOL: the leverage mix in use per venue, learned from realized liquidations, next to the prior. */
export const calibration: CommandDef = {
  name: 'calibration',
  description: 'Leverage mix behind the zones: learned from realized liquidations vs the prior',
  usage: '/calibration SYMBOL',
  examples: ['/calibration ETH'],
  options: [symbolOption()],
  run: ({ services, args }) => {
    if (!services.zones) return unavailableReply('/calibration');
    const resolved = resolveSymbol(services, typeof args.symbol === 'string' ? args.symbol : '');
    if ('error' in resolved) return errorReply(resolved.error, calibration.usage);
    const symbol = resolved.symbol;
    const snap = services.zones.snapshot(symbol);
    if (!snap) return { ok: false, text: `No data yet for ${symbol}, warming up. Try again in a few seconds.`, tone: 'warning', ephemeral: true };
    const cals = snap.calibration;
    if (!cals) return { ok: true, text: `${symbol}: calibration is off; zones use the configured leverage mix (LEVERAGE_MIX).`, tone: 'neutral', data: { symbol, venues: [] } };
    const lines = [`${symbol} leverage mix behind the zones (estimated: learned from realized liquidations, pulled towards the prior)`];
    if (cals.length === 0) lines.push('', 'No venue has levels yet.');
    for (const c of cals) {
      lines.push('', `${c.venue}: ${describeCalibration(c)}${c.unmatchedPrints > 0 ? `; ${c.unmatchedPrints} liquidations with no estimated level nearby not used` : ''}`);
      lines.push('  leverage   prior   in use');
      // leverages of the calibration grid the prior does not name are listed once they carry weight
      for (const m of c.mix.filter((x) => x.prior > 0 || x.weight >= 0.005)) lines.push(`  ${`${m.leverage}x`.padStart(8)}  ${pct(m.prior).padStart(6)}  ${pct(m.weight).padStart(7)}`);
    }
    lines.push('', 'Realized liquidations are a lower bound (Binance reports at most one per symbol per second).');
    return {
      ok: true,
      title: `${symbol} leverage mix (estimated)`,
      text: lines.join('\n'),
      tone: 'neutral',
      data: { symbol, estimated: true, venues: cals.map((c) => ({ ...c, mix: c.mix.map((m) => ({ ...m })) })) },
    };
  },
};
