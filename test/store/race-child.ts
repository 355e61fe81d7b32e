/** Child process for the cross-process race test: N concurrent subscribes to one symbol. */
import { openStore } from '../../src/store/store.ts';

const [url, symbol, prefix, count] = process.argv.slice(2);
const store = await openStore(url!);
await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => store.subscriptions.add({ platform: 'telegram', kind: 'user', id: `${prefix}-${i}` }, symbol!)),
);
// Also race on one destination's own set: every child adds its own symbols to the same user.
await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => store.subscriptions.add({ platform: 'telegram', kind: 'user', id: `shared-${symbol}` }, `${symbol}${prefix}${i}`)),
);
await store.close();
process.exit(0);
