import type { CommandDef } from '../src/bot/command.ts';
import { unavailableReply } from '../src/bot/reply.ts';
import { symbolOption } from './options.ts';

export const unsubscribe: CommandDef = {
  name: 'unsubscribe',
  saves: 'your unsubscribe',
  description: 'Stop alerts for a symbol (add "here" for this channel/group)',
  usage: '/unsubscribe SYMBOL [here]',
  examples: ['/unsubscribe ETH'],
  options: [symbolOption(), { name: 'where', description: '"here" for this channel or group', type: 'string', choices: ['here', 'me'] }],
  async run({ services, caller, args }) {
    if (!services.subscriptions) return unavailableReply('Subscriptions');
    return services.subscriptions.handle('unsubscribe', caller, args);
  },
};
