import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';
import { symbolOption } from './options.ts';

export const exit: CommandDef = {
  name: 'exit',
  description: 'Exit plan for a position: liquidation price, targets at zone edges, a stop',
  usage: '/exit SYMBOL long|short ENTRY LEVERAGE [SIZE_USD] [binance|bybit]',
  examples: ['/exit ETH long 3120 20x', '/exit BTC short 97000 10 25k bybit'],
  options: [
    symbolOption(),
    { name: 'side', description: 'long or short', type: 'string', required: true, choices: ['long', 'short'] },
    { name: 'entry', description: 'Entry price', type: 'number', required: true, magnitude: true },
    { name: 'leverage', description: 'Leverage, e.g. 20', type: 'number', required: true, leverageSuffix: true },
    { name: 'size', description: 'Position size in USD (default 10000)', type: 'number', magnitude: true },
    { name: 'venue', description: 'Venue for the bracket math (default binance)', type: 'string', choices: ['binance', 'bybit'] },
  ],
  slow: true,
  run: () => unavailableReply('/exit'),
};
