import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';
import { symbolOption } from './options.ts';

export const signal: CommandDef = {
  name: 'signal',
  description: 'Directional read on 1m / 5m / 1h with a conflict flag',
  usage: '/signal SYMBOL [scalp|day|swing]',
  examples: ['/signal ETH', '/signal BTC swing'],
  options: [
    symbolOption(),
    { name: 'mode', description: 'scalp, day (default) or swing', type: 'string', choices: ['scalp', 'day', 'swing'] },
  ],
  run: () => unavailableReply('/signal'),
};
