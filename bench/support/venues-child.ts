/**
 * Child process of bench/rss.bench.ts: the simulated venues (every default symbol on every venue)
 * in their own process, so the measured bot process holds only the bot. Prints its endpoints as one
 * JSON line on stdout; stops on SIGTERM.
 */
import { startDemoMarket } from '../../src/demo/demo-market.ts';
import { DEFAULT_SYMBOLS } from '../../src/market/symbols.ts';
import { VENUES } from '../../src/market/types.ts';

const market = await startDemoMarket({ symbols: [...DEFAULT_SYMBOLS], venues: [...VENUES], seed: 7 });
process.stdout.write(`${JSON.stringify(market.endpoints)}\n`);
process.on('SIGTERM', () => {
  void market.stop().finally(() => process.exit(0));
});
