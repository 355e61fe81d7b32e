import type { OptionDef } from '../src/bot/command.ts';

/** The symbol option: named `symbol` on every command (a stable interface). */
export const symbolOption = (required = true): OptionDef => ({
  name: 'symbol',
  description: 'Symbol, e.g. ETH',
  type: 'string',
  required,
  autocomplete: 'symbol',
});

/** A position as /exit and /position add take it: symbol, side, entry, leverage, [size], [venue]. */
export const positionOptions = (): OptionDef[] => [
  symbolOption(),
  { name: 'side', description: 'long or short', type: 'string', required: true, choices: ['long', 'short'], expects: 'long or short' },
  { name: 'entry', description: 'Entry price', type: 'number', required: true, magnitude: true, label: 'entry', expects: 'a price, e.g. 3120' },
  { name: 'leverage', description: 'Leverage, e.g. 20', type: 'number', required: true, leverageSuffix: true, expects: 'a number, e.g. 20 or 20x' },
  { name: 'size', description: 'Position size in USD (default 10000)', type: 'number', magnitude: true, expects: 'a number of USD, e.g. 10000 or 10k' },
  { name: 'venue', description: 'Venue for the bracket math: binance (default), bybit, okx or hyperliquid', type: 'string', choices: ['binance', 'bybit', 'okx', 'hyperliquid'] },
];
