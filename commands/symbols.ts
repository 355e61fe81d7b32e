import type { CommandDef } from '../src/bot/command.ts';

export const symbols: CommandDef = {
  name: 'symbols',
  description: 'Tracked symbols and the venues that list them',
  usage: '/symbols',
  examples: ['/symbols'],
  options: [],
  run({ services }) {
    const reg = services.symbols;
    const tracked = reg.tracked();
    const lines = tracked.map((s) => `${s.padEnd(5)} ${reg.venuesOf(s).join(', ')}`);
    const skipped = reg.skipped();
    const text = [
      `${tracked.length} symbols tracked:`,
      ...lines,
      ...(skipped.length ? ['', 'Not listed / skipped:', ...skipped.map((s) => `${s.symbol} on ${s.venue}: ${s.reason}`)] : []),
    ].join('\n');
    return {
      ok: true,
      title: 'Symbols',
      text,
      data: { symbols: tracked.map((s) => ({ symbol: s, venues: reg.venuesOf(s) })), skipped },
    };
  },
};
