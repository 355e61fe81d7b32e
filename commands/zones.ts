import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';
import { symbolOption } from './options.ts';

export const zones: CommandDef = {
  name: 'zones',
  description: 'Estimated liquidation zones around the price, with a chart',
  usage: '/zones SYMBOL',
  examples: ['/zones ETH'],
  options: [symbolOption()],
  slow: true,
  run: () => unavailableReply('/zones'),
};
