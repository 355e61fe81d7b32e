import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';
import { symbolOption } from './options.ts';

export const subscribe: CommandDef = {
  name: 'subscribe',
  saves: 'your subscription',
  description: 'Get exit-zone and conflict alerts for a symbol (add "here" for this channel/group)',
  usage: '/subscribe SYMBOL [here]',
  examples: ['/subscribe ETH', '/subscribe BTC here'],
  options: [symbolOption(), { name: 'where', description: '"here" subscribes this channel or group', type: 'string', choices: ['here', 'me'] }],
  async run({ services, caller, args }) {
    if (!services.subscriptions) return unavailableReply('Subscriptions');
    return services.subscriptions.handle('subscribe', caller, args);
  },
};
