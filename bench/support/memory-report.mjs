// Preloaded into the measured bot process (`node --import ./bench/support/memory-report.mjs …`):
// on SIGUSR2 writes its memory by V8 space plus a heap snapshot to LZ_MEMREPORT(.heapsnapshot),
// for bench/rss.bench.ts to break down. Nothing else changes in the process.
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const out = process.env.LZ_MEMREPORT;
if (out) {
  process.on('SIGUSR2', () => {
    const report = { memory: process.memoryUsage(), spaces: getHeapSpaceStatistics().map((s) => ({ name: s.space_name, used: s.space_used_size, size: s.space_size })) };
    writeFileSync(`${out}.json`, JSON.stringify(report));
    writeHeapSnapshot(`${out}.heapsnapshot`);
    writeFileSync(`${out}.done`, '1');
  });
}
