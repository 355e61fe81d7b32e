import type { OptionDef } from '../src/bot/command.ts';

/** The symbol option: named `symbol` on every command (a stable interface). */
export const symbolOption = (required = true): OptionDef => ({
  name: 'symbol',
  description: 'Symbol, e.g. ETH',
  type: 'string',
  required,
  autocomplete: 'symbol',
});
