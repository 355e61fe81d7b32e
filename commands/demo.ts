import type { CommandDef } from '../src/bot/command.ts';
import { errorReply } from '../src/bot/reply.ts';
import { resolveSymbol } from '../src/bot/registry.ts';
import { symbolOption } from './options.ts';

/** What the demo market lets the console steer. */
export interface DemoControl {
  /** Returns what will happen and roughly when, when the regime has a script worth announcing (a reversal). */
  setRegime(symbol: string, regime: string): string | undefined | void;
  driveToward(symbol: string, price: number, overMs: number): void;
  price(symbol: string): number | undefined;
}

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
        options: [symbolOption(), { name: 'price', description: 'Target price', type: 'number', required: true, magnitude: true, min: 0 }, { name: 'over', description: 'Duration, e.g. 90s, 2m', type: 'string' }],
      },
    ],
    run({ services, args, subcommand }) {
      const sym = resolveSymbol(services, String(args.symbol));
      if ('error' in sym) return errorReply(sym.error);
      if (subcommand === 'regime') {
        const note = control.setRegime(sym.symbol, String(args.regime)) || undefined;
        return {
          ok: true,
          text: `Simulated ${sym.symbol} switched to ${args.regime}.${note ? `\n${note}` : ''}`,
          data: { symbol: sym.symbol, regime: args.regime, ...(note ? { note } : {}) },
        };
      }
      const over = parseDuration(typeof args.over === 'string' ? args.over : undefined);
      if (over === undefined || over <= 0) return errorReply('Duration must look like 90s, 2m or 1h.');
      const target = Number(args.price);
      if (!(target > 0)) return errorReply('Price must be above 0.');
      control.driveToward(sym.symbol, target, over);
      const from = control.price(sym.symbol);
      return {
        ok: true,
        text: `Simulated ${sym.symbol} walking from ${from?.toPrecision(6) ?? '?'} toward ${target} over ${Math.round(over / 1000)} s.`,
        data: { symbol: sym.symbol, target, overMs: over },
      };
    },
  };
}
