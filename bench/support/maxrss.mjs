// Preloaded into a child (`node --import ./bench/support/maxrss.mjs …`): prints its peak RSS (kB) on exit.
// VmHWM from /proc is this process's own high-water mark. getrusage's maxRSS is not: on Linux it
// keeps the forked parent's RSS across exec, so in a full `npm run bench` (a parent grown to ~300 MB
// by earlier benches) `liqzone help` read 314 MB.
import { readFileSync } from 'node:fs';

process.on('exit', () => {
  let kb = process.resourceUsage().maxRSS;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) kb = Number(m[1]);
  } catch {
    // not Linux: getrusage's figure
  }
  process.stderr.write(`\nmaxrss-kb ${kb}\n`);
});
