import type { CommandDef } from '../src/bot/command.ts';
import { errorReply } from '../src/bot/reply.ts';
import { resolveSymbol } from '../src/bot/registry.ts';
import { formatPrice } from '../src/format/numbers.ts';
import { symbolOption } from './options.ts';

/** What the demo market lets the console steer. */
export interface DemoControl {
  /** Returns what will happen and roughly when, when the regime has a script worth announcing (a reversal). */
  setRegime(symbol: string, regime: string): string | undefined | void;
  driveToward(symbol: string, price: number, overMs: number): void;
  price(symbol: string): number | undefined;
}

/** `/demo drive` refuses targets further than this (fraction) from the simulated price. */
export const MAX_DRIVE_DISTANCE = 0.5;

export const DEMO_REGIMES = ['calm', 'trend-up', 'trend-down', 'chop', 'reversal', 'burst'] as const;

function parseDuration(text: string | undefined): number | undefined {
  if (!text) return 120_000;
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 's').toLowerCase();
  return Number(m[1]) * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000);
}

/**
 * `/demo` — only registered by `liqzone demo`: steers the simulated market so zones, signals and
 * alerts can be shown on demand (`/demo regime ETH reversal`, `/demo drive ETH 3050 2m`).
 */
export function demoCommand(control: DemoControl): CommandDef {
  return {
    name: 'demo',
    description: 'Steer the simulated market (demo mode only)',
    usage: '/demo regime SYMBOL calm|trend-up|trend-down|chop|reversal|burst | /demo drive SYMBOL PRICE [DURATION]',
    examples: ['/demo regime ETH reversal', '/demo drive ETH 3050 2m'],
    subcommands: [
      { name: 'regime', description: 'Switch the regime of a symbol', options: [symbolOption(), { name: 'regime', description: 'Regime', type: 'string', required: true, choices: DEMO_REGIMES }] },
      {
        name: 'drive',
        description: 'Walk price toward a target',
        options: [symbolOption(), { name: 'price', description: 'Target price', type: 'number', required: true, magnitude: true, min: 0, label: 'target price', expects: 'a price within 50 % of the current one, e.g. 3050' }, { name: 'over', description: 'Duration, e.g. 90s, 2m', type: 'string' }],
      },
    ],
    run({ services, args, subcommand }) {
      const sym = resolveSymbol(services, typeof args.symbol === 'string' ? args.symbol : '');
      if ('error' in sym) return errorReply(sym.error);
      if (subcommand === 'regime') {
        const regime = typeof args.regime === 'string' ? args.regime : '';
        const note = control.setRegime(sym.symbol, regime) || undefined;
        return {
          ok: true,
          text: `Simulated ${sym.symbol} switched to ${args.regime}.${note ? `\n${note}` : ''}`,
          data: { symbol: sym.symbol, regime: args.regime, ...(note ? { note } : {}) },
        };
      }
      const over = parseDuration(typeof args.over === 'string' ? args.over : undefined);
      if (over === undefined || over <= 0) return errorReply('Duration must look like 90s, 2m or 1h.');
      const written = typeof args.price === 'number' ? args.price : Number.NaN;
      if (!(written > 0) || !Number.isFinite(written)) return errorReply('Target price must be a price above 0, e.g. /demo drive ETH 3050 2m.');
      // 1000PEPE quotes per 1,000 coins: the simulator runs per coin.
      const target = written / sym.unit;
      const from = control.price(sym.symbol);
      if (from !== undefined && Math.abs(target - from) / from > MAX_DRIVE_DISTANCE) {
        const now = from * sym.unit;
        return errorReply(
          `Target ${formatPrice(written)} is more than ${MAX_DRIVE_DISTANCE * 100} % away from the simulated ${sym.written} price ${formatPrice(now)}; drive between ${formatPrice(now * (1 - MAX_DRIVE_DISTANCE))} and ${formatPrice(now * (1 + MAX_DRIVE_DISTANCE))}.`,
        );
      }
      control.driveToward(sym.symbol, target, over);
      return {
        ok: true,
        text: `Simulated ${sym.symbol} walking from ${from !== undefined ? formatPrice(from, sym.symbol) : '?'} toward ${formatPrice(target, sym.symbol)} over ${Math.round(over / 1000)} s.`,
        data: { symbol: sym.symbol, target, overMs: over },
      };
    },
  };
}
